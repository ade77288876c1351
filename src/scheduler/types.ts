/** Records the scheduler keeps. Times are epoch milliseconds. @since 0.2.0 */

export type RunOutcome = 'completed' | 'failed' | 'cancelled';

/** Why a tick did or did not start a run (the tick history's `reason`). */
export type TickReason = 'fired' | 'skipped_overlap' | 'skipped_paused' | 'errored_auth';

/** A run: the mock executes nothing, it records when a run started, ended and how. */
export interface Run {
  readonly id: string;
  readonly userId: string;
  readonly projectId: string;
  /** `schedule` for a cron tick, `manual` for an explicit start (the control API's trigger). */
  readonly trigger: 'schedule' | 'manual';
  readonly scheduledFor: number;
  readonly startedAt: number;
  endedAt?: number;
  outcome?: RunOutcome;
}

export interface TickRecord {
  readonly at: number;
  readonly userId: string;
  readonly projectId: string;
  readonly reason: TickReason;
  readonly runId?: string;
}

/** How runs behave: how long they take and how they end, or held until ended by hand. */
export interface RunBehavior {
  readonly durationMs: number;
  readonly outcome: 'completed' | 'failed';
  readonly hold: boolean;
}

export type Counters = Record<TickReason | RunOutcome, number>;

export const newCounters = (): Counters => ({
  fired: 0,
  skipped_overlap: 0,
  skipped_paused: 0,
  errored_auth: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
});
