/**
 * Runs the conformance checks (shipped in this package) against a target through vitest's
 * programmatic API, and folds the results into a per-clause report. The default target is the
 * kit's own mock, started in-process; any server can be given by URL.
 * @since 0.3.0
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunnerTestCase, RunnerTestFile } from 'vitest';
import { startVitest } from 'vitest/node';
import { createMockServer, toServiceUrl, type MockServer } from 'rocketride-deploy-kit';
import { DapConnection } from './dap.js';
import { parseReplayToken } from './replay.js';
import { buildReport, clausesOf, formatReport, reportJson, reportJunit, type CheckResult, type ConformanceReport } from './report.js';
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
  /** Requests per second, per check file (Infinity: unpaced). Default: unpaced in-process and on loopback, 20 against a remote target. */
  maxRps?: number;
  /** Re-runs exactly one failing case, from the token a failure printed. */
  replay?: string;
  /** Also write the report as JSON / JUnit XML to these files. */
  json?: string;
  junit?: string;
  /** Where the live progress line goes. Default: stderr. Pass null for none. */
  progress?: NodeJS.WritableStream | null;
  /** Test-only: start the in-process mock with these deliberate faults (see the mutants test). */
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

/** Runs the suite; resolves with the report (and writes the files asked for). */
export async function runConformance(options: ConformanceOptions = {}): Promise<ConformanceReport> {
  if (options.sdkModule !== undefined || options.sdkDriver !== undefined) return runSdkConformance(options);
  const started = Date.now();
  const replay = options.replay === undefined ? undefined : parseReplayToken(options.replay);
  let server: MockServer | undefined;
  let config: TargetConfig;
  const prefix = `rrdk-conf-${started.toString(36)}-${randomBytes(3).toString('hex')}-`;
  const common = {
    profile: options.profile ?? 'spec',
    seed: replay?.seed ?? options.seed ?? DEFAULT_SEED,
    prefix,
    ...(replay && { replay }),
  } as const;

  if (options.target === undefined) {
    server = await createMockServer({
      port: 0,
      clock: { mode: 'fake', startAt: MOCK_START },
      ...(options.mutants && ({ mutants: options.mutants } as object)),
    });
    config = {
      ...common,
      url: server.url,
      keys: { primary: 'MYAPIKEY', secondary: 'ALICEKEY', monitor: 'MONITORKEY', noPermission: 'NOPERMKEY' },
      controlUrl: controlUrlOf(server),
      maxRps: options.maxRps ?? Infinity,
      runs: options.runs ?? 25,
    };
  } else {
    const [primary, secondary] = options.keys ?? [];
    if (!primary) throw new Error('A remote target needs at least one key of a full user: --key KEY');
    const url = toServiceUrl(options.target);
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
      maxRps: options.maxRps ?? (isLoopback(url) ? Infinity : 20),
      runs: options.runs ?? 5,
    };
  }

  // Interrupted (Ctrl-C, a CI timeout): still remove what this run created on a remote target.
  const stopWatching = onInterrupt(() => (server === undefined ? sweep(config) : server.close()));
  try {
    const checks = await runChecks({ dir: CHECKS_DIR, provide: { conformance: config }, oneFileAtATime: server === undefined }, progressOf(options));
    if (server === undefined) await sweep(config);
    const report = buildReport(
      {
        target: options.target === undefined ? `the in-process mock${options.mutants?.length ? ` (mutants: ${options.mutants.join(', ')})` : ''}` : config.url,
        profile: config.profile,
        seed: config.seed,
        runs: config.runs,
        durationMs: Date.now() - started,
        requests: checks.reduce((n, c) => n + (c.requests ?? 0), 0),
        ...dialectOf(checks),
      },
      checks,
      { sdk: 'checked by the SDK runner (an SDK under test), not against a server' },
    );
    await writeReports(report, options);
    return report;
  } finally {
    stopWatching();
    await server?.close();
  }
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
  if (options.sdkModule !== undefined && options.sdkDriver !== undefined) throw new Error('Give either an SDK module or an SDK driver, not both');
  if (options.target !== undefined) throw new Error('An SDK is checked against the in-process mock: --target does not apply');
  const sdk: SdkSpec =
    options.sdkModule !== undefined ? { kind: 'module', module: absoluteModule(options.sdkModule) } : { kind: 'driver', command: options.sdkDriver!, cwd: process.cwd() };
  const timeoutMs = options.sdkTimeoutMs ?? DEFAULT_SDK_TIMEOUT_MS;
  const replay = options.replay === undefined ? undefined : parseReplayToken(options.replay);
  // A larger journal than the default: check files read it side by side, each after its own mark.
  const server = await createMockServer({ port: 0, clock: { mode: 'fake', startAt: MOCK_START }, journal: { entries: 200_000 } });
  // Interrupted: close the mock (the drivers see their standard input close and exit).
  const stopWatching = onInterrupt(() => server.close());
  try {
    const info = await preflight(sdk, server.url, timeoutMs);
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
    const checks = await runChecks({ dir: SDK_CHECKS_DIR, provide: { sdkConformance: config }, oneFileAtATime: false }, progressOf(options));
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

/** `rocketride 1.1.0 (python, through the driver "python3 ...")`, without saying the module twice. */
function sdkName(info: SdkInfo, options: ConformanceOptions): string {
  if (options.sdkModule !== undefined) return `the SDK module ${options.sdkModule}${info.sdk === options.sdkModule || info.sdk === absoluteModule(options.sdkModule) ? '' : ` (${info.sdk})`}`;
  return `${info.sdk} (${info.language}, through the driver "${options.sdkDriver}")`;
}

/** Starts the SDK once and asks what it is; a driver that cannot start fails the run here. */
async function preflight(sdk: SdkSpec, uri: string, timeoutMs: number): Promise<SdkInfo> {
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

async function runChecks(run: CheckRun, progress: NodeJS.WritableStream | null): Promise<Collected[]> {
  let done = 0;
  let failed = 0;
  const line = (text: string) => progress?.write((progress as { isTTY?: boolean }).isTTY ? `\r${text}\u001b[K` : `${text}\n`);
  const vitest = await startVitest(
    'test',
    [],
    {
      root: PACKAGE_ROOT,
      config: false,
      include: [`${relative(PACKAGE_ROOT, run.dir).split('\\').join('/')}/*.check.js`],
      // Installed as a dependency, the checks live under node_modules: vitest must not skip them.
      exclude: [],
      watch: false,
      fileParallelism: !run.oneFileAtATime,
      reporters: [
        {
          onTestCaseResult(test: { result(): { state: string } }) {
            done += 1;
            if (test.result().state === 'failed') failed += 1;
            if (done % 5 === 0 || (progress as { isTTY?: boolean } | null)?.isTTY) line(`conformance: ${done} checks done, ${failed} failed`);
          },
        },
      ],
      provide: run.provide,
      passWithNoTests: false,
    },
    {},
    {},
  );
  if (!vitest) throw new Error('vitest did not start');
  if ((progress as { isTTY?: boolean } | null)?.isTTY) progress?.write('\n');
  try {
    const results: Collected[] = [];
    for (const file of vitest.state.getFiles()) collect(file, results);
    const loadErrors = vitest.state.getUnhandledErrors();
    if (results.length === 0 || loadErrors.length > 0) {
      throw new Error(`The conformance checks did not run: ${loadErrors.map((e) => String((e as Error)?.message ?? e)).join('; ') || 'no checks found'}`);
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

function metaOf(meta: unknown): { notes?: Record<string, string>; requests?: number; violated?: string[] } {
  const m = (meta ?? {}) as { notes?: Record<string, string>; requests?: number; violated?: unknown };
  return {
    ...(m.notes && { notes: m.notes }),
    ...(typeof m.requests === 'number' && { requests: m.requests }),
    ...(Array.isArray(m.violated) && { violated: m.violated.filter((v): v is string => typeof v === 'string') }),
  };
}

/** The record dialect the checks saw (REC-2), if any check noted one. */
function dialectOf(checks: readonly Collected[]): { dialect?: string } {
  const seen = [...new Set(checks.map((c) => c.notes?.['dialect']).filter((d): d is string => d !== undefined))];
  return seen.length > 0 ? { dialect: seen.join(', ') } : {};
}

/**
 * Against a remote target, removes any deployment of this run still there (a check that was
 * interrupted may have left one): only ids with this run's prefix are touched.
 */
async function sweep(config: TargetConfig): Promise<void> {
  const keys = [config.keys.primary, config.keys.secondary].filter((k): k is string => k !== undefined);
  const transcript = new Transcript();
  for (const key of keys) {
    let connection: DapConnection | undefined;
    try {
      connection = await DapConnection.open(config.url, 'sweep', transcript, pacer(config.maxRps));
      if ((await connection.request('auth', { auth: key })).success !== true) continue;
      const list = await connection.request('rrext_deploy_list');
      const records = (list.body?.deployments ?? []) as Array<{ pipeline?: { project_id?: unknown } }>;
      for (const record of records) {
        const id = record.pipeline?.project_id;
        if (typeof id === 'string' && id.startsWith(config.prefix)) await connection.request('rrext_deploy_remove', { projectId: id });
      }
    } catch {
      // best effort: the report must still be printed
    } finally {
      await connection?.close();
    }
  }
}

export { formatReport, reportJson, reportJunit };
export type { ConformanceReport };

/** Whether a target URL names this machine: nothing there to protect from a fast run. */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
