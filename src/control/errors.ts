/**
 * Errors of the control API: a stable code and a message saying what to change. Which HTTP status
 * a code gets is the HTTP door's business (server/control-http.ts). @since 0.2.0
 */
import type { SchedulerErrorCode } from '../scheduler/errors.js';

/** The control API's own codes, and every scheduler code (the API passes those through). */
export type ControlErrorCode = 'BAD_INPUT' | 'KEY_NOT_FOUND' | 'USER_EXISTS' | 'FAULT_NOT_FOUND' | 'DEMO_REFUSED' | SchedulerErrorCode;

export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly code: ControlErrorCode,
    message: string,
  ) {
    super(message);
  }
}
