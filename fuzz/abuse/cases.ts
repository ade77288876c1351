/**
 * What the abuse run does to a server, case by case: each is what one careless or hostile
 * client could do with valid requests or bare sockets (issue 17's probes). A case gets the
 * server's URLs and returns one line saying what it did and what the server answered; the
 * run measures the bystander and the server's memory around it.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { DapConnection } from './dap.js';

export interface Target {
  /** ws://HOST:PORT/task/service */
  readonly url: string;
  /** http://HOST:PORT/control */
  readonly control: string;
  readonly host: string;
  readonly port: number;
}

export interface AbuseCase {
  readonly name: string;
  /** What it does, for the report. */
  readonly does: string;
  /** `serve` options besides the common ones. */
  readonly serveArgs?: readonly string[];
  /** The shortest abuse window it needs (the auth timeout must pass in it), in ms. */
  readonly minAbuseMs?: number;
  /** The bystander changes a deployment on each request (so it waits for the disk) instead of reading one. */
  readonly bystanderChanges?: boolean;
  /** Done before the idle window (state the case needs). */
  setup?(target: Target): Promise<void>;
  /** The abuse itself, until `until` passes; returns what the server answered. */
  abuse(target: Target, until: number): Promise<string>;
}

/** Attackers' keys in the abuse run's users file (users `abuser-0`...). */
export const abuserKey = (i: number) => `ABUSERKEY${i}`;
export const ABUSERS = 6;
/** The bystander is the demo user alice. */
export const BYSTANDER_KEY = 'ALICEKEY';

const MiB = 1024 * 1024;

/** A pipeline whose JSON is about `bytes` long, flat (cheap to parse, as large as allowed). */
function bigPipeline(projectId: string, bytes: number): Record<string, unknown> {
  return { project_id: projectId, components: [], notes: 'x'.repeat(bytes - 64 - projectId.length) };
}

async function control(target: Target, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${target.control}/${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

/** Adds 4 MiB pipelines (the largest allowed) until refused, listing all of them after each add. */
async function fillUser(
  url: string,
  key: string,
  tag: string,
  until = Infinity,
  { listed = true } = {},
): Promise<{ added: number; refusal: string }> {
  const connection = await DapConnection.open(url, key);
  try {
    let added = 0;
    for (; Date.now() < until; added++) {
      const answer = await connection.request('rrext_deploy_add', { pipeline: bigPipeline(`${tag}-${added}`, 4 * MiB - 1024) });
      if (!answer.success) return { added, refusal: answer.message ?? '' };
      if (listed) await connection.request('rrext_deploy_list');
    }
    return { added, refusal: 'none (the time ran out first)' };
  } finally {
    connection.close();
  }
}

const memoryFill: AbuseCase = {
  name: 'fill memory',
  does: `${ABUSERS} keys add 4 MiB pipelines until refused, listing after each add`,
  async abuse(target) {
    const results = [];
    for (let i = 0; i < ABUSERS; i++) results.push(await fillUser(target.url, abuserKey(i), `fill${i}`));
    const refusals = [...new Set(results.map((r) => r.refusal.replace(/[\d,]{4,}/g, 'N')))];
    return `${results.map((r) => r.added).join('+')} adds, then refused: ${refusals.join(' | ')}`;
  },
};

const unreadReplies: AbuseCase = {
  name: 'unread replies',
  does: 'one key stores 64 MiB, then 32 connections each ask for list and never read',
  async setup(target) {
    await fillUser(target.url, abuserKey(0), 'unread');
  },
  async abuse(target, until) {
    const connections: DapConnection[] = [];
    let refused = 0;
    for (let i = 0; i < 32; i++) {
      try {
        const connection = await DapConnection.open(target.url, abuserKey(0));
        connection.stopReading();
        connection.fire('rrext_deploy_list');
        connections.push(connection);
      } catch {
        refused += 1;
      }
    }
    await delay(Math.max(0, until - Date.now()));
    const open = connections.filter((c) => c.socket.readyState === c.socket.OPEN).length;
    for (const connection of connections) connection.close();
    return `${connections.length} connections asked, ${refused} refused; ${open} still open at the end`;
  },
};

const controlReads: AbuseCase = {
  name: 'control reads',
  does: '10,000 * * * * * deployments, a day of history; pages of runs, ticks, journal, deployments read in a loop, polled and walked by cursor',
  serveArgs: ['--max-deployments-per-user', '10000'],
  async setup(target) {
    const connection = await DapConnection.open(target.url, abuserKey(0));
    const adds = [];
    for (let i = 0; i < 10_000; i++)
      adds.push(
        connection.request('rrext_deploy_add', { pipeline: { project_id: `minutely-${i}`, components: [] }, schedule: '* * * * *' }),
      );
    const answers = await Promise.all(adds);
    const failed = answers.filter((a) => !a.success);
    if (failed.length > 0) throw new Error(`control reads: ${failed.length} adds failed: ${failed[0]!.message}`);
    connection.close();
    // A day of 10,000 minutely deployments is many moves: each stops at the events-per-move cap.
    const to = new Date(Date.parse((JSON.parse((await control(target, 'GET', 'clock')).text) as { now: string }).now) + 86_400_000);
    for (let complete = false; !complete;) {
      const advanced = await control(target, 'POST', 'clock/advance', { to: to.toISOString() });
      if (advanced.status !== 200) throw new Error(`control reads: advance answered ${advanced.status}: ${advanced.text.slice(0, 300)}`);
      complete = (JSON.parse(advanced.text) as { complete: boolean }).complete;
    }
  },
  async abuse(target, until) {
    const counts: Record<string, number> = {};
    const statuses = new Set<number>();
    let largest = 0;
    // Half the reads poll the newest page (answered from memory while nothing changes), half walk
    // every page in turn by cursor (each one new, so each one read).
    const cursors: Record<string, string | null> = {};
    for (let round = 0; Date.now() < until; round++) {
      for (const path of ['runs', 'ticks', 'journal', 'deployments']) {
        const walk = round % 2 === 0;
        const cursor = cursors[path];
        const query = walk ? `order=oldest${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}` : 'order=newest';
        const { status, text } = await control(target, 'GET', `${path}?${query}`);
        statuses.add(status);
        largest = Math.max(largest, text.length);
        counts[path] = (counts[path] ?? 0) + 1;
        if (walk && status === 200) cursors[path] = (JSON.parse(text) as { next: string | null }).next;
      }
    }
    return `${Object.entries(counts)
      .map(([path, n]) => `${n} ${path}`)
      .join(', ')} reads; statuses ${[...statuses].join(', ')}; largest answer ${(largest / MiB).toFixed(2)} MiB`;
  },
};

const deepJournal: AbuseCase = {
  name: 'deep journal',
  does: 'unauthenticated frames nested 10,000 and 4,000 deep, then the journal read in a loop',
  async setup(target) {
    const connection = await DapConnection.open(target.url);
    connection.fire('auth', { auth: nested(10_000) });
    for (let i = 0; i < 14; i++) connection.fire('rrext_deploy_list', { x: nested(4_000) });
    await delay(500);
    connection.close();
  },
  async abuse(target, until) {
    const statuses = new Set<number>();
    let reads = 0;
    while (Date.now() < until) {
      statuses.add((await control(target, 'GET', 'journal')).status);
      reads += 1;
    }
    return `${reads} journal reads, statuses ${[...statuses].join(', ')}`;
  },
};

/** A value nested `depth` arrays deep, as a frame would carry it. */
function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const idleUnauthenticated: AbuseCase = {
  name: 'idle unauthenticated',
  does: '200 WebSocket connections from the same address that never authenticate, held past the 10 s auth timeout',
  minAbuseMs: 15_000,
  async abuse(target, until) {
    const connections = await Promise.allSettled(Array.from({ length: 200 }, () => DapConnection.open(target.url)));
    const opened = connections.flatMap((c) => (c.status === 'fulfilled' ? [c.value] : []));
    const closedBy = new Map<string, number>();
    for (const c of opened) c.socket.once('close', (code) => closedBy.set(String(code), (closedBy.get(String(code)) ?? 0) + 1));
    await delay(Math.max(0, until - Date.now()));
    for (const c of opened) c.close();
    return `${opened.length} opened; closed by the server: ${[...closedBy].map(([code, n]) => `${n} with ${code}`).join(', ') || 'none'}`;
  },
};

const halfOpen: AbuseCase = {
  name: 'half-open sockets',
  does: '3,000 TCP connections that send half an HTTP upgrade and stop',
  async abuse(target, until) {
    const sockets: Socket[] = [];
    let dropped = 0;
    let failed = 0;
    for (let i = 0; i < 3_000 && Date.now() < until; i++) {
      const socket = tcpConnect(target.port, target.host);
      socket.on('error', () => (failed += 1));
      socket.on('close', () => (dropped += 1));
      socket.write(`GET /task/service HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUpgrade: websocket\r\n`);
      sockets.push(socket);
      if (i % 100 === 99) await delay(10);
    }
    await delay(Math.max(0, until - Date.now()));
    const closedByServer = dropped;
    for (const socket of sockets) socket.destroy();
    return `${sockets.length} opened, ${closedByServer} dropped by the server (${failed} errors)`;
  },
};

const largeStateSaves: AbuseCase = {
  name: 'large state, saves',
  // Not listed after each add: a 64 MiB list is one reply written at once, which is `fill memory`'s stall, not the saves'.
  does: 'with a state file: 4 keys store 64 MiB each in 4 MiB adds; the bystander changes its deployment (acknowledged = on disk)',
  serveArgs: ['--state-file', '{dir}/state.json'],
  bystanderChanges: true,
  async abuse(target, until) {
    const results = await Promise.all([0, 1, 2, 3].map((i) => fillUser(target.url, abuserKey(i), `saves${i}`, until, { listed: false })));
    const refusals = [...new Set(results.map((r) => r.refusal.replace(/[\d,]{4,}/g, 'N')))];
    return `${results.map((r) => r.added).join('+')} adds of 4 MiB; refusals: ${refusals.join(' | ')}`;
  },
};

export const ABUSE_CASES: readonly AbuseCase[] = [
  memoryFill,
  unreadReplies,
  controlReads,
  deepJournal,
  idleUnauthenticated,
  halfOpen,
  largeStateSaves,
];
