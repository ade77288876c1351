import pytest
from mini_dap import MiniClient as RocketRideClient  # a stand-in here; with the SDK: from rocketride import RocketRideClient

from pytest_rocketride_deploy_kit import ControlError


@pytest.mark.rocketride_serve('--start-at', '2026-11-26T10:07:00Z')
async def test_an_hour_of_quarter_hourly_runs(rocketride_server):  # pytest-asyncio, asyncio_mode = auto
    client = RocketRideClient(uri=rocketride_server.uri, auth=rocketride_server.api_key)
    await client.connect()
    await client.deploy.add({'project_id': 'reports'}, schedule='*/15 * * * *')
    await client.disconnect()

    control = rocketride_server.control  # the typed client of its control API
    assert control.advance('1h')['ticks']['fired'] == 4
    runs = control.runs(user_id='local', project_id='reports')['items']
    assert [run['scheduledFor'][11:16] for run in runs] == ['10:15', '10:30', '10:45', '11:00']
    with pytest.raises(ControlError) as refused:
        control.deployment('local', 'nope')
    assert (refused.value.code, refused.value.status) == ('DEPLOYMENT_NOT_FOUND', 404)
