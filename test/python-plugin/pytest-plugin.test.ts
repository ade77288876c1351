/**
 * The pytest plugin (python/pytest-rocketride-deploy-kit/) as a Python user gets it: installed
 * by pip with no network (`--no-index --no-build-isolation`) into a fresh venv over the system's
 * pytest and pytest-asyncio, loaded by pytest through its `pytest11` entry point, and finding the
 * npm package in the `node_modules` of the project pytest runs in (here a symlink to this
 * checkout). Its examples and its own tests run and pass; the failure paths (no Node, no package,
 * a server that cannot start, a port in use) fail with what to do; and no server outlives a
 * failing, interrupted (SIGINT) or killed (SIGKILL) pytest.
 *
 * Needs the build (dist/cli.js) and a Python 3.9+ with venv, pytest, pytest-asyncio and
 * setuptools: Debian's python3 with python3-venv, python3-pytest, python3-pytest-asyncio and
 * python3-setuptools (.ci/run installs them), or the interpreter in RRDK_TEST_PYTHON.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { devNull, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PLUGIN = join(ROOT, 'python/pytest-rocketride-deploy-kit');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const run = promisify(execFile);

const PACKAGES = 'python3-venv python3-pytest python3-pytest-asyncio python3-setuptools';
const CHECK = 'import sys, venv, pytest, pytest_asyncio, setuptools; assert sys.version_info >= (3, 9), sys.version';

let dir: string;
let project: string;
let python: string; // the venv's interpreter
const children: ChildProcess[] = [];
const serverPids = new Set<number>();

/** The first interpreter that has venv, pytest, pytest-asyncio and setuptools; a clear failure if none does. */
async function pickPython(): Promise<string> {
  const candidates = [process.env['RRDK_TEST_PYTHON'], '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  const problems: string[] = [];
  for (const candidate of candidates) {
    try {
      await run(candidate, ['-c', CHECK]);
      return candidate;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      problems.push(`${candidate}: ${(e.stderr || e.message).trim().split('\n').at(-1)}`);
    }
  }
  throw new Error(
    `The pytest plugin's tests need a Python 3.9+ with venv, pytest, pytest-asyncio and setuptools; none found:\n` +
      `${problems.join('\n')}\nOn Debian: apt-get install ${PACKAGES} (or point RRDK_TEST_PYTHON at such an interpreter).`,
  );
}

beforeAll(async () => {
  const system = await pickPython();
  dir = await mkdtemp(join(tmpdir(), 'rrdk-pytest-'));
  project = join(dir, 'project');
  await mkdir(join(project, 'node_modules'), { recursive: true });
  // The package where a project has it; pip builds in the plugin's folder, so it gets a copy.
  await symlink(ROOT, join(project, 'node_modules/rocketride-deploy-kit'), 'dir');
  await cp(PLUGIN, join(project, 'plugin'), {
    recursive: true,
    filter: (source) => !/(^|\/)(build|__pycache__|\.pytest_cache|[^/]*\.egg-info)$/.test(source),
  });
  await run(system, ['-m', 'venv', '--system-site-packages', join(dir, 'venv')]);
  python = join(dir, 'venv/bin/python');
  await run(
    python,
    [
      '-m',
      'pip',
      'install',
      '--no-index',
      '--no-build-isolation',
      '--disable-pip-version-check',
      '--no-input',
      '-q',
      join(project, 'plugin'),
    ],
    // No pip configuration of this machine (find-links, extra indexes): nothing but the folder and what is installed.
    { env: { ...process.env, PIP_CONFIG_FILE: devNull }, timeout: 120_000 },
  );
}, 180_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of serverPids) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The environment without anything of ours a developer's shell may have set. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
  for (const name of Object.keys(env)) {
    if (/^(ROCKETRIDE_|RRDK_|PYTEST_)/.test(name) || name === 'PYTHONPATH') delete env[name];
  }
  return { ...env, ...extra };
}

interface Result {
  readonly code: number | null;
  readonly output: string;
}

/** Starts `python -m pytest -p no:cacheprovider ARGS` in the project (or `cwd`). */
function startPytest(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const child = spawn(python, ['-m', 'pytest', '-p', 'no:cacheprovider', '-rA', ...args], {
    cwd: options.cwd ?? project,
    env: cleanEnv(options.env),
  });
  children.push(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const done = new Promise<Result>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
  return { child, done };
}

const pytest = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) => startPytest(args, options).done;

/** Whether a process is gone: no such pid, or a zombie no one has reaped yet. */
function isGone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }
}

async function waitGone(pid: number, ms = 10_000): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < ms; await new Promise((r) => setTimeout(r, 50))) if (isGone(pid)) return true;
  return isGone(pid);
}

interface Report {
  readonly test: string;
  readonly pid: number;
  readonly url: string;
  readonly uri: string;
  readonly clock: string;
  readonly startedAt: string;
  readonly apiKey: string;
  readonly env: Record<string, string | null>;
}

let reports = 0;
/** A fresh report file for scenario_report.py, and a reader of its lines. */
function reportFile() {
  const file = join(dir, `report-${++reports}.jsonl`);
  const read = async (): Promise<Report[]> => {
    const text = await readFile(file, 'utf8').catch(() => '');
    const lines = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Report);
    for (const l of lines) serverPids.add(l.pid);
    return lines;
  };
  return { file, read };
}

const SCENARIO = 'plugin/tests/scenarios/scenario_report.py';

/** Runs one scenario test; answers pytest's result and what the test reported. */
async function scenario(test: string, options: { args?: string[]; env?: Record<string, string>; cwd?: string } = {}) {
  const report = reportFile();
  const result = await pytest([...(options.args ?? []), `${SCENARIO}::${test}`], {
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    env: { RRDK_PLUGIN_REPORT: report.file, ...options.env },
  });
  return { ...result, reports: await report.read() };
}

describe('the pytest plugin, installed from the package with pip', () => {
  it('is found by pytest through its entry point, and is the package version', async () => {
    const help = await pytest(['--help']);
    expect(help.code, help.output).toBe(0);
    expect(help.output).toContain('rocketride-deploy-kit: the mock RocketRide server');
    for (const option of ['--rocketride-node', '--rocketride-package', '--rocketride-serve-arg', '--rocketride-clock'])
      expect(help.output).toContain(option);
    const { stdout } = await run(python, ['-c', 'import pytest_rocketride_deploy_kit as k; print(k.__version__, k.__file__)'], {
      cwd: dir,
    });
    expect(stdout).toMatch(new RegExp(`^${VERSION.replace(/\./g, '\\.')} ${dir}/venv/lib/python3\\.\\d+/site-packages/`));
    const off = await pytest(['-p', 'no:rocketride_deploy_kit', '--help']);
    expect(off.output).not.toContain('--rocketride-node');
  });

  it('runs the examples: a server per test, the clock moved, runs read, a ControlError, async tests in auto mode', async () => {
    const result = await pytest(['-v', 'plugin/examples', '--ignore=plugin/examples/test_deploy_sdk_style.py']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(`plugins: rocketride-deploy-kit-${VERSION}`);
    expect(result.output).toMatch(/asyncio: mode=(Mode\.)?auto/i);
    for (const test of [
      'test_schedule.py::test_an_hour_of_quarter_hourly_runs',
      'test_schedule.py::test_a_held_run_makes_the_ticks_meanwhile_skip',
      'test_schedule.py::test_each_test_gets_a_fresh_server',
      'test_schedule.py::test_a_refusal_is_a_control_error_with_its_code',
      'test_async.py::test_an_async_test_adds_a_deployment_and_moves_the_clock',
      'test_async.py::test_an_injected_fault_reaches_the_client',
      'test_session_server.py::test_the_next_test_sees_it_then_resets',
      'test_readme.py::test_an_hour_of_quarter_hourly_runs', // the README's, word for word
    ])
      expect(result.output).toContain(`PASSED plugin/examples/${test}`);
    expect(result.output).toMatch(/ 9 passed in /);
  }, 60_000);

  it.each(['rocketride_env', 'rocketride_session_env'])(
    'runs a deploy test file written for a live server unchanged, with -o usefixtures=%s',
    async (fixture) => {
      const result = await pytest(['-v', '-o', `usefixtures=${fixture}`, 'plugin/examples/test_deploy_sdk_style.py']);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toMatch(/ 3 passed in /);
    },
    60_000,
  );

  it("passes its own tests: the generated client's every operation, the fixtures, the markers", async () => {
    const result = await pytest(['-v', 'plugin/tests']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('PASSED plugin/tests/test_control_client.py::test_every_operation');
    expect(result.output).toContain('PASSED plugin/tests/test_fixtures.py::TestMarkers::test_the_closest_marker_wins');
    expect(result.output).not.toContain('scenario_report');
    expect(result.output).toMatch(/ 19 passed in /);
  }, 90_000);
});

describe('options and environment variables', () => {
  it('a fake clock by default; --rocketride-clock real; serve arguments from ROCKETRIDE_SERVE_ARGS, replaced by options', async () => {
    const plain = await scenario('test_server');
    expect(plain.code, plain.output).toBe(0);
    expect(plain.reports).toMatchObject([{ clock: 'fake', apiKey: 'MYAPIKEY', uri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) }]);
    expect(plain.reports[0]!.url).toBe(`${plain.reports[0]!.uri.replace('http:', 'ws:')}/task/service`);

    const real = await scenario('test_server', { args: ['--rocketride-clock', 'real'] });
    expect(real.reports).toMatchObject([{ clock: 'real' }]);
    const fromEnv = await scenario('test_server', {
      env: { ROCKETRIDE_CLOCK: 'real', ROCKETRIDE_SERVE_ARGS: '--start-at "2026-11-26T10:07:00Z"' },
    });
    expect(fromEnv.reports).toMatchObject([{ clock: 'real', startedAt: expect.stringMatching(/^2026-11-26T10:07:0/) }]);
    const replaced = await scenario('test_server', {
      args: ['--rocketride-serve-arg=--start-at=2030-01-01T00:00:00Z'],
      env: { ROCKETRIDE_SERVE_ARGS: '--start-at 2026-11-26T10:07:00Z' },
    });
    expect(replaced.reports).toMatchObject([{ clock: 'fake', startedAt: '2030-01-01T00:00:00.000Z' }]);
  }, 60_000);

  it('--rocketride-package and --rocketride-node (or their variables) name the package and Node', async () => {
    const explicit = await scenario('test_server', { args: ['--rocketride-package', ROOT, '--rocketride-node', process.execPath] });
    expect(explicit.code, explicit.output).toBe(0);
    const fromEnv = await scenario('test_server', { env: { ROCKETRIDE_PACKAGE: ROOT, ROCKETRIDE_NODE: process.execPath } });
    expect(fromEnv.code, fromEnv.output).toBe(0);
  }, 60_000);

  it('rocketride_env sets ROCKETRIDE_URI, ROCKETRIDE_APIKEY and RRDK_CONTROL_URL for the test', async () => {
    const {
      code,
      output,
      reports: [env],
    } = await scenario('test_env');
    expect(code, output).toBe(0);
    expect(env!.env).toEqual({ ROCKETRIDE_URI: env!.uri, ROCKETRIDE_APIKEY: 'MYAPIKEY', RRDK_CONTROL_URL: env!.uri });
  }, 30_000);

  it('a bad option value stops pytest with a usage error', async () => {
    const clock = await pytest([SCENARIO], { env: { ROCKETRIDE_CLOCK: 'sideways' } });
    expect(clock.code).toBe(4);
    expect(clock.output).toContain("ERROR: ROCKETRIDE_CLOCK must be fake or real, got 'sideways'");
    const args = await pytest([SCENARIO], { env: { ROCKETRIDE_SERVE_ARGS: '--start-at "2026' } });
    expect(args.code).toBe(4);
    expect(args.output).toContain('ERROR: ROCKETRIDE_SERVE_ARGS cannot be split into arguments');
    const timeout = await pytest(['--rocketride-start-timeout', '0', SCENARIO]);
    expect(timeout.code).toBe(4);
    expect(timeout.output).toContain("ERROR: --rocketride-start-timeout must be a number of seconds above 0, got '0'");
  }, 30_000);
});

describe('failures say what to do', () => {
  /** The test errors at setup with `message`, and without a traceback. */
  function expectSetupError(result: Result, message: string) {
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('ERROR at setup of test_server');
    expect(result.output).toContain(message);
    expect(result.output).not.toContain('Traceback');
    expect(result.output).not.toContain('During handling of the above exception');
  }

  it('Node missing, not runnable, or too old', async () => {
    expectSetupError(
      await scenario('test_server', { args: ['--rocketride-node', '/nonexistent/node'] }),
      "Node.js not found: '/nonexistent/node' is neither an executable file nor a command on PATH. " +
        'Give the path of a Node.js 20+ executable with --rocketride-node PATH (pytest) or the ROCKETRIDE_NODE environment variable.',
    );
    const old = join(dir, 'old-node');
    await writeFile(old, '#!/bin/sh\necho v18.19.0\n');
    await chmod(old, 0o755);
    expectSetupError(
      await scenario('test_server', { env: { ROCKETRIDE_NODE: old } }),
      `${old} is Node.js v18.19.0; rocketride-deploy-kit needs Node.js 20 or later. Give a newer one with --rocketride-node PATH`,
    );
    const notNode = join(dir, 'not-node');
    await writeFile(notNode, '#!/bin/sh\necho "Python 3.11.2"\necho second line\n');
    await chmod(notNode, 0o755);
    expectSetupError(
      await scenario('test_server', { args: ['--rocketride-node', notNode] }),
      `${notNode} is not Node.js: \`${notNode} --version\` answered 'Python 3.11.2' (exit code 0).`,
    );
  }, 30_000);

  it('the package not found: where it looked, and which option to set', async () => {
    expectSetupError(
      await scenario('test_server', { args: ['--rocketride-package', '/nonexistent/rrdk'] }),
      'The rocketride-deploy-kit package folder /nonexistent/rrdk does not exist. Give the folder of the installed npm package ' +
        '(usually node_modules/rocketride-deploy-kit) with --rocketride-package DIR (pytest) or the ROCKETRIDE_PACKAGE environment variable.',
    );
    expectSetupError(
      await scenario('test_server', { env: { ROCKETRIDE_PACKAGE: join(project, 'plugin') } }),
      `${join(project, 'plugin')} is not the rocketride-deploy-kit package: it has no package.json.`,
    );
    // A project without the package: nothing in or above it (the temp folder) has it.
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(join(elsewhere, 'tests'), { recursive: true });
    await cp(join(project, SCENARIO), join(elsewhere, 'tests/test_it.py'));
    const result = await pytest(['tests/test_it.py::test_server'], { cwd: elsewhere, env: { RRDK_PLUGIN_REPORT: join(dir, 'unused') } });
    expectSetupError(result, 'Cannot find the npm package rocketride-deploy-kit. Looked for:\n');
    // From the rootdir (here where pytest runs: no ini file) upward.
    expect(result.output).toContain(`\n  ${elsewhere}/node_modules/rocketride-deploy-kit\n  ${dir}/node_modules/rocketride-deploy-kit\n`);
    expect(result.output).toContain(
      'Install it in your project (npm install --save-dev rocketride-deploy-kit), or give its folder with --rocketride-package DIR',
    );
  }, 30_000);

  it('a server that fails to start: its exit code and its stderr, quoted', async () => {
    const result = await scenario('test_server', { args: ['--rocketride-serve-arg=--users=/nonexistent/users.json'] });
    expectSetupError(result, '`rocketride-deploy-kit serve` failed to start: it exited with code 1 before listening.\ncommand: ');
    expect(result.output).toContain('serve --port 0 --clock fake --users=/nonexistent/users.json\n');
    expect(result.output).toContain('its stderr:\n    rocketride-deploy-kit: Cannot read users file /nonexistent/users.json: ENOENT');
  }, 30_000);

  it('a server that does not start in time is killed', async () => {
    const result = await scenario('test_server', { args: ['--rocketride-start-timeout', '0.001'] });
    expectSetupError(
      result,
      '`rocketride-deploy-kit serve` did not print its start-up lines within 0.001 s, and was killed ' +
        '(give it longer with --rocketride-start-timeout SECONDS or ROCKETRIDE_START_TIMEOUT).\ncommand: ',
    );
  }, 30_000);

  it('a port in use, given through the serve arguments', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const result = await scenario('test_server', { env: { ROCKETRIDE_SERVE_ARGS: `--port ${port}` } });
      expectSetupError(result, '`rocketride-deploy-kit serve` could not listen: the port is in use.');
      expect(result.output).toContain('leave --port out, or give a port nothing else uses');
      expect(result.output).toContain(`Port already in use (127.0.0.1:${port}); pick another with --port`);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  }, 30_000);
});

describe('no server outlives pytest', () => {
  it('after a failing test', async () => {
    const result = await scenario('test_server', { env: { RRDK_PLUGIN_BEHAVE: 'fail' } });
    expect(result.code).toBe(1);
    expect(result.output).toContain('AssertionError: failing on purpose');
    expect(await waitGone(result.reports[0]!.pid, 1)).toBe(true); // stopped before pytest exited
  }, 30_000);

  it('after Ctrl-C (SIGINT) in the middle of a test: the teardown stops it', async () => {
    const report = reportFile();
    const started = startPytest([`${SCENARIO}::test_server`], { env: { RRDK_PLUGIN_REPORT: report.file, RRDK_PLUGIN_BEHAVE: 'hang' } });
    let lines: Report[] = [];
    for (const start = Date.now(); lines.length === 0 && Date.now() - start < 15_000; await new Promise((r) => setTimeout(r, 50)))
      lines = await report.read();
    expect(lines).toHaveLength(1);
    expect(isGone(lines[0]!.pid)).toBe(false);
    started.child.kill('SIGINT');
    const result = await started.done;
    expect(result.code, result.output).toBe(2);
    expect(result.output).toContain('KeyboardInterrupt');
    expect(await waitGone(lines[0]!.pid, 1)).toBe(true);
  }, 30_000);

  it('after pytest is killed (SIGKILL): the watchdog in the server notices and it shuts down', async () => {
    const report = reportFile();
    const started = startPytest([`${SCENARIO}::test_session_server`], {
      env: { RRDK_PLUGIN_REPORT: report.file, RRDK_PLUGIN_BEHAVE: 'hang' },
    });
    let lines: Report[] = [];
    for (const start = Date.now(); lines.length === 0 && Date.now() - start < 15_000; await new Promise((r) => setTimeout(r, 50)))
      lines = await report.read();
    expect(lines).toHaveLength(1);
    started.child.kill('SIGKILL');
    await started.done;
    expect(await waitGone(lines[0]!.pid, 10_000)).toBe(true);
  }, 30_000);

  it('a server started with start_server() and never stopped is stopped at exit', async () => {
    // This script's atexit hook is registered before the plugin's, so it runs after it.
    const script = [
      'import atexit',
      'state = {}',
      "atexit.register(lambda: print('alive at exit:', state['server'].alive, flush=True))",
      'import pytest_rocketride_deploy_kit as kit',
      "state['server'] = kit.start_server()",
      "print('pid', state['server'].pid, flush=True)",
    ].join('\n');
    const { stdout } = await run(python, ['-c', script], { cwd: project, env: cleanEnv() });
    const pid = Number(/^pid (\d+)$/m.exec(stdout)?.[1]);
    serverPids.add(pid);
    expect(stdout).toContain('alive at exit: False');
    expect(await waitGone(pid, 1)).toBe(true);
  }, 30_000);
});
