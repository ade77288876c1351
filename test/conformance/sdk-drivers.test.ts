/**
 * The two ways the SDK checks drive an SDK: in process through a module adapter, and as a child
 * process speaking the stdio protocol (here the built module-driver.js on the same adapter, as CI
 * runs it). Fake drivers (`node -e`) stand in for broken ones. The stdio cases use dist/.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DriverError, type SdkSession, type StartOptions } from '../../conformance/sdk/driver.js';
import { startModuleDriver } from '../../conformance/sdk/module-driver.js';
import { startStdioDriver } from '../../conformance/sdk/stdio-driver.js';
import { createMockServer, type MockServer } from '../../src/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODULE_DRIVER = join(ROOT, 'dist/conformance/drivers/module-driver.js');
const REFERENCE_JS = join(ROOT, 'dist/conformance/adapters/reference-client.js');
/** Relative to the working directory, as a user would write it. */
const REFERENCE_TS = 'conformance/adapters/reference-client.ts';

/** Quotes for a POSIX shell (the stdio driver runs its command through one). */
const sh = (...words: string[]) => words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
const moduleDriverCommand = (spec: string) => sh(process.execPath, MODULE_DRIVER, spec);

let server: MockServer;
let options: StartOptions;
let tmp: string;
beforeAll(async () => {
  server = await createMockServer({ port: 0 });
  options = { uri: server.url, key: 'MYAPIKEY', timeoutMs: 5_000 };
  tmp = await mkdtemp(join(tmpdir(), 'rrdk-sdk-drivers-'));
});
afterAll(() => server.close());

const sessions: SdkSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});
function track(session: SdkSession): SdkSession {
  sessions.push(session);
  return session;
}

/** A temporary adapter module (`.mjs`, so plain node loads it too). */
async function adapterFile(name: string, source: string): Promise<string> {
  const file = join(tmp, `${name}.mjs`);
  await writeFile(file, source);
  return file;
}

/** What a promise rejected with (failing the test if it resolved). */
const rejection = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => expect.unreachable('resolved, but a failure was expected'),
    (e: unknown) => e as Error,
  );

let unique = 0;
const projectId = (what: string) => `sdk-drv-${what}-${++unique}`;

const PATHS = {
  module: (spec: string) => startModuleDriver({ module: spec }, options),
  stdio: (spec: string) => startStdioDriver({ command: moduleDriverCommand(spec) }, options),
};
const REFERENCE = { module: REFERENCE_TS, stdio: REFERENCE_JS };

describe.each(['module', 'stdio'] as const)('the %s driver on the reference client', (path) => {
  const start = async (spec = REFERENCE[path]) => track(await PATHS[path](spec));

  it('announces a TypeScript SDK whose errors are Errors', async () => {
    const session = await start();
    expect(session.info).toEqual({ language: 'typescript', errorType: 'Error', sdk: REFERENCE[path] });
  });

  it('runs the whole deploy surface and reports results, errors and times', async () => {
    const session = await start();
    const [a, b] = [projectId('a'), projectId('b')];
    const connect = await session.call('connect');
    expect(connect).toMatchObject({ kind: 'ok', result: { userId: 'local' } });
    expect(await session.call('add', { pipeline: { project_id: a }, schedule: '@hourly' })).toMatchObject({
      kind: 'ok',
      result: { pipeline: { project_id: a }, schedule: '@hourly', state: 'active' },
    });
    expect(await session.call('add', { pipeline: { project_id: b } })).toMatchObject({ kind: 'ok', result: { schedule: 'manual' } });
    const list = await session.call('list');
    expect(list.kind === 'ok' && (list.result as Array<{ pipeline: { project_id: string } }>).map((r) => r.pipeline.project_id)).toEqual(
      expect.arrayContaining([a, b]),
    );
    expect(await session.call('update', { projectId: a, schedule: '@daily' })).toMatchObject({ kind: 'ok' });
    expect(await session.call('update', { projectId: a, pipeline: { project_id: a, v: 2 } })).toMatchObject({ kind: 'ok' });
    expect(await session.call('status', { projectId: a })).toMatchObject({
      kind: 'ok',
      result: { pipeline: { project_id: a, v: 2 }, schedule: '@daily' },
    });

    const duplicate = await session.call('add', { pipeline: { project_id: a } });
    expect(duplicate).toMatchObject({ kind: 'error', type: 'DapError', types: ['DapError', 'Error'] });
    expect(duplicate.kind === 'error' && duplicate.message).toContain('Deployment already exists');

    expect(await session.call('remove', { projectId: a })).toMatchObject({ kind: 'ok', result: null });
    expect(await session.call('status', { projectId: a })).toMatchObject({ kind: 'error', types: expect.arrayContaining(['Error']) });
    const disconnect = await session.call('disconnect');
    expect(disconnect).toMatchObject({ kind: 'ok', result: null });
    expect(disconnect.ms).toBeGreaterThanOrEqual(0);
    expect(await session.call('list')).toMatchObject({ kind: 'error', type: 'ConnectionClosedError' });
  });

  it('runs overlapping calls, each answered with its own result', async () => {
    const session = await start();
    await session.call('connect');
    const ids = [projectId('o1'), projectId('o2'), projectId('o3')];
    await Promise.all(ids.map((id) => session.call('add', { pipeline: { project_id: id } })));
    const statuses = await Promise.all(ids.map((id) => session.call('status', { projectId: id })));
    expect(
      statuses.map((s) => (s.kind === 'ok' ? (s.result as { pipeline: { project_id: string } }).pipeline.project_id : s.kind)),
    ).toEqual(ids);
  });

  it('rejects an unknown operation or unusable arguments as a driver fault', async () => {
    const session = await start();
    await expect(session.call('frobnicate' as never)).rejects.toThrow(/Unknown operation "frobnicate"/);
    await expect(session.call('add', {})).rejects.toThrow(/'add' needs pipeline/);
    await expect(session.call('list', { projectId: 'x' })).rejects.toThrow(/'list' takes no argument projectId/);
    await expect(session.call('remove')).rejects.toBeInstanceOf(DriverError);
  });

  it('rejects a result JSON cannot carry as a driver fault', async () => {
    const file = await adapterFile(
      `bigint-${path}`,
      'export default () => ({ connect() {}, disconnect() {}, deploy: { add() {}, remove() {}, status() {}, update() {}, list: () => [{ n: 1n }] } });',
    );
    const session = await start(file);
    await expect(session.call('list')).rejects.toThrow(/not JSON-serializable/);
    expect(await session.call('connect')).toMatchObject({ kind: 'ok', result: null });
  });

  it('passes no options object at all when no optional argument is given, and only the keys given', async () => {
    const file = await adapterFile(
      `spy-${path}`,
      `const echo = (...args) => ({ count: args.length, args });
       export default () => ({ connect() {}, disconnect() {}, deploy: { add: echo, update: echo, remove: echo, status: echo, list: echo } });`,
    );
    const session = await start(file);
    const result = async (...a: Parameters<SdkSession['call']>) => ((await session.call(...a)) as { result: unknown }).result;
    expect(await result('add', { pipeline: { project_id: 'p' } })).toEqual({ count: 1, args: [{ project_id: 'p' }] });
    expect(await result('add', { pipeline: { project_id: 'p' }, schedule: undefined })).toEqual({ count: 1, args: [{ project_id: 'p' }] });
    expect(await result('add', { pipeline: { project_id: 'p' }, schedule: '@daily' })).toEqual({
      count: 2,
      args: [{ project_id: 'p' }, { schedule: '@daily' }],
    });
    expect(await result('update', { projectId: 'p' })).toEqual({ count: 1, args: ['p'] });
    expect(await result('update', { projectId: 'p', schedule: 'manual' })).toEqual({ count: 2, args: ['p', { schedule: 'manual' }] });
    expect(await result('update', { projectId: 'p', pipeline: { project_id: 'p' } })).toEqual({
      count: 2,
      args: ['p', { pipeline: { project_id: 'p' } }],
    });
    expect(await result('status', { projectId: 'p' })).toEqual({ count: 1, args: ['p'] });
    expect(await result('list')).toEqual({ count: 0, args: [] });
  });

  it('describes thrown values that are not Errors', async () => {
    const file = await adapterFile(
      `throws-${path}`,
      `class SdkError extends Error { constructor(m) { super(m); this.name = 'SdkError'; } }
       class QuotaError extends SdkError {}
       export default () => ({ connect() { throw 'plain string'; }, disconnect() {}, deploy: {
         add: async () => { throw new QuotaError('over quota'); }, remove() { throw null; }, status() { throw Object.assign(new Error('x'), { name: 'TimeoutError' }); },
         update() {}, list() {} } });`,
    );
    const session = await start(file);
    expect(await session.call('connect')).toMatchObject({ kind: 'error', type: 'String', types: ['String'], message: 'plain string' });
    expect(await session.call('add', { pipeline: {} })).toMatchObject({
      kind: 'error',
      type: 'SdkError',
      types: ['QuotaError', 'SdkError', 'Error'],
      message: 'over quota',
    });
    expect(await session.call('remove', { projectId: 'p' })).toMatchObject({ kind: 'error', type: 'null', message: 'null' });
    expect(await session.call('status', { projectId: 'p' })).toMatchObject({
      kind: 'error',
      type: 'TimeoutError',
      types: ['TimeoutError', 'Error'],
    });
  });
});

describe('bad module specs are clear driver faults', () => {
  it.each([
    [
      'a missing file',
      () => 'conformance/adapters/no-such-adapter.js',
      /Cannot load SDK module 'conformance\/adapters\/no-such-adapter.js'/,
    ],
    ['a missing export', () => `${REFERENCE_TS}#createClient`, /has no export 'createClient' \(its exports: default\)/],
    ['an empty spec', () => '', /SDK module spec '' names no module: expected path\[#export\]/],
  ])('%s', async (_, spec, message) => {
    const error = await rejection(startModuleDriver({ module: spec() }, options));
    expect(error).toBeInstanceOf(DriverError);
    expect((error as Error).message).toMatch(message);
  });

  it('an export that is not a function, a client lacking methods, a factory that throws', async () => {
    const file = await adapterFile(
      'shapes',
      `export const answer = 42;
       export const partial = () => ({ connect() {}, deploy: { add() {}, list() {} } });
       export const noDeploy = async () => ({ connect() {}, disconnect() {} });
       export const nothing = () => null;
       export const broken = () => { throw new Error('no config'); };`,
    );
    const fail = (name: string) => rejection(startModuleDriver({ module: `${file}#${name}` }, options));
    expect((await fail('answer')).message).toMatch(/Export 'answer' of SDK module '.*shapes.mjs' is a number, not a factory function/);
    expect((await fail('partial')).message).toMatch(/lacks disconnect\(\), deploy\.remove\(\), deploy\.status\(\), deploy\.update\(\)$/);
    expect((await fail('noDeploy')).message).toMatch(/lacks a deploy object$/);
    expect((await fail('nothing')).message).toMatch(/returned null, not a client object/);
    expect((await fail('broken')).message).toMatch(/factory of SDK module .* threw: no config/);
    for (const name of ['answer', 'partial', 'broken']) expect(await fail(name)).toBeInstanceOf(DriverError);
  });

  it('the stdio module driver exits before its ready line, with the reason on standard error', async () => {
    const error = await rejection(startStdioDriver({ command: moduleDriverCommand(`${REFERENCE_JS}#nope`) }, options));
    expect(error).toBeInstanceOf(DriverError);
    expect(error.message).toMatch(/exited with code 1 before printing its ready line/);
    expect(error.message).toMatch(/module-driver: SDK module '.*reference-client.js' has no export 'nope'/);
  });
});

describe('the module driver', () => {
  it('reports a hung call as a timeout, and still closes promptly', async () => {
    const file = await adapterFile(
      'hangs',
      `const never = () => new Promise(() => {});
       export default () => ({ connect() {}, disconnect: never, deploy: { add() {}, remove() {}, status() {}, update() {}, list: never } });`,
    );
    const session = await startModuleDriver({ module: file }, options);
    const outcome = await session.call('list', undefined, 200);
    expect(outcome.kind).toBe('timeout');
    expect(outcome.ms).toBeGreaterThanOrEqual(190);
    expect(outcome.ms).toBeLessThan(1_000);
    await expect(session.call('connect')).rejects.toThrow(/unusable: 'list' hung earlier/);
    const started = performance.now();
    await session.close();
    await session.close();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

/** A fake driver: `node -e` printing `ready`, then answering each request with `answer` (JS, `r` is the request). */
function fakeDriver(answer: string, ready = '{ ready: true, protocol: 1, language: "javascript" }'): string {
  return sh(
    process.execPath,
    '-e',
    `const rl = require("readline").createInterface({ input: process.stdin });
     console.log(JSON.stringify(${ready}));
     rl.on("line", (line) => { const r = JSON.parse(line); ${answer} });`,
  );
}
const startFake = async (answer: string, ready?: string) => track(await startStdioDriver({ command: fakeDriver(answer, ready) }, options));
const failToStart = (command: string) => rejection(startStdioDriver({ command }, options));

/** True once the process is gone (or only a zombie, waiting to be reaped). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true;
  }
}

describe('the stdio driver', () => {
  it('starts the command with RRDK_URI, RRDK_KEY and RRDK_PROTOCOL, and defaults the error type by language', async () => {
    const session = await startFake(
      '',
      '{ ready: true, protocol: 1, language: "python", sdk: [process.env.RRDK_URI, process.env.RRDK_KEY, process.env.RRDK_PROTOCOL].join(" ") }',
    );
    expect(session.info).toEqual({ language: 'python', errorType: 'RuntimeError', sdk: `${server.url} MYAPIKEY 1` });
  });

  it('passes an error answer through, its types defaulting to [type]', async () => {
    const session = await startFake(
      'console.log(JSON.stringify({ id: r.id, ok: false, error: { type: "RuntimeError", message: "Deployment not found: p9" } }))',
    );
    expect(await session.call('status', { projectId: 'p9' })).toMatchObject({
      kind: 'error',
      type: 'RuntimeError',
      types: ['RuntimeError'],
      message: 'Deployment not found: p9',
    });
  });

  it('reports a hang as a timeout within the bound, and kills the whole process group', async () => {
    const session = await startFake(
      '',
      `(() => { const kid = require("child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
         return { ready: true, protocol: 1, language: "javascript", sdk: process.pid + " " + kid.pid }; })()`,
    );
    const pids = session.info.sdk.split(' ').map(Number);
    expect(pids.every((pid) => !gone(pid))).toBe(true);
    const [first, second] = await Promise.all([session.call('list', undefined, 300), session.call('connect', undefined, 5_000)]);
    expect(first.kind).toBe('timeout');
    expect(first.ms).toBeGreaterThanOrEqual(290);
    expect(first.ms).toBeLessThan(2_000);
    expect(second.kind).toBe('timeout');
    await expect(session.call('list')).rejects.toThrow(/was killed after 'list' hung/);
    await expect.poll(() => pids.every(gone), { timeout: 3_000 }).toBe(true);
  });

  it('fails to start a driver that exits before its ready line, quoting its standard error', async () => {
    const error = await failToStart(
      sh(process.execPath, '-e', 'console.error("line 1"); console.error("ImportError: no module named rocketride"); process.exit(3)'),
    );
    expect(error).toBeInstanceOf(DriverError);
    expect(error.message).toContain('exited with code 3 before printing its ready line');
    expect(error.message).toContain('ImportError: no module named rocketride');
    expect(error.message).toContain(process.execPath);
  });

  it.each([
    ['garbage', 'console.log("hello world")', /printed "hello world" where its ready line was expected/],
    [
      'another protocol',
      'console.log(JSON.stringify({ ready: true, protocol: 2, language: "python" }))',
      /speaks protocol 2; this runner speaks protocol 1/,
    ],
    [
      'no errorType for an unknown language',
      'console.log(JSON.stringify({ ready: true, protocol: 1, language: "rust" }))',
      /language 'rust' without an errorType/,
    ],
  ])('fails to start a driver printing %s instead of a ready line', async (_, script, message) => {
    const error = await failToStart(sh(process.execPath, '-e', `${script}; setInterval(() => {}, 1000)`));
    expect(error).toBeInstanceOf(DriverError);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['not JSON', 'console.log("garbage")', /printed "garbage", which is not a JSON answer/],
    [
      'an unknown id',
      'console.log(JSON.stringify({ id: 999, ok: true, result: null }))',
      /answered id 999, which no pending operation has/,
    ],
    [
      'no ok and no error',
      'console.log(JSON.stringify({ id: r.id, result: 1 }))',
      /answered 'list' with .* neither "ok": true nor an error/,
    ],
    [
      'a DriverError',
      'console.log(JSON.stringify({ id: r.id, ok: false, error: { type: "DriverError", message: "no such op" } }))',
      /could not run 'list': no such op/,
    ],
  ])('rejects the pending call when the driver answers with %s', async (_, answer, message) => {
    const session = await startFake(answer);
    const error = await rejection(session.call('list'));
    expect(error).toBeInstanceOf(DriverError);
    expect(error.message).toMatch(message);
  });

  it('surfaces a stray line on the next call', async () => {
    const session = await startFake(
      '',
      '(setTimeout(() => console.log("stray"), 50), { ready: true, protocol: 1, language: "javascript" })',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(session.call('list')).rejects.toThrow(/printed "stray", which is not a JSON answer/);
  });

  it('rejects pending calls when the driver exits under them, quoting its standard error', async () => {
    const session = await startFake('console.error("Segmentation fault in the SDK"); process.exit(139)');
    const error = await rejection(session.call('connect'));
    expect(error).toBeInstanceOf(DriverError);
    expect(error.message).toMatch(/exited with code 139\.\nIts standard error ended with:\n {2}Segmentation fault in the SDK/);
  });

  it('closes a driver that ignores the end of its input: SIGKILL after the grace period', async () => {
    const session = await startFake(
      '',
      '(setInterval(() => {}, 1000), { ready: true, protocol: 1, language: "javascript", sdk: String(process.pid) })',
    );
    const started = performance.now();
    await Promise.all([session.close(), session.close()]);
    expect(performance.now() - started).toBeGreaterThan(1_900);
    // The SIGKILL reaches the whole group at once, but the shell's exit can be seen a moment
    // before the kernel has finished with the driver under it.
    await expect.poll(() => gone(Number(session.info.sdk)), { timeout: 2_000 }).toBe(true);
    await expect(session.call('list')).rejects.toBeInstanceOf(DriverError);
  });

  it('lets the module driver exit by itself when its input closes', async () => {
    const session = await startStdioDriver({ command: moduleDriverCommand(REFERENCE_JS) }, options);
    await session.call('connect');
    const started = performance.now();
    await session.close();
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('runs an SDK mutant from the built package by path#export', async () => {
    const mutant = track(
      await startStdioDriver({ command: moduleDriverCommand(`${join(ROOT, 'dist/testing/sdk-mutants.js')}#listReturnsEnvelope`) }, options),
    );
    await mutant.call('connect');
    expect(await mutant.call('list')).toMatchObject({ kind: 'ok', result: { deployments: expect.any(Array) } });
  });
});
