"""The pytest plugin (entry point ``pytest11``: ``rocketride_deploy_kit``; turn it off with
``-p no:rocketride_deploy_kit``).

Fixtures:

- ``rocketride_server``: a fresh ``serve`` process for the test (its own state, a fake clock),
  stopped after it; ``@pytest.mark.rocketride_serve(*args)`` adds ``serve`` arguments for it.
- ``rocketride_session_server``: one server for the whole session (state is shared: call
  ``.control.reset()`` where a test needs a clean one).
- ``rocketride_control``: the ControlClient of ``rocketride_server``.
- ``rocketride_env``: ``rocketride_server`` with ROCKETRIDE_URI, ROCKETRIDE_APIKEY and
  RRDK_CONTROL_URL set for the test, so a test written for a live server runs unchanged
  (``pytest -o usefixtures=rocketride_env``).
- ``rocketride_session_env``: the same for the whole session, with the session server (for
  client fixtures of session or module scope).

Options (each also an environment variable; the option wins): --rocketride-node
(ROCKETRIDE_NODE), --rocketride-package (ROCKETRIDE_PACKAGE), --rocketride-serve-arg
(ROCKETRIDE_SERVE_ARGS), --rocketride-clock (ROCKETRIDE_CLOCK), --rocketride-start-timeout
(ROCKETRIDE_START_TIMEOUT). docs/pytest-plugin.md of the npm package has the details.
"""
import os
import shlex
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

import pytest

from ._version import __version__
from .control import ControlClient
from .server import DEFAULT_START_TIMEOUT, MockServer, RocketRideError, start_server

ENV_NODE = 'ROCKETRIDE_NODE'
ENV_PACKAGE = 'ROCKETRIDE_PACKAGE'
ENV_SERVE_ARGS = 'ROCKETRIDE_SERVE_ARGS'
ENV_CLOCK = 'ROCKETRIDE_CLOCK'
ENV_START_TIMEOUT = 'ROCKETRIDE_START_TIMEOUT'
CLOCKS = ('fake', 'real')


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup('rocketride', 'rocketride-deploy-kit: the mock RocketRide server')
    group.addoption(
        '--rocketride-node',
        metavar='PATH',
        help='Node.js 20+ to run the server with: a path or a command name (env %s; default: node on PATH).' % ENV_NODE,
    )
    group.addoption(
        '--rocketride-package',
        metavar='DIR',
        help='The folder of the npm package rocketride-deploy-kit (env %s; default: the first '
        'node_modules/rocketride-deploy-kit in or above the rootdir or the working directory).' % ENV_PACKAGE,
    )
    group.addoption(
        '--rocketride-serve-arg',
        metavar='ARG',
        action='append',
        help='One more argument for `rocketride-deploy-kit serve`, after --port 0 --clock fake (so it wins); repeat it, '
        'and join a flag to its value with = (--rocketride-serve-arg=--start-at=2026-11-26T10:07:00Z). '
        'Env %s: the arguments in one string, split as a shell would.' % ENV_SERVE_ARGS,
    )
    group.addoption(
        '--rocketride-clock',
        choices=CLOCKS,
        help="The servers' clock (env %s; default: fake, which stands still until the control API moves it)." % ENV_CLOCK,
    )
    group.addoption(
        '--rocketride-start-timeout',
        metavar='SECONDS',
        help='How long a server may take to start (env %s; default %s).' % (ENV_START_TIMEOUT, DEFAULT_START_TIMEOUT),
    )


class Settings:
    """The options, each from its command-line option or else its environment variable."""

    def __init__(self, config: pytest.Config) -> None:
        option = config.getoption
        self.node: Optional[str] = option('rocketride_node') or os.environ.get(ENV_NODE) or None
        self.package: Optional[str] = option('rocketride_package') or os.environ.get(ENV_PACKAGE) or None
        serve_args = option('rocketride_serve_arg')
        if serve_args is None:
            try:
                serve_args = shlex.split(os.environ.get(ENV_SERVE_ARGS, ''))
            except ValueError as error:
                raise pytest.UsageError('%s cannot be split into arguments (%s): %r' % (ENV_SERVE_ARGS, error, os.environ[ENV_SERVE_ARGS]))
        self.serve_args: List[str] = list(serve_args)
        self.clock: str = option('rocketride_clock') or os.environ.get(ENV_CLOCK) or 'fake'
        if self.clock not in CLOCKS:
            raise pytest.UsageError('%s must be fake or real, got %r' % (ENV_CLOCK, self.clock))
        timeout = option('rocketride_start_timeout') or os.environ.get(ENV_START_TIMEOUT) or None
        try:
            self.start_timeout = DEFAULT_START_TIMEOUT if timeout is None else float(timeout)
        except ValueError:
            self.start_timeout = -1.0
        if not self.start_timeout > 0:
            where = '--rocketride-start-timeout' if option('rocketride_start_timeout') else ENV_START_TIMEOUT
            raise pytest.UsageError('%s must be a number of seconds above 0, got %r' % (where, timeout))
        # Where the package is looked for: the rootdir, then where pytest was started.
        self.search_from: List[Path] = [Path(config.rootpath), Path(config.invocation_params.dir)]

    def start(self, extra_args: Sequence[str] = ()) -> MockServer:
        """A server started with these settings; its failure fails the fixture with the reason alone (no traceback)."""
        try:
            return start_server(
                node=self.node,
                package=self.package,
                args=[*self.serve_args, *extra_args],
                clock=self.clock,
                start_timeout=self.start_timeout,
                search_from=self.search_from,
            )
        except RocketRideError as error:
            reason = str(error)
        pytest.fail(reason, pytrace=False)  # outside the except: no "During handling of the above exception


_SETTINGS = pytest.StashKey[Settings]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        'markers',
        'rocketride_serve(*args): more `rocketride-deploy-kit serve` arguments for the rocketride_server '
        "of this test (after --rocketride-serve-arg's; the closest marker's come last and win).",
    )
    config.stash[_SETTINGS] = Settings(config)


def pytest_report_header(config: pytest.Config) -> str:
    settings = config.stash[_SETTINGS]
    package = settings.package or 'node_modules/rocketride-deploy-kit (searched upward)'
    return 'rocketride-deploy-kit plugin %s: package %s, node %s, clock %s' % (__version__, package, settings.node or 'node', settings.clock)


@pytest.fixture(scope='session')
def rocketride_session_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """One mock server for the whole session (its state is shared by every test that uses it)."""
    server = pytestconfig.stash[_SETTINGS].start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def rocketride_server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """A fresh mock server for this test: no deployments, the demo users, its own fake clock."""
    extra: List[str] = []
    for marker in reversed(list(request.node.iter_markers('rocketride_serve'))):
        extra.extend(str(arg) for arg in marker.args)
    server = request.config.stash[_SETTINGS].start(extra)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def rocketride_control(rocketride_server: MockServer) -> ControlClient:
    """The control client of this test's rocketride_server."""
    return rocketride_server.control


def _environment(server: MockServer) -> dict:
    return {'ROCKETRIDE_URI': server.uri, 'ROCKETRIDE_APIKEY': server.api_key, 'RRDK_CONTROL_URL': server.uri}


@pytest.fixture
def rocketride_env(rocketride_server: MockServer, monkeypatch: pytest.MonkeyPatch) -> MockServer:
    """This test's rocketride_server, with ROCKETRIDE_URI (``http://127.0.0.1:PORT``),
    ROCKETRIDE_APIKEY (MYAPIKEY, user ``local``) and RRDK_CONTROL_URL pointing at it."""
    for name, value in _environment(rocketride_server).items():
        monkeypatch.setenv(name, value)
    return rocketride_server


@pytest.fixture(scope='session')
def rocketride_session_env(rocketride_session_server: MockServer) -> Iterator[MockServer]:
    """The session server, with ROCKETRIDE_URI, ROCKETRIDE_APIKEY and RRDK_CONTROL_URL set for the session."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _environment(rocketride_session_server).items():
            patch.setenv(name, value)
        yield rocketride_session_server
