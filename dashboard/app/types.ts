/** The control API's answers, as the dashboard reads them (docs/control-api.md). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

export interface Clock {
  readonly now: string;
  readonly nowMs: number;
  readonly mode: 'fake' | 'real';
  readonly timezone: string;
}

export interface ClockMove {
  readonly from: string;
  readonly to: string;
  readonly ticks: Readonly<Record<string, number>>;
  readonly runsEnded: number;
  readonly complete?: boolean;
}

export type RunOutcome = 'completed' | 'failed' | 'cancelled';

export interface Run {
  readonly id: string;
  readonly userId: string;
  readonly projectId: string;
  readonly trigger: 'schedule' | 'manual';
  readonly scheduledFor: string;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly outcome: RunOutcome | null;
}

export type TickReason = 'fired' | 'skipped_overlap' | 'skipped_paused' | 'errored_auth';

export interface Tick {
  readonly at: string;
  readonly userId: string;
  readonly projectId: string;
  readonly reason: TickReason;
  readonly runId: string | null;
}

export interface Deployment {
  readonly userId: string;
  readonly projectId: string;
  readonly state: 'active' | 'paused' | 'errored';
  readonly schedule: string | null;
  readonly timezone: string;
  readonly counters: Readonly<Record<TickReason | RunOutcome, number>>;
  readonly runInProgress: Run | null;
  readonly nextDue: readonly string[];
}

export interface JournalEntry {
  readonly id: number;
  readonly connectionId: number;
  readonly at: string;
  readonly direction: 'in' | 'out';
  readonly userId: string | null;
  readonly command: string | null;
  readonly type: string | null;
  readonly text: string;
}

export interface Connection {
  readonly id: number;
  readonly userId: string | null;
  readonly openedAt: string;
}

export interface Fault {
  readonly id: string;
  readonly kind: string;
  readonly command?: string;
  readonly connectionId?: number;
  readonly userId?: string;
  readonly count: number;
  readonly remaining: number;
}

export interface UserInfo {
  readonly userId: string;
}

/** Identifies a deployment across views. */
export interface DeploymentKey {
  readonly userId: string;
  readonly projectId: string;
}
