/**
 * The control API: one set of operations on a mock server's clock, users, deployments and runs.
 * The in-process door (`server.control`), the HTTP door and the CLI all call these functions,
 * so they accept untyped input and answer with plain JSON views (times as ISO strings).
 */
import type { UserDirectory } from '../auth/users.js';
import { parseOneUser, UsersProblems } from '../auth/users-parse.js';
import type { ServerClock } from '../domain/clock.js';
import type { ConnectionRegistry, ConnectionView } from '../dap/connections.js';
import type { FaultPlan, FaultSpec, FaultView } from '../dap/fault-plan.js';
import type { FrameJournal, JournalEntry, JournalFilter } from '../dap/journal.js';
import type { DeployService } from '../domain/deploy-service.js';
import type { AdvanceReport, ScheduleDescription, Scheduler } from '../scheduler/scheduler.js';
import { SchedulerError } from '../scheduler/errors.js';
import { BEHAVIOR_OUTCOMES, RUN_OUTCOMES, type Run, type RunBehavior, type TickRecord } from '../scheduler/types.js';
import { ControlError } from './errors.js';
import { isoTime } from '../domain/iso-time.js';
import { PageMemo } from './page-memo.js';
import { CHANGES_STATE } from './operations.js';
import { parseBoolean, parseChoice, parseDuration, parseInstant, parseObject, parseOptionalText, parseText } from './inputs.js';
import { parseFaultSpec, parseJournalFilter } from './wire-inputs.js';
import {
  JOURNAL_PAGE_BYTES,
  nextCursor,
  PAGE_FIELDS,
  parsePageChoice,
  type Page,
  type PageChoice,
  type PagedList,
  type PageOptions,
} from './paging.js';
import type { MergedPage } from '../scheduler/pages.js';
import type { EventSink } from '../server-events.js';
import { DEFAULT_DEMO_SEED, DEMO_LIMITS, MAX_DEMO_SEED } from '../demo/demo-limits.js';
import { seedDemo } from '../demo/seed-demo.js';

/** @since 0.2.0 */
export interface ClockView {
  now: string;
  nowMs: number;
  mode: 'fake' | 'real';
  timezone: string;
}

/** @since 0.2.0 */
export interface AdvanceView {
  from: string;
  to: string;
  /** Tick decisions made on the way, by reason. */
  ticks: AdvanceReport['ticks'];
  runsEnded: number;
  /** False when the move stopped early (at MAX_EVENTS_PER_ADVANCE events): `to` is where it stopped. */
  complete: boolean;
  /**
   * Only from runToNextTick: no deployment has a tick to come (none is scheduled, or each is
   * manual or errored), so the clock stayed where it was. @since 0.5.0
   */
  nothingDue?: true;
}

/** @since 0.2.0 */
export interface RunView {
  id: string;
  userId: string;
  projectId: string;
  trigger: 'schedule' | 'manual';
  scheduledFor: string;
  startedAt: string;
  endedAt: string | null;
  outcome: Run['outcome'] | null;
}

/** @since 0.2.0 */
export interface TickView {
  at: string;
  userId: string;
  projectId: string;
  reason: TickRecord['reason'];
  runId: string | null;
}

/** @since 0.2.0 */
export interface DeploymentView extends Omit<ScheduleDescription, 'runInProgress' | 'nextDue'> {
  runInProgress: RunView | null;
  nextDue: string[];
}

/** @since 0.5.0 */
export interface UserView {
  userId: string;
  displayName: string | null;
  keys: Array<{ key: string; revoked: boolean }>;
  addedAtRunTime: boolean;
}

/** Which runs or ticks, and which page of them. @since 0.5.0 */
export interface HistoryQuery extends PageOptions {
  userId?: string;
  projectId?: string;
}

/** Where a run behavior applies: one deployment, or (omitted) the whole server. */
export interface Scope {
  userId: string;
  projectId: string;
}

/** @since 0.2.0 */
export interface ControlApi {
  /** The server's clock. */
  clock(): ClockView;
  /** Sets the clock to a later instant (the clock never moves back), processing what comes due. */
  setClock(to: number | string): AdvanceView;
  /** Moves the clock forward by a span (`900000`, `"15m"`, `"1h30m"`), processing what comes due. */
  advance(by: number | string): AdvanceView;
  /** Moves the clock to the next due tick of any deployment. */
  runToNextTick(): AdvanceView;
  /** Adds a user (the users-file format) while the server runs. */
  addUser(user: unknown): { userId: string };
  /** Every user: its id, display name, keys (revoked or not), and whether it was added at run time. @since 0.5.0 */
  users(): UserView[];
  /** Revokes an API key: it and tokens issued for it stop authenticating; deployments added with it turn errored at their next tick. */
  revokeKey(key: string): { key: string; revoked: true };
  /** Makes a revoked key valid again (errored deployments stay errored: RUN-5). */
  restoreKey(key: string): { key: string; revoked: false };
  pause(userId: string, projectId: string): DeploymentView;
  resume(userId: string, projectId: string): DeploymentView;
  /** Starts a run now; refused while one is in progress (RUN-9). */
  trigger(userId: string, projectId: string): RunView;
  /**
   * A page of deployments' scheduling pictures (every user's, or one user's), in the order they
   * were added. Pages: see PageOptions. @since 0.5.0 (before, every deployment as an array)
   */
  deployments(options?: { userId?: string } & PageOptions): Page<DeploymentView>;
  deployment(userId: string, projectId: string): DeploymentView;
  /**
   * A page of runs (removed deployments' recent runs included), by start time then run number,
   * oldest first unless `order: 'newest'`; `userId` and `projectId` filter. @since 0.5.0 (before, an array)
   */
  runs(options?: HistoryQuery): Page<RunView>;
  /** A page of tick decisions, by time then by deployment (older first), filtered like runs. @since 0.5.0 (before, an array) */
  ticks(options?: HistoryQuery): Page<TickView>;
  /** Ends a run in progress (a held one, typically); the outcome defaults to completed. */
  endRun(runId: string, outcome?: 'completed' | 'failed' | 'cancelled'): RunView;
  /**
   * How runs behave from now on: `duration` (ms or `"5m"`), `outcome` (completed | failed), or
   * `hold: true` (a run lasts until endRun). For one deployment with `scope`, else server-wide.
   */
  setRunBehavior(behavior: { duration?: number | string; outcome?: string; hold?: boolean }, scope?: Scope): RunBehaviorView;
  /**
   * A page of the frames received and sent that match every field of the filter (the frame
   * journal), oldest first unless `order: 'newest'`. `direction: 'in'` selects what clients
   * sent. Each entry carries the frame's `text` as it passed (never parsed and written out
   * again), so every door answers the same. A page holds at most JOURNAL_PAGE_BYTES of frame
   * text besides its first entry. @since 0.3.0 (a page since 0.5.0; before, an array)
   */
  journal(options?: JournalFilter & PageOptions): Page<JournalEntry>;
  /** Forgets the journal's entries. @since 0.3.0 */
  clearJournal(): { cleared: number };
  /** The open DAP connections. @since 0.3.0 */
  connections(): ConnectionView[];
  /**
   * Injects a fault: `delay` (ms), `reorder` (count responses sent in reverse), `no-reply`,
   * `fail` (message), `reply` (body), `close` (code, reason), scoped by `command`,
   * `connectionId`, `userId` and `count` (next N matching requests).
   * @since 0.3.0
   */
  injectFault(spec: FaultSpec): FaultView;
  /** The faults still active. @since 0.3.0 */
  faults(): FaultView[];
  /** Removes one fault (a held reorder group is sent). @since 0.3.0 */
  removeFault(id: string): { id: string; removed: true };
  /** Removes every fault. @since 0.3.0 */
  clearFaults(): { cleared: number };
  /** Forgets all deployments, runs, ticks, added users, revocations, journal entries and faults. The clock keeps its time. */
  reset(): { reset: true };
  /**
   * Adds `count` demo deployments (default 25, 5 to 1000) made from `seed` (default 1: the same
   * seed gives the same deployments) across the users who may deploy, and moves the clock one day
   * forward so the scheduler makes their day of runs. @since 0.5.0
   */
  seed(count?: number, seed?: number): SeedView;
}

/** What a demo seed did. @since 0.5.0 */
export interface SeedView {
  seed: number;
  /** Deployments added, by owner. */
  deployments: Record<string, number>;
  /** Runs started during the demo day. */
  runs: number;
  /** The clock before and after: one day apart. */
  from: string;
  to: string;
}

/** @since 0.2.0 */
export interface RunBehaviorView {
  durationMs: number;
  outcome: 'completed' | 'failed';
  hold: boolean;
}

interface ControlTargets {
  readonly clock: ServerClock;
  readonly scheduler: Scheduler;
  readonly users: UserDirectory;
  readonly deploy: DeployService;
  readonly journal: FrameJournal;
  readonly faultPlan: FaultPlan;
  readonly connections: ConnectionRegistry;
  /** Told after each operation that changed what a state file keeps. */
  readonly changed?: () => void;
  /** Told of clock moves and demo seeds; absent when nobody listens. */
  readonly events?: EventSink | undefined;
}

/**
 * The control API over one server's core, in two faces: `control`, whose every answer is the
 * caller's own, and `door`, for a door that turns each answer into bytes at once and keeps none
 * (the HTTP door): its remembered pages are shared and frozen, so a poll costs no copy.
 */
export interface ControlFaces {
  readonly control: ControlApi;
  readonly door: ControlApi;
}

/** The answers remembered by a PageMemo, which `control` copies for its callers. */
const REMEMBERED = ['deployments', 'runs', 'ticks'] as const satisfies ReadonlyArray<keyof ControlApi>;

/** Builds the control API over one server's core. */
export function createControlApi({
  clock,
  scheduler,
  users,
  deploy,
  journal,
  faultPlan,
  connections,
  changed,
  events,
}: ControlTargets): ControlFaces {
  const advanceView = (report: AdvanceReport): AdvanceView => {
    events?.emit('clock-moved', { from: report.from, ticks: report.ticks, runsEnded: report.runsEnded });
    return view(report);
  };
  const view = (report: AdvanceReport): AdvanceView => ({
    from: iso(report.from),
    to: iso(report.to),
    ticks: report.ticks,
    runsEnded: report.runsEnded,
    complete: report.complete,
  });
  const key = (value: unknown) => {
    const k = parseText(value, 'key');
    if (!users.hasKey(k)) throw new ControlError('KEY_NOT_FOUND', `No user has the key '${k}'`);
    return k;
  };
  const filter = (f: Record<string, unknown>) => {
    const userId = parseOptionalText(f['userId'], 'userId');
    const projectId = parseOptionalText(f['projectId'], 'projectId');
    return { ...(userId !== undefined && { userId }), ...(projectId !== undefined && { projectId }) };
  };
  /** A list's page, its items shown with `view`; with a memo, the same page while the list has not changed. */
  const paged = <T, V>(
    list: PagedList,
    options: unknown,
    read: (f: Record<string, unknown>, choice: PageChoice) => MergedPage<T>,
    view: (item: T) => V,
    memo?: PageMemo<Page<V>>,
  ): Page<V> => {
    const { rest, page } = splitPageOptions(options);
    const choice = parsePageChoice(list, page);
    const answer = (): Page<V> => {
      const { items, last } = read(rest, choice);
      return { items: items.map(view), next: nextCursor(list, choice.order, last) };
    };
    // Only first pages are remembered: they are what a poll reads; a page past a cursor is read
    // once by a walk, and freezing and rendering it for a memory no one asks again costs more.
    // The key holds the filter as given: only a filter that was read once (so was valid) is found.
    return memo === undefined || choice.after !== undefined ? answer() : memo.read(JSON.stringify([rest, choice]), answer);
  };
  // A page merges every deployment's log (or describes a page of deployments): polling one is
  // answered again at no cost until something it shows changes. The journal moves with every frame.
  const memos = {
    deployments: new PageMemo<Page<DeploymentView>>(() => scheduler.describeVersion),
    runs: new PageMemo<Page<RunView>>(() => scheduler.history.version),
    ticks: new PageMemo<Page<TickView>>(() => scheduler.history.version),
  };

  const api: ControlApi = {
    clock: () => ({ now: iso(clock.now()), nowMs: clock.now(), mode: clock.mode, timezone: scheduler.timezone }),
    setClock: (to) => advanceView(scheduler.advanceTo(parseInstant(to, 'to'))),
    advance: (by) => advanceView(scheduler.advanceTo(clock.now() + parseDuration(by, 'by'))),
    runToNextTick: () => {
      const report = scheduler.runToNextTick();
      return report.nothingDue ? { ...advanceView(report), nothingDue: true } : advanceView(report);
    },

    addUser(user) {
      const spec = wrapBadInput(() => parseOneUser(user));
      try {
        users.addUser(spec);
      } catch (error) {
        throw new ControlError('USER_EXISTS', (error as Error).message);
      }
      return { userId: spec.userId };
    },
    users: () =>
      users.list().map(({ user, keys, addedAtRunTime }) => ({
        userId: user.userId,
        displayName: user.displayName ?? null,
        keys: keys.map((k) => ({ ...k })),
        addedAtRunTime,
      })),
    revokeKey(value) {
      const k = key(value);
      users.revokeKey(k);
      return { key: k, revoked: true };
    },
    restoreKey(value) {
      const k = key(value);
      users.restoreKey(k);
      return { key: k, revoked: false };
    },

    pause: (userId, projectId) => {
      const [u, p] = ids(userId, projectId);
      scheduler.pause(u, p);
      return api.deployment(u, p);
    },
    resume: (userId, projectId) => {
      const [u, p] = ids(userId, projectId);
      scheduler.resume(u, p);
      return api.deployment(u, p);
    },
    trigger: (userId, projectId) => runView(scheduler.trigger(...ids(userId, projectId))),
    deployments: (options) =>
      paged('deployments', options, (f, choice) => scheduler.deploymentPage(filter(f).userId, choice), deploymentView, memos.deployments),
    deployment: (userId, projectId) => deploymentView(scheduler.describe(...ids(userId, projectId))),
    runs: (options) => paged('runs', options, (f, choice) => scheduler.runPage(filter(f), choice), runView, memos.runs),
    ticks: (options) => paged('ticks', options, (f, choice) => scheduler.tickPage(filter(f), choice), tickView, memos.ticks),
    endRun: (runId, outcome = 'completed') =>
      runView(scheduler.endRun(parseText(runId, 'runId'), parseChoice(outcome, 'outcome', RUN_OUTCOMES))),

    setRunBehavior(behavior, scope) {
      const b = parseObject(behavior, 'behavior');
      const change: { -readonly [K in keyof RunBehavior]?: RunBehavior[K] } = {};
      if (b['duration'] !== undefined) change.durationMs = parseDuration(b['duration'], 'duration');
      if (b['outcome'] !== undefined) change.outcome = parseChoice(b['outcome'], 'outcome', BEHAVIOR_OUTCOMES);
      if (b['hold'] !== undefined) change.hold = parseBoolean(b['hold'], 'hold');
      const unknown = Object.keys(b).filter((k) => !['duration', 'outcome', 'hold'].includes(k));
      if (unknown.length > 0)
        throw new ControlError('BAD_INPUT', `Unknown run behavior field(s): ${unknown.join(', ')}; use duration, outcome, hold`);
      if (scope === undefined) return { ...scheduler.setRunBehavior(change) };
      const s = parseObject(scope, 'scope');
      const [u, p] = ids(s['userId'], s['projectId']);
      return { ...scheduler.setRunBehavior(change, { userId: u, projectId: p }) };
    },
    journal: (options) =>
      paged(
        'journal',
        options,
        (f, { order, limit, after }) => {
          const page = journal.page(parseJournalFilter(f), { order, limit, from: after?.primary, maxBytes: JOURNAL_PAGE_BYTES });
          return { items: page.items, last: page.last === undefined ? undefined : { primary: page.last, secondary: 0 } };
        },
        (entry): JournalEntry => entry,
      ),
    clearJournal: () => ({ cleared: journal.clear() }),
    connections: () => connections.list(),
    injectFault: (spec) => faultPlan.add(parseFaultSpec(spec)),
    faults: () => faultPlan.list(),
    removeFault(id) {
      const faultId = parseText(id, 'id');
      if (!faultPlan.remove(faultId))
        throw new ControlError('FAULT_NOT_FOUND', `No active fault '${faultId}' (it may have been used up); list them with faults()`);
      return { id: faultId, removed: true };
    },
    clearFaults: () => ({ cleared: faultPlan.clear() }),
    reset() {
      scheduler.reset();
      deploy.clear();
      users.reset();
      journal.clear();
      faultPlan.clear();
      return { reset: true };
    },
    seed(count = DEMO_LIMITS.default, seed = DEFAULT_DEMO_SEED) {
      const n = parseWhole(count, 'count', DEMO_LIMITS.min, DEMO_LIMITS.max);
      const s = parseWhole(seed, 'seed', 0, MAX_DEMO_SEED);
      const run = () => seedDemo({ clock, scheduler, users, deploy }, n, s);
      const summary = events ? events.muted(run) : run();
      const runs = summary.runs;
      const added = Object.values(summary.deployments).reduce((sum, k) => sum + k, 0);
      events?.emit('demo-seeded', { from: summary.from, deployments: added, seed: s, runs });
      return { seed: s, deployments: { ...summary.deployments }, runs, from: iso(summary.from), to: iso(summary.to) };
    },
  };
  const door = withControlErrors(api, () => scheduler.catchUp(), changed);
  const copies = Object.fromEntries(
    REMEMBERED.map((name) => [name, (options?: never) => structuredClone((door[name] as (o?: never) => unknown)(options))]),
  );
  return { door, control: { ...door, ...copies } };
}

/**
 * Every operation first lets a real clock's scheduler catch up (so reads never lag a due tick),
 * and turns scheduler errors into control errors (their codes kept).
 */
function withControlErrors(api: ControlApi, catchUp: () => void, changed?: () => void): ControlApi {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(api) as Array<[string, (...args: unknown[]) => unknown]>) {
    const changes = changed !== undefined && CHANGES_STATE.has(name as keyof ControlApi) ? changed : undefined;
    wrapped[name] = (...args: unknown[]) => {
      try {
        catchUp();
        const result = fn(...args);
        changes?.();
        return result;
      } catch (error) {
        throw toControlError(error);
      }
    };
  }
  return wrapped as unknown as ControlApi;
}

function toControlError(error: unknown): unknown {
  if (error instanceof SchedulerError) return new ControlError(error.code, error.message);
  return error;
}

function wrapBadInput<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const message = error instanceof UsersProblems ? error.oneLine() : (error as Error).message;
    throw new ControlError('BAD_INPUT', `Invalid user: ${message}`);
  }
}

/** A paged read's options split into what filters and what chooses the page. */
function splitPageOptions(options: unknown): { rest: Record<string, unknown>; page: Record<string, unknown> } {
  const all = parseObject(options ?? {}, 'options');
  const rest: Record<string, unknown> = {};
  const page: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(all)) ((PAGE_FIELDS as readonly string[]).includes(name) ? page : rest)[name] = value;
  return { rest, page };
}

/** A whole number from `min` to `max`, or BAD_INPUT naming the input and the range. */
function parseWhole(value: unknown, name: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
  throw new ControlError(
    'BAD_INPUT',
    `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value) ?? String(value)}`,
  );
}

function ids(userId: unknown, projectId: unknown): [string, string] {
  return [parseText(userId, 'userId'), parseText(projectId, 'projectId')];
}

const iso = isoTime;

function runView(run: Run): RunView {
  return {
    id: run.id,
    userId: run.userId,
    projectId: run.projectId,
    trigger: run.trigger,
    scheduledFor: iso(run.scheduledFor),
    startedAt: iso(run.startedAt),
    endedAt: run.endedAt === undefined ? null : iso(run.endedAt),
    outcome: run.outcome ?? null,
  };
}

function tickView(tick: TickRecord): TickView {
  return { at: iso(tick.at), userId: tick.userId, projectId: tick.projectId, reason: tick.reason, runId: tick.runId ?? null };
}

function deploymentView(d: ScheduleDescription): DeploymentView {
  // The behavior is copied: a remembered page is frozen, and the scheduler's own object must not be.
  return {
    ...d,
    runBehavior: { ...d.runBehavior },
    runInProgress: d.runInProgress ? runView(d.runInProgress) : null,
    nextDue: d.nextDue.map(iso),
  };
}
