/**
 * The one error type of the concurrency harness, with a stable code per kind of finding, so a
 * caller (fuzz/run.ts, a test) can tell a wrong answer from a lost connection.
 */
import { show as showClipped } from '../conformance/model.js';

export type ConcurrencyErrorCode =
  /** An answer differs from what the model allows. */
  | 'MISMATCH'
  /** The connection closed (or failed) with requests still unanswered. */
  | 'CONNECTION_LOST'
  /** A frame that is not a well-formed response (WIRE-2), or an answer to nothing sent. */
  | 'PROTOCOL'
  /** A key given to the harness did not authenticate. */
  | 'AUTH_FAILED'
  /** The serial-order search on a contended id gave up (its budget), without a verdict. */
  | 'UNDECIDED'
  /** The harness was called with options it cannot run. */
  | 'BAD_OPTIONS';

export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly code: ConcurrencyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A value for an error message: compact JSON, clipped. Clipped later than the conformance
 * suite's default (160), as the harness's findings quote whole records and lists.
 */
export function show(value: unknown, max = 400): string {
  return showClipped(value, max);
}
