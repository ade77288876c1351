/** A failed DAP response: the server's `message`, and the command it answered. @since 0.1.0 */
export class DapError extends Error {
  override readonly name = 'DapError';
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
  }
}

/** The connection closed (or was never open) while a call was pending. @since 0.1.0 */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`Connection closed (code ${code}${reason ? `: ${reason}` : ''})`);
  }
}
