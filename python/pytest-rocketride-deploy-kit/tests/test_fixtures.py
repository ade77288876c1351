"""The fixtures and the server object: env, markers, attributes, stopping, start_server()."""
import json
import os
import re
import tempfile
from pathlib import Path

import pytest

import pytest_rocketride_deploy_kit as kit

# A users file without the demo key, for the api_key test.
USERS_FILE = Path(tempfile.mkdtemp(prefix='rrdk-users-')) / 'users.json'
USERS_FILE.write_text(
    json.dumps(
        {
            'users': [
                {
                    'userId': 'carol',
                    'keys': ['CAROLKEY', 'CAROL2'],
                    'displayName': 'Carol',
                    'defaultTeam': 't',
                    'organizations': [{'id': 'o', 'name': 'O', 'teams': [{'id': 't', 'name': 'T', 'permissions': ['task.control']}]}],
                }
            ]
        }
    )
)


def test_the_server_object(rocketride_server):
    assert re.fullmatch(r'ws://127\.0\.0\.1:\d+/task/service', rocketride_server.url)
    assert rocketride_server.uri == 'http://127.0.0.1:%d' % rocketride_server.port
    assert rocketride_server.control_url == rocketride_server.uri + '/control/'
    assert rocketride_server.url == 'ws://127.0.0.1:%d/task/service' % rocketride_server.port
    assert rocketride_server.version == kit.__version__
    assert rocketride_server.clock_mode == 'fake'
    assert rocketride_server.api_key == kit.DEMO_KEY == 'MYAPIKEY'
    assert rocketride_server.users == {'local': 'MYAPIKEY', 'alice': 'ALICEKEY', 'monty': 'MONITORKEY', 'nobody': 'NOPERMKEY'}
    assert rocketride_server.alive and rocketride_server.returncode is None
    assert 'running' in repr(rocketride_server)


def test_env_points_at_this_tests_server(rocketride_env):
    assert os.environ['ROCKETRIDE_URI'] == rocketride_env.uri
    assert os.environ['ROCKETRIDE_APIKEY'] == 'MYAPIKEY'
    assert os.environ['RRDK_CONTROL_URL'] == rocketride_env.uri


def test_env_is_undone_after_the_test():
    assert 'ROCKETRIDE_URI' not in os.environ  # the runner starts pytest without it
    assert 'ROCKETRIDE_APIKEY' not in os.environ


def test_two_per_test_servers_are_two_processes(rocketride_server, rocketride_session_server):
    assert rocketride_server.pid != rocketride_session_server.pid
    assert rocketride_server.port != rocketride_session_server.port


@pytest.mark.rocketride_serve('--clock', 'real')
def test_marker_arguments_come_last_and_win(rocketride_server):
    assert rocketride_server.clock_mode == 'real'
    assert rocketride_server.control.clock()['mode'] == 'real'


@pytest.mark.rocketride_serve('--timezone', 'Europe/Berlin')
class TestMarkers:
    def test_a_class_marker_applies(self, rocketride_server):
        assert rocketride_server.control.clock()['timezone'] == 'Europe/Berlin'

    @pytest.mark.rocketride_serve('--timezone', 'Asia/Tokyo')
    def test_the_closest_marker_wins(self, rocketride_server):
        assert rocketride_server.control.clock()['timezone'] == 'Asia/Tokyo'


@pytest.mark.rocketride_serve('--users', str(USERS_FILE))
def test_without_the_demo_users_the_key_is_the_first_users(rocketride_server):
    assert rocketride_server.users == {'carol': 'CAROLKEY'}
    assert rocketride_server.api_key == 'CAROLKEY'


def test_stop_is_graceful_and_can_be_repeated(rocketride_server):
    assert rocketride_server.stop() == 0
    assert not rocketride_server.alive
    assert rocketride_server.stop() == 0
    assert 'SIGTERM received, shutting down' in rocketride_server.stdout
    assert 'stopped' in repr(rocketride_server)


def test_start_server_without_pytest(rocketride_session_server):
    with kit.start_server(args=['--start-at', '2026-11-26T10:07:00Z']) as server:
        assert server.control.clock()['now'] == '2026-11-26T10:07:00.000Z'
        assert server.port != rocketride_session_server.port
    assert not server.alive


def test_find_package_and_node():
    package = kit.find_package()  # from the working directory: node_modules/rocketride-deploy-kit
    assert (package / 'dist' / 'cli.js').is_file()
    assert json.loads((package / 'package.json').read_text())['name'] == 'rocketride-deploy-kit'
    assert os.path.basename(kit.find_node()).startswith('node')
    with pytest.raises(kit.PackageNotFoundError) as missing:
        kit.find_package(package=tempfile.mkdtemp())
    assert 'has no package.json' in str(missing.value)
