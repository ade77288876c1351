/**
 * Helpers for the RUN and SCHED-4 checks (checks/runs.check.ts): an independent cron expansion
 * (the checks never ask the server what a schedule means before checking what it did), the
 * clock, deployments with their own run behavior, the run and tick history through the control
 * API, and a reference model of one deployment's ticks and runs.
 *
 * Everything goes through the target's DAP connections and its HTTP control API (`t.control`,
 * recorded in the transcript): no in-process shortcut, so the checks work against any server
 * that offers the kit's control API.
 */
import { expect } from 'vitest';
import type { DapConnection, DapReply } from './dap.js';
import type { Target } from './target.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export const iso = (ms: number): string => new Date(ms).toISOString();

// ---------------------------------------------------------------------------------------------
// An independent cron expansion: 5 fields, lists, ranges, steps, `*`, month and weekday names,
// 0 or 7 for Sunday; day-of-month and day-of-week both restricted match when either does.
// ---------------------------------------------------------------------------------------------

export interface Cron {
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  /** Day-of-month / day-of-week is `*` (or starts with it): unrestricted for the OR rule. */
  readonly anyDay: boolean;
  readonly anyWeekday: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function field(text: string, min: number, max: number, names: readonly string[] = [], nameBase = 0): Set<number> {
  const value = (word: string): number => {
    const named = names.indexOf(word.toLowerCase());
    const n = named >= 0 ? named + nameBase : /^\d+$/.test(word) ? Number(word) : NaN;
    if (!(n >= min && n <= max)) throw new Error(`cron helper: bad value '${word}' in '${text}'`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined) throw new Error(`cron helper: bad step in '${text}'`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!(Number.isInteger(step) && step > 0)) throw new Error(`cron helper: bad step in '${text}'`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [lo, hi] = [value(a), value(b)];
    } else [lo, hi] = [value(range), stepText === undefined ? value(range) : max];
    for (let n = lo; n <= hi; n += step) out.add(n);
  }
  return out;
}

export function parseCron(source: string): Cron {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron helper: '${source}' is not a 5-field expression`);
  const [m = '', h = '', dom = '', mon = '', dow = ''] = parts;
  const weekdays = field(dow, 0, 7, WEEKDAYS);
  if (weekdays.delete(7)) weekdays.add(0);
  return {
    source,
    minutes: field(m, 0, 59),
    hours: field(h, 0, 23),
    days: field(dom, 1, 31),
    months: field(mon, 1, 12, MONTHS, 1),
    weekdays,
    anyDay: dom.startsWith('*'),
    anyWeekday: dow.startsWith('*'),
  };
}

interface LocalTime {
  readonly year: number;
  readonly minute: number;
  readonly hour: number;
  readonly day: number;
  readonly month: number;
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const isUtc = (zone: string) => /^(Etc\/)?(UTC|GMT|UCT|Universal|Zulu)$/i.test(zone);

/** The wall-clock fields of an instant in a time zone. */
export function localTime(ms: number, zone: string): LocalTime {
  if (isUtc(zone)) {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(),
      minute: d.getUTCMinutes(),
      hour: d.getUTCHours(),
      day: d.getUTCDate(),
      month: d.getUTCMonth() + 1,
      weekday: d.getUTCDay(),
    };
  }
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
  return {
    year: Number(parts['year']),
    minute: Number(parts['minute']),
    hour: Number(parts['hour']),
    day: Number(parts['day']),
    month: Number(parts['month']),
    weekday: WEEKDAYS.indexOf(String(parts['weekday']).toLowerCase()),
  };
}

function dayMatches(cron: Cron, t: LocalTime): boolean {
  if (!cron.months.has(t.month)) return false;
  const byDay = cron.days.has(t.day);
  const byWeekday = cron.weekdays.has(t.weekday);
  return !cron.anyDay && !cron.anyWeekday ? byDay || byWeekday : byDay && byWeekday;
}

/**
 * The instants (epoch ms, second 0) strictly after `afterMs` at which `cron` matches in `zone`,
 * up to `until` (inclusive) or `count` of them. Walks real minutes, skipping whole days and hours
 * that cannot match. (On a daylight-saving day it does not model what a cron library does with
 * skipped local times; the checks run in UTC unless the target is configured otherwise.)
 */
export function expand(cron: Cron | string, zone: string, afterMs: number, limit: { until?: number; count?: number }): number[] {
  const c = typeof cron === 'string' ? parseCron(cron) : cron;
  const out: number[] = [];
  let t = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  for (let guard = 0; ; guard++) {
    if (limit.until !== undefined && t > limit.until) break;
    if (limit.count !== undefined && out.length >= limit.count) break;
    if (guard > 5_000_000) throw new Error(`cron helper: '${c.source}' does not fire soon enough`);
    const local = localTime(t, zone);
    if (!dayMatches(c, local)) t += (local.hour < 23 ? (23 - local.hour) * 60 - local.minute : 60 - local.minute) * MINUTE;
    else if (!c.hours.has(local.hour)) t += (60 - local.minute) * MINUTE;
    else {
      if (c.minutes.has(local.minute)) out.push(t);
      t += MINUTE;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The clock (the control API's; shared by every check file, moved only by runs.check.ts)
// ---------------------------------------------------------------------------------------------

export interface ClockView {
  readonly nowMs: number;
  readonly timezone: string;
  readonly mode: string;
}

export async function clock(t: Target): Promise<ClockView> {
  const reply = await t.control('GET', '/clock');
  expect(reply.status, 'GET /control/clock').toBe(200);
  const body = reply.body as { nowMs: number; timezone?: string; mode?: string };
  return { nowMs: body.nowMs, timezone: body.timezone ?? 'UTC', mode: body.mode ?? 'fake' };
}

/** The zone's offset from UTC at an instant, in minutes. */
export function offsetOf(ms: number, zone: string): number {
  if (isUtc(zone)) return 0;
  const at = Math.floor(ms / MINUTE) * MINUTE;
  const l = localTime(at, zone);
  return (Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute) - at) / MINUTE;
}

/** Every scenario fits in this much clock time from its `align`. */
export const SCENARIO_SPAN = 13 * HOUR;

/**
 * Where in the schedules' period a scenario starts: minute `minute` of the hour or of the day
 * (local time). Properties draw it, so a replay starts where the failing case started even though
 * the clock is elsewhere by then: a schedule's behavior depends on the time of day, not only on
 * the steps a property takes.
 */
export interface Phase {
  readonly minute: number;
  readonly of: 'hour' | 'day';
}

/**
 * Moves the clock (never backwards) to second 30 of a minute, at `phase` when given, and answers
 * the clock. Every scenario starts there, so no add or update coincides with a due tick, and a
 * clock that also moves on its own (a `real` one) stays clear of minute boundaries while a check
 * talks to it.
 *
 * In a zone with daylight saving it also keeps well clear of a change of the zone's offset (in
 * the last two hours, or due within the scenario's span): what a cron expression means in a
 * skipped or repeated local hour is the cron library's choice, which the clauses do not settle.
 */
export async function align(t: Target, phase?: Phase, span = SCENARIO_SPAN): Promise<ClockView> {
  let now = await clock(t);
  for (let round = 0; round < 3; round++) {
    let target = Math.floor(now.nowMs / MINUTE) * MINUTE + 30 * SECOND;
    if (phase) {
      const local = localTime(target, now.timezone);
      const period = phase.of === 'hour' ? 60 : 24 * 60;
      const current = phase.of === 'hour' ? local.minute : local.hour * 60 + local.minute;
      target += ((((phase.minute - current) % period) + period) % period) * MINUTE;
      if (target < now.nowMs) target += period * MINUTE;
    } else if (target < now.nowMs) target += MINUTE;
    if (target > now.nowMs) {
      await t.advance(target - now.nowMs);
      now = await clock(t);
    }
    const change = isUtc(now.timezone) ? undefined : offsetChange(now.nowMs - 2 * HOUR, now.nowMs + span + HOUR, now.timezone);
    if (change === undefined) return now;
    await t.advance(Math.max(change + 2 * HOUR - now.nowMs, 1));
    now = await clock(t);
  }
  return now;
}

/** The first instant (to 15 minutes) in [from, to] where the zone's offset differs from that at `from`. */
function offsetChange(from: number, to: number, zone: string): number | undefined {
  const offset = offsetOf(from, zone);
  for (let at = from; at <= to; at += 15 * MINUTE) if (offsetOf(at, zone) !== offset) return at;
  return undefined;
}

/** Moves the clock to an instant (the control API's `advance {to}`), recorded in the transcript. */
export async function advanceTo(t: Target, ms: number): Promise<void> {
  const reply = await t.control('POST', '/clock/advance', { to: iso(ms) });
  if (reply.status !== 200) throw new Error(`the control API refused to advance the clock to ${iso(ms)}: ${JSON.stringify(reply.body)}`);
}

// ---------------------------------------------------------------------------------------------
// Owners and deployments
// ---------------------------------------------------------------------------------------------

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
  const reply = await t.control('GET', `/runs${queryOf(d)}`);
  expect(reply.status, 'GET /control/runs').toBe(200);
  return (reply.body as Array<Record<string, unknown>>).map((r) => ({
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
  const reply = await t.control('GET', `/ticks${queryOf(d)}`);
  expect(reply.status, 'GET /control/ticks').toBe(200);
  return (reply.body as Array<Record<string, unknown>>).map((k) => ({
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

// ---------------------------------------------------------------------------------------------
// The reference model of one deployment's ticks and runs (RUN-1, 3, 4, 6, 8)
// ---------------------------------------------------------------------------------------------

export interface ModelTick {
  readonly at: number;
  /** The reasons the clauses allow here (a paused deployment with a run still going may say either skip). */
  readonly reasons: readonly string[];
}

export interface ModelRun {
  readonly scheduledFor: number;
  readonly startedAt: number;
  endedAt: number | null;
  outcome: string | null;
}

/**
 * One deployment as the clauses describe it, time passing continuously: a tick at every
 * matching minute after the schedule was set (RUN-1, RUN-6), skipped while paused (RUN-4) or
 * while a run is in progress (RUN-3), a run lasting exactly its duration. Moves are exact, so
 * the model also says what advancing in any pieces must give (RUN-8). A run that ends at the instant a tick comes due has ended before it (RUN-3), so that tick fires.
 */
export class DeploymentModel {
  readonly ticks: ModelTick[] = [];
  readonly runs: ModelRun[] = [];
  #cron: Cron | undefined;
  #nextAt: number | undefined;
  #now: number;
  paused = false;
  /** The owner's key is revoked: the next tick errors the deployment (RUN-5). */
  revoked = false;
  #errored = false;

  constructor(
    readonly zone: string,
    schedule: string,
    now: number,
    readonly behavior: Behavior,
  ) {
    this.#now = now;
    this.setSchedule(schedule);
  }

  get now(): number {
    return this.#now;
  }

  get errored(): boolean {
    return this.#errored;
  }

  /** RUN-6: a new schedule counts from now; `manual` has no ticks. An errored deployment never ticks again (RUN-5). */
  setSchedule(schedule: string): void {
    this.#cron = schedule === 'manual' ? undefined : parseCron(schedule);
    this.#nextAt = this.#cron && !this.#errored ? expand(this.#cron, this.zone, this.#now, { count: 1 })[0] : undefined;
  }

  /** RUN-7: removed now; a run in progress ends cancelled, and nothing ticks again. */
  remove(): void {
    const run = this.#running();
    if (run) {
      run.endedAt = this.#now;
      run.outcome = 'cancelled';
    }
    this.#nextAt = undefined;
  }

  #running(): ModelRun | undefined {
    const last = this.runs[this.runs.length - 1];
    return last && last.endedAt === null ? last : undefined;
  }

  #endRunsUpTo(ms: number): void {
    const run = this.#running();
    if (run && !this.behavior.hold && run.startedAt + this.behavior.durationMs <= ms) {
      run.endedAt = run.startedAt + this.behavior.durationMs;
      run.outcome = this.behavior.outcome;
    }
  }

  advanceTo(target: number): void {
    while (this.#nextAt !== undefined && this.#nextAt <= target) {
      const at = this.#nextAt;
      this.#endRunsUpTo(at);
      const running = this.#running() !== undefined;
      // (A paused deployment whose key is revoked: the clauses do not order the two; no check combines them.)
      if (this.revoked && !this.paused) {
        this.ticks.push({ at, reasons: ['errored_auth'] });
        this.#errored = true;
        this.#nextAt = undefined;
        break;
      }
      if (this.paused) this.ticks.push({ at, reasons: running ? ['skipped_paused', 'skipped_overlap'] : ['skipped_paused'] });
      else if (running) this.ticks.push({ at, reasons: ['skipped_overlap'] });
      else {
        this.ticks.push({ at, reasons: ['fired'] });
        this.runs.push({ scheduledFor: at, startedAt: at, endedAt: null, outcome: null });
      }
      this.#nextAt = expand(this.#cron!, this.zone, at, { count: 1 })[0];
    }
    this.#endRunsUpTo(target);
    this.#now = target;
  }
}

/** Compares a deployment's history with the model's, as readable lines (a diff on failure). */
export function expectHistory(
  actual: { ticks: readonly TickView[]; runs: readonly RunView[] },
  model: DeploymentModel,
  what = 'history',
): void {
  const expectedTicks = model.ticks.map((tick, i) => {
    const got = actual.ticks[i];
    const reason = got && got.at === tick.at && tick.reasons.includes(got.reason) ? got.reason : tick.reasons.join(' or ');
    return `${iso(tick.at)} ${reason}`;
  });
  expectLines(
    actual.ticks.map((tick) => tickLine(tick)),
    expectedTicks,
    `${what}: tick decisions`,
  );
  const expectedRuns = model.runs.map((run) => runLine({ id: '', userId: '', trigger: 'schedule', ...run }));
  expectLines(
    actual.runs.map((run) => runLine(run)),
    expectedRuns,
    `${what}: runs`,
  );
}

/** Moves the target's clock and the model's by the same steps, one step at a time. */
export async function advanceWithModel(t: Target, model: DeploymentModel, steps: readonly number[]): Promise<void> {
  for (const step of steps) {
    await t.advance(step);
    model.advanceTo(model.now + step);
  }
}
