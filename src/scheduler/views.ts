/** What the scheduler shows of its deployments: their descriptions, runs and ticks, as plain records. */
import type { Deployment } from '../domain/deployment.js';
import type { Entry } from './entry.js';
import type { RunEntry, RunLog, TickLog } from './history.js';
import { mergePage, type MergedPage, type OrderedSource, type PageRequest } from './pages.js';
import type { Counters, Run, RunBehavior, TickRecord } from './types.js';

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

/** Which deployments' runs or ticks to list: one user's, one project id's, or both. */
export interface HistoryFilter {
  userId?: string;
  projectId?: string;
}

/** A deployment's scheduling picture: counters, run in progress, and its next `upcoming` due times. */
export function describeEntry(
  entry: Entry,
  record: Deployment,
  timezone: string,
  runBehavior: RunBehavior,
  upcoming: number,
): ScheduleDescription {
  const nextDue: number[] = [];
  if (record.state !== 'errored' && entry.cron) {
    for (let t: number | undefined = entry.tickAt; t !== undefined && nextDue.length < upcoming; t = entry.cron.next(t)) nextDue.push(t);
  }
  return {
    userId: entry.userId,
    projectId: entry.projectId,
    state: record.state,
    schedule: record.schedule.source,
    timezone,
    counters: { ...entry.counters },
    runInProgress: entry.current ? runOf(entry, entry.runs!.newest()!) : undefined,
    nextDue,
    runBehavior,
  };
}

/** A page of the entries' runs, filtered, in run order: by start, then run number (run numbers only grow). */
export function runPage(entries: Iterable<Entry>, filter: HistoryFilter, request: PageRequest): MergedPage<Run> {
  return mergePage(
    sourcesOf(entries, filter, (entry) => entry.runs && new RunSource(entry, entry.runs)),
    request,
  );
}

/**
 * A page of the entries' tick decisions, filtered, in tick order: by time, then by deployment
 * (older deployments first, as the scheduler decides ticks due at one instant).
 */
export function tickPage(entries: Iterable<Entry>, filter: HistoryFilter, request: PageRequest): MergedPage<TickRecord> {
  return mergePage(
    sourcesOf(entries, filter, (entry) => entry.ticks && new TickSource(entry, entry.ticks)),
    request,
  );
}

/** A deployment's log as a page reads it (classes, not closures: a page may read 10,000 of them). */
abstract class LogSource<L extends { readonly size: number }, T> implements OrderedSource<T> {
  readonly size: number;
  constructor(
    protected readonly entry: Entry,
    protected readonly log: L,
  ) {
    this.size = log.size;
  }
  abstract primary(i: number): number;
  abstract secondary(i: number): number;
  abstract item(i: number): T;
}

class RunSource extends LogSource<RunLog, Run> {
  primary(i: number): number {
    return this.log.startedAtOf(i);
  }
  secondary(i: number): number {
    return this.log.numberOf(i);
  }
  item(i: number): Run {
    return runAt(this.entry, i);
  }
}

class TickSource extends LogSource<TickLog, TickRecord> {
  primary(i: number): number {
    return this.log.atOf(i);
  }
  secondary(): number {
    return this.entry.serial;
  }
  item(i: number): TickRecord {
    return tickAt(this.entry, i);
  }
}

/** The `i`th run from the oldest in the entry's log. */
export function runAt(entry: Entry, i: number): Run {
  return runOf(entry, entry.runs!.entryAt(i));
}

/** The `i`th tick decision from the oldest in the entry's log. */
export function tickAt(entry: Entry, i: number): TickRecord {
  const { at, reason, run } = entry.ticks!.entryAt(i);
  const { userId, projectId } = entry;
  return { at, userId, projectId, reason, ...(run > 0 && { runId: runId(run) }) };
}

const EVERY: PageRequest = { order: 'oldest', limit: Infinity };

/** Every run of the entries, oldest first, filtered. */
export function runsOf(entries: Iterable<Entry>, filter: HistoryFilter): Run[] {
  return runPage(entries, filter, EVERY).items;
}

/** Every tick decision of the entries, oldest first, filtered. */
export function ticksOf(entries: Iterable<Entry>, filter: HistoryFilter): TickRecord[] {
  return tickPage(entries, filter, EVERY).items;
}

function* sourcesOf<T>(
  entries: Iterable<Entry>,
  filter: HistoryFilter,
  sourceOf: (entry: Entry) => OrderedSource<T> | undefined | false,
): IterableIterator<OrderedSource<T>> {
  for (const entry of entries) {
    if (!matches(entry, filter)) continue;
    const source = sourceOf(entry);
    if (source) yield source;
  }
}

/** Whether the filter picks the entry's deployment. */
export function matches(entry: Entry, filter: HistoryFilter): boolean {
  return (
    (filter.userId === undefined || entry.userId === filter.userId) &&
    (filter.projectId === undefined || entry.projectId === filter.projectId)
  );
}

export function runOf(entry: Entry, run: RunEntry): Run {
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

export function runId(number: number): string {
  return `run-${number}`;
}

/** The number in `run-12`, or NaN. */
export function runNumber(id: string): number {
  return /^run-[1-9]\d*$/.test(id) ? Number(id.slice(4)) : NaN;
}
