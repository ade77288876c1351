#!/usr/bin/env python3
"""Stdio driver for the RocketRide Python SDK (SDK driver protocol, version 1).

Holds one ``RocketRideClient`` and turns JSON lines on standard input into SDK calls, answering
each with one JSON line on standard output, in completion order (calls overlap). The contract is
conformance/sdk-driver-protocol.md. Needs Python >= 3.9 and ``pip install rocketride``; nothing
else beyond the standard library. Run it through the kit:

    rocketride-deploy-kit conformance --sdk-driver "python3 drivers/python/rocketride_driver.py"

The runner sets RRDK_URI, RRDK_KEY and RRDK_PROTOCOL=1. Standard output carries protocol lines
only; anything else goes to standard error.
"""
import asyncio
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
        self.context = None  # the RocketRideClient entered with `async with`
        self.client = None  # what __aenter__ returned: the `as client` target
        self.connecting = False
        self.closing = False
        self.tasks = {}  # in-flight task -> op

    async def connect(self):
        if self.context is not None or self.connecting:
            raise DriverError('already connected')
        uri, key = os.environ.get('RRDK_URI'), os.environ.get('RRDK_KEY')
        if not uri or key is None:
            raise DriverError('RRDK_URI and RRDK_KEY must be set')
        self.connecting = True
        try:
            context = self.rocketride.RocketRideClient(uri=uri, auth=key)
            entered = await context.__aenter__()
        finally:
            self.connecting = False
        self.context, self.client = context, context if entered is None else entered

    async def disconnect(self):
        context, self.context, self.client = self.context, None, None
        if context is None:
            raise DriverError('not connected')
        await context.__aexit__(None, None, None)

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
        deploy = self.client.deploy
        # Optional arguments are passed only when present: omitted means "not passed", never None.
        if op == 'add':
            return await deploy.add(args['pipeline'], **{k: args[k] for k in ('schedule',) if k in args})
        if op == 'update':
            return await deploy.update(args['projectId'], **{k: args[k] for k in ('pipeline', 'schedule') if k in args})
        if op == 'list':
            return await deploy.list()
        return await getattr(deploy, op)(args['projectId'])  # remove, status

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
        if self.context is not None:
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

    write_line({'ready': True, 'protocol': PROTOCOL, 'language': 'python',
                'sdk': 'rocketride %s' % sdk_version(rocketride), 'errorType': 'RuntimeError'})
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
