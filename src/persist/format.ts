/**
 * The state file's format: one JSON document on the first line, marked with `format` and
 * `version`, then the changes since it was written (change-log.ts), one JSON object per line.
 * Together they hold a server's deployments, run-time users and revocations, clock, and
 * scheduler history. Times in the scheduler part are epoch ms; deployment times are Unix
 * seconds, as on the wire.
 */
import type { UsersState } from '../auth/users.js';
import type { ClockState } from '../domain/clock.js';
import type { Deployment } from '../domain/deployment.js';
import type { SchedulerState } from '../scheduler/saved-state.js';

/** The marker that tells a state file from any other JSON file. */
export const STATE_FORMAT = 'rocketride-deploy-kit/state';
/**
 * The version this kit writes. Version 2 is version 1's document on the first line, with
 * changes appended after it (change-log.ts); a file of version 1 (the document alone) loads
 * as it is and is rewritten as version 2 at the first write.
 */
export const STATE_VERSION = 2;
/** The versions this kit reads. */
export const READABLE_VERSIONS: readonly number[] = [1, 2];

/** A state as read from a file, validated and turned into domain values. */
export interface LoadedState {
  /** The version its first line has (one of READABLE_VERSIONS). */
  readonly version: number;
  readonly clock: ClockState;
  /** The time zone the saved ticks were planned in. */
  readonly timezone: string;
  readonly users: UsersState;
  readonly deployments: readonly Deployment[];
  readonly scheduler: SchedulerState;
}
