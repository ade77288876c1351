/**
 * Sustained load with the limits on: the mock (in its own process, `--max-connections` at its
 * default) and the bare `ws` server replaying the mock's replies (bench/replay.ts) each hold the same number of authenticated connections
 * at once, all driven together in closed loops; then the mock is filled to its connection limit
 * and one more connection must be refused (1013, naming the limit) while the held ones keep
 * answering. Figures are messages/s, latency and each server's RSS, and mock/echo ratios.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type WebSocket from 'ws';
import { startChildServer, type ChildServer } from './child-server.js';
import { benchUserKey, type BenchConfig } from './config.js';
import { mergeLoads, type LoadResult } from './load-client.js';
import { dapResponse, type ReplyRule } from './replies.js';
import { ReplyRecorder, startReplayEcho } from './replay.js';
import { figuresLine } from './report.js';
import { figuresOf, type ServerFigures, type ServerKind } from './results.js';
import { admissionOf, closeSocket, HeldConnections, openUnauthenticated, type Admission, type PhaseResult } from './sustained-client.js';
import { writeBenchUsers } from './users-file.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USERS_FILE = join(ROOT, '.bench', 'users-sustained.json');
/** How long the connection past the limit may stay open before it counts as admitted. */
const REFUSAL_WAIT_MS = 3_000;
/** wire: a connection past the limit is closed with 1013 (try again later). */
const CLOSE_TRY_AGAIN_LATER = 1013;
/** How long the held mock connections run the load for its replies to be recorded. */
const RECORDING_MS = 500;

export interface SustainedServer extends ServerFigures {
  /** The server process's resident set: before any connection, with all held, after the load. */
  readonly rssIdleMb: number;
  readonly rssHeldMb: number;
  readonly rssAfterLoadMb: number;
}

export interface LimitCheck {
  readonly maxConnections: number;
  /** Connections open (held plus unauthenticated fillers) when one more was tried. */
  readonly openBefore: number;
  readonly extra: Admission;
  /** One list on every held connection, after the refusal. */
  readonly heldAfter: PhaseResult;
  readonly holds: boolean;
}

export interface SustainedResult {
  readonly connections: number;
  readonly batch: number;
  readonly rounds: number;
  readonly echo: SustainedServer;
  readonly mock: SustainedServer;
  readonly throughputRatio: number;
  readonly p99Ratio: number;
  readonly meetsThroughputGoal: boolean;
  readonly meetsP99Goal: boolean;
  readonly limit: LimitCheck;
  /** Failed or missing replies over the whole run, plus one if the limit did not hold. */
  readonly failures: number;
}

export async function measureSustained(config: BenchConfig): Promise<SustainedResult> {
  const { sustainedConnections: count, sustainedBatch: batch, sustainedMaxConnections: maxConnections } = config;
  if (count > maxConnections) throw new Error(`sustained: ${count} connections cannot be held under a limit of ${maxConnections}`);
  await writeBenchUsers(USERS_FILE, count);
  const servers: ChildServer[] = [];
  const held: HeldConnections[] = [];
  let fillers: WebSocket[] = [];
  try {
    const mock = await startChildServer(
      'mock',
      ['dist/cli.js', 'serve', '--port', '0', '--quiet', '--users', USERS_FILE, '--max-connections', String(maxConnections)],
      ROOT,
    );
    servers.push(mock);

    // The mock's connections are held first, and its replies to the load recorded, for the
    // echo server to send back (bench/replay.ts): both sides then send replies of one size.
    const rss = new Map<ServerKind, { idle: number; held: number; after: number }>();
    const holds = new Map<ServerKind, HeldConnections>();
    const hold = async (kind: ServerKind, server: ChildServer, rule: ReplyRule) => {
      const idle = await rssMb(server.pid);
      const connections = await HeldConnections.open({ url: server.url, count, batch, keyOf: benchUserKey, rule });
      held.push(connections);
      holds.set(kind, connections);
      rss.set(kind, { idle, held: await rssMb(server.pid), after: NaN });
    };
    const recorder = new ReplyRecorder(dapResponse);
    await hold('mock', mock, recorder.rule);
    await holds.get('mock')!.load({ warmupMs: 0, measureMs: RECORDING_MS, tag: 'recording' });
    const echo = await startReplayEcho(recorder, ROOT);
    servers.push(echo);
    await hold('echo', echo, dapResponse);
    const targets: ReadonlyArray<readonly [ServerKind, ChildServer]> = [
      ['echo', echo],
      ['mock', mock],
    ];

    // Alternating rounds, as in the table: a passing disturbance hits both sides of the ratio.
    const loads = new Map<ServerKind, LoadResult[]>();
    for (let round = 0; round < config.rounds; round++) {
      for (const [kind] of targets) {
        const load = await holds
          .get(kind)!
          .load({ warmupMs: config.warmupMs, measureMs: config.sustainedMeasureMs / config.rounds, tag: `s${round}` });
        loads.set(kind, [...(loads.get(kind) ?? []), load]);
      }
    }
    const figures = new Map<ServerKind, SustainedServer>();
    for (const [kind, server] of targets) {
      const r = rss.get(kind)!;
      figures.set(kind, {
        ...figuresOf(kind, mergeLoads(loads.get(kind)!)),
        rssIdleMb: r.idle,
        rssHeldMb: r.held,
        rssAfterLoadMb: await rssMb(server.pid),
      });
    }

    // Fill the mock to its limit with connections that never authenticate, then try one more.
    fillers = await openUnauthenticated(mock.url, maxConnections - count, batch);
    const extra = await admissionOf(mock.url, REFUSAL_WAIT_MS);
    const heldAfter = await holds.get('mock')!.check();
    const limitHolds =
      extra.closed &&
      extra.code === CLOSE_TRY_AGAIN_LATER &&
      extra.reason.includes(String(maxConnections)) &&
      heldAfter.failures === 0 &&
      heldAfter.answered === count;
    const limit: LimitCheck = { maxConnections, openBefore: count + fillers.length, extra, heldAfter, holds: limitHolds };

    const e = figures.get('echo')!;
    const m = figures.get('mock')!;
    const throughputRatio = m.msgsPerSec / e.msgsPerSec;
    const p99Ratio = m.p99Ms / e.p99Ms;
    return {
      connections: count,
      batch,
      rounds: config.rounds,
      echo: e,
      mock: m,
      throughputRatio,
      p99Ratio,
      meetsThroughputGoal: throughputRatio >= config.goalThroughputRatio,
      meetsP99Goal: p99Ratio <= config.goalP99Ratio,
      limit,
      failures: e.failures + m.failures + heldAfter.failures + (limitHolds ? 0 : 1),
    };
  } finally {
    await Promise.all(fillers.map(closeSocket));
    await Promise.all(held.map((h) => h.close()));
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** A process's resident set size in MB (Linux /proc); NaN where that is not available. */
async function rssMb(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

const count = (n: number): string => n.toLocaleString('en-US');

export function sustainedLines(r: SustainedResult, config: BenchConfig): string[] {
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  const name = `${count(r.connections)} connections held`;
  const rssOf = (s: SustainedServer) =>
    `  errors ${s.failures}  RSS ${s.rssAfterLoadMb.toFixed(0)} MB (idle ${s.rssIdleMb.toFixed(0)} MB; ` +
    `${(((s.rssHeldMb - s.rssIdleMb) * 1024) / r.connections).toFixed(0)} KB per held connection)`;
  const { limit } = r;
  const extra = limit.extra.closed
    ? `was closed with ${limit.extra.code} "${limit.extra.reason}"`
    : `was NOT refused (still open after ${REFUSAL_WAIT_MS / 1000} s)`;
  return [
    `sustained load, limits on: each server holds ${count(r.connections)} authenticated connections at once ` +
      `(one user each, opened ${r.batch} at a time), all in closed loops (depth 1, same mix); ` +
      `${config.sustainedMeasureMs / 1000} s measured per server in ${r.rounds} alternating rounds`,
    figuresLine(name, r.echo) + rssOf(r.echo),
    figuresLine(name, r.mock) + rssOf(r.mock),
    `ratio mock/echo: msgs/s ${r.throughputRatio.toFixed(2)} (goal >= ${config.goalThroughputRatio.toFixed(2)}, ${verdict(r.meetsThroughputGoal)})  ` +
      `p99 ${r.p99Ratio.toFixed(1)}x (goal <= ${config.goalP99Ratio}x, ${verdict(r.meetsP99Goal)})`,
    `connection limit (--max-connections ${limit.maxConnections}): with ${count(limit.openBefore)} open, one more ${extra}; ` +
      `then ${count(limit.heldAfter.answered)} of ${count(r.connections)} held connections answered a list` +
      `${limit.heldAfter.failures > 0 ? ` (FAILURES: ${limit.heldAfter.failureSamples.join(' | ')})` : ''}: ` +
      `${limit.holds ? 'the limit holds' : 'the limit does NOT hold'}`,
  ];
}
