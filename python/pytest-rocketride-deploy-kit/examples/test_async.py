"""Async tests under pytest-asyncio's auto mode (pytest.ini): the plugin's fixtures are sync and
its control client is sync, so they are used as they are from async tests and async fixtures."""
import json

import pytest
from mini_dap import MiniClient


@pytest.fixture
async def client(rocketride_server):
    client = MiniClient(rocketride_server.uri, rocketride_server.api_key)
    await client.connect()
    yield client
    await client.disconnect()


async def test_an_async_test_adds_a_deployment_and_moves_the_clock(client, rocketride_server):
    record = await client.deploy.add({'project_id': 'nightly'}, schedule='0 2 * * *')
    assert (record['schedule'], record['state']) == ('0 2 * * *', 'active')

    control = rocketride_server.control
    control.set_run_behavior(outcome='failed')
    control.advance('1d')
    [run] = control.runs(project_id='nightly')['items']
    assert (run['scheduledFor'][11:16], run['outcome']) == ('02:00', 'failed')
    assert (await client.deploy.status('nightly'))['state'] == 'active'

    [sent] = control.journal(command='rrext_deploy_add', direction='in')['items']
    assert json.loads(sent['text'])['arguments']['schedule'] == '0 2 * * *'


async def test_an_injected_fault_reaches_the_client(client, rocketride_control):
    rocketride_control.inject_fault('fail', command='rrext_deploy_list', message='Storage is down')
    with pytest.raises(RuntimeError, match='Storage is down'):
        await client.deploy.list()
    assert await client.deploy.list() == []
    assert rocketride_control.faults() == []
