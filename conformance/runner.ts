/**
 * Runs the conformance checks (shipped in this package) against a target through vitest's
 * programmatic API, and folds the results into a per-clause report. The default target is the
 * kit's own mock, started in-process; any server can be given by URL.
 * @since 0.3.0
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunnerTestCase, RunnerTestFile } from 'vitest';
import { createVitest, type Vitest } from 'vitest/node';
import { createMockServer, toServiceUrl, type MockServer, type MockServerOptions } from 'rocketride-deploy-kit';
import { DapConnection } from './dap.js';
import type { Finding } from './findings.js';
import { PreflightError, preflight, readClock } from './preflight.js';
import { parseReplayToken, type ReplaySpec } from './replay.js';
import {
  buildReport,
  clausesOf,
  formatReport,
  reportJson,
  reportJunit,
  reportMarkdown,
  type CheckResult,
  type ConformanceReport,
} from './report.js';
import { DEFAULT_SDK_TIMEOUT_MS, type SdkInfo, type SdkSpec } from './sdk/driver.js';
import { importTarget, parseModuleSpec } from './sdk/module-driver.js';
import { startSdk, type SdkTargetConfig } from './sdk/sdk-target.js';
import { pacer, type Profile, type TargetConfig } from './target.js';
import { Transcript } from './transcript.js';

export interface ConformanceOptions {
  /** A server's DAP URL (`ws://host:5565/task/service`, `localhost:5565`, ...). Default: the in-process mock. */
  target?: string;
  /** Keys of full users: the first is required for a remote target; a second enables the isolation clauses. */
  keys?: string[];
  monitorKey?: string;
  noPermissionKey?: string;
  /** Bearer token of the target's control API, if it requires one. */
  controlToken?: string;
  profile?: Profile;
  /** Default: a fixed seed, so runs are repeatable (CI included). */
  seed?: number;
  /** fast-check runs per property. Default 25 in-process, 5 against a remote target. */
  runs?: number;
  /** Requests per second, per check file (0 or Infinity: unpaced). Default: unpaced in-process and on loopback, 20 against a remote target. */
  maxRps?: number;
  /** Re-runs exactly one failing case, from the token a failure printed. */
  replay?: string;
  /** Also write the report as JSON / JUnit XML to these files. */
  json?: string;
  junit?: string;
  /** Where the live progress line goes. Default: stderr. Pass null for none. */
  progress?: NodeJS.WritableStream | null;
  /** A failed SHOULD or NOTE clause fails the run too (and is a JUnit failure). */
  strict?: boolean;
  /**
   * Which secrets were given as flags (default: all): the replay command a failure prints names
   * them, to be given again; the others are read from the RRDK_* variables again. No secret is printed.
   */
  secretsFromFlags?: ReadonlyArray<'keys' | 'monitorKey' | 'noPermissionKey' | 'controlToken'>;
  /**
   * Test-only: start the in-process mock with these mutants built in (deliberately broken
   * servers, made by createMutantServer of `rocketride-deploy-kit/testing`; see the mutants test).
   */
  mutants?: string[];
  /**
   * Check an SDK instead of a server (the SDK-* clauses): a module exporting a factory
   * `({ uri, key }) => client` (`path[#export]`), or a command speaking the stdio driver
   * protocol (conformance/sdk-driver-protocol.md). The SDK talks to an in-process mock.
   */
  sdkModule?: string;
  sdkDriver?: string;
  /** How long one SDK call may take before it counts as a hang. Default 10 s. */
  sdkTimeoutMs?: number;
}

export const DEFAULT_SEED = 20261126;
const CHECKS_DIR = fileURLToPath(new URL('./checks/', import.meta.url));
const SDK_CHECKS_DIR = fileURLToPath(new URL('./sdk-checks/', import.meta.url));
/** Where the in-process mock's fake clock starts, for server and SDK runs alike. */
const MOCK_START = '2026-01-05T10:07:00Z';
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the suite; resolves with the report (and writes the files asked for). Throws a PreflightError when the run cannot start. */
export async function runConformance(options: ConformanceOptions = {}): Promise<ConformanceReport> {
  if (options.sdkModule !== undefined || options.sdkDriver !== undefined) return runSdkConformance(options);
  const started = Date.now();
  const replay = options.replay === undefined ? undefined : readToken(options.replay);
  const run = replay ? replayedRun(replay, options) : options;
  const requestedRps = run.maxRps === 0 ? Infinity : run.maxRps; // 0 means unpaced, as on the command line
  let server: MockServer | undefined;
  let config: TargetConfig;
  const prefix = `rrdk-conf-${started.toString(36)}-${randomBytes(3).toString('hex')}-`;
  const common = {
    profile: run.profile ?? 'spec',
    seed: replay?.seed ?? options.seed ?? DEFAULT_SEED,
    prefix,
    ...(replay && { replay }),
  } as const;

  if (run.target === undefined) {
    const maxRps = requestedRps ?? Infinity;
    const runs = run.runs ?? 25;
    config = {
      ...common,
      url: 'ws://127.0.0.1:0/task/service', // set once the mock listens
      keys: { primary: 'MYAPIKEY', secondary: 'ALICEKEY', monitor: 'MONITORKEY', noPermission: 'NOPERMKEY' },
      maxRps,
      runs,
      replayRun: { profile: common.profile, runs, maxRps: Number.isFinite(maxRps) ? maxRps : 0 },
      replayCommand: replayCommandOf({ ...options, profile: common.profile }, undefined),
    };
  } else {
    const [primary, secondary] = options.keys ?? [];
    if (!primary) {
      throw new PreflightError(
        replay
          ? `This token replays a failure seen on ${run.target}: give the keys of that run (--key KEY, twice for two users, --monitor-key, --no-permission-key, or the RRDK_* variables)`
          : 'A remote target needs at least one key of a full user: --key KEY (or RRDK_KEYS)',
      );
    }
    const url = targetUrl(run.target);
    const maxRps = requestedRps ?? (isLoopback(url) ? Infinity : DEFAULT_REMOTE_RPS);
    const runs = run.runs ?? 5;
    config = {
      ...common,
      url,
      keys: {
        primary,
        ...(secondary && { secondary }),
        ...(options.monitorKey && { monitor: options.monitorKey }),
        ...(options.noPermissionKey && { noPermission: options.noPermissionKey }),
      },
      controlUrl: url.replace(/^ws/, 'http').replace(/\/task\/service$/, '/control'),
      ...(options.controlToken && { controlToken: options.controlToken }),
      maxRps,
      runs,
      replayRun: { target: url, profile: common.profile, runs, maxRps: Number.isFinite(maxRps) ? maxRps : 0 },
      replayCommand: replayCommandOf(options, url),
    };
  }

  const remote = run.target !== undefined;
  let ledger: string | undefined;
  let cleaned: string[] | undefined;
  const checksRun: { vitest?: Vitest } = {};
  let finishing: Promise<void> | undefined;
  /** Stops the checks (their workers with them), then removes what the run created; once, whoever asks first. */
  const finish = (): Promise<void> =>
    (finishing ??= (async () => {
      await checksRun.vitest?.close().catch(() => undefined);
      if (remote && cleaned === undefined) cleaned = await cleanUp(config);
      await server?.close();
      if (ledger) await rm(ledger, { recursive: true, force: true });
    })());
  // Interrupted (Ctrl-C, a CI timeout): the checks stop first, so nothing is added after the sweep.
  const stopWatching = onInterrupt(finish);
  try {
    ledger = await mkdtemp(join(tmpdir(), 'rrdk-ledger-'));
    config = { ...config, ledger };
    if (!remote) {
      server = await startMock(options.mutants, { port: 0, clock: { mode: 'fake', startAt: MOCK_START } });
      config = { ...config, url: server.url, controlUrl: controlUrlOf(server) };
    }
    const found = await preflight(config, paceLine(config, remote, run.maxRps === 0));
    config = { ...config, capabilities: [...found.capabilities] };
    if (replay) found.header.unshift(`replaying one case of: ${replay.check}`);
    progressOf(options)?.write(`${found.header.map((line) => `conformance: ${line}`).join('\n')}\n`);
    const secrets = [...Object.entries(config.keys), ...(config.controlToken ? [['control', config.controlToken] as const] : [])];
    const checks = redacted(
      await runChecks({ dir: CHECKS_DIR, provide: { conformance: config }, oneFileAtATime: remote }, progressOf(options), checksRun),
      secrets,
    );
    if (replay && !checks.some((check) => check.name === replay.check && check.state !== 'skip')) {
      throw new PreflightError(`The check this token replays is not in this version of the suite (or could not run here): ${replay.check}`);
    }
    if (remote) cleaned = await cleanUp(config);
    const clockMoved = found.clock === undefined ? undefined : await clockMove(config, found.clock);
    const report = buildReport(
      {
        target: remote ? config.url : `the in-process mock${options.mutants?.length ? ` (mutants: ${options.mutants.join(', ')})` : ''}`,
        profile: config.profile,
        seed: config.seed,
        runs: config.runs,
        durationMs: Date.now() - started,
        requests: checks.reduce((n, c) => n + (c.requests ?? 0), 0),
        header: found.header,
        ...(cleaned && { leftovers: cleaned }),
        ...(clockMoved && { clockMoved }),
        ...(options.strict && { strict: true }),
        ...dialectOf(checks),
      },
      checks,
      { sdk: 'checked by the SDK runner (an SDK under test), not against a server' },
    );
    await writeReports(report, options);
    return report;
  } finally {
    stopWatching();
    await finish();
  }
}

/** Check results with the run's secrets spelled `<primary key>` and the like, in failures and findings alike. */
function redacted(checks: Collected[], secrets: ReadonlyArray<readonly [string, string | undefined]>): Collected[] {
  const known = secrets.filter((entry): entry is readonly [string, string] => entry[1] !== undefined && entry[1].length >= 4);
  const clean = (text: string) =>
    known.reduce((t, [role, secret]) => t.split(secret).join(`<${role === 'control' ? 'control token' : `${role} key`}>`), text);
  return checks.map((check) => ({
    ...check,
    ...(check.detail !== undefined && { detail: clean(check.detail) }),
    ...(check.findings && { findings: check.findings.map((f) => ({ ...f, message: clean(f.message) })) }),
  }));
}

/** The target's DAP URL, or a PreflightError saying what is wrong with the one given. */
function targetUrl(target: string): string {
  try {
    const url = toServiceUrl(target);
    new URL(url); // a port out of range and the like
    return url;
  } catch (error) {
    throw new PreflightError(
      `--target ${JSON.stringify(target)} is no DAP URL (${error instanceof Error ? error.message : String(error)}): give ws://host:port/task/service, host:port or https://host`,
    );
  }
}

/** A replay token, or a PreflightError saying what is wrong with it. */
function readToken(token: string): ReplaySpec {
  try {
    return parseReplayToken(token);
  } catch (error) {
    throw new PreflightError(error instanceof Error ? error.message : String(error));
  }
}

/** Requests per second against a target that is not on this machine, unless --max-rps says otherwise. */
const DEFAULT_REMOTE_RPS = 20;
/** About how many frames a default run sends (measured: 3,000 to 3,500 against the mock at 5 runs per property). */
const FRAMES_PER_RUN = 3500;

function paceLine(config: TargetConfig, remote: boolean, asked: boolean): string {
  if (!Number.isFinite(config.maxRps))
    return `pace: unpaced (${asked ? '--max-rps 0' : remote ? 'a target on this machine' : 'the in-process mock'})`;
  const seconds = Math.ceil((FRAMES_PER_RUN * (config.runs / 5)) / config.maxRps);
  return `pace: at most ${config.maxRps} requests/s (--max-rps; 0 for unpaced): a run takes about ${seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`}`;
}

/**
 * What a replay runs against: the token's own target and options. A token is never replayed
 * against another server than the one it was made on, nor a remote one against the in-process mock.
 */
function replayedRun(replay: ReplaySpec, options: ConformanceOptions): ConformanceOptions {
  if (options.target !== undefined && replay.target === undefined) {
    throw new PreflightError(`This token replays a failure of the in-process mock, not of ${options.target}: run it without --target`);
  }
  if (options.target !== undefined && replay.target !== undefined && toServiceUrl(options.target) !== replay.target) {
    throw new PreflightError(
      `This token replays a failure seen on ${replay.target}; it is never run against another server (--target ${options.target}): drop --target`,
    );
  }
  const differs = (
    [
      ['--profile', options.profile, replay.profile],
      ['--runs', options.runs, replay.runs],
      ['--max-rps', options.maxRps === Infinity ? 0 : options.maxRps, replay.maxRps],
    ] as const
  ).filter(([, given, recorded]) => given !== undefined && recorded !== undefined && given !== recorded);
  if (differs.length > 0) {
    throw new PreflightError(
      `A replay runs with the options of the run it came from: drop ${differs.map(([flag, , recorded]) => `${flag} (the run had ${recorded})`).join(', ')}`,
    );
  }
  return {
    ...options,
    ...(replay.target !== undefined && { target: replay.target }),
    ...(replay.profile !== undefined && { profile: replay.profile as Profile }),
    ...(replay.runs !== undefined && { runs: replay.runs }),
    ...(replay.maxRps !== undefined && { maxRps: replay.maxRps === 0 ? Infinity : replay.maxRps }),
  };
}

/** The in-process mock: a mutant server when mutants are named (the test-only module is loaded only then). */
async function startMock(mutants: readonly string[] | undefined, options: MockServerOptions): Promise<MockServer> {
  if (!mutants?.length) return createMockServer(options);
  const { createMutantServer } = await import('rocketride-deploy-kit/testing');
  return createMutantServer(mutants, options);
}

/**
 * The command that replays one case, `TOKEN` standing for the token. Secrets are never printed
 * (a report ends up in CI logs and artifacts): keys from the RRDK_* variables are read from them
 * again, so the command runs as printed; keys given as flags are named, to be given again.
 */
function replayCommandOf(options: ConformanceOptions, url: string | undefined): string {
  const words = ['rocketride-deploy-kit', 'conformance', '--replay', 'TOKEN'];
  if (options.mutants?.length) for (const mutant of options.mutants) words.push('--mutant', shellWord(mutant));
  if (url === undefined) return words.join(' ');
  const flags = new Set(options.secretsFromFlags ?? ['keys', 'monitorKey', 'noPermissionKey', 'controlToken']);
  const again = [
    ...(flags.has('keys') && options.keys?.length ? [options.keys.length > 1 ? '--key (twice)' : '--key'] : []),
    ...(flags.has('monitorKey') && options.monitorKey ? ['--monitor-key'] : []),
    ...(flags.has('noPermissionKey') && options.noPermissionKey ? ['--no-permission-key'] : []),
    ...(flags.has('controlToken') && options.controlToken ? ['--control-token'] : []),
  ];
  return `${words.join(' ')}${again.length ? `   (give again this run's ${again.join(', ')}: keys are not printed)` : ''}`;
}

/** How far the run moved a kit target's fake clock; on a real clock, where it stands now. */
async function clockMove(config: TargetConfig, from: { nowMs: number; mode: string }): Promise<string | undefined> {
  const now = await readClock(config);
  if (!now || 'refused' in now) return undefined;
  if (from.mode !== 'fake')
    return `the target's clock (a real one, moved by the run's advances) went from ${new Date(from.nowMs).toISOString()} to ${new Date(now.nowMs).toISOString()}`;
  return `the run moved the target's clock by ${describeSpan(now.nowMs - from.nowMs)} (from ${new Date(from.nowMs).toISOString()} to ${new Date(now.nowMs).toISOString()})`;
}

function describeSpan(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let left = Math.abs(ms);
  for (const [unit, size] of units) {
    const n = Math.floor(left / size);
    if (n > 0 && parts.length < 3) parts.push(`${n} ${unit}`);
    left -= n * size;
  }
  return `${ms < 0 ? '-' : ''}${parts.join(' ') || `${ms} ms`}`;
}

interface Collected extends CheckResult {
  readonly notes?: Record<string, string>;
  readonly requests?: number;
}

/**
 * Checks an SDK: it talks to an in-process mock (fake clock), and the SDK checks read what it
 * sent from the mock's journal. The driver is started once first, so a broken one fails fast
 * with its own error instead of failing every check.
 */
async function runSdkConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const started = Date.now();
  if (options.sdkModule !== undefined && options.sdkDriver !== undefined)
    throw new Error('Give either an SDK module or an SDK driver, not both');
  if (options.target !== undefined) throw new Error('An SDK is checked against the in-process mock: --target does not apply');
  const sdk: SdkSpec =
    options.sdkModule !== undefined
      ? { kind: 'module', module: absoluteModule(options.sdkModule) }
      : { kind: 'driver', command: options.sdkDriver!, cwd: process.cwd() };
  const timeoutMs = options.sdkTimeoutMs ?? DEFAULT_SDK_TIMEOUT_MS;
  const replay = options.replay === undefined ? undefined : readToken(options.replay);
  // A larger journal than the default: check files read it side by side, each after its own mark.
  const server = await createMockServer({ port: 0, clock: { mode: 'fake', startAt: MOCK_START }, journal: { entries: 200_000 } });
  // Interrupted: close the mock (the drivers see their standard input close and exit).
  const stopWatching = onInterrupt(() => server.close());
  try {
    const info = await startSdkOnce(sdk, server.url, timeoutMs);
    const config: SdkTargetConfig = {
      uri: server.url,
      controlUrl: controlUrlOf(server),
      sdk,
      timeoutMs,
      seed: replay?.seed ?? options.seed ?? DEFAULT_SEED,
      runs: options.runs ?? 25,
      ...(replay && { replay }),
      command:
        `rocketride-deploy-kit conformance ${options.sdkModule !== undefined ? `--sdk-module ${shellWord(options.sdkModule)}` : `--sdk-driver ${shellWord(options.sdkDriver!)}`}` +
        (options.sdkTimeoutMs !== undefined ? ` --sdk-timeout ${options.sdkTimeoutMs}` : ''),
    };
    const checks = await runChecks(
      { dir: SDK_CHECKS_DIR, provide: { sdkConformance: config }, oneFileAtATime: false },
      progressOf(options),
    );
    const report = buildReport(
      {
        target: sdkName(info, options),
        profile: 'sdk',
        seed: config.seed,
        runs: config.runs,
        durationMs: Date.now() - started,
        requests: checks.reduce((n, c) => n + (c.requests ?? 0), 0),
      },
      checks,
      {},
      ['SDK'],
    );
    await writeReports(report, options);
    return report;
  } finally {
    stopWatching();
    await server.close();
  }
}

/** The in-process mock's control API URL. */
function controlUrlOf(server: MockServer): string {
  return `http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}/control`;
}

async function writeReports(report: ConformanceReport, options: ConformanceOptions): Promise<void> {
  if (options.json) await writeFile(options.json, reportJson(report));
  if (options.junit) await writeFile(options.junit, reportJunit(report));
}

/** `rocketride 1.1.0 (python, client opened with connect()/disconnect(), through the driver "python3 ...")`, without saying the module twice. */
function sdkName(info: SdkInfo, options: ConformanceOptions): string {
  if (options.sdkModule !== undefined)
    return `the SDK module ${options.sdkModule}${info.sdk === options.sdkModule || info.sdk === absoluteModule(options.sdkModule) ? '' : ` (${info.sdk})`}`;
  const opened = info.lifecycle ? `, client opened with ${info.lifecycle}` : '';
  return `${info.sdk} (${info.language}${opened}, through the driver "${options.sdkDriver}")`;
}

/** Starts the SDK once and asks what it is; a driver that cannot start fails the run here. */
async function startSdkOnce(sdk: SdkSpec, uri: string, timeoutMs: number): Promise<SdkInfo> {
  const session = await startSdk(sdk, { uri, key: 'MYAPIKEY', timeoutMs });
  await session.close();
  return session.info;
}

/** A module spec whose path is resolved here (check workers may run elsewhere), as the module driver resolves it. */
function absoluteModule(spec: string): string {
  const { specifier, exportName } = parseModuleSpec(spec);
  return `${importTarget(specifier)}#${exportName}`;
}

/** On SIGINT or SIGTERM: `cleanup`, then exit (130 or 143). Returns the way to stop watching. */
function onInterrupt(cleanup: () => Promise<unknown>): () => void {
  const interrupted = async (signal: NodeJS.Signals) => {
    await cleanup();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  return () => {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  };
}

function shellWord(text: string): string {
  return /^[\w@%+=:,./#-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function progressOf(options: ConformanceOptions): NodeJS.WritableStream | null {
  return options.progress === undefined ? process.stderr : options.progress;
}

interface CheckRun {
  /** The compiled check files' directory. */
  readonly dir: string;
  /** What the check files `inject()`. */
  readonly provide: Record<string, unknown>;
  /** A remote target sees one check file at a time, so --max-rps bounds the whole run. */
  readonly oneFileAtATime: boolean;
}

async function runChecks(run: CheckRun, progress: NodeJS.WritableStream | null, holder: { vitest?: Vitest } = {}): Promise<Collected[]> {
  let done = 0;
  let failed = 0;
  let total = 0;
  const tty = (progress as { isTTY?: boolean } | null)?.isTTY === true;
  const line = (text: string) => progress?.write(tty ? `\r${text.slice(0, 160)}\u001b[K` : `${text}\n`);
  const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  const vitest = await createVitest(
    'test',
    {
      root: PACKAGE_ROOT,
      config: false,
      include: [`${relative(PACKAGE_ROOT, run.dir).split('\\').join('/')}/*.check.js`],
      // Installed as a dependency, the checks live under node_modules: vitest must not skip them.
      exclude: [],
      watch: false,
      fileParallelism: !run.oneFileAtATime,
      // Failure messages show the offending values whole, not `[ …(25) ]`.
      chaiConfig: { truncateThreshold: 0 },
      reporters: [
        {
          onTestCaseResult(test: { name: string; result(): { state: string } }) {
            done += 1;
            const state = test.result().state;
            if (state === 'failed') failed += 1;
            const name = test.name.length > 90 ? `${test.name.slice(0, 89)}…` : test.name;
            line(
              `conformance: [${done}/${Math.max(total, done)}] ${state === 'failed' ? 'FAIL' : state === 'skipped' ? 'skip' : 'pass'} ${name}${failed ? ` (${failed} failed so far)` : ''}`,
            );
          },
        },
      ],
      provide: run.provide,
      passWithNoTests: false,
    },
    {},
    {},
  );
  // vitest exits the process 1 ms after a SIGINT; the runner must first stop the checks and
  // remove what they created (onInterrupt), so vitest's own handlers go.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) if (!before[signal].includes(listener)) process.off(signal, listener);
  }
  holder.vitest = vitest;
  try {
    // Collected first (imports only, nothing runs), so progress can say `[12/71]` from the start.
    const collected = await vitest.collect();
    total = collected.testModules.reduce((n, module) => n + [...module.children.allTests()].length, 0);
    await vitest.start();
    if (tty) progress?.write('\n');
    const results: Collected[] = [];
    for (const file of vitest.state.getFiles()) collect(file, results);
    const loadErrors = vitest.state.getUnhandledErrors();
    if (results.length === 0 || loadErrors.length > 0) {
      throw new Error(
        `The conformance checks did not run: ${loadErrors.map((e) => String((e as Error)?.message ?? e)).join('; ') || 'no checks found'}`,
      );
    }
    // vitest sets a failing exit code for failed checks: the report decides the exit code instead.
    process.exitCode = undefined;
    return results;
  } finally {
    await vitest.close();
  }
}

function collect(file: RunnerTestFile, into: Collected[]): void {
  const visit = (tasks: readonly unknown[]) => {
    for (const task of tasks as Array<RunnerTestCase & { tasks?: unknown[] }>) {
      if (task.type !== 'test') {
        visit(task.tasks ?? []);
        continue;
      }
      const state = task.result?.state;
      const errors = task.result?.errors ?? [];
      into.push({
        name: task.name,
        file: file.name.split('/').pop() ?? file.name,
        clauses: clausesOf(task.name),
        state: state === 'pass' ? 'pass' : state === 'fail' ? 'fail' : 'skip',
        ...(state === 'fail' && { detail: errors.map((e) => e.message ?? String(e)).join('\n') }),
        ...(state !== 'pass' && state !== 'fail' && { detail: (task.result as { note?: string } | undefined)?.note ?? 'skipped' }),
        durationMs: task.result?.duration ?? 0,
        ...metaOf(task.meta),
      });
    }
  };
  visit(file.tasks);
}

function metaOf(meta: unknown): {
  notes?: Record<string, string>;
  requests?: number;
  violated?: string[];
  findings?: Finding[];
  stopped?: boolean;
  harnessFault?: string;
} {
  const m = (meta ?? {}) as {
    notes?: Record<string, string>;
    requests?: number;
    violated?: unknown;
    findings?: unknown;
    stopped?: unknown;
    harnessFault?: unknown;
  };
  return {
    ...(m.stopped === true && { stopped: true }),
    ...(typeof m.harnessFault === 'string' && { harnessFault: m.harnessFault }),
    ...(m.notes && { notes: m.notes }),
    ...(typeof m.requests === 'number' && { requests: m.requests }),
    ...(Array.isArray(m.violated) && { violated: m.violated.filter((v): v is string => typeof v === 'string') }),
    ...(Array.isArray(m.findings) && { findings: m.findings as Finding[] }),
  };
}

/** The record dialect the checks saw (REC-2), if any check noted one. */
function dialectOf(checks: readonly Collected[]): { dialect?: string } {
  const seen = [...new Set(checks.map((c) => c.notes?.['dialect']).filter((d): d is string => d !== undefined))];
  return seen.length > 0 ? { dialect: seen.join(', ') } : {};
}

/**
 * Against a remote target, removes every deployment this run created and is still there: every
 * add that succeeded (the check files' ledger, whatever the id, `7.25` included) and every listed
 * id with this run's prefix (a check interrupted before its ledger line). Answers what it could not
 * remove, as `user: id`; nothing else on the target is touched.
 */
async function cleanUp(config: TargetConfig): Promise<string[]> {
  const byKey = new Map<string, Map<string, unknown>>();
  const note = (key: string, projectId: unknown) => {
    let ids = byKey.get(key);
    if (!ids) byKey.set(key, (ids = new Map()));
    ids.set(JSON.stringify(projectId), projectId);
  };
  // Both full users' lists are swept for the run's prefix, whatever the ledger holds.
  for (const key of [config.keys.primary, config.keys.secondary]) if (key !== undefined && !byKey.has(key)) byKey.set(key, new Map());
  for (const file of config.ledger ? await readdir(config.ledger).catch(() => []) : []) {
    const text = await readFile(join(config.ledger!, file), 'utf8').catch(() => '');
    for (const line of text.split('\n').filter(Boolean)) {
      // A role of the run's own keys (no key is written to disk), or a key a check created itself.
      const entry = JSON.parse(line) as { role?: keyof TargetConfig['keys']; key?: string; projectId: unknown };
      const key = entry.role !== undefined ? config.keys[entry.role] : entry.key;
      if (key !== undefined) note(key, entry.projectId);
    }
  }
  const transcript = new Transcript();
  const left: string[] = [];
  for (const [key, ids] of byKey) {
    let connection: DapConnection | undefined;
    let who = 'a user';
    try {
      connection = await DapConnection.open(config.url, 'cleanup', transcript, pacer(config.maxRps));
      const auth = await connection.request('auth', { auth: key });
      if (auth.success !== true) throw new Error(String(auth.message));
      who = String(auth.body?.userId ?? who);
      const list = await connection.request('rrext_deploy_list');
      for (const record of (list.body?.deployments ?? []) as Array<{ pipeline?: { project_id?: unknown } }>) {
        const id = record.pipeline?.project_id;
        if (typeof id === 'string' && id.startsWith(config.prefix)) ids.set(JSON.stringify(id), id);
      }
      for (const projectId of ids.values()) await connection.request('rrext_deploy_remove', { projectId });
      // Still there, by list (what a user sees) or by status (what a lookup finds)?
      const after = await connection.request('rrext_deploy_list');
      const listed = new Set(
        ((after.body?.deployments ?? []) as Array<{ pipeline?: { project_id?: unknown } }>).map((r) =>
          JSON.stringify(r.pipeline?.project_id),
        ),
      );
      for (const [text, projectId] of ids) {
        if (listed.has(text) || (await connection.request('rrext_deploy_status', { projectId })).success === true)
          left.push(`${who}: ${text}`);
      }
    } catch (error) {
      for (const projectId of ids.values())
        left.push(`${who}: ${JSON.stringify(projectId)} (${error instanceof Error ? error.message : String(error)})`);
    } finally {
      await connection?.close();
    }
  }
  return left;
}

export { PreflightError } from './preflight.js';
export { formatReport, reportJson, reportJunit, reportMarkdown };
export type { ConformanceReport };

/** Whether a target URL names this machine: nothing there to protect from a fast run. */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
