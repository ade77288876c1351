"""A deploy test written for a live server at ROCKETRIDE_URI with the key ROCKETRIDE_APIKEY, as
the RocketRide Python SDK's own tests are (pytest-asyncio, auto mode). It does not know the
plugin: run it unchanged against a fresh mock server per test with

    pytest -o usefixtures=rocketride_env test_deploy_sdk_style.py

or against one server for the session (for client fixtures of wider scope) with
``-o usefixtures=rocketride_session_env``.
"""
import os
import uuid

import pytest
from mini_dap import MiniClient as RocketRideClient  # in the SDK's tests: from rocketride import RocketRideClient

URI = 'http://localhost:5565'


@pytest.fixture
async def client():
    client = RocketRideClient(os.environ.get('ROCKETRIDE_URI', URI), os.environ.get('ROCKETRIDE_APIKEY', 'MYAPIKEY'))
    await client.connect()
    yield client
    await client.disconnect()


@pytest.fixture
def project_id():
    return 'sdk-test-%s' % uuid.uuid4().hex[:8]


async def test_add_then_status(client, project_id):
    added = await client.deploy.add({'project_id': project_id}, schedule='@hourly')
    assert added['schedule'] == '@hourly'
    status = await client.deploy.status(project_id)
    assert (status['pipeline'], status['state']) == ({'project_id': project_id}, 'active')
    await client.deploy.remove(project_id)


async def test_update_then_list(client, project_id):
    await client.deploy.add({'project_id': project_id})
    await client.deploy.update(project_id, schedule='*/5 * * * *')
    listed = {d['pipeline']['project_id']: d for d in await client.deploy.list()}
    assert listed[project_id]['schedule'] == '*/5 * * * *'
    await client.deploy.remove(project_id)


async def test_an_unknown_deployment_is_an_error(client):
    with pytest.raises(RuntimeError, match='Deployment not found: nope'):
        await client.deploy.status('nope')
