/** What every command's mistakes share: the program's name, and the error that prints usage. */

export { NAME } from '../version.js';

/** A mistake in how the command was called: printed on one line (or with usage), exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}
