/**
 * The state file's format: one JSON document, marked with `format` and `version`, holding a
 * server's deployments, run-time users and revocations, clock, and scheduler history. Times in
 * the scheduler part are epoch ms; deployment times are Unix seconds, as on the wire.
 */
import type { UsersState } from '../auth/users.js';
import type { ClockState } from '../domain/clock.js';
import type { Deployment } from '../domain/deployment.js';
import type { SchedulerState } from '../scheduler/saved-state.js';

/** The marker that tells a state file from any other JSON file. */
export const STATE_FORMAT = 'rocketride-deploy-kit/state';
/** The version this kit writes and reads. */
export const STATE_VERSION = 1;

/** A state as read from a file, validated and turned into domain values. */
export interface LoadedState {
  readonly clock: ClockState;
  /** The time zone the saved ticks were planned in. */
  readonly timezone: string;
  readonly users: UsersState;
  readonly deployments: readonly Deployment[];
  readonly scheduler: SchedulerState;
}
