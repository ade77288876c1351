/**
 * Errors of the control API: a stable code, the HTTP status the HTTP door answers with, and a
 * message saying what to change. @since 0.2.0
 */
import type { SchedulerErrorCode } from '../scheduler/errors.js';

/** The control API's own codes, and every scheduler code (the API passes those through). */
export type ControlErrorCode =
  'BAD_INPUT' | 'NOT_FOUND' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'KEY_NOT_FOUND' | 'USER_EXISTS' | 'FAULT_NOT_FOUND' | SchedulerErrorCode;

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
