/** Records the scheduler keeps. Times are epoch milliseconds. @since 0.2.0 */

export const RUN_OUTCOMES = ['completed', 'failed', 'cancelled'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];
/** How a run behavior may make runs end (cancelled is only ever a removal's doing). */
export const BEHAVIOR_OUTCOMES = ['completed', 'failed'] as const;

/** Why a tick did or did not start a run (the tick history's `reason`). */
export const TICK_REASONS = ['fired', 'skipped_overlap', 'skipped_paused', 'errored_auth'] as const;
export type TickReason = (typeof TICK_REASONS)[number];

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
  readonly outcome: (typeof BEHAVIOR_OUTCOMES)[number];
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
