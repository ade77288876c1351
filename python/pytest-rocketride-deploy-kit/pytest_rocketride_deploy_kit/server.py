"""The mock server as a child process: ``node <package>/dist/cli.js serve --port 0 --clock fake``,
its URLs read from the start-up lines it prints, stopped with SIGTERM (then SIGKILL after a
timeout). Nothing here needs pytest: ``start_server()`` works in any Python program.

Three guards stop a server whatever happens to the process that started it: ``stop()`` (the
fixtures call it in their teardown, which pytest runs after a failure and after Ctrl-C), an
``atexit`` hook for the servers still running when Python exits, and a watchdog preloaded into
Node (``_watchdog.cjs``) that shuts the server down when its standard input closes, which happens
however the Python process ends (even by SIGKILL).
"""
import atexit
import json
import os
import re
import shlex
import shutil
import subprocess
import threading
import time
import warnings
from collections import deque
from pathlib import Path
from typing import Deque, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Union

from ._version import __version__
from .control import ControlClient

PACKAGE_NAME = 'rocketride-deploy-kit'
#: The oldest Node.js the npm package supports (its ``engines``).
MIN_NODE_MAJOR = 20
#: Seconds a server may take to print its start-up lines.
DEFAULT_START_TIMEOUT = 15.0
#: Seconds between SIGTERM and SIGKILL (``serve`` bounds its own graceful shutdown at 5 s).
STOP_TIMEOUT = 7.0
#: The demo user ``local``'s key (src/auth/demo-users.ts), the SDKs' documented local default.
DEMO_KEY = 'MYAPIKEY'

_WATCHDOG = Path(__file__).with_name('_watchdog.cjs')
_OPTIONS_HINT = 'with --rocketride-node PATH (pytest) or the ROCKETRIDE_NODE environment variable'
_PACKAGE_HINT = 'with --rocketride-package DIR (pytest) or the ROCKETRIDE_PACKAGE environment variable'


class RocketRideError(Exception):
    """The mock server could not be found or started; the message says what to do."""


class NodeNotFoundError(RocketRideError):
    """No usable Node.js (missing, not runnable, or older than 20)."""


class PackageNotFoundError(RocketRideError):
    """The npm package rocketride-deploy-kit is not where it was looked for (``tried``)."""

    def __init__(self, message: str, tried: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.tried = list(tried)


class ServerStartError(RocketRideError):
    """``serve`` exited or fell silent before listening: ``returncode`` (None: it was killed
    after the start timeout), what it printed (``stdout``, ``stderr``), and whether its port was
    in use (``port_in_use``)."""

    def __init__(self, message: str, *, returncode: Optional[int], stdout: str, stderr: str, port_in_use: bool = False) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.port_in_use = port_in_use


class RocketRideVersionWarning(UserWarning):
    """The npm package and this plugin are of different versions."""


# ---------------------------------------------------------------------------------------------
# Finding Node.js and the package
# ---------------------------------------------------------------------------------------------

_nodes: Dict[str, str] = {}


def find_node(node: Optional[str] = None) -> str:
    """The path of a Node.js 20+ executable: ``node`` (a path or a command name), else the
    ROCKETRIDE_NODE environment variable, else ``node`` on PATH. Raises NodeNotFoundError."""
    given = node or os.environ.get('ROCKETRIDE_NODE') or None
    name = given or 'node'
    if name in _nodes:
        return _nodes[name]
    path = shutil.which(name)
    if path is None:
        if given is None:
            raise NodeNotFoundError(
                'Node.js not found: there is no `node` on PATH. Install Node.js %d or later, or give its path %s.'
                % (MIN_NODE_MAJOR, _OPTIONS_HINT)
            )
        raise NodeNotFoundError(
            'Node.js not found: %r is neither an executable file nor a command on PATH. Give the path of a Node.js %d+ '
            'executable %s.' % (name, MIN_NODE_MAJOR, _OPTIONS_HINT)
        )
    try:
        answer = subprocess.run([path, '--version'], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NodeNotFoundError('Node.js at %s cannot be run (%s). Give another %s.' % (path, error, _OPTIONS_HINT)) from None
    version = answer.stdout.strip()
    match = re.match(r'^v(\d+)\.\d+\.\d+', version)
    if answer.returncode != 0 or match is None:
        said = ((version or answer.stderr.strip()).splitlines() or [''])[0][:200]
        raise NodeNotFoundError(
            '%s is not Node.js: `%s --version` answered %r (exit code %s). Give the path of a Node.js %d+ executable %s.'
            % (path, path, said, answer.returncode, MIN_NODE_MAJOR, _OPTIONS_HINT)
        )
    if int(match.group(1)) < MIN_NODE_MAJOR:
        raise NodeNotFoundError(
            '%s is Node.js %s; rocketride-deploy-kit needs Node.js %d or later. Give a newer one %s.'
            % (path, version, MIN_NODE_MAJOR, _OPTIONS_HINT)
        )
    _nodes[name] = path
    return path


def _package_name(folder: Path) -> Optional[str]:
    try:
        name = json.loads((folder / 'package.json').read_text(encoding='utf-8')).get('name')
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def _package_problem(folder: Path) -> Optional[str]:
    """Why ``folder`` is not a usable copy of the npm package, or None."""
    manifest = folder / 'package.json'
    if not manifest.is_file():
        return 'has no package.json'
    try:
        name = json.loads(manifest.read_text(encoding='utf-8')).get('name')
    except (OSError, ValueError, AttributeError) as error:
        return 'has a package.json that cannot be read (%s)' % error
    if name != PACKAGE_NAME:
        return 'holds the npm package %r, not %s' % (name, PACKAGE_NAME)
    if not (folder / 'dist' / 'cli.js').is_file():
        return 'has no dist/cli.js: build it first (npm run build in that folder), or install the package from the registry'
    return None


def find_package(package: Optional[Union[str, Path]] = None, *, search_from: Iterable[Union[str, Path]] = ()) -> Path:
    """The folder of the npm package rocketride-deploy-kit: ``package``, else the
    ROCKETRIDE_PACKAGE environment variable, else the first ``node_modules/rocketride-deploy-kit``
    in ``search_from`` (default: the working directory) or a folder above it (a checkout of the
    package itself counts too). Raises PackageNotFoundError saying where it looked."""
    given = package or os.environ.get('ROCKETRIDE_PACKAGE') or None
    if given is not None:
        folder = Path(given).expanduser().resolve()
        if not folder.is_dir():
            raise PackageNotFoundError(
                'The rocketride-deploy-kit package folder %s does not exist. Give the folder of the installed npm package '
                '(usually node_modules/rocketride-deploy-kit) %s.' % (folder, _PACKAGE_HINT),
                [str(folder)],
            )
        problem = _package_problem(folder)
        if problem is not None:
            raise PackageNotFoundError(
                '%s is not the rocketride-deploy-kit package: it %s. Give the folder of the installed npm package '
                '(usually node_modules/rocketride-deploy-kit) %s.' % (folder, problem, _PACKAGE_HINT),
                [str(folder)],
            )
        return folder
    tried: List[str] = []
    starts = [Path(s).resolve() for s in search_from] or [Path.cwd()]
    for start in starts:
        for folder in (start, *start.parents):
            candidate = folder / 'node_modules' / PACKAGE_NAME
            if str(candidate) not in tried:
                tried.append(str(candidate))
                if (candidate / 'package.json').is_file():
                    problem = _package_problem(candidate)
                    if problem is None:
                        return candidate
                    raise PackageNotFoundError('Found %s, but it %s. Or give another folder %s.' % (candidate, problem, _PACKAGE_HINT), tried)
            if _package_name(folder) == PACKAGE_NAME:  # a checkout of the package itself
                problem = _package_problem(folder)
                if problem is None:
                    return folder
                raise PackageNotFoundError('Found %s, but it %s. Or give another folder %s.' % (folder, problem, _PACKAGE_HINT), tried)
    raise PackageNotFoundError(
        'Cannot find the npm package rocketride-deploy-kit. Looked for:\n%s\nInstall it in your project '
        '(npm install --save-dev rocketride-deploy-kit), or give its folder %s.'
        % ('\n'.join('  ' + t for t in tried), _PACKAGE_HINT),
        tried,
    )


_warned_versions: Set[str] = set()


def _check_version(folder: Path) -> None:
    try:
        version = json.loads((folder / 'package.json').read_text(encoding='utf-8')).get('version')
    except (OSError, ValueError):
        return
    if version != __version__ and str(folder) not in _warned_versions:
        _warned_versions.add(str(folder))
        warnings.warn(
            RocketRideVersionWarning(
                'rocketride-deploy-kit %s is in %s, but this plugin is %s: its control client may not match the server. '
                'Reinstall the plugin from the package: pip install %s' % (version, folder, __version__, folder / 'python' / 'pytest-rocketride-deploy-kit')
            ),
            stacklevel=3,
        )


# ---------------------------------------------------------------------------------------------
# The server process
# ---------------------------------------------------------------------------------------------

_LISTENING = re.compile(r'^(\S+) (\S+) listening on (wss?://\S+)$')
_CONTROL = re.compile(r'^control API: (https?://\S+?)/control/')
_CLOCK = re.compile(r'^clock: (\w+), now (\S+), time zone (\S+)$')
_USERS = re.compile(r'^users: (.*)$')
_USER = re.compile(r'(.+?) \(key ([^)]*)\)(?:, |$)')

_LIVE: Set['MockServer'] = set()
_LIVE_LOCK = threading.Lock()


def _command_line(command: Sequence[str]) -> str:
    return ' '.join(shlex.quote(part) for part in command)


def _control_token(args: Sequence[str], env: Mapping[str, str]) -> Optional[str]:
    """The control token `serve` will require: its --control-token, else RRDK_CONTROL_TOKEN."""
    token = None
    for i, arg in enumerate(args):
        if arg == '--control-token' and i + 1 < len(args):
            token = args[i + 1]
        elif arg.startswith('--control-token='):
            token = arg[len('--control-token='):]
    return token if token is not None else (env.get('RRDK_CONTROL_TOKEN') or None)


class MockServer:
    """A running ``rocketride-deploy-kit serve``: its URLs, the demo key and a control client.

    ``url``: the WebSocket URL it printed (``ws://127.0.0.1:PORT/task/service``); ``uri``:
    ``http://127.0.0.1:PORT``, the form of ROCKETRIDE_URI the SDKs take; ``control_url``:
    ``http://127.0.0.1:PORT/control/``; ``port``; ``api_key``: MYAPIKEY (user ``local``) when the
    demo users are loaded, else the first user's first key; ``users``: each user id's first
    key; ``clock_mode``, ``started_at`` (the clock when it started); ``control``: a
    ControlClient of it. ``stop()`` ends it (also as a context manager).
    """

    url: str
    uri: str
    control_url: str
    host: str
    port: int
    version: str
    clock_mode: str
    started_at: str
    users: Dict[str, str]
    api_key: str
    control: ControlClient

    def __init__(self, command: Sequence[str], process: 'subprocess.Popen[str]', token: Optional[str]) -> None:
        self.command = list(command)
        self.token = token
        self._process = process
        self._cond = threading.Condition()
        self._stdout: Deque[str] = deque(maxlen=2000)
        self._stderr: Deque[str] = deque(maxlen=2000)
        self._stdout_closed = False
        self._seen: Dict[str, object] = {}
        self._readers = [
            threading.Thread(target=self._read, args=(process.stdout, self._stdout, True), daemon=True),
            threading.Thread(target=self._read, args=(process.stderr, self._stderr, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    # -- reading what it prints -----------------------------------------------------------------

    def _read(self, stream, lines: Deque[str], is_stdout: bool) -> None:  # type: ignore[no-untyped-def]
        try:
            for line in stream:
                line = line.rstrip('\r\n')
                with self._cond:
                    lines.append(line)
                    if is_stdout:
                        self._parse(line)
                    self._cond.notify_all()
        except (OSError, ValueError):
            pass  # the pipe was closed under us: the server is being stopped
        finally:
            if is_stdout:
                with self._cond:
                    self._stdout_closed = True
                    self._cond.notify_all()

    def _parse(self, line: str) -> None:
        if 'url' not in self._seen:
            match = _LISTENING.match(line)
            if match:
                self._seen.update(version=match.group(2), url=match.group(3))
            return
        for key, pattern in (('control', _CONTROL), ('clock', _CLOCK), ('users', _USERS)):
            match = pattern.match(line)
            if match and key not in self._seen:
                self._seen[key] = match

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def returncode(self) -> Optional[int]:
        """None while it runs, then its exit code (negative: the signal that ended it)."""
        return self._process.poll()

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    @property
    def stdout(self) -> str:
        """What it printed on stdout (the last 2000 lines)."""
        with self._cond:
            return '\n'.join(self._stdout)

    @property
    def stderr(self) -> str:
        """What it printed on stderr (the last 2000 lines): one line per dropped frame or error."""
        with self._cond:
            return '\n'.join(self._stderr)

    # -- starting and stopping ------------------------------------------------------------------

    def _wait_until_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while 'users' not in self._seen and not self._stdout_closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            seen = dict(self._seen)
        if 'users' in seen and 'control' in seen:
            self._started(seen)
            return
        timed_out = not self._stdout_closed and self.alive
        self._end(0 if timed_out else 5.0)  # silent: kill it; exiting: let it finish saying why
        raise self._start_error(timed_out, timeout)

    def _started(self, seen: Dict[str, object]) -> None:
        self.url = str(seen['url'])
        self.version = str(seen['version'])
        self.uri = seen['control'].group(1)  # type: ignore[attr-defined]
        self.control_url = self.uri + '/control/'
        match = re.match(r'^https?://(\[[^\]]+\]|[^:/]+):(\d+)$', self.uri)
        self.host, self.port = (match.group(1).strip('[]'), int(match.group(2))) if match else ('', 0)
        clock = seen.get('clock')
        self.clock_mode, self.started_at = (clock.group(1), clock.group(2)) if clock else ('', '')  # type: ignore[attr-defined]
        self.users = {m.group(1): m.group(2) for m in _USER.finditer(seen['users'].group(1))}  # type: ignore[attr-defined]
        keys = list(self.users.values())
        self.api_key = DEMO_KEY if DEMO_KEY in keys else (keys[0] if keys else '')
        self.control = ControlClient(self.uri, token=self.token)

    def _start_error(self, timed_out: bool, timeout: float) -> ServerStartError:
        stdout, stderr = self.stdout, self.stderr
        quoted = '\n'.join('    ' + line for line in stderr.splitlines()) or '    (nothing)'
        command = _command_line(self.command)
        returncode = None if timed_out else self._process.returncode
        port_in_use = 'Port already in use' in stderr or 'EADDRINUSE' in stderr
        if timed_out:
            head = (
                '`rocketride-deploy-kit serve` did not print its start-up lines within %g s, and was killed '
                '(give it longer with --rocketride-start-timeout SECONDS or ROCKETRIDE_START_TIMEOUT).' % timeout
            )
        elif port_in_use:
            head = (
                '`rocketride-deploy-kit serve` could not listen: the port is in use. The plugin starts each server on a free '
                'port (--port 0) unless --port is given through --rocketride-serve-arg, ROCKETRIDE_SERVE_ARGS or a '
                'rocketride_serve marker: leave --port out, or give a port nothing else uses (the session server and each '
                'per-test server need one of their own).'
            )
        else:
            head = '`rocketride-deploy-kit serve` failed to start: it exited with code %s before listening.' % returncode
        message = '%s\ncommand: %s\nits stderr:\n%s' % (head, command, quoted)
        if stdout.strip():
            message += '\nits stdout:\n' + '\n'.join('    ' + line for line in stdout.splitlines()[:40])
        return ServerStartError(message, returncode=returncode, stdout=stdout, stderr=stderr, port_in_use=port_in_use)

    def _end(self, timeout: float) -> Optional[int]:
        process = self._process
        try:
            if process.poll() is None and timeout > 0:
                process.terminate()  # SIGTERM: serve answers what it received, writes its state file, exits 0
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            # Also when interrupted while waiting (a second Ctrl-C): never leave it running.
            if process.poll() is None:
                process.kill()
                process.wait()
            for reader in self._readers:
                reader.join(2.0)
            for pipe in (process.stdin, process.stdout, process.stderr):
                try:
                    if pipe is not None:
                        pipe.close()
                except OSError:
                    pass
            with _LIVE_LOCK:
                _LIVE.discard(self)
        return process.returncode

    def stop(self, timeout: float = STOP_TIMEOUT) -> Optional[int]:
        """Stops the server: SIGTERM, then SIGKILL after ``timeout`` seconds. Answers its exit
        code (0 after a graceful shutdown). Stopping a stopped server does nothing."""
        return self._end(max(timeout, 0.001))

    def __enter__(self) -> 'MockServer':
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = getattr(self, 'url', '(starting)')
        return '<MockServer %s pid %s %s>' % (where, self.pid, 'running' if self.alive else 'stopped')


def start_server(
    *,
    package: Optional[Union[str, Path]] = None,
    node: Optional[str] = None,
    args: Sequence[str] = (),
    clock: str = 'fake',
    start_timeout: float = DEFAULT_START_TIMEOUT,
    search_from: Iterable[Union[str, Path]] = (),
    env: Optional[Mapping[str, str]] = None,
    cwd: Optional[Union[str, Path]] = None,
) -> MockServer:
    """Starts ``node <package>/dist/cli.js serve --port 0 --clock <clock> <args...>`` and answers
    it once it listens. ``args`` come last, so they override (``--clock real``, ``--port 5565``,
    ``--start-at 2026-11-26T10:07:00Z``...). ``package`` and ``node``: see find_package and
    find_node. Raises NodeNotFoundError, PackageNotFoundError or ServerStartError."""
    node_path = find_node(node)
    folder = find_package(package, search_from=search_from)
    _check_version(folder)
    arguments = [str(a) for a in args]
    command = [node_path, '-r', str(_WATCHDOG), str(folder / 'dist' / 'cli.js'), 'serve', '--port', '0', '--clock', clock, *arguments]
    environment = dict(os.environ if env is None else env)
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,  # the watchdog's: it closes when this process ends, however it ends
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding='utf-8',
            errors='replace',
            env=environment,
            cwd=None if cwd is None else str(cwd),
            # Its own session: a Ctrl-C in the terminal reaches pytest, whose teardown stops the server.
            start_new_session=os.name == 'posix',
        )
    except OSError as error:
        raise NodeNotFoundError('Cannot run %s (%s). Give another Node.js %s.' % (node_path, error, _OPTIONS_HINT)) from None
    server = MockServer(command, process, _control_token(arguments, environment))
    with _LIVE_LOCK:
        _LIVE.add(server)
    try:
        server._wait_until_listening(start_timeout)
    except BaseException:
        server._end(0)
        raise
    return server


@atexit.register
def _stop_all() -> None:
    """The last guard: servers still running when Python exits (a server started and never stopped)."""
    with _LIVE_LOCK:
        servers = list(_LIVE)
    for server in servers:
        try:
            server.stop()
        except Exception:  # noqa: BLE001 - exiting anyway; the watchdog is the guard after this one
            pass
