/**
 * `rocketride-deploy-kit/vitest/global-setup`: the setup function on its own, `injectMockServer`
 * without it, and real vitest runs (started here with vitest's node API) whose globalSetup is the
 * built module, so the server lives in this process and its teardown can be checked.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startVitest } from 'vitest/node';
import { DeployClient } from '../../src/index.js';
import defaultSetup, {
  injectMockServer,
  mockServerGlobalSetup,
  PROVIDE_KEY,
  type InjectedMockServer,
} from '../../src/vitest/global-setup.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILT_SETUP = join(ROOT, 'dist/vitest/global-setup.js');
const START = '2026-11-26T10:07:00.000Z';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Calls a setup function as vitest does, with a project that records what it provides. */
async function runSetup(setup: typeof defaultSetup) {
  const provided: Record<string, InjectedMockServer> = {};
  const teardown = await setup({ provide: (key, value) => void (provided[key] = value) });
  let tornDown = false;
  cleanups.push(() => (tornDown ? Promise.resolve() : teardown()));
  return {
    provided,
    teardown: async () => {
      tornDown = true;
      await teardown();
    },
  };
}

/** The error code of a failed fetch (ECONNREFUSED once the server is gone). */
async function fetchError(url: string): Promise<string | null> {
  try {
    await fetch(url);
    return null;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(error);
  }
}

describe('mockServerGlobalSetup', () => {
  it('starts a server, provides its URLs as rocketrideMock, and its teardown closes it', async () => {
    const { provided, teardown } = await runSetup(mockServerGlobalSetup({ clock: { startAt: START } }));
    expect(Object.keys(provided)).toEqual([PROVIDE_KEY]);
    expect(PROVIDE_KEY).toBe('rocketrideMock');
    const { url, controlUrl } = provided['rocketrideMock']!;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/task\/service$/);
    expect(controlUrl).toBe(url.replace('ws://', 'http://').replace('/task/service', '/control/'));

    expect(await (await fetch(`${controlUrl}clock`)).json()).toEqual({
      now: START,
      nowMs: Date.parse(START),
      mode: 'fake',
      timezone: 'UTC',
    });
    const client = new DeployClient({ uri: url, auth: 'MYAPIKEY' });
    await client.connect();
    await client.deploy.add({ project_id: 'p1' });
    await client.disconnect();
    expect(await (await fetch(`${controlUrl}deployments`)).json()).toMatchObject({
      items: [{ userId: 'local', projectId: 'p1' }],
      next: null,
    });

    await teardown();
    expect(await fetchError(`${controlUrl}clock`)).toBe('ECONNREFUSED');
  });

  it('the default export starts a fake-clock server with the demo users on a free port, a new one per call', async () => {
    const first = await runSetup(defaultSetup);
    const second = await runSetup(defaultSetup);
    const a = first.provided['rocketrideMock']!;
    const b = second.provided['rocketrideMock']!;
    expect(a.url).not.toBe(b.url);
    expect(await (await fetch(`${a.controlUrl}clock`)).json()).toMatchObject({ mode: 'fake' });
    const client = new DeployClient({ uri: a.url, auth: 'ALICEKEY' });
    expect((await client.connect()).userId).toBe('alice');
    await client.disconnect();
  });
});

describe('injectMockServer', () => {
  it('says how to configure vitest when no global setup provided a server', () => {
    expect(() => injectMockServer()).toThrow(
      "No mock server was provided as 'rocketrideMock': add globalSetup: ['rocketride-deploy-kit/vitest/global-setup']",
    );
  });
});

/** Runs vitest on the given files of test/vitest/runs/ with a globalSetup; returns each test's outcome. */
async function runVitest(files: string[], globalSetup: string, out: string) {
  const vitest = await startVitest('test', [], {
    root: ROOT,
    config: false,
    watch: false,
    include: files.map((file) => `test/vitest/runs/${file}`),
    globalSetup: [globalSetup],
    env: { RRDK_RUN_OUT: out },
    reporters: [{}], // silent: the outcome is read below
  });
  const outcomes = vitest.state.getFiles().flatMap((file) =>
    file.tasks.map((task) => ({
      file: file.name.replace('test/vitest/runs/', ''),
      test: task.name,
      state: task.result?.state,
      errors: (task.result?.errors ?? []).map((e) => e.message),
    })),
  );
  const unhandled = vitest.state.getUnhandledErrors();
  await vitest.close();
  return { outcomes: outcomes.sort((x, y) => x.file.localeCompare(y.file)), unhandled };
}

describe('a vitest run with the built global setup', () => {
  it("gives every test file the same server through inject('rocketrideMock'), and closes it at the end", async () => {
    const out = await mkdtemp(join(tmpdir(), 'rrdk-global-'));
    cleanups.push(() => rm(out, { recursive: true, force: true }));

    const run = await runVitest(['global-inject.run.ts', 'global-other.run.ts'], BUILT_SETUP, out);
    expect(run.unhandled).toEqual([]);
    expect(run.outcomes).toEqual([
      {
        file: 'global-inject.run.ts',
        test: 'the injected URLs serve the deploy API and the control API of a fake-clock server',
        state: 'pass',
        errors: [],
      },
      { file: 'global-other.run.ts', test: 'another file of the run gets the same server', state: 'pass', errors: [] },
    ]);

    const seen = JSON.parse(await readFile(join(out, 'global-inject.json'), 'utf8')) as InjectedMockServer;
    expect(JSON.parse(await readFile(join(out, 'global-other.json'), 'utf8'))).toEqual(seen);
    // The server lived in this process (vitest runs global setups in its main process); the run is over, so it is closed.
    expect(await fetchError(`${seen.controlUrl}clock`)).toBe('ECONNREFUSED');
  });

  it('a custom globalSetup file built with mockServerGlobalSetup(options) gets a server with those options', async () => {
    const out = await mkdtemp(join(tmpdir(), 'rrdk-global-'));
    cleanups.push(() => rm(out, { recursive: true, force: true }));
    const run = await runVitest(['custom-inject.run.ts'], join(ROOT, 'test/vitest/runs/custom.global.ts'), out);
    expect(run.unhandled).toEqual([]);
    expect(run.outcomes).toEqual([
      { file: 'custom-inject.run.ts', test: 'the server has the options given to mockServerGlobalSetup', state: 'pass', errors: [] },
    ]);
  });
});
