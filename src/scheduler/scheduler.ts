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
import { MinHeap, Ring } from './heap.js';
import { nextTickFor, type NextTick } from './next-tick.js';
import { newCounters, type Counters, type Run, type RunBehavior, type RunOutcome, type TickReason, type TickRecord } from './types.js';

export interface SchedulerOptions {
  /** IANA time zone the cron expressions are read in (already validated). */
  readonly timezone: string;
  /** How runs behave unless a deployment has its own behavior. */
  readonly runBehavior: RunBehavior;
  /** Ticks and runs kept per deployment; counters stay exact past it. */
  readonly historyLimit: number;
}

/** What the scheduler needs to know about credentials (RUN-5). */
export interface CredentialCheck {
  isKeyValid(key: string): boolean;
}

/** One deployment's scheduling state, from its `add` to its `remove`. */
interface Entry {
  readonly serial: number;
  readonly userId: string;
  readonly projectId: string;
  cron: NextTick | undefined;
  /** Bumped when queued ticks become stale (schedule changed, errored, removed). */
  version: number;
  /** The pending tick's time, if one is queued. */
  nextDue: number | undefined;
  current: Run | undefined;
  readonly counters: Counters;
  readonly ticks: Ring<TickRecord>;
  readonly runs: Ring<Run>;
  removedAt: number | undefined;
}

/** A queued event. Run ends come before ticks at the same instant, so back-to-back runs do not overlap. */
type Event =
  | { readonly at: number; readonly kind: 'end'; readonly order: number; readonly entry: Entry; readonly run: Run }
  | { readonly at: number; readonly kind: 'tick'; readonly order: number; readonly entry: Entry; readonly version: number };

const before = (a: Event, b: Event) =>
  a.at !== b.at ? a.at < b.at : a.kind !== b.kind ? a.kind === 'end' : a.order < b.order;

/** What one clock move did. */
export interface AdvanceReport {
  readonly from: number;
  readonly to: number;
  readonly ticks: Record<TickReason, number>;
  readonly runsEnded: number;
}

/** Deployments removed recently stay queryable (their runs and ticks), up to this many. */
const RETIRED_LIMIT = 100;

/** @since 0.2.0 */
export class Scheduler implements DeploymentListener {
  readonly #entries = new Map<string, Entry>();
  readonly #retired: Entry[] = [];
  readonly #queue = new MinHeap<Event>(before);
  readonly #behaviors = new Map<string, Partial<RunBehavior>>();
  readonly #running = new Map<string, Entry>();
  #defaultBehavior: RunBehavior;
  #serial = 0;
  #runSeq = 0;
  #deploy: DeployService | undefined;

  constructor(
    private readonly clock: ServerClock,
    private readonly credentials: CredentialCheck,
    private readonly options: SchedulerOptions,
    /** Told when the earliest queued event may have changed (the real-time driver re-arms its timer). */
    private readonly onQueueChange: () => void = () => {},
  ) {
    this.#defaultBehavior = options.runBehavior;
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
    const entry: Entry = {
      serial: ++this.#serial,
      userId: record.ownerId,
      projectId: record.projectId,
      cron: undefined,
      version: 0,
      nextDue: undefined,
      current: undefined,
      counters: newCounters(),
      ticks: new Ring(this.options.historyLimit),
      runs: new Ring(this.options.historyLimit),
      removedAt: undefined,
    };
    this.#entries.set(keyOf(record.ownerId, record.projectId), entry);
    this.#reschedule(entry, record);
  }

  updated(previous: Deployment, next: Deployment): void {
    const entry = this.#entries.get(keyOf(next.ownerId, next.projectId));
    if (!entry) return;
    // A new schedule counts from now, without backfill (RUN-6); errored never ticks again (RUN-5).
    if (previous.schedule.source !== next.schedule.source || next.state === 'errored') this.#reschedule(entry, next);
  }

  removed(record: Deployment): void {
    const key = keyOf(record.ownerId, record.projectId);
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    entry.version += 1;
    entry.nextDue = undefined;
    entry.removedAt = this.clock.now();
    if (entry.current) this.#endRun(entry, entry.current, entry.removedAt, 'cancelled'); // RUN-7
    this.#retired.push(entry);
    if (this.#retired.length > RETIRED_LIMIT) this.#retired.shift();
    this.onQueueChange();
  }

  #reschedule(entry: Entry, record: Deployment): void {
    entry.version += 1;
    entry.nextDue = undefined;
    entry.cron = record.schedule.expression === undefined ? undefined : nextTickFor(record.schedule.expression, this.options.timezone);
    if (record.state !== 'errored') this.#queueNextTick(entry, this.clock.now());
    this.onQueueChange();
  }

  #queueNextTick(entry: Entry, afterMs: number): void {
    const at = entry.cron?.next(afterMs);
    entry.nextDue = at;
    if (at !== undefined) this.#queue.push({ at, kind: 'tick', order: entry.serial, entry, version: entry.version });
  }

  // ---- moving the clock ----

  /** Processes every event up to `target` in time order, then sets the clock to `target`. */
  advanceTo(target: number): AdvanceReport {
    const from = this.clock.now();
    if (!Number.isFinite(target) || target < from) {
      throw new SchedulerError(
        'CLOCK_BACKWARDS',
        `The clock only moves forward: ${iso(target)} is before now (${iso(from)})`,
      );
    }
    const ticks: Record<TickReason, number> = { fired: 0, skipped_overlap: 0, skipped_paused: 0, errored_auth: 0 };
    let runsEnded = 0;
    for (let event = this.#queue.peek(); event !== undefined && event.at <= target; event = this.#queue.peek()) {
      this.#queue.pop();
      this.clock.moveTo(event.at);
      if (event.kind === 'end') {
        if (event.run.endedAt === undefined) {
          this.#endRun(event.entry, event.run, event.at, this.#behaviorOf(event.entry).outcome);
          runsEnded += 1;
        }
      } else if (event.version === event.entry.version && event.entry.removedAt === undefined) {
        const reason = this.#tick(event.entry, event.at);
        if (reason) ticks[reason] += 1;
      }
    }
    this.clock.moveTo(target);
    this.onQueueChange();
    return { from, to: this.clock.now(), ticks, runsEnded };
  }

  /**
   * Processes what is already due on a `real` clock (its driver calls this as time passes, and
   * every command does first, so reads never lag a tick). Cheap when nothing is due.
   */
  catchUp(): void {
    const due = this.#queue.peek();
    if (due !== undefined && due.at <= this.clock.now()) this.advanceTo(this.clock.now());
  }

  /** Moves the clock to the next due tick of any deployment (processing what comes before). */
  runToNextTick(): AdvanceReport {
    let next: number | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.nextDue !== undefined && (next === undefined || entry.nextDue < next)) next = entry.nextDue;
    }
    return this.advanceTo(next ?? this.clock.now());
  }

  /** When the earliest queued event is due, for the real-time driver. */
  nextEventAt(): number | undefined {
    return this.#queue.peek()?.at;
  }

  /** One tick coming due (RUN-1..5). Returns what was decided, or undefined if nothing applied. */
  #tick(entry: Entry, at: number): TickReason | undefined {
    const record = this.#deploy?.find(entry.userId, entry.projectId);
    if (!record || record.state === 'errored') return undefined;
    let reason: TickReason;
    let runId: string | undefined;
    if (record.state === 'paused') reason = 'skipped_paused';
    else if (!this.credentials.isKeyValid(record.ownerCredential)) reason = 'errored_auth';
    else if (entry.current) reason = 'skipped_overlap';
    else {
      reason = 'fired';
      runId = this.#startRun(entry, at, at, 'schedule').id;
    }
    entry.counters[reason] += 1;
    entry.ticks.push({ at, userId: entry.userId, projectId: entry.projectId, reason, ...(runId && { runId }) });
    if (reason === 'errored_auth') this.#deploy!.setState(record, 'errored'); // stops the ticks via updated()
    else this.#queueNextTick(entry, at);
    return reason;
  }

  #startRun(entry: Entry, scheduledFor: number, at: number, trigger: Run['trigger']): Run {
    const run: Run = { id: `run-${++this.#runSeq}`, userId: entry.userId, projectId: entry.projectId, trigger, scheduledFor, startedAt: at };
    entry.current = run;
    entry.runs.push(run);
    this.#running.set(run.id, entry);
    const behavior = this.#behaviorOf(entry);
    if (!behavior.hold) this.#queue.push({ at: at + behavior.durationMs, kind: 'end', order: this.#runSeq, entry, run });
    return run;
  }

  #endRun(entry: Entry, run: Run, at: number, outcome: RunOutcome): void {
    run.endedAt = at;
    run.outcome = outcome;
    entry.counters[outcome] += 1;
    if (entry.current === run) entry.current = undefined;
    this.#running.delete(run.id);
  }

  #behaviorOf(entry: Entry): RunBehavior {
    return { ...this.#defaultBehavior, ...this.#behaviors.get(keyOf(entry.userId, entry.projectId)) };
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
      throw new SchedulerError('RUN_IN_PROGRESS', `A run of ${projectId} is in progress (${entry.current.id}); runs never overlap`);
    }
    const now = this.clock.now();
    const run = this.#startRun(entry, now, now, 'manual');
    this.onQueueChange();
    return run;
  }

  /** Ends a run in progress (typically a held one) with the given outcome. */
  endRun(runId: string, outcome: RunOutcome): Run {
    const entry = this.#running.get(runId);
    if (!entry || entry.current?.id !== runId) {
      const known = this.runs({}).some((run) => run.id === runId);
      throw known
        ? new SchedulerError('RUN_NOT_IN_PROGRESS', `Run ${runId} has ended already`)
        : new SchedulerError('RUN_NOT_FOUND', `No run ${runId}`);
    }
    const run = entry.current;
    this.#endRun(entry, run, this.clock.now(), outcome);
    return run;
  }

  /**
   * Sets how runs behave: for one deployment (by owner and project id), or for the whole server.
   * Applies to runs that start from now on.
   */
  setRunBehavior(behavior: Partial<RunBehavior>, scope?: { userId: string; projectId: string }): RunBehavior {
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
      for (let t = entry.nextDue; t !== undefined && nextDue.length < upcoming; t = entry.cron.next(t)) nextDue.push(t);
    }
    return {
      userId,
      projectId,
      state: record.state,
      schedule: record.schedule.source,
      timezone: this.options.timezone,
      counters: { ...entry.counters },
      runInProgress: entry.current && { ...entry.current },
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
    return this.#collect(filter, (entry) => entry.runs.toArray())
      .sort((a, b) => a.startedAt - b.startedAt || runNumber(a) - runNumber(b))
      .map((run) => ({ ...run }));
  }

  /** Tick decisions, oldest first, optionally filtered. */
  ticks(filter: { userId?: string; projectId?: string }): TickRecord[] {
    return this.#collect(filter, (entry) => entry.ticks.toArray()).sort((a, b) => a.at - b.at);
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

  /** Forgets every deployment's scheduling state, run and tick; run behavior back to the default. */
  reset(): void {
    this.#entries.clear();
    this.#retired.length = 0;
    this.#queue.clear();
    this.#behaviors.clear();
    this.#running.clear();
    this.#defaultBehavior = this.options.runBehavior;
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

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

function runNumber(run: Run): number {
  return Number(run.id.slice(4));
}
