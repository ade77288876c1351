"""pytest-rocketride-deploy-kit: the rocketride-deploy-kit mock RocketRide server in pytest.

The pytest plugin (``plugin.py``, registered through the ``pytest11`` entry point) gives the
fixtures ``rocketride_server`` (a fresh server per test), ``rocketride_session_server`` (one for
the session), ``rocketride_control``, ``rocketride_env`` and ``rocketride_session_env``
(ROCKETRIDE_URI / ROCKETRIDE_APIKEY set for the SDKs). Without pytest: ``start_server()`` starts
one, ``ControlClient(url)`` drives any server's control API. See docs/pytest-plugin.md of the
npm package.
"""
from ._transport import ControlError, Instant, Span
from ._version import __version__
from .control import ControlClient
from .server import (
    DEMO_KEY,
    MockServer,
    NodeNotFoundError,
    PackageNotFoundError,
    RocketRideError,
    RocketRideVersionWarning,
    ServerStartError,
    find_node,
    find_package,
    start_server,
)

__all__ = [
    'ControlClient',
    'ControlError',
    'DEMO_KEY',
    'Instant',
    'MockServer',
    'NodeNotFoundError',
    'PackageNotFoundError',
    'RocketRideError',
    'RocketRideVersionWarning',
    'ServerStartError',
    'Span',
    '__version__',
    'find_node',
    'find_package',
    'start_server',
]
