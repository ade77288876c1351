/**
 * Scheduled runs on the server's clock (RUN-1..9): the engine (engine.ts) and the commands the
 * control API gives it: pause, resume, trigger and end runs, set run behavior; its views
 * (views.ts) and its state for a state file (saved-state.ts).
 */
import type { Deployment } from '../domain/deployment.js';
import { keyOf, type Entry } from './entry.js';
import { RETIRED_LIMIT, SchedulerEngine } from './engine.js';
import { SchedulerError } from './errors.js';
import { entryState, logsOf, restoredEntry, retiredRecord, type EntryState, type SchedulerState } from './saved-state.js';
import type { Run, RunBehavior, RunOutcome, TickRecord } from './types.js';
import { mergePage, type MergedPage, type OrderedSource, type PageRequest } from './pages.js';
import type { Place } from './timeline.js';
import {
  describeEntry,
  matches,
  runId,
  runNumber,
  runOf,
  runPage,
  runsOf,
  tickPage,
  ticksOf,
  type HistoryFilter,
  type ScheduleDescription,
} from './views.js';

/** Most deployments a filtered page merges the logs of; past it, the page reads the timeline. */
const FEW_MERGED = 64;

// The control API imports these from here.
export type { AdvanceReport } from './engine.js';
export type { ScheduleDescription } from './views.js';

/** @since 0.2.0 */
export class Scheduler extends SchedulerEngine {
  // ---- controls ----

  /** Pauses an active deployment (RUN-4); its ticks are recorded as skipped until resumed. */
  pause(userId: string, projectId: string): Deployment {
    const record = this.require(userId, projectId);
    if (record.state === 'errored') throw erroredError(projectId);
    return record.state === 'paused' ? record : this.deployService!.setState(record, 'paused');
  }

  /** Resumes a paused deployment; missed ticks are not made up (RUN-4). */
  resume(userId: string, projectId: string): Deployment {
    const record = this.require(userId, projectId);
    if (record.state === 'errored') throw erroredError(projectId);
    return record.state === 'active' ? record : this.deployService!.setState(record, 'active');
  }

  /** Starts a run now, outside the schedule; refused while one is in progress (RUN-9). */
  trigger(userId: string, projectId: string): Run {
    const record = this.require(userId, projectId);
    if (record.state === 'errored') throw erroredError(projectId);
    const entry = this.entries.get(keyOf(userId, projectId))!;
    if (entry.current) {
      throw new SchedulerError('RUN_IN_PROGRESS', `A run of ${projectId} is in progress (${runId(entry.current)}); runs never overlap`);
    }
    const now = this.clock.now();
    this.startRun(entry, now, now, 'manual');
    this.advanceTo(now); // a zero-length run ends now, not at the next clock move
    return runOf(entry, entry.runs!.newest()!);
  }

  /** Ends a run in progress (typically a held one) with the given outcome. */
  endRun(id: string, outcome: RunOutcome): Run {
    // A rare control call: a scan keeps the hot path free of a run index.
    const number = runNumber(id);
    const entry = [...this.entries.values()].find((e) => e.current === number);
    if (!entry) {
      const known = this.runs({}).some((run) => run.id === id);
      throw known
        ? new SchedulerError('RUN_NOT_IN_PROGRESS', `Run ${id} has ended already`)
        : new SchedulerError('RUN_NOT_FOUND', `No run ${id}`);
    }
    this.finishRun(entry, this.clock.now(), outcome);
    this.onQueueChange();
    return runOf(entry, entry.runs!.newest()!);
  }

  /**
   * Sets how runs behave: for one deployment (by owner and project id), or for the whole server.
   * Applies to runs that start from now on.
   */
  setRunBehavior(behavior: Partial<RunBehavior>, scope?: { userId: string; projectId: string }): RunBehavior {
    this.forgetBehaviors();
    return this.behaviors.change(behavior, scope);
  }

  // ---- views ----

  /** A deployment's scheduling picture: counters, run in progress, and its next due times. */
  describe(userId: string, projectId: string, upcoming = 5): ScheduleDescription {
    const record = this.require(userId, projectId);
    const entry = this.entries.get(keyOf(userId, projectId))!;
    return describeEntry(entry, record, this.options.timezone, this.behaviorOf(entry), upcoming);
  }

  /** Every deployment's description, optionally for one user. */
  describeAll(userId?: string): ScheduleDescription[] {
    const out: ScheduleDescription[] = [];
    for (const entry of this.entries.values()) {
      if (userId === undefined || entry.userId === userId) out.push(this.describe(entry.userId, entry.projectId));
    }
    return out;
  }

  /** A page of deployments' descriptions in the order they were added (their serials), optionally one user's. */
  deploymentPage(userId: string | undefined, request: PageRequest): MergedPage<ScheduleDescription> {
    const entries = userId === undefined ? this.#inOrder() : this.#inOrder().filter((e) => e.userId === userId);
    const source: OrderedSource<ScheduleDescription> = {
      size: entries.length,
      primary: (i) => entries[i]!.serial,
      secondary: () => 0,
      item: (i) => this.describe(entries[i]!.userId, entries[i]!.projectId),
    };
    return mergePage([source], request);
  }

  /** The deployments by serial, kept until one comes or goes. */
  #inOrder(): Entry[] {
    if (this.#ordered?.version !== this.entriesVersion) {
      // The map's order already (each is added with the next serial), unless a state file was edited.
      const entries = [...this.entries.values()];
      if (entries.some((entry, i) => i > 0 && entry.serial < entries[i - 1]!.serial)) entries.sort((a, b) => a.serial - b.serial);
      this.#ordered = { version: this.entriesVersion, entries };
    }
    return this.#ordered.entries;
  }

  #ordered: { readonly version: number; readonly entries: Entry[] } | undefined;

  /** Runs, oldest first (removed deployments' recent runs included), optionally filtered. */
  runs(filter: HistoryFilter): Run[] {
    return runsOf(this.#withRetired(), filter);
  }

  /**
   * Moves whenever any deployment's description (describe) could change: its record, its planned
   * ticks, its counters and run in progress (the history), its run behavior.
   */
  get describeVersion(): string {
    return `${this.deployService?.version ?? 0}.${this.tickQueue.version}.${this.history.version}.${this.behaviors.version}`;
  }

  /** A page of runs (removed deployments' recent runs included), optionally filtered. */
  runPage(filter: HistoryFilter, request: PageRequest): MergedPage<Run> {
    const few = this.#fewPicked(filter);
    return few ? runPage(few, filter, request) : this.runTimeline.page(request, (entry) => matches(entry, filter));
  }

  /** Tick decisions, oldest first, optionally filtered. */
  ticks(filter: HistoryFilter): TickRecord[] {
    return ticksOf(this.#withRetired(), filter);
  }

  /** A page of tick decisions, optionally filtered. */
  tickPage(filter: HistoryFilter, request: PageRequest): MergedPage<TickRecord> {
    const few = this.#fewPicked(filter);
    return few ? tickPage(few, filter, request) : this.tickTimeline.page(request, (entry) => matches(entry, filter));
  }

  /**
   * The deployments a filter picks, when they are few (one deployment, one project id): merging
   * their logs reads only theirs, where the timeline would step over everyone's entries.
   */
  #fewPicked(filter: HistoryFilter): Entry[] | undefined {
    if (filter.userId === undefined && filter.projectId === undefined) return undefined;
    const few: Entry[] = [];
    for (const entries of [this.retired, this.entries.values()])
      for (const entry of entries) if (matches(entry, filter) && few.push(entry) > FEW_MERGED) return undefined;
    return few;
  }

  /** The timelines of restored logs: every entry's place, in order. */
  #placeHistory(): void {
    const ticks: Array<Place<Entry>> = [];
    const runs: Array<Place<Entry>> = [];
    for (const entry of this.#withRetired()) {
      const t = entry.ticks;
      for (let i = 0; t && i < t.size; i++) ticks.push({ owner: entry, seq: t.seqOf(i), primary: t.atOf(i), secondary: entry.serial });
      const r = entry.runs;
      for (let i = 0; r && i < r.size; i++)
        runs.push({ owner: entry, seq: r.seqOf(i), primary: r.startedAtOf(i), secondary: r.numberOf(i) });
    }
    this.tickTimeline.load(ticks);
    this.runTimeline.load(runs);
  }

  #withRetired(): Entry[] {
    return [...this.retired, ...this.entries.values()];
  }

  // ---- state files ----

  /** Everything a state file keeps of the scheduler, as plain JSON. */
  exportState(): SchedulerState {
    return {
      serial: this.serial,
      runSeq: this.runSeq,
      ...this.behaviors.exportState(),
      entries: [...this.entries.values()].map((entry) => entryState(entry)),
      retired: this.retired.map((entry) => entryState(entry)),
    };
  }

  /**
   * Restores a saved state (validated by the caller) in place of this one. Every entry's
   * deployment must be stored in the deploy service already; ticks and run ends are queued
   * exactly as saved (see replanTicks for a clock that moved on while no server ran).
   */
  importState(state: SchedulerState): void {
    this.reset();
    this.serial = state.serial;
    this.runSeq = state.runSeq;
    this.behaviors.importState(state);
    const retired = state.retired.slice(-RETIRED_LIMIT);
    // Each log gets the share it will have among all of them, so no restored log crowds out the next.
    const keep = this.history.shareAmong(logsOf(state.entries) + logsOf(retired));
    for (const saved of state.entries) {
      const record = this.deployService?.find(saved.userId, saved.projectId);
      if (!record) throw new Error(`scheduling state for '${saved.projectId}' of user '${saved.userId}', which has no such deployment`);
      const entry = this.#restore(saved, record, keep);
      this.entries.set(keyOf(saved.userId, saved.projectId), entry);
      if (saved.tickAt !== null && entry.cron && record.state !== 'errored') this.tickQueue.add(entry, saved.tickAt);
      if (saved.run) {
        entry.current = saved.run.number;
        entry.currentOutcome = saved.run.outcome;
        if (saved.run.endAt !== null) {
          this.runEnds.add(entry.end, saved.run.endAt);
        }
      }
    }
    for (const saved of retired) {
      const entry = this.#restore(saved, retiredRecord(saved.userId, saved.projectId), keep);
      entry.removedAt = saved.removedAt;
      this.retired.push(entry);
    }
    this.#placeHistory();
    this.onQueueChange();
  }

  #restore(saved: EntryState, record: Deployment, keep: number): Entry {
    return restoredEntry(saved, record, this.cronOf(record), this.history, keep);
  }
}

function erroredError(projectId: string): SchedulerError {
  return new SchedulerError(
    'DEPLOYMENT_ERRORED',
    `Deployment ${projectId} is errored: its owner's key was revoked. Remove it and add it again to resume runs`,
  );
}
