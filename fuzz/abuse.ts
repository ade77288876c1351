/**
 * `npm run abuse`: what one careless or hostile client can do to a server, case by case
 * (fuzz/abuse/cases.ts), with an honest bystander beside it. For each case a fresh `serve`
 * runs in a child process, the bystander in another and the abuse in a third (at a lower CPU
 * priority, so its own work is not counted against the server); the bystander's p99 is taken on the
 * idle server and again under the abuse, and the server's resident memory is sampled
 * throughout. Prints one row per case with the goals next to the figures; exit status 1 if the
 * server died or a goal was missed, 2 on bad usage.
 *
 *   npm run abuse -- [--only NAME]... [--idle-seconds N] [--abuse-seconds N]
 */
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startChildServer, type ChildServer } from '../bench/child-server.js';
import { summarize } from '../bench/stats.js';
import { loadUsersFile, type UserSpec } from '../src/index.js';
import type { BystanderWindow } from './abuse/bystander.js';
import { ABUSE_CASES, ABUSERS, abuserKey, BYSTANDER_KEY, type AbuseCase, type Target } from './abuse/cases.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The abusing client's niceness: below the server's and the bystander's CPU priority (see runAbuser). */
const ABUSER_NICE = 19;
/** The resident memory no abuse may take the server past with the default limits (README, Reliability). */
export const RSS_CEILING_MIB = 1536;
/** Under control reads, the bystander's p99 may be at most this many times its idle p99 (issue 17). */
const READS_P99_GOAL = 2;
const SETUP_TIMEOUT_MS = 180_000;

interface Row {
  readonly name: string;
  readonly idle: ReturnType<typeof summarize>;
  readonly abused: ReturnType<typeof summarize>;
  readonly connects: ReturnType<typeof summarize>;
  readonly failures: readonly string[];
  readonly peakRssMiB: number;
  readonly alive: boolean;
  readonly outcome: string;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      'idle-seconds': { type: 'string', default: '10' },
      'abuse-seconds': { type: 'string', default: '10' },
    },
  });
  const seconds = (name: 'idle-seconds' | 'abuse-seconds') => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got '${values[name]}'`);
    return n * 1000;
  };
  const names = ABUSE_CASES.map((c) => c.name);
  for (const name of values.only ?? [])
    if (!names.includes(name)) throw new UsageError(`--only takes one of: ${names.map((n) => `'${n}'`).join(', ')}; got '${name}'`);
  const cases = ABUSE_CASES.filter((c) => values.only === undefined || values.only.includes(c.name));
  console.log(`npm run abuse: ${cases.length} cases, node ${process.version}; RSS ceiling ${RSS_CEILING_MIB} MiB with the default limits`);

  const rows: Row[] = [];
  for (const abuseCase of cases) {
    process.stderr.write(`  ${abuseCase.name}: ${abuseCase.does}\n`);
    rows.push(await runCase(abuseCase, seconds('idle-seconds'), Math.max(seconds('abuse-seconds'), abuseCase.minAbuseMs ?? 0)));
  }
  return report(rows) ? 0 : 1;
}

class UsageError extends Error {}

async function runCase(abuseCase: AbuseCase, idleMs: number, abuseMs: number): Promise<Row> {
  const dir = await mkdtemp(join(tmpdir(), 'rrdk-abuse-'));
  let server: ChildServer | undefined;
  let bystander: Bystander | undefined;
  try {
    const users = join(dir, 'users.json');
    await writeUsers(users);
    const extra = (abuseCase.serveArgs ?? []).map((arg) => arg.replace('{dir}', dir));
    server = await startChildServer(
      abuseCase.name,
      ['dist/cli.js', 'serve', '--port', '0', '--quiet', '--clock', 'fake', '--users', users, ...extra],
      ROOT,
    );
    const target = targetOf(server.url);
    await withTimeout(abuseCase.setup?.(target) ?? Promise.resolve(), SETUP_TIMEOUT_MS, `${abuseCase.name}: setup`);
    bystander = await Bystander.start(server.url, abuseCase.bystanderChanges ? 'change' : 'read');
    await bystander.mark();
    await sleep(idleMs);
    const idle = await bystander.mark();
    const rss = sampleRss(server.pid);
    const outcome = await runAbuser(abuseCase.name, target, Date.now() + abuseMs);
    const abused = await bystander.mark();
    const peakRssMiB = rss.stop();
    return {
      name: abuseCase.name,
      idle: summarize(idle.latencies),
      abused: summarize(abused.latencies),
      connects: summarize(abused.connects),
      failures: [...idle.failures, ...abused.failures],
      peakRssMiB,
      alive: !server.hasExited(),
      outcome: server.hasExited() ? `${outcome}; SERVER DIED: ${server.stderrTail().slice(-400)}` : outcome,
    };
  } finally {
    await bystander?.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a case's abuse in its own process (fuzz/abuse/abuser.ts) at nice 19: on a 2-core machine
 * the abusing client, the server and the bystander would otherwise share the CPU, and the
 * bystander's figures would count the abuser's own parsing as the server's stall.
 */
async function runAbuser(name: string, target: Target, until: number): Promise<string> {
  const child = await forkReady('fuzz/abuse/abuser.ts', [], 'the abuser');
  try {
    try {
      setPriority(child.pid!, ABUSER_NICE);
    } catch (error) {
      process.stderr.write(`  (the abuser runs at normal priority: ${(error as Error).message})\n`);
    }
    return await withTimeout(
      new Promise<string>((resolve, reject) => {
        child.once('message', (answer) => resolve((answer as { outcome: string }).outcome));
        child.send({ name, target, until });
        child.once('exit', (code) => reject(new Error(`the abuser exited (${code}) without an outcome`)));
      }),
      until - Date.now() + 60_000,
      `${name}: the abuse`,
    ).catch((error: Error) => `the abuse stopped: ${error.message}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** The demo users (the bystander is alice) and the abusers, each a full user with its own key. */
async function writeUsers(path: string): Promise<void> {
  const abusers: UserSpec[] = Array.from({ length: ABUSERS }, (_, i) => ({
    userId: `abuser-${i}`,
    keys: [abuserKey(i)],
    defaultTeam: 'abuse',
    organizations: [{ id: 'abuse', name: 'Abuse', permissions: ['org.admin'], teams: [{ id: 'abuse', name: 'Abuse', permissions: [] }] }],
  }));
  await writeFile(path, JSON.stringify({ users: [...(await loadUsersFile()), ...abusers] }));
}

function targetOf(url: string): Target {
  const parsed = new URL(url);
  return {
    url,
    control: `http://${parsed.host}/control`,
    host: parsed.hostname,
    port: Number(parsed.port),
  };
}

/** A child running `script` (with tsx), once it said it is ready (its first IPC message). */
async function forkReady(script: string, args: string[], who: string): Promise<ReturnType<typeof fork>> {
  const child = fork(join(ROOT, script), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`${who} exited (${code}) before it was ready`)));
    }),
    30_000,
    `${who}: its start`,
  );
  return child;
}

/** The bystander child (fuzz/abuse/bystander.ts), asked over IPC for what it saw. */
class Bystander {
  private constructor(private readonly child: ReturnType<typeof fork>) {}

  static async start(url: string, mode: 'read' | 'change'): Promise<Bystander> {
    return new Bystander(await forkReady('fuzz/abuse/bystander.ts', [url, BYSTANDER_KEY, mode], 'the bystander'));
  }

  /** What it saw since the last mark. */
  mark(): Promise<BystanderWindow> {
    return withTimeout(
      new Promise((resolve) => {
        this.child.once('message', (window) => resolve(window as BystanderWindow));
        this.child.send({ mark: true });
      }),
      30_000,
      'the bystander mark',
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || !this.child.connected) return;
    this.child.send({ stop: true });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await new Promise((resolve) => this.child.once('exit', resolve));
    clearTimeout(timer);
  }
}

/** Samples a process's resident memory every 25 ms (Linux: /proc); `stop` gives the peak in MiB. */
function sampleRss(pid: number): { stop(): number } {
  let peak = 0;
  let stopped = false;
  const read = async () => {
    while (!stopped) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kb / 1024);
      await sleep(25);
    }
  };
  void read();
  return {
    stop: () => {
      stopped = true;
      return Math.round(peak);
    },
  };
}

function report(rows: readonly Row[]): boolean {
  const ms = (n: number) => (Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(0));
  console.log('');
  console.log(
    '| abuse | bystander p99 idle / under it (ms) | ratio | new connections p99 (ms) | bystander failures | peak RSS (MiB) | server |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  let held = true;
  for (const row of rows) {
    const ratio = row.abused.p99 / row.idle.p99;
    const readsGoal = row.name === 'control reads' ? ` (goal ≤ ${READS_P99_GOAL})` : '';
    if (row.name === 'control reads' && !(ratio <= READS_P99_GOAL)) held = false;
    if (!row.alive || row.peakRssMiB > RSS_CEILING_MIB) held = false;
    console.log(
      `| ${row.name} | ${ms(row.idle.p99)} / ${ms(row.abused.p99)} | ${ratio.toFixed(2)}${readsGoal} | ${ms(row.connects.p99)} | ` +
        `${row.failures.length} | ${row.peakRssMiB} (goal ≤ ${RSS_CEILING_MIB}) | ${row.alive ? 'alive' : 'DIED'} |`,
    );
  }
  console.log('');
  for (const row of rows) {
    console.log(`${row.name}: ${row.outcome}`);
    const samples = [...new Set(row.failures)].slice(0, 3);
    if (samples.length > 0) console.log(`  bystander failures (${row.failures.length}): ${samples.join('; ')}`);
  }
  console.log(held ? '\nRESULT: every goal held' : '\nRESULT: a goal was missed (above)');
  return held;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? `npm run abuse: ${error.message}` : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
