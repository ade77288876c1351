"""One server for the whole session (``rocketride_session_server``): started once, its state
shared by the tests that use it; reset() forgets deployments, runs, users added and faults (the
clock keeps its time)."""
from mini_dap import add_deployment

SEEN = {}


def test_the_first_test_adds_a_deployment(rocketride_session_server):
    SEEN['pid'] = rocketride_session_server.pid
    add_deployment(rocketride_session_server.uri, rocketride_session_server.api_key, 'shared', '@hourly')
    assert [d['projectId'] for d in rocketride_session_server.control.deployments()['items']] == ['shared']


def test_the_next_test_sees_it_then_resets(rocketride_session_server):
    assert rocketride_session_server.pid == SEEN['pid']
    control = rocketride_session_server.control
    assert [d['projectId'] for d in control.deployments()['items']] == ['shared']
    assert control.reset() == {'reset': True}
    assert control.deployments()['items'] == []
