"""Example: a Python test that drives a standalone RocketRide mock server over its HTTP control API.

Standard library only (unittest, urllib, json). The server runs apart from the test:

    npx rocketride-deploy-kit serve --clock fake --start-at 2026-11-26T10:07:00Z

and the test finds its control API through RRDK_CONTROL_URL (as `rocketride-deploy-kit control`
does): ``http://127.0.0.1:5565``, or the ``control API:`` URL that ``serve`` prints.

What it expects on the server (see README.md next to this file): a fresh server, its fake clock
at 2026-11-26T10:07:00Z, on which YOUR APP has added, as user ``local`` with the key
``MYAPIKEY``, the deployment ``reports`` scheduled ``*/15 * * * *``. In this example
``add_deployment.mjs`` stands in for the app (Python's standard library has no WebSocket client
to speak the deploy API with); in your project, your app's own code does it through the
RocketRide Python SDK.

The test then checks what the app sent (the frame journal), moves the clock and checks the
runs, makes runs overlap, and revokes the app's key. Tests in ``ControlApiTest`` touch nothing
that ``ReportsScheduleTest`` relies on, so the two classes may run in any order.
"""
import json
import os
import unittest
import urllib.error
import urllib.parse
import urllib.request

START = '2026-11-26T10:07:00.000Z'
USER, PROJECT, KEY = 'local', 'reports', 'MYAPIKEY'


class ControlError(Exception):
    """An error answer of the control API: ``{"error": {"code", "message"}}`` with an HTTP status."""

    def __init__(self, status, code, message):
        super().__init__('%s %s: %s' % (status, code, message))
        self.status, self.code, self.message = status, code, message


class ControlApi:
    """A tiny client for the mock's HTTP control API (docs/control-api.md): JSON in, JSON out."""

    def __init__(self, server_url):
        parsed = urllib.parse.urlsplit(server_url)
        if parsed.scheme not in ('http', 'https', 'ws', 'wss') or not parsed.netloc:
            raise ValueError('RRDK_CONTROL_URL must be a URL like http://127.0.0.1:5565, got %r' % server_url)
        scheme = {'ws': 'http', 'wss': 'https'}.get(parsed.scheme, parsed.scheme)
        self.base = '%s://%s/control/' % (scheme, parsed.netloc)
        # The mock is on this machine: never send its requests through an HTTP proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path, **query):
        url = self.base + path + ('?' + urllib.parse.urlencode(query) if query else '')
        return self._send(urllib.request.Request(url, method='GET'))

    def post(self, path, body=None):
        data = json.dumps(body if body is not None else {}).encode('utf-8')
        request = urllib.request.Request(self.base + path, data=data, method='POST',
                                         headers={'Content-Type': 'application/json'})
        return self._send(request)

    def _send(self, request):
        try:
            with self._opener.open(request, timeout=10) as response:
                return json.loads(response.read().decode('utf-8'))
        except urllib.error.HTTPError as error:
            answer = json.loads(error.read().decode('utf-8') or '{}').get('error', {})
            raise ControlError(error.code, answer.get('code'), answer.get('message')) from None
        except urllib.error.URLError as error:
            raise ConnectionError('No mock server answers at %s (%s): start it with '
                                  '`npx rocketride-deploy-kit serve --clock fake --start-at 2026-11-26T10:07:00Z`'
                                  % (self.base, error.reason)) from None


def control_from_env():
    url = os.environ.get('RRDK_CONTROL_URL')
    if not url:
        raise RuntimeError('Set RRDK_CONTROL_URL to the mock server, e.g. RRDK_CONTROL_URL=http://127.0.0.1:5565 '
                           '(see examples/python/README.md)')
    return ControlApi(url)


def runs_at(runs):
    """'HH:MM' of each run's scheduled time."""
    return [run['scheduledFor'][11:16] for run in runs]


class ReportsScheduleTest(unittest.TestCase):
    """The app's deployment, from what it sent to how its scheduled runs go. One ordered story."""

    def setUp(self):
        self.control = control_from_env()

    def test_what_the_app_sent_and_how_its_runs_go(self):
        control = self.control
        clock = control.get('clock')
        self.assertEqual((clock['now'], clock['mode']), (START, 'fake'),
                         'expected a fresh server with a fake clock at %s: restart it with '
                         '`serve --clock fake --start-at 2026-11-26T10:07:00Z` and add the deployment again' % START)

        # What the app put on the wire: one add, with exactly these arguments, as user `local`.
        [sent] = control.get('journal', command='rrext_deploy_add', direction='in')['items']  # a page: items, next
        self.assertEqual(json.loads(sent['text'])['arguments'], {'pipeline': {'project_id': PROJECT}, 'schedule': '*/15 * * * *'})
        self.assertEqual(sent['userId'], USER)

        deployment = control.get('deployments/%s/%s' % (USER, PROJECT))
        self.assertEqual((deployment['state'], deployment['schedule']), ('active', '*/15 * * * *'))
        self.assertEqual(deployment['nextDue'][0], '2026-11-26T10:15:00.000Z')

        # An hour later: four runs, at each quarter hour, each completed a second after it started.
        moved = control.post('clock/advance', {'by': '1h'})
        self.assertEqual(moved['to'], '2026-11-26T11:07:00.000Z')
        self.assertEqual(moved['ticks']['fired'], 4)
        runs = control.get('runs', userId=USER, projectId=PROJECT)['items']
        self.assertEqual(runs_at(runs), ['10:15', '10:30', '10:45', '11:00'])
        self.assertEqual(runs[0]['endedAt'], '2026-11-26T10:15:01.000Z')
        self.assertTrue(all(run['outcome'] == 'completed' and run['trigger'] == 'schedule' for run in runs))

        # Runs never overlap: hold the next one open and the ticks due meanwhile are skipped.
        control.post('run-behavior', {'hold': True, 'userId': USER, 'projectId': PROJECT})
        moved = control.post('clock/advance', {'by': '1h'})
        self.assertEqual((moved['ticks']['fired'], moved['ticks']['skipped_overlap']), (1, 3))
        ticks = control.get('ticks', userId=USER, projectId=PROJECT, order='newest', limit=4)['items']  # the latest four
        self.assertEqual([t['reason'] for t in ticks], ['skipped_overlap', 'skipped_overlap', 'skipped_overlap', 'fired'])
        held = control.get('deployments/%s/%s' % (USER, PROJECT))['runInProgress']
        self.assertEqual(held['scheduledFor'], '2026-11-26T11:15:00.000Z')
        ended = control.post('runs/%s/end' % held['id'], {'outcome': 'failed'})
        self.assertEqual((ended['endedAt'], ended['outcome']), ('2026-11-26T12:07:00.000Z', 'failed'))
        with self.assertRaises(ControlError) as refused:
            control.post('runs/%s/end' % held['id'])
        self.assertEqual((refused.exception.status, refused.exception.code), (409, 'RUN_NOT_IN_PROGRESS'))

        # The app's key is revoked: at its next tick the deployment turns errored, for good.
        control.post('keys/revoke', {'key': KEY})
        try:
            moved = control.post('clock/advance', {'next': True})
            self.assertEqual((moved['to'], moved['ticks']['errored_auth']), ('2026-11-26T12:15:00.000Z', 1))
            deployment = control.get('deployments/%s/%s' % (USER, PROJECT))
            self.assertEqual(deployment['state'], 'errored')
            self.assertEqual(deployment['nextDue'], [])
            self.assertEqual(deployment['counters']['completed'], 4)
            self.assertEqual(deployment['counters']['failed'], 1)
        finally:
            control.post('keys/restore', {'key': KEY})


class ControlApiTest(unittest.TestCase):
    """The rest of the control API, leaving the app's deployment and the clock alone."""

    def setUp(self):
        self.control = control_from_env()

    def test_clock_reads_fake_time(self):
        clock = self.control.get('clock')
        self.assertEqual(clock['mode'], 'fake')
        self.assertEqual(clock['timezone'], 'UTC')
        self.assertEqual(self.control.get('clock')['nowMs'], clock['nowMs'])  # stands still until moved

    def test_a_user_added_for_the_test_and_its_key(self):
        user = {
            'userId': 'py-app', 'keys': ['PYAPPKEY'], 'defaultTeam': 'dev',
            'organizations': [{'id': 'acme', 'name': 'Acme', 'permissions': [],
                               'teams': [{'id': 'dev', 'name': 'Dev', 'permissions': ['task.control', 'task.monitor']}]}],
        }
        self.assertEqual(self.control.post('users', user), {'userId': 'py-app'})
        with self.assertRaises(ControlError) as again:
            self.control.post('users', user)
        self.assertEqual((again.exception.status, again.exception.code), (409, 'USER_EXISTS'))
        self.assertEqual(self.control.post('keys/revoke', {'key': 'PYAPPKEY'}), {'key': 'PYAPPKEY', 'revoked': True})
        self.assertEqual(self.control.post('keys/restore', {'key': 'PYAPPKEY'}), {'key': 'PYAPPKEY', 'revoked': False})
        self.assertEqual(self.control.get('deployments', userId='py-app'), {'items': [], 'next': None})

    def test_faults_to_make_the_server_misbehave(self):
        fault = self.control.post('faults', {'kind': 'fail', 'command': 'rrext_deploy_list', 'message': 'Storage is down'})
        try:
            self.assertEqual({k: fault[k] for k in ('kind', 'command', 'message', 'remaining')},
                             {'kind': 'fail', 'command': 'rrext_deploy_list', 'message': 'Storage is down', 'remaining': 1})
            self.assertIn(fault['id'], [f['id'] for f in self.control.get('faults')])
            # ...here your app would call client.deploy.list() and show how it copes...
        finally:
            self.control.post('faults/%s/remove' % fault['id'])
        self.assertNotIn(fault['id'], [f['id'] for f in self.control.get('faults')])

    def test_errors_say_what_is_wrong(self):
        with self.assertRaises(ControlError) as missing:
            self.control.get('deployments/%s/%s' % (USER, 'no-such-project'))
        self.assertEqual((missing.exception.status, missing.exception.code), (404, 'DEPLOYMENT_NOT_FOUND'))
        with self.assertRaises(ControlError) as bad:
            self.control.post('clock/advance', {'by': 'soon'})
        self.assertEqual((bad.exception.status, bad.exception.code), (400, 'BAD_INPUT'))
        self.assertIn('15m', bad.exception.message)
        with self.assertRaises(ControlError) as typo:
            self.control.get('runs', user=USER)  # the parameter is userId: unknown ones are refused, not ignored
        self.assertEqual((typo.exception.status, typo.exception.code), (400, 'BAD_INPUT'))


if __name__ == '__main__':
    unittest.main()
