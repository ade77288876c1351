/**
 * The reply bytes each user's connections hold, summed over all of them. One connection stops
 * being read once its backlog passes REPLY_BACKLOG_LIMIT, but it may pass it by one whole reply
 * (a `list` is as large as what its user stores), and one key may open many connections: 32
 * that each asked for a 64 MiB `list` and never read held 4.7 GB. So a user's requests wait
 * while its connections together hold more than `maxReplyBytesPerUser`, whichever connection
 * they arrive on; other users are not held up.
 *
 * Only connections holding more than HEAVY_BYTES are tracked, so the common request pays one
 * map lookup; the connections not tracked hold less than that each, at most maxConnections of
 * them.
 */

/** A connection's unsent reply bytes (in its socket, or held for the state file). */
export interface Backlog {
  bytes(): number;
}

/** Above this, a connection's backlog counts toward its user's. */
export const HEAVY_BYTES = 64 * 1024;

export class UserBacklogs {
  readonly #heavy = new Map<string, Set<Backlog>>();
  readonly #waiting = new Map<string, Array<() => void>>();

  constructor(private readonly limit: number) {}

  /** Whether `userId`'s connections together hold more than the limit. */
  over(userId: string): boolean {
    const heavy = this.#heavy.get(userId);
    if (heavy === undefined) return false;
    let bytes = 0;
    for (const backlog of heavy) bytes += backlog.bytes();
    return bytes > this.limit;
  }

  /** A connection of `userId` holds more than HEAVY_BYTES; `untrack` it once it has drained. */
  track(userId: string, backlog: Backlog): void {
    const heavy = this.#heavy.get(userId) ?? new Set();
    heavy.add(backlog);
    this.#heavy.set(userId, heavy);
  }

  /** The connection drained (or closed): it no longer counts, and the user's waiting requests are tried again. */
  untrack(userId: string, backlog: Backlog): void {
    const heavy = this.#heavy.get(userId);
    if (heavy === undefined || !heavy.delete(backlog)) return;
    if (heavy.size === 0) this.#heavy.delete(userId);
    const waiting = this.#waiting.get(userId);
    if (waiting === undefined) return;
    this.#waiting.delete(userId);
    for (const wake of waiting) wake();
  }

  /** Calls `wake` the next time one of `userId`'s tracked connections drains. */
  whenLess(userId: string, wake: () => void): void {
    const waiting = this.#waiting.get(userId) ?? [];
    waiting.push(wake);
    this.#waiting.set(userId, waiting);
  }
}
