/**
 * Errors of the control API: a stable code, the HTTP status the HTTP door answers with, and a
 * message saying what to change. @since 0.2.0
 */
export type ControlErrorCode =
  | 'BAD_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'KEY_NOT_FOUND'
  | 'USER_EXISTS'
  | 'DEPLOYMENT_NOT_FOUND'
  | 'DEPLOYMENT_ERRORED'
  | 'RUN_IN_PROGRESS'
  | 'RUN_NOT_FOUND'
  | 'RUN_NOT_IN_PROGRESS'
  | 'CLOCK_BACKWARDS'
  | 'CLOCK_OUT_OF_RANGE';

export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly code: ControlErrorCode,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
