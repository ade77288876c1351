/**
 * How the control door answers errors: the HTTP status of each ControlApi error code (HTTP lives
 * here, not in the core), and the door's own refusals (no such endpoint, the caller, the body).
 */
import type { ControlErrorCode } from '../control/errors.js';

/** The HTTP status each control error code is answered with. */
export const CONTROL_STATUS: Readonly<Record<ControlErrorCode, number>> = {
  BAD_INPUT: 400,
  KEY_NOT_FOUND: 404,
  USER_EXISTS: 409,
  FAULT_NOT_FOUND: 404,
  DEMO_REFUSED: 409,
  DEPLOYMENT_NOT_FOUND: 404,
  DEPLOYMENT_ERRORED: 409,
  RUN_IN_PROGRESS: 409,
  RUN_NOT_FOUND: 404,
  RUN_NOT_IN_PROGRESS: 409,
  CLOCK_BACKWARDS: 400,
  CLOCK_OUT_OF_RANGE: 400,
};

/** The door's own refusals (no such endpoint, not allowed, the body): a status and a code. */
export class DoorError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Input the door itself cannot read (a path segment, the query, the body). */
export function badInput(message: string): DoorError {
  return new DoorError(400, 'BAD_INPUT', message);
}
