/** The scheduler's state as a state file keeps it: plain JSON out of its entries, and entries back out of it. */
import type { Deployment } from '../domain/deployment.js';
import { Entry } from './entry.js';
import { RunLog, TickLog, type HistoryBudget } from './history.js';
import type { NextTick } from './next-tick.js';
import type { RunBehaviorsState } from './run-behaviors.js';
import type { Counters, Run, RunOutcome, TickReason } from './types.js';

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
export interface SchedulerState extends RunBehaviorsState {
  /** Last deployment serial and run number handed out. */
  readonly serial: number;
  readonly runSeq: number;
  /** Deployments, in the order they were added. */
  readonly entries: readonly EntryState[];
  /** Recently removed deployments, oldest first. */
  readonly retired: readonly EntryState[];
}

/**
 * An entry's state as a state file keeps it; of its logs, the entries from the `from`th oldest
 * kept on (all by default: a state file's change may carry only the newest, change-log.ts).
 */
export function entryState(entry: Entry, from: { readonly ticks: number; readonly runs: number } = NO_SKIP): EntryState {
  const ticks: Array<readonly [number, TickReason, number]> = [];
  for (let i = from.ticks; entry.ticks && i < entry.ticks.size; i++) {
    const { at, reason, run } = entry.ticks.entryAt(i);
    ticks.push([at, reason, run]);
  }
  const runs: Array<readonly [number, Run['trigger'], number, number, number | null, RunOutcome | null]> = [];
  for (let i = from.runs; entry.runs && i < entry.runs.size; i++) {
    const r = entry.runs.entryAt(i);
    runs.push([r.number, r.trigger, r.scheduledFor, r.startedAt, r.endedAt ?? null, r.outcome ?? null]);
  }
  return {
    userId: entry.userId,
    projectId: entry.projectId,
    serial: entry.serial,
    tickAt: entry.tickAt ?? null,
    run: entry.current ? { number: entry.current, outcome: entry.currentOutcome, endAt: entry.end.tickAt ?? null } : null,
    counters: { ...entry.counters },
    ticks,
    runs,
    ...(entry.removedAt !== undefined && { removedAt: entry.removedAt }),
  };
}

/**
 * An entry rebuilt from its saved state, with its history, its search for ticks (`cron`) and
 * its run in progress noted (not queued: the caller queues its tick and run end). Of each log
 * the newest `keep` entries are restored: the share every log will have once all are restored.
 */
export function restoredEntry(
  saved: EntryState,
  record: Deployment,
  cron: NextTick | undefined,
  history: HistoryBudget,
  keep: number,
): Entry {
  const entry = new Entry(saved.serial, record);
  entry.cron = cron;
  Object.assign(entry.counters, saved.counters);
  if (saved.ticks.length > 0) {
    entry.ticks = new TickLog(history);
    for (const [at, reason, run] of saved.ticks.slice(-keep)) entry.ticks.push(at, reason, run);
  }
  if (saved.runs.length > 0) {
    entry.runs = new RunLog(history);
    for (const [number, trigger, scheduledFor, startedAt, endedAt, outcome] of saved.runs.slice(-keep)) {
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

/** How many tick and run logs the saved entries make (a log exists once it has an entry). */
export function logsOf(entries: readonly EntryState[]): number {
  let logs = 0;
  for (const saved of entries) logs += (saved.ticks.length > 0 ? 1 : 0) + (saved.runs.length > 0 ? 1 : 0);
  return logs;
}

const NO_SKIP = { ticks: 0, runs: 0 };

/** A removed deployment's record is never read again (only its history is): this stands in for it. */
export function retiredRecord(userId: string, projectId: string): Deployment {
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
