"""The generated ControlClient against a real server: every operation once (as
test/control/registry.test.ts does for the TypeScript client), then what its requests carry."""
import datetime as dt

import pytest
from mini_dap import add_deployment

from pytest_rocketride_deploy_kit import ControlClient, ControlError

START = '2026-11-26T10:07:00Z'
PROJECT = 'etl/nightly'  # a slash: percent-encoded in the path
NEW_USER = {
    'userId': 'bob',
    'keys': ['BOBKEY'],
    'displayName': 'Bob',
    'defaultTeam': 't',
    'organizations': [{'id': 'o', 'name': 'O', 'permissions': [], 'teams': [{'id': 't', 'name': 'T', 'permissions': ['task.control']}]}],
}
UTC = dt.timezone.utc


class Recording:
    """The client, noting each operation called."""

    def __init__(self, client):
        self.client = client
        self.called = set()

    def __getattr__(self, name):
        self.called.add(name)
        return getattr(self.client, name)


@pytest.mark.rocketride_serve('--start-at', START)
def test_every_operation(rocketride_server):
    add_deployment(rocketride_server.uri, rocketride_server.api_key, PROJECT, '*/15 * * * *')
    c = Recording(rocketride_server.control)

    assert c.clock() == {'now': '2026-11-26T10:07:00.000Z', 'nowMs': 1795687620000, 'mode': 'fake', 'timezone': 'UTC'}
    moved = c.advance(dt.timedelta(minutes=15))  # a timedelta is sent as milliseconds
    assert (moved['from'], moved['to'], moved['ticks']['fired']) == ('2026-11-26T10:07:00.000Z', '2026-11-26T10:22:00.000Z', 1)
    assert c.set_clock(dt.datetime(2026, 11, 26, 10, 40, tzinfo=UTC))['to'] == '2026-11-26T10:40:00.000Z'
    assert c.run_to_next_tick()['to'] == '2026-11-26T10:45:00.000Z'
    assert c.add_user(NEW_USER) == {'userId': 'bob'}
    assert c.revoke_key('BOBKEY') == {'key': 'BOBKEY', 'revoked': True}
    assert c.restore_key('BOBKEY') == {'key': 'BOBKEY', 'revoked': False}
    bob = [u for u in c.users() if u['userId'] == 'bob']
    assert bob == [{'userId': 'bob', 'displayName': 'Bob', 'keys': [{'key': 'BOBKEY', 'revoked': False}], 'addedAtRunTime': True}]
    assert [d['projectId'] for d in c.deployments(user_id='local')['items']] == [PROJECT]
    assert c.deployments(user_id='alice')['items'] == []
    assert c.deployment('local', PROJECT)['schedule'] == '*/15 * * * *'
    assert c.pause('local', PROJECT)['state'] == 'paused'
    assert c.resume('local', PROJECT)['state'] == 'active'
    assert c.set_run_behavior(hold=True, user_id='local', project_id=PROJECT) == {'durationMs': 1000, 'outcome': 'completed', 'hold': True}
    c.advance(1000)  # the 10:45 run ends (the behavior applies to runs that start afterwards)
    run = c.trigger('local', PROJECT)
    assert (run['trigger'], run['endedAt']) == ('manual', None)
    assert c.deployment('local', PROJECT)['runInProgress']['id'] == run['id']
    assert [r['id'] for r in c.runs(user_id='local', project_id=PROJECT)['items']][-1] == run['id']
    assert {t['reason'] for t in c.ticks(user_id='local')['items']} == {'fired'}
    assert c.end_run(run['id'], outcome='failed')['outcome'] == 'failed'
    assert c.set_run_behavior(duration='5s', outcome='failed') == {'durationMs': 5000, 'outcome': 'failed', 'hold': False}
    [sent] = c.journal(direction='in', command='rrext_deploy_add')['items']
    requests = c.journal(connection_id=sent['connectionId'], type='request', direction='in')['items']
    assert [e['command'] for e in requests] == ['auth', 'rrext_deploy_add', 'deauth']
    assert c.clear_journal()['cleared'] > 0
    assert isinstance(c.connections(), list)
    fault = c.inject_fault('delay', ms=dt.timedelta(milliseconds=10), command='rrext_deploy_list', count=2)
    assert (fault['kind'], fault['ms'], fault['remaining']) == ('delay', 10, 2)
    assert c.faults() == [fault]
    assert c.remove_fault(fault['id']) == {'id': fault['id'], 'removed': True}
    c.inject_fault('reply', body={'deployments': []}, user_id='alice')
    c.inject_fault('close', code=4000, reason='bye', connection_id=1)
    assert len(c.faults()) == 2
    assert c.clear_faults() == {'cleared': 2}
    assert c.reset() == {'reset': True}
    seeded = c.seed(count=5, seed=7)
    assert (seeded['seed'], sum(seeded['deployments'].values()), seeded['from']) == (7, 5, '2026-11-26T10:45:01.000Z')  # reset keeps the clock
    assert seeded['to'] == '2026-11-27T10:45:01.000Z' and seeded['runs'] > 0
    assert len(c.deployments()['items']) == 5

    assert c.called == set(ControlClient.OPERATIONS)
    assert all(callable(getattr(ControlClient, name)) for name in ControlClient.OPERATIONS)


def test_journal_filters_go_in_the_query(rocketride_server):
    add_deployment(rocketride_server.uri, rocketride_server.api_key, 'p1')
    c = rocketride_server.control
    entries = c.journal()['items']
    first_in = next(e for e in entries if e['direction'] == 'in')
    only_that_connection = c.journal(connection_id=first_in['connectionId'], direction='out', type='response')['items']
    assert only_that_connection and all(e['direction'] == 'out' and e['type'] == 'response' for e in only_that_connection)
    assert c.journal(after=entries[-1]['id'])['items'] == []
    with pytest.raises(ControlError) as refused:
        c.journal(direction='sideways')
    assert refused.value.code == 'BAD_INPUT'


def test_path_values_are_checked_and_encoded(rocketride_control):
    for bad in ('..', '.', ''):
        with pytest.raises(TypeError, match='projectId as a non-empty string'):
            rocketride_control.deployment('local', bad)
    with pytest.raises(TypeError, match='userId'):
        rocketride_control.pause(None, 'p')
    with pytest.raises(ControlError) as refused:
        rocketride_control.deployment('local', 'a/b?c#d')  # reaches the server as one segment
    assert (refused.value.status, refused.value.code) == (404, 'DEPLOYMENT_NOT_FOUND')
    assert 'a/b?c#d' in refused.value.message


def test_urls_the_client_takes(rocketride_server):
    for url in (rocketride_server.url, rocketride_server.uri, rocketride_server.control_url, rocketride_server.uri + '/control'):
        client = ControlClient(url)
        assert client.url == rocketride_server.uri
        assert client.clock()['mode'] == 'fake'
    with pytest.raises(ValueError, match='must be a URL like http://127.0.0.1:5565'):
        ControlClient('ftp://example.test')


def test_a_stopped_server_is_unreachable(rocketride_server):
    control = rocketride_server.control
    assert rocketride_server.stop() == 0
    with pytest.raises(ControlError) as unreachable:
        control.clock()
    assert (unreachable.value.code, unreachable.value.status) == ('UNREACHABLE', 0)
    assert 'no server answers at %s' % rocketride_server.uri in str(unreachable.value)


@pytest.mark.rocketride_serve('--control-token', 'sesame')
def test_the_control_token_given_to_serve_is_the_clients(rocketride_server):
    assert rocketride_server.control.clock()['mode'] == 'fake'
    with pytest.raises(ControlError) as refused:
        ControlClient(rocketride_server.uri).clock()
    assert (refused.value.status, refused.value.code) == (401, 'UNAUTHORIZED')
    assert ControlClient(rocketride_server.uri, token='sesame').users()[0]['userId'] == 'local'


def test_a_control_error_pickles_and_prints(rocketride_control):
    import pickle

    with pytest.raises(ControlError) as refused:
        rocketride_control.remove_fault('f99')
    again = pickle.loads(pickle.dumps(refused.value))
    assert (again.code, again.status, again.message) == (refused.value.code, 404, refused.value.message)
    assert str(again).startswith('404 FAULT_NOT_FOUND: ')


@pytest.mark.rocketride_serve('--start-at', START)
def test_pages_and_read_all(rocketride_server):
    add_deployment(rocketride_server.uri, rocketride_server.api_key, 'minutely', '* * * * *')
    c = rocketride_server.control
    c.advance('1d')  # 1,440 ticks, of which the history keeps the newest 1,000 (--history-limit)
    first = c.ticks(project_id='minutely')
    assert len(first['items']) == 100 and first['next'] is not None  # the default page
    latest = c.ticks(project_id='minutely', order='newest', limit=2)['items']
    assert [t['at'] for t in latest] == ['2026-11-27T10:07:00.000Z', '2026-11-27T10:06:00.000Z']
    ticks = c.read_all(c.ticks, project_id='minutely')
    assert len(ticks) == 1000  # two pages of the largest size
    assert ticks[:100] == first['items']
    assert [t['at'] for t in ticks] == sorted(t['at'] for t in ticks)
    with pytest.raises(ControlError) as refused:
        c.runs(limit=1001)
    assert refused.value.code == 'BAD_INPUT'
