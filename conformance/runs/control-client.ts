/**
 * Owners and deployments for the RUN checks, and the run and tick history, through the target's
 * DAP connections and its HTTP control API (`t.control`, recorded in the transcript): no
 * in-process shortcut, so the checks work against any server that offers the kit's control API.
 */
import { expect } from 'vitest';
import type { DapConnection, DapReply } from '../dap.js';
import type { Target } from '../target.js';
import { readPages } from '../control-pages.js';
import { clock } from './clock.js';
import { SECOND, iso } from './time.js';

/**
 * Set once a DAP request of this file got no reply or lost its connection: the session layer is
 * broken (the WIRE checks say how), and every later scenario would wait out its own timeouts,
 * and fast-check's shrinking multiplies them. From then on each check fails at once, saying why.
 */
let broken: string | undefined;

/** Runs a DAP exchange (connect, request); trips `broken` when it throws. */
export async function guarded<T>(exchange: () => Promise<T>): Promise<T> {
  if (broken) throw new Error(broken);
  try {
    return await exchange();
  } catch (error) {
    // A request only throws when the exchange itself failed (no reply, a closed connection, a
    // reply that cannot be matched): a refusal is a reply with success false, not an error.
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    broken = `not checked: an earlier DAP exchange of this file failed (${message}), so the session layer is broken (see the WIRE clauses)`;
    throw error;
  }
}

/** A request on a connection, guarded. */
export function request(conn: DapConnection, command: string, args?: unknown): Promise<DapReply> {
  return guarded(() => conn.request(command, args));
}

export interface Owner {
  readonly key: string;
  readonly userId: string;
  readonly conn: DapConnection;
}

const owners = new Map<string, Owner>();

/** An authenticated connection for `key` (default: the primary user's), and its user id. */
export async function owner(t: Target, key = t.config.keys.primary, fresh = false): Promise<Owner> {
  const known = owners.get(key);
  if (known && known.conn.isOpen && !fresh) return known;
  const conn = await guarded(() => t.connect());
  const reply = await request(conn, 'auth', { auth: key, clientName: 'rocketride-deploy-kit conformance (RUN)' });
  if (reply.success !== true || typeof reply.body?.userId !== 'string') {
    throw new Error(`auth with key ${key} failed: ${String(reply.message ?? reply.raw)}`);
  }
  const found = { key, userId: reply.body.userId as string, conn };
  owners.set(key, found);
  return found;
}

/** Users of this run whose keys a check may revoke (never a demo user's), by label. */
const ownKeys = new Map<string, Promise<string>>();

/** The key of a user this run adds through the control API (once per label), with every permission. */
export function ownKey(t: Target, label: string): Promise<string> {
  let key = ownKeys.get(label);
  if (!key) {
    key = (async () => {
      const prefix = t.config.prefix;
      const team = `${prefix}${label}-team`;
      const reply = await t.control('POST', '/users', {
        userId: `${prefix}${label}-owner`,
        keys: [`${prefix}${label}-key`],
        displayName: `${label} owner (conformance)`,
        defaultTeam: team,
        organizations: [
          {
            id: `${prefix}${label}-org`,
            name: 'Conformance',
            permissions: ['org.admin'],
            teams: [{ id: team, name: label, permissions: [] }],
          },
        ],
      });
      if (reply.status !== 201) throw new Error(`POST /control/users refused the user ${label}: ${JSON.stringify(reply.body)}`);
      return `${prefix}${label}-key`;
    })();
    ownKeys.set(label, key);
  }
  return key;
}

export interface Behavior {
  readonly durationMs: number;
  readonly outcome: 'completed' | 'failed';
  readonly hold: boolean;
}

export const DEFAULT_BEHAVIOR: Behavior = { durationMs: 30 * SECOND, outcome: 'completed', hold: false };

export interface Deployed {
  readonly owner: Owner;
  readonly projectId: string;
  /** The clock when it was added. */
  readonly addedAt: number;
}

/** Sets how this deployment's runs behave from now on (never the server-wide behavior). */
export async function setBehavior(t: Target, userId: string, projectId: string, behavior: Partial<Behavior>): Promise<void> {
  const reply = await t.control('POST', '/run-behavior', {
    ...(behavior.durationMs !== undefined && { duration: behavior.durationMs }),
    ...(behavior.outcome !== undefined && { outcome: behavior.outcome }),
    ...(behavior.hold !== undefined && { hold: behavior.hold }),
    userId,
    projectId,
  });
  expect(reply.status, `POST /control/run-behavior: ${JSON.stringify(reply.body)}`).toBe(200);
}

/**
 * Adds a deployment (a fresh project id of this run) with its own run behavior, set before the
 * add so the very first run follows it. `schedule` undefined: the add carries no schedule.
 */
export async function deploy(
  t: Target,
  label: string,
  schedule: string | undefined,
  behavior: Partial<Behavior> = {},
  key = t.config.keys.primary,
): Promise<Deployed> {
  const o = await owner(t, key);
  const projectId = t.projectId(label);
  await setBehavior(t, o.userId, projectId, { ...DEFAULT_BEHAVIOR, ...behavior });
  const addedAt = (await clock(t)).nowMs;
  const reply = await guarded(() =>
    t.add(o.conn, o.key, {
      pipeline: { project_id: projectId, components: [{ id: 'source', provider: 'webhook' }] },
      ...(schedule !== undefined && { schedule }),
    }),
  );
  if (reply.success !== true) throw new Error(`rrext_deploy_add ${projectId} failed: ${String(reply.message)}`);
  return { owner: o, projectId, addedAt };
}

export async function updateSchedule(t: Target, d: Deployed, schedule: string, conn = d.owner.conn): Promise<void> {
  const reply = await request(conn, 'rrext_deploy_update', { projectId: d.projectId, schedule });
  if (reply.success !== true) throw new Error(`rrext_deploy_update ${d.projectId} to '${schedule}' failed: ${String(reply.message)}`);
}

export async function remove(t: Target, d: Deployed, conn = d.owner.conn): Promise<void> {
  const reply = await request(conn, 'rrext_deploy_remove', { projectId: d.projectId });
  if (reply.success !== true) throw new Error(`rrext_deploy_remove ${d.projectId} failed: ${String(reply.message)}`);
}

export const pathOf = (d: Deployed): string => `/deployments/${encodeURIComponent(d.owner.userId)}/${encodeURIComponent(d.projectId)}`;
const queryOf = (d: Deployed): string => `?userId=${encodeURIComponent(d.owner.userId)}&projectId=${encodeURIComponent(d.projectId)}`;

export interface Description {
  readonly state: string;
  readonly schedule: string;
  readonly nextDue: string[];
  readonly counters: Record<string, number>;
  readonly runInProgress: { id: string } | null;
}

/** The control API's picture of a deployment. */
export async function describe(t: Target, d: Deployed): Promise<Description> {
  const reply = await t.control('GET', pathOf(d));
  expect(reply.status, `GET /control${pathOf(d)}: ${JSON.stringify(reply.body)}`).toBe(200);
  return reply.body as Description;
}

/** A run as the control API shows it, times as epoch ms. */
export interface RunView {
  readonly id: string;
  readonly userId: string;
  readonly trigger: string;
  readonly scheduledFor: number;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly outcome: string | null;
}

export interface TickView {
  readonly at: number;
  readonly reason: string;
  readonly runId: string | null;
}

const msOf = (value: unknown): number => (typeof value === 'string' ? Date.parse(value) : typeof value === 'number' ? value : NaN);

export async function runsOf(t: Target, d: Deployed): Promise<RunView[]> {
  const reply = await readPages((path) => t.control('GET', path), `/runs${queryOf(d)}`);
  expect(reply.status, 'GET /control/runs').toBe(200);
  return (reply.items as Array<Record<string, unknown>>).map((r) => ({
    id: String(r['id']),
    userId: String(r['userId']),
    trigger: String(r['trigger']),
    scheduledFor: msOf(r['scheduledFor']),
    startedAt: msOf(r['startedAt']),
    endedAt: r['endedAt'] === null || r['endedAt'] === undefined ? null : msOf(r['endedAt']),
    outcome: r['outcome'] === null || r['outcome'] === undefined ? null : String(r['outcome']),
  }));
}

export async function ticksOf(t: Target, d: Deployed): Promise<TickView[]> {
  const reply = await readPages((path) => t.control('GET', path), `/ticks${queryOf(d)}`);
  expect(reply.status, 'GET /control/ticks').toBe(200);
  return (reply.items as Array<Record<string, unknown>>).map((k) => ({
    at: msOf(k['at']),
    reason: String(k['reason']),
    runId: typeof k['runId'] === 'string' ? k['runId'] : null,
  }));
}

/** A run as one readable line (relative to `base` when given, so two histories can be compared). */
export function runLine(run: RunView, base = 0): string {
  const at = (ms: number | null) => (ms === null ? '-' : base ? `+${ms - base}ms` : iso(ms));
  return `${run.trigger} for ${at(run.scheduledFor)} started ${at(run.startedAt)} ended ${at(run.endedAt)} ${run.outcome ?? 'in progress'}`;
}

export function tickLine(tick: TickView, base = 0): string {
  return `${base ? `+${tick.at - base}ms` : iso(tick.at)} ${tick.reason}`;
}

/**
 * Fails unless two lists of lines are equal, with a message that shows itself in a report (the
 * report prints error messages, not diffs): the first difference, with what came before it.
 */
export function expectLines(actual: readonly string[], expected: readonly string[], what: string): void {
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  if (i === actual.length && i === expected.length) return;
  const shown = (lines: readonly string[], mark: string) => {
    const part = lines.slice(i, i + 8).map((line) => `    ${mark} ${line}`);
    if (lines.length > i + 8) part.push(`    ${mark} … ${lines.length - i - 8} more`);
    return part.length > 0 ? part : [`    ${mark} (nothing)`];
  };
  throw new Error(
    [
      `${what}: expected ${expected.length} line(s), got ${actual.length}; they differ from line ${i + 1} on`,
      ...(i > 0 ? [`  the same before it:`, ...actual.slice(Math.max(0, i - 3), i).map((line) => `      ${line}`)] : []),
      '  expected:',
      ...shown(expected, '-'),
      '  got:',
      ...shown(actual, '+'),
    ].join('\n'),
  );
}

/** Fails with the run that started while another was in progress, if any (RUN-3). */
export function expectNoOverlap(runs: readonly RunView[]): void {
  const sorted = [...runs].sort((a, b) => a.startedAt - b.startedAt);
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const run = sorted[i]!;
    const busyUntil = before.endedAt ?? Infinity;
    if (run.startedAt < busyUntil) {
      throw new Error(
        `runs overlap: ${run.id} started at ${iso(run.startedAt)} while ${before.id} (started ${iso(before.startedAt)}) was in progress ` +
          `until ${before.endedAt === null ? 'now (still running)' : iso(before.endedAt)}`,
      );
    }
  }
}
