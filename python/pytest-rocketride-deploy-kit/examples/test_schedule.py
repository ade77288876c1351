"""A fresh mock server per test (``rocketride_server``): add a deployment over the WebSocket,
move the fake clock with the control API, read the runs and ticks it made."""
import json

import pytest
from mini_dap import add_deployment

from pytest_rocketride_deploy_kit import ControlError

START = '2026-11-26T10:07:00Z'


@pytest.mark.rocketride_serve('--start-at', START)
def test_an_hour_of_quarter_hourly_runs(rocketride_server):
    add_deployment(rocketride_server.uri, rocketride_server.api_key, 'reports', '*/15 * * * *')
    control = rocketride_server.control

    moved = control.advance('1h')
    assert (moved['to'], moved['ticks']['fired']) == ('2026-11-26T11:07:00.000Z', 4)
    runs = control.runs(user_id='local', project_id='reports')['items']
    assert [run['scheduledFor'][11:16] for run in runs] == ['10:15', '10:30', '10:45', '11:00']
    assert all(run['outcome'] == 'completed' and run['trigger'] == 'schedule' for run in runs)

    # What the client put on the wire, from the frame journal.
    [sent] = control.journal(command='rrext_deploy_add', direction='in')['items']
    assert json.loads(sent['text'])['arguments'] == {'pipeline': {'project_id': 'reports'}, 'schedule': '*/15 * * * *'}
    assert sent['userId'] == 'local'


@pytest.mark.rocketride_serve('--start-at', START)
def test_a_held_run_makes_the_ticks_meanwhile_skip(rocketride_server):
    add_deployment(rocketride_server.uri, rocketride_server.api_key, 'reports', '*/15 * * * *')
    control = rocketride_server.control
    control.set_run_behavior(hold=True, user_id='local', project_id='reports')

    moved = control.advance('1h')
    assert (moved['ticks']['fired'], moved['ticks']['skipped_overlap']) == (1, 3)
    assert [tick['reason'] for tick in control.ticks(project_id='reports')['items']] == ['fired'] + ['skipped_overlap'] * 3
    held = control.deployment('local', 'reports')['runInProgress']
    assert held['scheduledFor'] == '2026-11-26T10:15:00.000Z'
    assert control.end_run(held['id'], outcome='failed')['outcome'] == 'failed'

    # A revoked owner key turns the deployment errored at its next tick.
    control.revoke_key(rocketride_server.api_key)
    assert control.run_to_next_tick()['ticks']['errored_auth'] == 1
    assert control.deployment('local', 'reports')['state'] == 'errored'


def test_each_test_gets_a_fresh_server(rocketride_server):
    assert rocketride_server.control.deployments()['items'] == []
    assert rocketride_server.control.runs()['items'] == []
    assert rocketride_server.control.clock()['mode'] == 'fake'


def test_a_refusal_is_a_control_error_with_its_code(rocketride_control):
    with pytest.raises(ControlError) as refused:
        rocketride_control.deployment('local', 'nope')
    assert (refused.value.code, refused.value.status) == ('DEPLOYMENT_NOT_FOUND', 404)

    with pytest.raises(ControlError) as bad:
        rocketride_control.advance('15 minutes')
    assert (bad.value.code, bad.value.status) == ('BAD_INPUT', 400)
    assert 'by must be a duration' in bad.value.message

    with pytest.raises(ControlError) as backwards:
        rocketride_control.set_clock('2000-01-01T00:00:00Z')
    assert backwards.value.code == 'CLOCK_BACKWARDS'
