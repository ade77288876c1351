/**
 * The Python SDK driver (drivers/python/rocketride_driver.py) speaking the stdio driver protocol
 * (conformance/sdk-driver-protocol.md), run as a real python3 child process against two stand-in
 * `rocketride` modules, one per client shape: test/fixtures/python/sdk-1.1.0 (the 1.1.0 surface
 * as wire.md gives it: connect()/disconnect(), no `async with`, keyword-only options) and
 * test/fixtures/python/documented (the documentation's `async with` form). The stand-ins are test
 * fixtures for the driver's protocol handling, not the SDK: they record the calls they received
 * (`status('__calls__')`), script hangs, delays, foreign errors and NaN results by project id,
 * and lose methods on purpose (RRDK_STANDIN_DEFECTS) to show the driver's own faults are its own.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER = join(ROOT, 'drivers/python/rocketride_driver.py');
const CLI = join(ROOT, 'dist/cli.js');
const FIXTURES = join(ROOT, 'test/fixtures/python');

/** The two client shapes the driver must follow. */
const SHAPES = [
  {
    name: 'the 1.1.0 surface: connect() and disconnect()',
    dir: 'sdk-1.1.0',
    version: '1.1.0-standin',
    lifecycle: 'connect()/disconnect()',
    opened: 'connect',
  },
  { name: 'the documented async with form', dir: 'documented', version: '0.0.0-standin', lifecycle: 'async with', opened: '__aenter__' },
] as const;
type Shape = (typeof SHAPES)[number];
const pythonPath = (shape: Shape) => [join(FIXTURES, shape.dir), FIXTURES].join(delimiter);
const URI = 'ws://127.0.0.1:9/task/service';

interface Answer {
  readonly id: number | null;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: { readonly type: string; readonly types?: readonly string[]; readonly message: string };
}
interface Call {
  readonly method: string;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
}

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts the driver and talks JSON lines to it. */
function startDriverOf(options: { shape?: Shape; env?: NodeJS.ProcessEnv; pythonArgs?: string[] } = {}) {
  const child = spawn('python3', [...(options.pythonArgs ?? []), DRIVER], {
    cwd: ROOT,
    env: {
      ...process.env,
      PYTHONPATH: pythonPath(options.shape ?? SHAPES[0]),
      PYTHONDONTWRITEBYTECODE: '1',
      RRDK_URI: URI,
      RRDK_KEY: 'MYAPIKEY',
      RRDK_PROTOCOL: '1',
      ...options.env,
    },
  });
  children.push(child);
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let buffer = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
      for (const listener of listeners) listener();
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  // 'close', not 'exit': stdout and stderr are fully read by then.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let nextId = 1;

  /** Resolves with the first stdout line (ever) matching `match`. */
  function waitFor(match: (line: Record<string, unknown>) => boolean, ms = 15_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = lines.find(match);
        if (!found) return false;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no matching line within ${ms} ms; stdout: ${raw.join('\n')}\nstderr: ${stderr}`));
      }, ms);
      if (!check()) listeners.add(check);
    });
  }

  const driver = {
    child,
    exited,
    raw,
    stderr: () => stderr,
    /** Resolves once standard error (a separate pipe, so unordered with stdout) contains `text`. */
    async stderrContains(text: string, ms = 15_000): Promise<void> {
      for (const start = Date.now(); !stderr.includes(text); await new Promise((r) => setTimeout(r, 10))) {
        if (Date.now() - start > ms) throw new Error(`stderr never contained ${JSON.stringify(text)}: ${stderr}`);
      }
    },
    /** The ids of the answers, in arrival order. */
    order: () => lines.slice(1).map((l) => l.id),
    ready: () => waitFor(() => true),
    send: (line: string) => child.stdin.write(`${line}\n`),
    /** Sends one operation; returns its id. */
    start(op: string, args?: unknown): number {
      const id = nextId++;
      driver.send(JSON.stringify(args === undefined ? { id, op } : { id, op, args }));
      return id;
    },
    answer: (id: number | null, ms?: number) => waitFor((l) => 'ok' in l && l.id === id, ms).then((l) => l as unknown as Answer),
    call: (op: string, args?: unknown) => driver.answer(driver.start(op, args)),
    /** The stand-in's record of the calls it received. */
    async calls(): Promise<Call[]> {
      const a = await driver.call('status', { projectId: '__calls__' });
      expect(a.ok).toBe(true);
      return a.result as Call[];
    },
    async connected() {
      expect(await driver.ready()).toMatchObject({ ready: true });
      expect(await driver.call('connect')).toEqual({ id: expect.any(Number), ok: true, result: null });
      return driver;
    },
  };
  return driver;
}

const standinCalls = (calls: Call[], method: string) => calls.filter((c) => c.method === method);

describe.each(SHAPES)('the Python SDK driver, against a stand-in with $name', (shape) => {
  const startDriver = (options: { env?: NodeJS.ProcessEnv } = {}) => startDriverOf({ ...options, shape });

  it('announces itself with a ready line first, saying how it opens the client', async () => {
    const d = startDriver();
    expect(await d.ready()).toEqual({
      ready: true,
      protocol: 1,
      language: 'python',
      sdk: `rocketride ${shape.version}`,
      errorType: 'RuntimeError',
      lifecycle: shape.lifecycle,
    });
  });

  it(`connects with uri= and auth= from RRDK_URI / RRDK_KEY, then opens the client with ${shape.lifecycle}`, async () => {
    const d = await startDriver().connected();
    const calls = await d.calls();
    expect(calls.slice(0, 2)).toEqual([
      { method: 'RocketRideClient', args: [], kwargs: { uri: URI, auth: 'MYAPIKEY' } },
      { method: shape.opened, args: [], kwargs: {} },
    ]);
    expect(calls.map((c) => c.method)).not.toContain(shape.opened === 'connect' ? '__aenter__' : 'connect');
  });

  it('passes schedule to add only when it is given, and returns the SDK result unchanged as ASCII JSON', async () => {
    const d = await startDriver().connected();
    const plain = await d.call('add', { pipeline: { project_id: 'p1', name: 'café ✓' } });
    expect(plain).toMatchObject({
      ok: true,
      result: { pipeline: { project_id: 'p1', name: 'café ✓' }, schedule: 'manual', state: 'active' },
    });
    const line = d.raw.find((l) => l.startsWith(`{"id":${plain.id},`))!;
    expect(line).toContain('caf\\u00e9 \\u2713');
    expect(/^[\x20-\x7e]*$/.test(line)).toBe(true);

    const scheduled = await d.call('add', { pipeline: { project_id: 'p2' }, schedule: '@hourly' });
    expect(scheduled).toMatchObject({ ok: true, result: { schedule: '@hourly' } });

    expect(standinCalls(await d.calls(), 'add')).toEqual([
      { method: 'add', args: [{ project_id: 'p1', name: 'café ✓' }], kwargs: {} },
      { method: 'add', args: [{ project_id: 'p2' }], kwargs: { schedule: '@hourly' } },
    ]);
  });

  it('passes update exactly the optional keys present, and remove/status/list their positional arguments', async () => {
    const d = await startDriver().connected();
    await d.call('add', { pipeline: { project_id: 'p1' } });
    expect(await d.call('update', { projectId: 'p1', schedule: '@daily' })).toMatchObject({ ok: true, result: { schedule: '@daily' } });
    await d.call('update', { projectId: 'p1', pipeline: { project_id: 'p1', v: 2 } });
    await d.call('update', { projectId: 'p1', pipeline: { project_id: 'p1', v: 3 }, schedule: 'manual' });
    await d.call('update', { projectId: 'p1' });
    const status = await d.call('status', { projectId: 'p1' });
    expect(status).toMatchObject({ ok: true, result: { pipeline: { v: 3 }, schedule: 'manual' } });
    expect(await d.call('list')).toMatchObject({ ok: true, result: [{ pipeline: { project_id: 'p1' } }] });
    expect(await d.call('remove', { projectId: 'p1' })).toEqual({ id: expect.any(Number), ok: true, result: null });

    const calls = await d.calls();
    expect(standinCalls(calls, 'update')).toEqual([
      { method: 'update', args: ['p1'], kwargs: { schedule: '@daily' } },
      { method: 'update', args: ['p1'], kwargs: { pipeline: { project_id: 'p1', v: 2 } } },
      { method: 'update', args: ['p1'], kwargs: { pipeline: { project_id: 'p1', v: 3 }, schedule: 'manual' } },
      { method: 'update', args: ['p1'], kwargs: {} },
    ]);
    expect(standinCalls(calls, 'status')).toEqual([{ method: 'status', args: ['p1'], kwargs: {} }]);
    expect(standinCalls(calls, 'list')).toEqual([{ method: 'list', args: [], kwargs: {} }]);
    expect(standinCalls(calls, 'remove')).toEqual([{ method: 'remove', args: ['p1'], kwargs: {} }]);
  });

  it("reports what the SDK raised: type, ancestors and the server's words", async () => {
    const d = await startDriver().connected();
    await d.call('add', { pipeline: { project_id: 'p1' } });
    expect(await d.call('add', { pipeline: { project_id: 'p1' } })).toEqual({
      id: expect.any(Number),
      ok: false,
      error: { type: 'RuntimeError', types: ['RuntimeError', 'Exception', 'BaseException'], message: 'Deployment already exists: p1' },
    });
    expect((await d.call('status', { projectId: 'nope' })).error).toMatchObject({
      type: 'RuntimeError',
      message: 'Deployment not found: nope',
    });
    expect((await d.call('status', { projectId: 'boom' })).error).toEqual({
      type: 'KeyError',
      types: ['KeyError', 'LookupError', 'Exception', 'BaseException'],
      message: "'boom'",
    });
  });

  it('answers driver faults with DriverError and keeps working', async () => {
    const d = startDriver();
    await d.ready();
    const driverError = { type: 'DriverError', types: ['DriverError', 'Exception', 'BaseException'], message: expect.any(String) };
    expect((await d.call('list')).error).toEqual({ ...driverError, message: 'not connected' });
    await d.call('connect');
    expect((await d.call('connect')).error).toEqual({ ...driverError, message: 'already connected' });
    expect((await d.call('deploy')).error).toEqual({ ...driverError, message: "unknown op: 'deploy'" });
    expect((await d.call('add', { schedule: '@hourly' })).error).toEqual({ ...driverError, message: 'add needs args: pipeline' });
    expect((await d.call('status', {})).error).toEqual({ ...driverError, message: 'status needs args: projectId' });
    expect((await d.call('status', ['p1'])).error).toEqual({ ...driverError, message: 'args must be a JSON object' });
    expect((await d.call('status', { projectId: 'p1', id: 'p1' })).error).toEqual({
      ...driverError,
      message: 'status does not take args: id',
    });
    expect((await d.call(['list'] as never)).error).toEqual({ ...driverError, message: "unknown op: ['list']" });

    d.send('this is not json');
    expect(await d.answer(null)).toEqual({ id: null, ok: false, error: driverError });
    d.send('{"op": "list"}'); // no id: answered with id null, like an unparsable line
    // Faulty lines are answered before the next line is read, so this answer comes after both.
    expect(await d.call('list')).toMatchObject({ ok: true, result: [] });
    // Neither the SDK nor the stand-in saw the faulty requests.
    expect((await d.calls()).map((c) => c.method)).toEqual(['RocketRideClient', shape.opened, 'list']);
    expect(d.order().filter((id) => id === null)).toHaveLength(2);
  });

  it('gives a result that is not JSON-serializable (NaN) a DriverError', async () => {
    const d = await startDriver().connected();
    expect((await d.call('status', { projectId: 'nan-1' })).error).toMatchObject({
      type: 'DriverError',
      message: expect.stringContaining('not JSON-serializable'),
    });
    expect(await d.call('list')).toMatchObject({ ok: true });
  });

  it('starts each operation as its line arrives and answers in completion order', async () => {
    const d = await startDriver().connected();
    const slow = d.start('add', { pipeline: { project_id: 'slow-300' } });
    const fast = d.start('add', { pipeline: { project_id: 'fast' } });
    const [slowAnswer, fastAnswer] = await Promise.all([d.answer(slow), d.answer(fast)]);
    expect(slowAnswer).toMatchObject({ ok: true, result: { pipeline: { project_id: 'slow-300' } } });
    expect(fastAnswer).toMatchObject({ ok: true, result: { pipeline: { project_id: 'fast' } } });
    const order = d.order();
    expect(order.indexOf(fast)).toBeLessThan(order.indexOf(slow));
  });

  it('keeps answering while a call hangs', async () => {
    const d = await startDriver().connected();
    const hanging = d.start('status', { projectId: 'hang-1' });
    expect(await d.call('add', { pipeline: { project_id: 'p1' } })).toMatchObject({ ok: true });
    expect(await d.call('list')).toMatchObject({ ok: true });
    expect(d.order()).not.toContain(hanging);
  });

  it(`disconnects with ${shape.opened === 'connect' ? 'disconnect()' : 'the async context left'}`, async () => {
    const d = await startDriver().connected();
    expect(await d.call('disconnect')).toEqual({ id: expect.any(Number), ok: true, result: null });
    await d.stderrContains('rocketride stand-in: disconnecting');
    expect((await d.call('list')).error).toMatchObject({ type: 'DriverError', message: 'not connected' });
  });

  it('exits 0 within 2 s of stdin closing, disconnecting first, even with calls hanging (one deaf to cancellation)', async () => {
    const d = await startDriver().connected();
    const hanging = d.start('status', { projectId: 'hang-1' });
    d.start('status', { projectId: 'hang-stubborn' });
    await d.call('list');
    const closed = Date.now();
    d.child.stdin.end();
    expect(await d.exited).toBe(0);
    expect(Date.now() - closed).toBeLessThan(2000);
    expect(d.stderr()).toContain('rocketride stand-in: disconnecting');
    expect(d.order()).not.toContain(hanging);
  });

  it('exits 0 within 2 s of stdin closing even when the disconnect itself hangs', async () => {
    const d = await startDriver({ env: { RRDK_URI: 'ws://127.0.0.1:9/hang-disconnect' } }).connected();
    const closed = Date.now();
    d.child.stdin.end();
    expect(await d.exited).toBe(0);
    const elapsed = Date.now() - closed;
    expect(elapsed).toBeGreaterThanOrEqual(900); // it waited for the disconnect (1 s budget)...
    expect(elapsed).toBeLessThan(2000); // ...and exited inside the protocol's 2 s
    expect(d.stderr()).toContain('rocketride stand-in: disconnecting');
  });

  it('exits 0 promptly when stdin closes before any connect', async () => {
    const d = startDriver();
    await d.ready();
    d.child.stdin.end();
    expect(await d.exited).toBe(0);
    expect(d.stderr()).not.toContain('disconnecting');
  });
});

describe.each(SHAPES)("driver faults are the driver's own, against a stand-in with $name", (shape) => {
  const startDriver = (defects: string) => startDriverOf({ shape, env: { RRDK_STANDIN_DEFECTS: defects } });
  const driverFault = (message: string) => ({
    type: 'DriverError',
    types: ['DriverError', 'Exception', 'BaseException'],
    message: expect.stringContaining(message),
  });

  it('a method the SDK lacks is a DriverError, never an SDK error (no AttributeError), and the rest keeps working', async () => {
    const d = await startDriver('no-update').connected();
    await d.call('add', { pipeline: { project_id: 'p1' } });
    expect((await d.call('update', { projectId: 'p1', schedule: '@daily' })).error).toEqual(
      driverFault('the SDK has no client.deploy.update() to call'),
    );
    expect(standinCalls(await d.calls(), 'update')).toEqual([]);
  });

  it("arguments the SDK's signature refuses are a DriverError, and the SDK is not called with them", async () => {
    const d = await startDriver('add-no-schedule').connected();
    expect((await d.call('add', { pipeline: { project_id: 'p1' }, schedule: '@hourly' })).error).toEqual(
      driverFault('client.deploy.add() does not take the arguments the driver passes'),
    );
    expect(await d.call('add', { pipeline: { project_id: 'p2' } })).toMatchObject({ ok: true });
    expect(standinCalls(await d.calls(), 'add')).toEqual([{ method: 'add', args: [{ project_id: 'p2' }], kwargs: {} }]);
  });

  it('a client that can be neither connected nor entered: no lifecycle in the ready line, connect is a DriverError', async () => {
    const d = startDriver('no-lifecycle');
    expect(await d.ready()).not.toHaveProperty('lifecycle');
    expect((await d.call('connect')).error).toEqual(driverFault('has neither connect()/disconnect() nor async with'));
  });
});

describe('the Python SDK driver without an SDK', () => {
  it('exits non-zero with a clear message and no ready line when rocketride cannot be imported', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'rrdk-nopkg-'));
    // -S: no site-packages, so an installed rocketride cannot hide the missing-package path.
    const d = startDriverOf({ env: { PYTHONPATH: empty }, pythonArgs: ['-S'] });
    expect(await d.exited).toBe(3);
    expect(d.raw).toEqual([]);
    expect(d.stderr()).toContain('cannot import the RocketRide Python SDK');
    expect(d.stderr()).toContain('pip install rocketride');
  });
});

/** `conformance --sdk-driver <this driver>` against a stand-in: its exit code and output. */
async function conformanceRun(shape: Shape, defects: string): Promise<{ code: number | null; output: string }> {
  const run = spawn(process.execPath, [CLI, 'conformance', '--sdk-driver', `python3 "${DRIVER}"`, '--runs', '1', '--sdk-timeout', '5000'], {
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: pythonPath(shape), PYTHONDONTWRITEBYTECODE: '1', RRDK_STANDIN_DEFECTS: defects },
  });
  children.push(run as ChildProcessWithoutNullStreams);
  let output = '';
  run.stdout.on('data', (d) => (output += d));
  run.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => run.on('close', resolve));
  return { code, output };
}

describe('the driver in a conformance run (needs the build)', () => {
  it('a driver fault charges no SDK clause: every clause is unverified, and the run fails', async () => {
    const { code, output: stdout } = await conformanceRun(SHAPES[0], 'no-lifecycle');
    expect(code, stdout).toBe(1);
    expect(stdout).toContain('DRIVER FAULT (not an SDK result) during connect');
    expect(stdout).toContain('has neither connect()/disconnect() nor async with');
    // Every clause is unverified, none failed or passed: the stand-in is never reached.
    for (let n = 1; n <= 8; n++)
      expect(stdout).toMatch(new RegExp(`^SDK-${n} +(MUST|SHOULD) +skip +0/\\d+ +not verified: DRIVER FAULT`, 'm'));
    expect(stdout).not.toMatch(/^SDK-\d+ +\S+ +(FAIL|warn|pass)/m);
    expect(stdout).toContain('RESULT: FAILED: the harness failed, not the target');
  }, 180_000);

  it.each(SHAPES)(
    'the report header says how the driver opened the client ($lifecycle)',
    async (shape) => {
      // The stand-in talks to no server, so the checks fail; only the header is looked at here.
      const { output } = await conformanceRun(shape, '');
      expect(output).toContain(
        `Conformance of rocketride ${shape.version} (python, client opened with ${shape.lifecycle}, through the driver`,
      );
    },
    180_000,
  );
});
