"""Scenarios that test/python-plugin/pytest-plugin.test.ts drives (run by path; not collected by
``pytest tests``): each test appends what it saw to the JSON-lines file RRDK_PLUGIN_REPORT, then
does what RRDK_PLUGIN_BEHAVE says (``fail``, ``hang``), so the runner can check that the server
is gone after a failure, an interruption or a killed pytest."""
import json
import os
import time

NAMES = ('ROCKETRIDE_URI', 'ROCKETRIDE_APIKEY', 'RRDK_CONTROL_URL')


def report(name, server):
    facts = {
        'test': name,
        'pid': server.pid,
        'url': server.url,
        'uri': server.uri,
        'clock': server.clock_mode,
        'startedAt': server.started_at,
        'apiKey': server.api_key,
        'env': {n: os.environ.get(n) for n in NAMES},
    }
    with open(os.environ['RRDK_PLUGIN_REPORT'], 'a', encoding='utf-8') as out:
        out.write(json.dumps(facts) + '\n')


def behave():
    behaviour = os.environ.get('RRDK_PLUGIN_BEHAVE', '')
    if behaviour == 'fail':
        assert False, 'failing on purpose'
    if behaviour == 'hang':
        time.sleep(120)


def test_server(rocketride_server):
    report('server', rocketride_server)
    behave()


def test_session_server(rocketride_session_server):
    report('session', rocketride_session_server)
    behave()


def test_env(rocketride_env):
    report('env', rocketride_env)
    behave()
