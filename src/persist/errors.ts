/**
 * Why a state file was refused. Each has a stable `code` for programs and a one-line message
 * that says what is wrong and what to do; the file is never changed when it is refused.
 */

/** @since 0.4.0 */
export type StateFileErrorCode =
  /** The file exists but cannot be read (permissions, a directory, a FIFO...). */
  | 'STATE_FILE_UNREADABLE'
  /** Not JSON at all: damaged, truncated, or some other kind of file. */
  | 'STATE_FILE_NOT_JSON'
  /** JSON, but not a state file (no format marker): a package.json, a users file... */
  | 'STATE_FILE_FOREIGN'
  /** A state file of a version this kit cannot read. */
  | 'STATE_FILE_VERSION'
  /** A state file whose content fails validation. */
  | 'STATE_FILE_INVALID'
  /** A valid state file that does not fit this server (another clock mode, clashing users, over its limits). */
  | 'STATE_FILE_MISMATCH'
  /** Another server (alive) uses this state file: one server per state file. */
  | 'STATE_FILE_LOCKED'
  /** The file, or its directory, may not be written (its owner made it read-only): it would be replaced. @since 0.5.0 */
  | 'STATE_FILE_READ_ONLY'
  /** The file has other hard links, which the lock cannot see. @since 0.5.0 */
  | 'STATE_FILE_LINKED'
  /** The folder the file would be made in does not exist: nothing could be saved. @since 0.5.0 */
  | 'STATE_FILE_NO_DIRECTORY';

/** @since 0.4.0 */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  constructor(
    readonly code: StateFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What every refusal ends with: the way out. */
export const MOVE_IT_AWAY = 'move it away or choose another state file path; the file was left as it is';
