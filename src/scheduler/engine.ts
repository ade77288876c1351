/**
 * The scheduler's engine (RUN-1..8): due ticks and run ends wait in one priority queue; moving
 * the clock processes them in time order, exactly as if the time had passed, so advancing by
 * a+b at once or by a then b gives the same history (RUN-8). It follows the stored deployments
 * as their listener. Nothing here reads the wall clock or touches I/O.
 */
import type { ServerClock } from '../domain/clock.js';
import type { DeployService, DeploymentListener } from '../domain/deploy-service.js';
import type { Deployment } from '../domain/deployment.js';
import type { EventSink } from '../server-events.js';
import { Entry, keyOf, type RunEnd } from './entry.js';
import { SchedulerError } from './errors.js';
import { TickBuckets } from './heap.js';
import { HistoryBudget, RunLog, TickLog } from './history.js';
import { nextTickFor, type NextTick, type NextTickFinder } from './next-tick.js';
import { RunBehaviors } from './run-behaviors.js';
import { SPEC_RUN_POLICY, type RunPolicy } from './run-policy.js';
import { Timeline } from './timeline.js';
import type { Run, RunBehavior, RunOutcome, TickReason, TickRecord } from './types.js';
import { runAt, runId, tickAt } from './views.js';

export interface SchedulerOptions {
  /** IANA time zone the cron expressions are read in (already validated). */
  readonly timezone: string;
  /** How runs behave unless a deployment has its own behavior. */
  readonly runBehavior: RunBehavior;
  /** Ticks and runs kept per deployment; counters stay exact past it. */
  readonly historyLimit: number;
  /** Ticks and runs kept by all deployments together (each keeps its share). Default: no bound. */
  readonly maxHistoryEntries?: number;
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
 * Told of each change to what a state file keeps of the scheduling, as it is made, so that a
 * state file's writer writes only what changed (persist/changes.ts).
 */
export interface SchedulingChanges {
  /** A deployment's entry was made or changed: its ticks, runs, counters or planned tick. */
  entryChanged(entry: Entry): void;
  /** A removed deployment's entry joined the retired ones (kept for its history). */
  entryRetired(entry: Entry): void;
  /** A retired entry was let go. */
  entryForgotten(entry: Entry): void;
  /** Anything may have changed: every entry was replaced or forgotten (a reset, a restore). */
  anythingChanged(): void;
}

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
export const RETIRED_LIMIT = 100;

/**
 * The engine's state is open to the scheduler's commands, views and state export, which are
 * built on it (scheduler.ts); only the Scheduler is used outside this folder.
 */
export class SchedulerEngine implements DeploymentListener {
  readonly entries = new Map<string, Entry>();
  readonly retired: Entry[] = [];
  readonly tickQueue = new TickBuckets<Entry>();
  /** Run ends grouped by instant like the ticks: runs started by one tick end together. */
  readonly runEnds = new TickBuckets<RunEnd>();
  readonly behaviors: RunBehaviors;
  /** What every tick and run log keeps, and each one's share (history.ts). */
  readonly history: HistoryBudget;
  /** Every deployment's tick decisions in tick order (time, then deployment), and runs in run order (start, then number). */
  readonly tickTimeline = new Timeline<Entry, TickRecord>((entry) => entry.ticks, tickAt);
  readonly runTimeline = new Timeline<Entry, Run>((entry) => entry.runs, runAt);
  serial = 0;
  runSeq = 0;
  /** Bumped when `entries` gains or loses an entry (the views keep them in an array by serial). */
  entriesVersion = 0;
  deployService: DeployService | undefined;
  /** Told of every run's start and end, when someone listens (the assembly sets it). */
  events: EventSink | undefined;
  /** Told of every change a state file keeps, when there is one (the assembly sets it). */
  changes: SchedulingChanges | undefined;
  readonly #runPolicy: RunPolicy;
  readonly #nextTickFor: NextTickFinder;

  constructor(
    readonly clock: ServerClock,
    private readonly credentials: CredentialCheck,
    readonly options: SchedulerOptions,
    /** Told when the earliest queued event may have changed (the real-time driver re-arms its timer). */
    readonly onQueueChange: () => void = () => {},
  ) {
    this.behaviors = new RunBehaviors(options.runBehavior);
    this.history = new HistoryBudget(options.historyLimit, options.maxHistoryEntries);
    this.#runPolicy = options.runPolicy ?? SPEC_RUN_POLICY;
    this.#nextTickFor = options.findNextTick ?? nextTickFor;
  }

  /** The deploy service whose changes this scheduler follows (they reference each other). */
  attach(deploy: DeployService): void {
    this.deployService = deploy;
  }

  get timezone(): string {
    return this.options.timezone;
  }

  // ---- DeploymentListener: follow the store ----

  added(record: Deployment): void {
    const entry = new Entry(++this.serial, record);
    this.entries.set(keyOf(record.ownerId, record.projectId), entry);
    this.entriesVersion += 1;
    this.changes?.entryChanged(entry);
    this.#reschedule(entry, record);
  }

  updated(previous: Deployment, next: Deployment): void {
    const entry = this.entries.get(keyOf(next.ownerId, next.projectId));
    if (!entry) return;
    entry.record = next;
    this.changes?.entryChanged(entry);
    // A new schedule counts from now, without backfill (RUN-6); errored never ticks again (RUN-5).
    if (previous.schedule.source !== next.schedule.source || next.state === 'errored') this.#reschedule(entry, next);
  }

  removed(record: Deployment): void {
    const key = keyOf(record.ownerId, record.projectId);
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.entriesVersion += 1;
    this.tickQueue.remove(entry);
    entry.removedAt = this.clock.now();
    if (entry.current && this.#runPolicy.cancelRunOnRemove) this.finishRun(entry, entry.removedAt, 'cancelled'); // RUN-7
    this.changes?.entryChanged(entry);
    // Kept queryable for a while if it has a history to show.
    if (entry.ticks || entry.runs) {
      this.retired.push(entry);
      this.changes?.entryRetired(entry);
      if (this.retired.length > RETIRED_LIMIT) {
        const oldest = this.retired.shift()!;
        this.forget(oldest);
        this.changes?.entryForgotten(oldest);
      }
    }
    this.onQueueChange();
  }

  #reschedule(entry: Entry, record: Deployment): void {
    this.tickQueue.remove(entry);
    entry.cron = this.cronOf(record);
    if (record.state !== 'errored') this.queueNextTick(entry, this.clock.now());
    this.onQueueChange();
  }

  /** The search for a deployment's ticks, none for a manual one. */
  cronOf(record: Deployment): NextTick | undefined {
    const expression = record.schedule.expression;
    return expression === undefined ? undefined : this.#nextTickFor(expression, this.options.timezone);
  }

  queueNextTick(entry: Entry, afterMs: number): void {
    const at = entry.cron?.next(afterMs);
    if (at !== undefined) this.tickQueue.add(entry, at);
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
      const endAt = this.runEnds.peek();
      const tickAt = this.tickQueue.peek();
      // At the same instant run ends come first, so a run that ends exactly when its next tick
      // is due does not make that tick skip. Across deployments the order cannot matter: a
      // tick or run end changes only its own deployment.
      if (endAt !== undefined && endAt <= target && (tickAt === undefined || endAt <= tickAt)) {
        const { at, items } = this.runEnds.take()!;
        this.clock.moveTo(at);
        for (const { entry } of items) this.finishRun(entry, at, entry.currentOutcome);
        runsEnded += items.length;
        events += Math.max(1, items.length);
      } else if (tickAt !== undefined && tickAt <= target) {
        const { at, items } = this.tickQueue.take()!;
        this.clock.moveTo(at);
        events += Math.max(1, items.length); // the cap counts ticks, not instants: a bucket may hold thousands
        for (const entry of items) {
          this.changes?.entryChanged(entry); // its planned tick was taken, whatever it decides
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

  /**
   * Moves the clock to the next due tick of any deployment (processing what comes before).
   * With no tick to come, the clock stays and the report says `nothingDue`.
   */
  runToNextTick(): AdvanceReport & { nothingDue?: true } {
    let next: number | undefined;
    for (const { tickAt } of this.entries.values()) {
      if (tickAt !== undefined && (next === undefined || tickAt < next)) next = tickAt;
    }
    return next === undefined ? { ...this.advanceTo(this.clock.now()), nothingDue: true } : this.advanceTo(next);
  }

  /** When the earliest queued event is due, for the real-time driver. */
  nextEventAt(): number | undefined {
    const endAt = this.runEnds.peek();
    const tickAt = this.tickQueue.peek();
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
      run = this.startRun(entry, at, at, 'schedule');
    }
    entry.counters[reason] += 1;
    const ticks = (entry.ticks ??= new TickLog(this.history));
    ticks.push(at, reason, run);
    this.tickTimeline.append(entry, ticks.newestSeq, at, entry.serial);
    if (reason === 'errored_auth')
      this.deployService!.setState(record, 'errored'); // stops the ticks via updated()
    else this.queueNextTick(entry, at);
    return reason;
  }

  /** Starts a run; returns its number. */
  startRun(entry: Entry, scheduledFor: number, at: number, trigger: Run['trigger']): number {
    const run = ++this.runSeq;
    entry.current = run;
    this.changes?.entryChanged(entry);
    const runs = (entry.runs ??= new RunLog(this.history));
    runs.start(run, trigger, scheduledFor, at);
    this.runTimeline.append(entry, runs.newestSeq, at, run);
    const behavior = this.behaviorOf(entry);
    entry.currentOutcome = behavior.outcome;
    if (!behavior.hold) {
      this.runEnds.add(entry.end, at + behavior.durationMs);
    }
    this.events?.emit('run-started', { runId: runId(run), userId: entry.userId, projectId: entry.projectId, trigger });
    return run;
  }

  /** Ends the deployment's run in progress. */
  finishRun(entry: Entry, at: number, outcome: RunOutcome): void {
    if (this.events) {
      const { number, startedAt } = entry.runs!.newest()!;
      const { userId, projectId } = entry;
      this.events.emit('run-ended', { runId: runId(number), userId, projectId, outcome, durationMs: at - startedAt });
    }
    entry.runs!.endNewest(at, outcome);
    this.changes?.entryChanged(entry);
    entry.counters[outcome] += 1;
    entry.current = 0;
    this.runEnds.remove(entry.end);
  }

  behaviorOf(entry: Entry): RunBehavior {
    return (entry.behavior ??= this.behaviors.of(entry.userId, entry.projectId));
  }

  /** Behaviors changed: every deployment resolves its own again on its next run. */
  forgetBehaviors(): void {
    for (const entry of this.entries.values()) entry.behavior = undefined;
  }

  /**
   * Plans ticks again from now, after a restore: those already due (`'due'`: ticks that came
   * due while no server ran are not made up), or all of them (`'all'`: the time zone changed).
   * Returns how many moved.
   */
  replanTicks(which: 'due' | 'all'): number {
    const now = this.clock.now();
    let moved = 0;
    for (const entry of this.entries.values()) {
      if (entry.tickAt === undefined || (which === 'due' && entry.tickAt > now)) continue;
      this.tickQueue.remove(entry);
      this.queueNextTick(entry, now);
      this.changes?.entryChanged(entry);
      moved += 1;
    }
    if (moved > 0) this.onQueueChange();
    return moved;
  }

  /** Forgets every deployment's scheduling state, run and tick; run behavior back to the default. */
  reset(): void {
    this.history.reset();
    this.tickTimeline.clear();
    this.runTimeline.clear();
    this.entries.clear();
    this.entriesVersion += 1;
    this.retired.length = 0;
    this.tickQueue.clear();
    this.runEnds.clear();
    this.behaviors.reset();
    this.serial = 0;
    this.runSeq = 0;
    this.changes?.anythingChanged();
    this.onQueueChange();
  }

  /** Lets go of a removed deployment's history: its entries no longer count. */
  forget(entry: Entry): void {
    if (entry.ticks) this.history.closed(entry.ticks);
    if (entry.runs) this.history.closed(entry.runs);
    // The timelines skip its places from now on, and sweep them out.
    entry.ticks = undefined;
    entry.runs = undefined;
  }

  /** A stored deployment's record, or a DEPLOYMENT_NOT_FOUND error. */
  require(userId: string, projectId: string): Deployment {
    const record = this.deployService?.find(userId, projectId);
    if (!record) throw new SchedulerError('DEPLOYMENT_NOT_FOUND', `User '${userId}' has no deployment '${projectId}'`);
    return record;
  }
}

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}
