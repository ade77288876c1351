/** What the scheduler shows of its deployments: their descriptions, runs and ticks, as plain records. */
import type { Deployment } from '../domain/deployment.js';
import type { Entry } from './entry.js';
import type { RunEntry } from './history.js';
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

/** Runs of the entries, oldest first, filtered. */
export function runsOf(entries: Iterable<Entry>, filter: HistoryFilter): Run[] {
  return collect(entries, filter, (entry) => (entry.runs?.toArray() ?? []).map((run) => runOf(entry, run))).sort(
    (a, b) => a.startedAt - b.startedAt || runNumber(a.id) - runNumber(b.id),
  );
}

/** Tick decisions of the entries, oldest first, filtered. */
export function ticksOf(entries: Iterable<Entry>, filter: HistoryFilter): TickRecord[] {
  return collect(entries, filter, (entry) =>
    (entry.ticks?.toArray() ?? []).map(({ at, reason, run }): TickRecord => ({
      at,
      userId: entry.userId,
      projectId: entry.projectId,
      reason,
      ...(run > 0 && { runId: runId(run) }),
    })),
  ).sort((a, b) => a.at - b.at);
}

function collect<T>(entries: Iterable<Entry>, filter: HistoryFilter, pick: (entry: Entry) => T[]): T[] {
  const out: T[] = [];
  for (const entry of entries) {
    if (filter.userId !== undefined && entry.userId !== filter.userId) continue;
    if (filter.projectId !== undefined && entry.projectId !== filter.projectId) continue;
    out.push(...pick(entry));
  }
  return out;
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
