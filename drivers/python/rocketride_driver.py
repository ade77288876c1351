#!/usr/bin/env python3
"""Stdio driver for the RocketRide Python SDK (SDK driver protocol, version 1).

Holds one ``RocketRideClient`` and turns JSON lines on standard input into SDK calls, answering
each with one JSON line on standard output, in completion order (calls overlap). It follows the
SDK as it is (wire.md, "The SDKs' own surface"): ``await client.connect()`` and
``await client.disconnect()`` (1.1.0 has no ``async with``), and ``async with`` only for a client
that offers nothing else; the ready line's ``lifecycle`` says which. Anything the driver itself
gets wrong (a method the SDK lacks, arguments its signature refuses) is a DriverError: a driver
fault, never charged to the SDK. The contract is
conformance/sdk-driver-protocol.md. Needs Python >= 3.9 and ``pip install rocketride``; nothing
else beyond the standard library. Run it through the kit:

    rocketride-deploy-kit conformance --sdk-driver "python3 drivers/python/rocketride_driver.py"

The runner sets RRDK_URI, RRDK_KEY and RRDK_PROTOCOL=1. Standard output carries protocol lines
only; anything else goes to standard error.
"""
import asyncio
import inspect
import json
import os
import sys
import threading

PROTOCOL = 1
EOF_GRACE = 1.0  # seconds left to disconnect once stdin closes (the runner kills at 2 s: 1 s of margin for a slow machine)
OPS = {'connect': (), 'disconnect': (), 'list': (), 'add': ('pipeline',),
       'remove': ('projectId',), 'status': ('projectId',), 'update': ('projectId',)}
OPTIONAL = {'add': ('schedule',), 'update': ('pipeline', 'schedule')}


class DriverError(Exception):
    """A request the driver could not turn into an SDK call (a driver fault, not an SDK result)."""


CONNECT = 'connect()/disconnect()'
ASYNC_WITH = 'async with'


def lifecycle_of(client_class):
    """How a client is opened and closed: the SDK's own connect()/disconnect() (1.1.0 has only
    these, see wire.md), else ``async with`` where a client offers only that; None for neither."""
    if callable(getattr(client_class, 'connect', None)) and callable(getattr(client_class, 'disconnect', None)):
        return CONNECT
    if callable(getattr(client_class, '__aenter__', None)) and callable(getattr(client_class, '__aexit__', None)):
        return ASYNC_WITH
    return None


def sdk_method(owner, name, where):
    """``owner.name`` if it is callable; a DriverError naming ``where`` if the SDK has no such method."""
    method = getattr(owner, name, None)
    if not callable(method):
        raise DriverError('the SDK has no %s.%s() to call (the driver expects the surface in wire.md)' % (where, name))
    return method


def checked_call(method, label, args, kwargs):
    """Calls an SDK method after checking the arguments fit its signature: arguments the driver
    passes wrongly are a driver fault (DriverError), never an SDK result."""
    try:
        inspect.signature(method).bind(*args, **kwargs)
    except TypeError as e:
        raise DriverError('%s does not take the arguments the driver passes (%s)' % (label, e))
    except ValueError:  # no signature to read (a builtin): let the call itself decide
        pass
    return method(*args, **kwargs)


def sdk_version(module):
    """The installed distribution's version, if it is the one imported; else ``__version__``."""
    try:
        from importlib import metadata
        dist = metadata.distribution('rocketride')
        here = os.path.dirname(os.path.realpath(module.__file__))
        if os.path.realpath(str(dist.locate_file('rocketride'))) == here:
            return dist.version
    except Exception:
        pass
    return getattr(module, '__version__', 'unknown')


def write_line(message):
    """Writes one protocol line. Only ever called on the event-loop thread, so lines never interleave."""
    try:
        sys.stdout.write(json.dumps(message, separators=(',', ':'), allow_nan=False) + '\n')
        sys.stdout.flush()
    except OSError:  # the runner is gone
        os._exit(1)


def error_answer(rid, error):
    try:
        text = str(error)
    except Exception:
        text = repr(error)
    types = [c.__name__ for c in type(error).__mro__ if c is not object]
    return {'id': rid, 'ok': False, 'error': {'type': type(error).__name__, 'types': types, 'message': text}}


def answer(rid, result):
    try:
        json.dumps(result, allow_nan=False)
    except Exception as e:  # TypeError, ValueError (NaN, circular), RecursionError
        return error_answer(rid, DriverError('result is not JSON-serializable: %s' % e))
    return {'id': rid, 'ok': True, 'result': result}


def parse(line):
    """The request on one stdin line, or DriverError."""
    try:
        request = json.loads(line)
    except ValueError as e:
        raise DriverError('not a JSON line: %s' % e)
    if not isinstance(request, dict):
        raise DriverError('a request must be a JSON object')
    rid = request.get('id')
    if not isinstance(rid, int) or isinstance(rid, bool) or rid < 1:
        raise DriverError('id must be a positive integer, got %r' % (rid,))
    return request


class Driver:
    def __init__(self, rocketride):
        self.rocketride = rocketride
        self.lifecycle = lifecycle_of(getattr(rocketride, 'RocketRideClient', None))
        self.client = None  # the connected RocketRideClient (for `async with`, what __aenter__ returned)
        self.context = None  # the client entered with `async with`, to leave on disconnect
        self.connecting = False
        self.closing = False
        self.tasks = {}  # in-flight task -> op

    async def connect(self):
        if self.client is not None or self.connecting:
            raise DriverError('already connected')
        uri, key = os.environ.get('RRDK_URI'), os.environ.get('RRDK_KEY')
        if not uri or key is None:
            raise DriverError('RRDK_URI and RRDK_KEY must be set')
        if self.lifecycle is None:
            raise DriverError('the SDK\'s RocketRideClient has neither connect()/disconnect() nor async with')
        self.connecting = True
        try:
            make = sdk_method(self.rocketride, 'RocketRideClient', 'rocketride')
            client = checked_call(make, 'RocketRideClient()', (), {'uri': uri, 'auth': key})
            if self.lifecycle == CONNECT:
                await checked_call(sdk_method(client, 'connect', 'RocketRideClient'), 'connect()', (), {})
                self.client = client
            else:
                entered = await client.__aenter__()
                self.context, self.client = client, client if entered is None else entered
        finally:
            self.connecting = False

    async def disconnect(self):
        client, context = self.client, self.context
        self.client = self.context = None
        if client is None:
            raise DriverError('not connected')
        if context is not None:
            await context.__aexit__(None, None, None)
        else:
            await checked_call(sdk_method(client, 'disconnect', 'RocketRideClient'), 'disconnect()', (), {})

    async def call(self, op, args):
        if not isinstance(op, str) or op not in OPS:
            raise DriverError('unknown op: %r' % (op,))
        missing = [name for name in OPS[op] if name not in args]
        if missing:
            raise DriverError('%s needs args: %s' % (op, ', '.join(missing)))
        unknown = sorted(set(args) - set(OPS[op]) - set(OPTIONAL.get(op, ())))
        if unknown:
            raise DriverError('%s does not take args: %s' % (op, ', '.join(unknown)))
        if op == 'connect':
            return await self.connect()
        if op == 'disconnect':
            return await self.disconnect()
        if self.client is None:
            raise DriverError('not connected')
        deploy = getattr(self.client, 'deploy', None)
        if deploy is None:
            raise DriverError('the SDK\'s client has no deploy attribute (the driver expects client.deploy, see wire.md)')
        method = sdk_method(deploy, op, 'client.deploy')
        # Optional arguments are passed only when present (as keywords: 1.1.0 takes them keyword-only);
        # omitted means "not passed", never None.
        if op == 'add':
            positional, keywords = (args['pipeline'],), {k: args[k] for k in ('schedule',) if k in args}
        elif op == 'update':
            positional, keywords = (args['projectId'],), {k: args[k] for k in ('pipeline', 'schedule') if k in args}
        elif op == 'list':
            positional, keywords = (), {}
        else:  # remove, status
            positional, keywords = (args['projectId'],), {}
        return await checked_call(method, 'client.deploy.%s()' % op, positional, keywords)

    async def handle(self, request):
        rid = request['id']
        try:
            args = request.get('args')
            args = {} if args is None else args
            if not isinstance(args, dict):
                raise DriverError('args must be a JSON object')
            result = await self.call(request.get('op'), args)
        except BaseException as e:
            if isinstance(e, (KeyboardInterrupt, SystemExit)) or (self.closing and isinstance(e, asyncio.CancelledError)):
                raise
            write_line(error_answer(rid, e))
        else:
            write_line(answer(rid, result))

    def start(self, request):
        task = asyncio.ensure_future(self.handle(request))
        self.tasks[task] = request.get('op')
        task.add_done_callback(lambda t: self.tasks.pop(t, None))

    async def close(self):
        """On stdin EOF: let a connect/disconnect in flight finish, then disconnect, all within EOF_GRACE."""
        self.closing = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + EOF_GRACE
        busy = [t for t, op in self.tasks.items() if op in ('connect', 'disconnect')]
        if busy:
            await asyncio.wait(busy, timeout=EOF_GRACE)
        if self.client is not None:
            closing = asyncio.ensure_future(self.disconnect())
            await asyncio.wait([closing], timeout=max(0.0, deadline - loop.time()))
            if closing.done() and not closing.cancelled() and closing.exception():
                sys.stderr.write('rocketride_driver: disconnect failed: %r\n' % (closing.exception(),))


async def main(rocketride):
    loop = asyncio.get_running_loop()
    lines = asyncio.Queue()

    def pump():  # a thread: blocking reads never stall the event loop
        for line in iter(sys.stdin.buffer.readline, b''):
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    ready = {'ready': True, 'protocol': PROTOCOL, 'language': 'python',
             'sdk': 'rocketride %s' % sdk_version(rocketride), 'errorType': 'RuntimeError'}
    lifecycle = lifecycle_of(getattr(rocketride, 'RocketRideClient', None))
    if lifecycle is not None:
        ready['lifecycle'] = lifecycle
    write_line(ready)
    threading.Thread(target=pump, name='stdin', daemon=True).start()
    driver = Driver(rocketride)
    while True:
        line = await lines.get()
        if line is None:
            break
        if not line.strip():
            continue
        try:
            driver.start(parse(line))
        except DriverError as e:
            write_line(error_answer(None, e))
    await driver.close()
    # Calls may still hang: leave without waiting for (or cancelling into) them.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == '__main__':
    try:
        import rocketride
    except Exception as e:
        sys.stderr.write('rocketride_driver: cannot import the RocketRide Python SDK (%s: %s).\n'
                         'Install it with: pip install rocketride\n' % (type(e).__name__, e))
        sys.exit(3)
    asyncio.run(main(rocketride))
