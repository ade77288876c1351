/**
 * Scheduled runs on the server's clock (RUN-1..9). Due ticks and run ends wait in one priority
 * queue; moving the clock processes them in time order, exactly as if the time had passed, so
 * advancing by a+b at once or by a then b gives the same history (RUN-8). Nothing here reads
 * the wall clock or touches I/O.
 */
import type { ServerClock } from '../domain/clock.js';
import type { DeployService, DeploymentListener } from '../domain/deploy-service.js';
import type { Deployment } from '../domain/deployment.js';
import { SchedulerError } from './errors.js';
import { IndexedHeap, TickBuckets, type BucketItem, type HeapItem } from './heap.js';
import { RunLog, TickLog, type RunEntry } from './history.js';
import { nextTickFor, type NextTick, type NextTickFinder } from './next-tick.js';
import { SPEC_RUN_POLICY, type RunPolicy } from './run-policy.js';
import { newCounters, type Counters, type Run, type RunBehavior, type RunOutcome, type TickReason, type TickRecord } from './types.js';

export interface SchedulerOptions {
  /** IANA time zone the cron expressions are read in (already validated). */
  readonly timezone: string;
  /** How runs behave unless a deployment has its own behavior. */
  readonly runBehavior: RunBehavior;
  /** Ticks and runs kept per deployment; counters stay exact past it. */
  readonly historyLimit: number;
  /** What happens to runs on overlap and removal. Default: the spec's (SPEC_RUN_POLICY). */
  readonly runPolicy?: RunPolicy;
  /** How the next tick of an expression is found. Default: the cron search (nextTickFor). */
  readonly findNextTick?: NextTickFinder;
}

/** What the scheduler needs to know about credentials (RUN-5). */
export interface CredentialCheck {
  isKeyValid(key: string): boolean;
}

/**
 * The end of a deployment's run in progress. Each deployment owns one and re-queues it, so a
 * long advance allocates nothing per run.
 */
interface RunEnd extends HeapItem {
  /** The deployment's serial, kept here too so ordering touches no other object. */
  readonly serial: number;
  readonly entry: Entry;
}

/**
 * One deployment's scheduling state, from its `add` to its `remove`. It waits in the tick queue
 * itself (`tickAt`), for its next tick.
 */
class Entry implements BucketItem {
  readonly userId: string;
  readonly projectId: string;
  tickAt: number | undefined = undefined;
  cron: NextTick | undefined = undefined;
  /** The end of its run in progress; queued unless the run is held. */
  readonly end: RunEnd;
  /** Number of the run in progress, or 0. */
  current = 0;
  /** How the run in progress will end, fixed when it started. */
  currentOutcome: RunOutcome = 'completed';
  /** Resolved run behavior, cached until a behavior changes. */
  behavior: RunBehavior | undefined = undefined;
  readonly counters: Counters = newCounters();
  /** Made at the first tick or run: deployments that come and go without any cost nothing. */
  ticks: TickLog | undefined = undefined;
  runs: RunLog | undefined = undefined;
  removedAt: number | undefined = undefined;

  constructor(
    readonly serial: number,
    /** The stored record, followed through updates (a tick reads its state and owner key). */
    public record: Deployment,
  ) {
    this.userId = record.ownerId;
    this.projectId = record.projectId;
    this.end = { serial, entry: this, at: 0, heapIndex: -1 };
  }
}

const endsBefore = (a: RunEnd, b: RunEnd) => (a.at !== b.at ? a.at < b.at : a.serial < b.serial);

/** What one clock move did. */
export interface AdvanceReport {
  readonly from: number;
  readonly to: number;
  /** False when the move stopped early at the events-per-move cap; moving on continues exactly. */
  readonly complete: boolean;
  readonly ticks: Record<TickReason, number>;
  readonly runsEnded: number;
}

/** The last instant a JavaScript Date can hold. */
const MAX_INSTANT_MS = 8.64e15;
/**
 * Most ticks and run ends one clock move processes: the server serves nothing while a move runs,
 * so a huge advance stops at the cap (about a second in UTC) and says so; the caller moves on.
 */
export const MAX_EVENTS_PER_ADVANCE = 2_000_000;

/** How far behind a real clock's time a move may aim and still mean "now" (see advanceTo). */
const REAL_CLOCK_SLACK_MS = 1000;

/** Deployments removed recently stay queryable (their runs and ticks), up to this many. */
const RETIRED_LIMIT = 100;

/** @since 0.2.0 */
export class Scheduler implements DeploymentListener {
  readonly #entries = new Map<string, Entry>();
  readonly #retired: Entry[] = [];
  readonly #ticks = new TickBuckets<Entry>();
  readonly #ends = new IndexedHeap<RunEnd>(endsBefore);
  readonly #behaviors = new Map<string, Partial<RunBehavior>>();
  #defaultBehavior: RunBehavior;
  #serial = 0;
  #runSeq = 0;
  #deploy: DeployService | undefined;
  readonly #runPolicy: RunPolicy;
  readonly #nextTickFor: NextTickFinder;

  constructor(
    private readonly clock: ServerClock,
    private readonly credentials: CredentialCheck,
    private readonly options: SchedulerOptions,
    /** Told when the earliest queued event may have changed (the real-time driver re-arms its timer). */
    private readonly onQueueChange: () => void = () => {},
  ) {
    this.#defaultBehavior = options.runBehavior;
    this.#runPolicy = options.runPolicy ?? SPEC_RUN_POLICY;
    this.#nextTickFor = options.findNextTick ?? nextTickFor;
  }

  /** The deploy service whose changes this scheduler follows (they reference each other). */
  attach(deploy: DeployService): void {
    this.#deploy = deploy;
  }

  get timezone(): string {
    return this.options.timezone;
  }

  // ---- DeploymentListener: follow the store ----

  added(record: Deployment): void {
    const entry = new Entry(++this.#serial, record);
    this.#entries.set(keyOf(record.ownerId, record.projectId), entry);
    this.#reschedule(entry, record);
  }

  updated(previous: Deployment, next: Deployment): void {
    const entry = this.#entries.get(keyOf(next.ownerId, next.projectId));
    if (!entry) return;
    entry.record = next;
    // A new schedule counts from now, without backfill (RUN-6); errored never ticks again (RUN-5).
    if (previous.schedule.source !== next.schedule.source || next.state === 'errored') this.#reschedule(entry, next);
  }

  removed(record: Deployment): void {
    const key = keyOf(record.ownerId, record.projectId);
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#ticks.remove(entry);
    entry.removedAt = this.clock.now();
    if (entry.current && this.#runPolicy.cancelRunOnRemove) this.#endRun(entry, entry.removedAt, 'cancelled'); // RUN-7
    // Kept queryable for a while if it has a history to show.
    if (entry.ticks || entry.runs) {
      this.#retired.push(entry);
      if (this.#retired.length > RETIRED_LIMIT) this.#retired.shift();
    }
    this.onQueueChange();
  }

  #reschedule(entry: Entry, record: Deployment): void {
    this.#ticks.remove(entry);
    entry.cron =
      record.schedule.expression === undefined ? undefined : this.#nextTickFor(record.schedule.expression, this.options.timezone);
    if (record.state !== 'errored') this.#queueNextTick(entry, this.clock.now());
    this.onQueueChange();
  }

  #queueNextTick(entry: Entry, afterMs: number): void {
    const at = entry.cron?.next(afterMs);
    if (at !== undefined) this.#ticks.add(entry, at);
  }

  // ---- moving the clock ----

  /** Processes every event up to `target` in time order, then sets the clock to `target`. */
  advanceTo(target: number): AdvanceReport {
    const from = this.clock.now();
    // A real clock moves between a caller reading it and this line, so a target a moment behind
    // means now (catchUp and trigger pass the time they read; refusing it would throw at random).
    if (this.clock.mode === 'real' && target < from && from - target <= REAL_CLOCK_SLACK_MS) target = from;
    if (!(target <= MAX_INSTANT_MS)) {
      throw new SchedulerError(
        'CLOCK_OUT_OF_RANGE',
        `The clock cannot pass ${iso(MAX_INSTANT_MS)} (the last instant a Date holds); got ${iso(target)}`,
      );
    }
    if (target < from) {
      throw new SchedulerError('CLOCK_BACKWARDS', `The clock only moves forward: ${iso(target)} is before now (${iso(from)})`);
    }
    const ticks: Record<TickReason, number> = { fired: 0, skipped_overlap: 0, skipped_paused: 0, errored_auth: 0 };
    let runsEnded = 0;
    let events = 0;
    let complete = true;
    for (;;) {
      if (events >= MAX_EVENTS_PER_ADVANCE) {
        complete = false;
        break;
      }
      events += 1;
      const endAt = this.#ends.peek()?.at;
      const tickAt = this.#ticks.peek();
      // At the same instant run ends come first, so a run that ends exactly when its next tick
      // is due does not make that tick skip. Across deployments the order cannot matter: a
      // tick or run end changes only its own deployment.
      if (endAt !== undefined && endAt <= target && (tickAt === undefined || endAt <= tickAt)) {
        const { entry } = this.#ends.pop()!;
        this.clock.moveTo(endAt);
        this.#endRun(entry, endAt, entry.currentOutcome);
        runsEnded += 1;
      } else if (tickAt !== undefined && tickAt <= target) {
        const { at, items } = this.#ticks.take()!;
        this.clock.moveTo(at);
        for (const entry of items) {
          const reason = this.#tick(entry, at);
          if (reason) ticks[reason] += 1;
        }
      } else break;
    }
    if (complete) this.clock.moveTo(target);
    this.onQueueChange();
    return { from, to: this.clock.now(), complete, ticks, runsEnded };
  }

  /**
   * Processes what is already due on a `real` clock (its driver calls this as time passes, and
   * every command does first, so reads never lag a tick). Cheap when nothing is due.
   */
  catchUp(): void {
    const due = this.nextEventAt();
    if (due !== undefined && due <= this.clock.now()) this.advanceTo(this.clock.now());
  }

  /** Moves the clock to the next due tick of any deployment (processing what comes before). */
  runToNextTick(): AdvanceReport {
    let next: number | undefined;
    for (const { tickAt } of this.#entries.values()) {
      if (tickAt !== undefined && (next === undefined || tickAt < next)) next = tickAt;
    }
    return this.advanceTo(next ?? this.clock.now());
  }

  /** When the earliest queued event is due, for the real-time driver. */
  nextEventAt(): number | undefined {
    const endAt = this.#ends.peek()?.at;
    const tickAt = this.#ticks.peek();
    return endAt === undefined ? tickAt : tickAt === undefined ? endAt : Math.min(endAt, tickAt);
  }

  /** One tick coming due (RUN-1..5). Returns what was decided, or undefined if nothing applied. */
  #tick(entry: Entry, at: number): TickReason | undefined {
    const record = entry.record;
    if (record.state === 'errored') return undefined;
    let reason: TickReason;
    let run = 0;
    if (record.state === 'paused') reason = 'skipped_paused';
    else if (!this.credentials.isKeyValid(record.ownerCredential)) reason = 'errored_auth';
    else if (entry.current && this.#runPolicy.skipTickDuringRun) reason = 'skipped_overlap';
    else {
      reason = 'fired';
      run = this.#startRun(entry, at, at, 'schedule');
    }
    entry.counters[reason] += 1;
    (entry.ticks ??= new TickLog(this.options.historyLimit)).push(at, reason, run);
    if (reason === 'errored_auth')
      this.#deploy!.setState(record, 'errored'); // stops the ticks via updated()
    else this.#queueNextTick(entry, at);
    return reason;
  }

  /** Starts a run; returns its number. */
  #startRun(entry: Entry, scheduledFor: number, at: number, trigger: Run['trigger']): number {
    const run = ++this.#runSeq;
    entry.current = run;
    (entry.runs ??= new RunLog(this.options.historyLimit)).start(run, trigger, scheduledFor, at);
    const behavior = this.#behaviorOf(entry);
    entry.currentOutcome = behavior.outcome;
    if (!behavior.hold) {
      entry.end.at = at + behavior.durationMs;
      this.#ends.upsert(entry.end);
    }
    return run;
  }

  /** Ends the deployment's run in progress. */
  #endRun(entry: Entry, at: number, outcome: RunOutcome): void {
    entry.runs!.endNewest(at, outcome);
    entry.counters[outcome] += 1;
    entry.current = 0;
    this.#ends.remove(entry.end);
  }

  #behaviorOf(entry: Entry): RunBehavior {
    return (entry.behavior ??= { ...this.#defaultBehavior, ...this.#behaviors.get(keyOf(entry.userId, entry.projectId)) });
  }

  /** Behaviors changed: every deployment resolves its own again on its next run. */
  #forgetBehaviors(): void {
    for (const entry of this.#entries.values()) entry.behavior = undefined;
  }

  // ---- controls ----

  /** Pauses an active deployment (RUN-4); its ticks are recorded as skipped until resumed. */
  pause(userId: string, projectId: string): Deployment {
    const record = this.#require(userId, projectId);
    if (record.state === 'errored') throw erroredError(projectId);
    return record.state === 'paused' ? record : this.#deploy!.setState(record, 'paused');
  }

  /** Resumes a paused deployment; missed ticks are not made up (RUN-4). */
  resume(userId: string, projectId: string): Deployment {
    const record = this.#require(userId, projectId);
    if (record.state === 'errored') throw erroredError(projectId);
    return record.state === 'active' ? record : this.#deploy!.setState(record, 'active');
  }

  /** Starts a run now, outside the schedule; refused while one is in progress (RUN-9). */
  trigger(userId: string, projectId: string): Run {
    const record = this.#require(userId, projectId);
    if (record.state === 'errored') throw erroredError(projectId);
    const entry = this.#entries.get(keyOf(userId, projectId))!;
    if (entry.current) {
      throw new SchedulerError('RUN_IN_PROGRESS', `A run of ${projectId} is in progress (${runId(entry.current)}); runs never overlap`);
    }
    const now = this.clock.now();
    this.#startRun(entry, now, now, 'manual');
    this.advanceTo(now); // a zero-length run ends now, not at the next clock move
    return runOf(entry, entry.runs!.newest()!);
  }

  /** Ends a run in progress (typically a held one) with the given outcome. */
  endRun(id: string, outcome: RunOutcome): Run {
    // A rare control call: a scan keeps the hot path free of a run index.
    const number = runNumber(id);
    const entry = [...this.#entries.values()].find((e) => e.current === number);
    if (!entry) {
      const known = this.runs({}).some((run) => run.id === id);
      throw known
        ? new SchedulerError('RUN_NOT_IN_PROGRESS', `Run ${id} has ended already`)
        : new SchedulerError('RUN_NOT_FOUND', `No run ${id}`);
    }
    this.#endRun(entry, this.clock.now(), outcome);
    this.onQueueChange();
    return runOf(entry, entry.runs!.newest()!);
  }

  /**
   * Sets how runs behave: for one deployment (by owner and project id), or for the whole server.
   * Applies to runs that start from now on.
   */
  setRunBehavior(behavior: Partial<RunBehavior>, scope?: { userId: string; projectId: string }): RunBehavior {
    this.#forgetBehaviors();
    if (!scope) {
      this.#defaultBehavior = { ...this.#defaultBehavior, ...behavior };
      return this.#defaultBehavior;
    }
    const key = keyOf(scope.userId, scope.projectId);
    this.#behaviors.set(key, { ...this.#behaviors.get(key), ...behavior });
    return { ...this.#defaultBehavior, ...this.#behaviors.get(key) };
  }

  /** A deployment's scheduling picture: counters, run in progress, and its next due times. */
  describe(userId: string, projectId: string, upcoming = 5): ScheduleDescription {
    const record = this.#require(userId, projectId);
    const entry = this.#entries.get(keyOf(userId, projectId))!;
    const nextDue: number[] = [];
    if (record.state !== 'errored' && entry.cron) {
      for (let t: number | undefined = entry.tickAt; t !== undefined && nextDue.length < upcoming; t = entry.cron.next(t)) nextDue.push(t);
    }
    return {
      userId,
      projectId,
      state: record.state,
      schedule: record.schedule.source,
      timezone: this.options.timezone,
      counters: { ...entry.counters },
      runInProgress: entry.current ? runOf(entry, entry.runs!.newest()!) : undefined,
      nextDue,
      runBehavior: this.#behaviorOf(entry),
    };
  }

  /** Every deployment's description, optionally for one user. */
  describeAll(userId?: string): ScheduleDescription[] {
    const out: ScheduleDescription[] = [];
    for (const entry of this.#entries.values()) {
      if (userId === undefined || entry.userId === userId) out.push(this.describe(entry.userId, entry.projectId));
    }
    return out;
  }

  /** Runs, oldest first (removed deployments' recent runs included), optionally filtered. */
  runs(filter: { userId?: string; projectId?: string }): Run[] {
    return this.#collect(filter, (entry) => (entry.runs?.toArray() ?? []).map((run) => runOf(entry, run))).sort(
      (a, b) => a.startedAt - b.startedAt || runNumber(a.id) - runNumber(b.id),
    );
  }

  /** Tick decisions, oldest first, optionally filtered. */
  ticks(filter: { userId?: string; projectId?: string }): TickRecord[] {
    return this.#collect(filter, (entry) =>
      (entry.ticks?.toArray() ?? []).map(({ at, reason, run }): TickRecord => ({
        at,
        userId: entry.userId,
        projectId: entry.projectId,
        reason,
        ...(run > 0 && { runId: runId(run) }),
      })),
    ).sort((a, b) => a.at - b.at);
  }

  #collect<T>(filter: { userId?: string; projectId?: string }, pick: (entry: Entry) => T[]): T[] {
    const out: T[] = [];
    for (const entry of [...this.#retired, ...this.#entries.values()]) {
      if (filter.userId !== undefined && entry.userId !== filter.userId) continue;
      if (filter.projectId !== undefined && entry.projectId !== filter.projectId) continue;
      out.push(...pick(entry));
    }
    return out;
  }

  // ---- state files ----

  /** Everything a state file keeps of the scheduler, as plain JSON. */
  exportState(): SchedulerState {
    return {
      serial: this.#serial,
      runSeq: this.#runSeq,
      runBehavior: changedFields(this.#defaultBehavior, this.options.runBehavior),
      runBehaviors: [...this.#behaviors].map(([key, behavior]) => ({ ...splitKey(key), behavior: { ...behavior } })),
      entries: [...this.#entries.values()].map(entryState),
      retired: this.#retired.map(entryState),
    };
  }

  /**
   * Restores a saved state (validated by the caller) in place of this one. Every entry's
   * deployment must be stored in the deploy service already; ticks and run ends are queued
   * exactly as saved (see replanTicks for a clock that moved on while no server ran).
   */
  importState(state: SchedulerState): void {
    this.reset();
    this.#serial = state.serial;
    this.#runSeq = state.runSeq;
    this.#defaultBehavior = { ...this.options.runBehavior, ...state.runBehavior };
    for (const { userId, projectId, behavior } of state.runBehaviors) this.#behaviors.set(keyOf(userId, projectId), { ...behavior });
    for (const saved of state.entries) {
      const record = this.#deploy?.find(saved.userId, saved.projectId);
      if (!record) throw new Error(`scheduling state for '${saved.projectId}' of user '${saved.userId}', which has no such deployment`);
      const entry = this.#restoreEntry(saved, record);
      this.#entries.set(keyOf(saved.userId, saved.projectId), entry);
      if (saved.tickAt !== null && entry.cron && record.state !== 'errored') this.#ticks.add(entry, saved.tickAt);
      if (saved.run) {
        entry.current = saved.run.number;
        entry.currentOutcome = saved.run.outcome;
        if (saved.run.endAt !== null) {
          entry.end.at = saved.run.endAt;
          this.#ends.upsert(entry.end);
        }
      }
    }
    for (const saved of state.retired.slice(-RETIRED_LIMIT)) {
      const entry = this.#restoreEntry(saved, retiredRecord(saved.userId, saved.projectId));
      entry.removedAt = saved.removedAt;
      this.#retired.push(entry);
    }
    this.onQueueChange();
  }

  #restoreEntry(saved: EntryState, record: Deployment): Entry {
    const entry = new Entry(saved.serial, record);
    const expression = record.schedule.expression;
    entry.cron = expression === undefined ? undefined : this.#nextTickFor(expression, this.options.timezone);
    Object.assign(entry.counters, saved.counters);
    if (saved.ticks.length > 0) {
      entry.ticks = new TickLog(this.options.historyLimit);
      for (const [at, reason, run] of saved.ticks) entry.ticks.push(at, reason, run);
    }
    if (saved.runs.length > 0) {
      entry.runs = new RunLog(this.options.historyLimit);
      for (const [number, trigger, scheduledFor, startedAt, endedAt, outcome] of saved.runs) {
        entry.runs.start(number, trigger, scheduledFor, startedAt);
        if (endedAt !== null) entry.runs.endNewest(endedAt, outcome ?? 'completed');
      }
    }
    // Ending a run writes into the newest run of the log: it must be that run, still open.
    const newest = entry.runs?.newest();
    if (saved.run && (newest?.number !== saved.run.number || newest.endedAt !== undefined)) {
      throw new Error(`run-${saved.run.number} of '${saved.projectId}' is in progress but is not the open, newest run of its history`);
    }
    return entry;
  }

  /**
   * Plans ticks again from now, after a restore: those already due (`'due'`: ticks that came
   * due while no server ran are not made up), or all of them (`'all'`: the time zone changed).
   * Returns how many moved.
   */
  replanTicks(which: 'due' | 'all'): number {
    const now = this.clock.now();
    let moved = 0;
    for (const entry of this.#entries.values()) {
      if (entry.tickAt === undefined || (which === 'due' && entry.tickAt > now)) continue;
      this.#ticks.remove(entry);
      this.#queueNextTick(entry, now);
      moved += 1;
    }
    if (moved > 0) this.onQueueChange();
    return moved;
  }

  /** Forgets every deployment's scheduling state, run and tick; run behavior back to the default. */
  reset(): void {
    this.#entries.clear();
    this.#retired.length = 0;
    this.#ticks.clear();
    this.#ends.clear();
    this.#behaviors.clear();
    this.#defaultBehavior = this.options.runBehavior;
    this.#serial = 0;
    this.#runSeq = 0;
    this.onQueueChange();
  }

  #require(userId: string, projectId: string): Deployment {
    const record = this.#deploy?.find(userId, projectId);
    if (!record) throw new SchedulerError('DEPLOYMENT_NOT_FOUND', `User '${userId}' has no deployment '${projectId}'`);
    return record;
  }
}

/** The scheduler's view of one deployment. @since 0.2.0 */
export interface ScheduleDescription {
  readonly userId: string;
  readonly projectId: string;
  readonly state: Deployment['state'];
  readonly schedule: string;
  readonly timezone: string;
  readonly counters: Counters;
  readonly runInProgress: Run | undefined;
  /** The next due ticks (epoch ms), none for manual or errored deployments. */
  readonly nextDue: number[];
  readonly runBehavior: RunBehavior;
}

/** A deployment's scheduling state as a state file keeps it (plain JSON; times in epoch ms). */
export interface EntryState {
  readonly userId: string;
  readonly projectId: string;
  /** Orders deployments whose ticks fall at the same instant (older first). */
  readonly serial: number;
  /** Its next queued tick, or null. */
  readonly tickAt: number | null;
  /** The run in progress: its number, how it will end, and when (null while held). */
  readonly run: { readonly number: number; readonly outcome: RunOutcome; readonly endAt: number | null } | null;
  readonly counters: Counters;
  /** Tick history, oldest first: [at, reason, run number or 0]. */
  readonly ticks: ReadonlyArray<readonly [number, TickReason, number]>;
  /** Run history, oldest first: [number, trigger, scheduledFor, startedAt, endedAt, outcome]. */
  readonly runs: ReadonlyArray<readonly [number, Run['trigger'], number, number, number | null, RunOutcome | null]>;
  /** Removed deployments kept for their history: when they were removed. */
  readonly removedAt?: number;
}

/** The scheduler as a state file keeps it. */
export interface SchedulerState {
  /** Last deployment serial and run number handed out. */
  readonly serial: number;
  readonly runSeq: number;
  /** Server-wide run behavior changes over the configured default. */
  readonly runBehavior: Partial<RunBehavior>;
  readonly runBehaviors: ReadonlyArray<{ readonly userId: string; readonly projectId: string; readonly behavior: Partial<RunBehavior> }>;
  /** Deployments, in the order they were added. */
  readonly entries: readonly EntryState[];
  /** Recently removed deployments, oldest first. */
  readonly retired: readonly EntryState[];
}

function entryState(entry: Entry): EntryState {
  return {
    userId: entry.userId,
    projectId: entry.projectId,
    serial: entry.serial,
    tickAt: entry.tickAt ?? null,
    run: entry.current
      ? { number: entry.current, outcome: entry.currentOutcome, endAt: entry.end.heapIndex >= 0 ? entry.end.at : null }
      : null,
    counters: { ...entry.counters },
    ticks: (entry.ticks?.toArray() ?? []).map(({ at, reason, run }) => [at, reason, run] as const),
    runs: (entry.runs?.toArray() ?? []).map(
      (r) => [r.number, r.trigger, r.scheduledFor, r.startedAt, r.endedAt ?? null, r.outcome ?? null] as const,
    ),
    ...(entry.removedAt !== undefined && { removedAt: entry.removedAt }),
  };
}

/** The fields of `behavior` that differ from `base`. */
function changedFields(behavior: RunBehavior, base: RunBehavior): Partial<RunBehavior> {
  return Object.fromEntries(Object.entries(behavior).filter(([field, value]) => base[field as keyof RunBehavior] !== value));
}

/** A removed deployment's record is never read again (only its history is): this stands in for it. */
function retiredRecord(userId: string, projectId: string): Deployment {
  return {
    projectId,
    ownerId: userId,
    ownerCredential: '',
    pipelineJson: JSON.stringify({ project_id: projectId }),
    schedule: { source: 'manual', expression: undefined },
    state: 'active',
    createdAt: 0,
    updatedAt: 0,
  };
}

function erroredError(projectId: string): SchedulerError {
  return new SchedulerError(
    'DEPLOYMENT_ERRORED',
    `Deployment ${projectId} is errored: its owner's key was revoked. Remove it and add it again to resume runs`,
  );
}

/** Owner and project id as one unambiguous key (the length prefix keeps 'a'+'bc' apart from 'ab'+'c'). */
function keyOf(userId: string, projectId: string): string {
  return `${userId.length}:${userId}${projectId}`;
}

/** The owner and project id back out of keyOf's key. */
function splitKey(key: string): { userId: string; projectId: string } {
  const colon = key.indexOf(':');
  const end = colon + 1 + Number(key.slice(0, colon));
  return { userId: key.slice(colon + 1, end), projectId: key.slice(end) };
}

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

function runId(number: number): string {
  return `run-${number}`;
}

/** The number in `run-12`, or NaN. */
function runNumber(id: string): number {
  return /^run-[1-9]\d*$/.test(id) ? Number(id.slice(4)) : NaN;
}

function runOf(entry: Entry, run: RunEntry): Run {
  return {
    id: runId(run.number),
    userId: entry.userId,
    projectId: entry.projectId,
    trigger: run.trigger,
    scheduledFor: run.scheduledFor,
    startedAt: run.startedAt,
    ...(run.endedAt !== undefined && { endedAt: run.endedAt }),
    ...(run.outcome !== undefined && { outcome: run.outcome }),
  };
}
