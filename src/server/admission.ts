/**
 * Which new WebSocket connections the server takes: at most `maxConnections` open at once, and
 * at most `maxUnauthenticatedPerIp` from one address that have not authenticated. A refused
 * connection is still upgraded, so its client reads why in the close frame (an HTTP 503 during
 * the handshake reaches most WebSocket clients as a bare "unexpected response").
 *
 * It also closes a connection that stays unauthenticated for `authTimeoutMs` (from its opening
 * or from a `deauth`): otherwise idle sockets would hold their address's places for ever.
 */
import type { Limits } from '../limits.js';

/** RFC 6455 close codes for a refusal. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
export const CLOSE_POLICY_VIOLATION = 1008;

/** Why a connection is refused: its close code and a reason a user can act on. */
export interface Refusal {
  readonly code: number;
  readonly reason: string;
}

/** What admission needs to know of an open connection. */
export interface AdmittedConnection {
  /** Set once the connection has authenticated (and unset again by `deauth`). */
  readonly userId: string | undefined;
}

type AdmissionLimits = Pick<Limits, 'maxConnections' | 'maxUnauthenticatedPerIp' | 'authTimeoutMs'>;

/** Closes a connection with a code and reason. */
export type CloseConnection = (code: number, reason: string) => void;

export class ConnectionAdmission {
  readonly #byAddress = new Map<string, Set<AdmittedConnection>>();
  /** Each open connection's close, and since when (performance.now()) it has been unauthenticated. */
  readonly #watched = new Map<AdmittedConnection, { close: CloseConnection; since: number | undefined }>();
  #open = 0;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly limits: AdmissionLimits) {}

  /** Whether a new connection from `address` may be taken; a refusal says why. */
  check(address: string): Refusal | undefined {
    if (this.#open >= this.limits.maxConnections) {
      return { code: CLOSE_TRY_AGAIN_LATER, reason: `Too many connections (server limit ${this.limits.maxConnections}); try again later` };
    }
    // Counted when asked: a connection's authentication can change at any request, and a scan
    // of one address's connections is cheap next to opening one.
    let unauthenticated = 0;
    for (const connection of this.#byAddress.get(address) ?? []) if (connection.userId === undefined) unauthenticated += 1;
    if (unauthenticated >= this.limits.maxUnauthenticatedPerIp) {
      return {
        code: CLOSE_POLICY_VIOLATION,
        reason: `Too many unauthenticated connections from your address (limit ${this.limits.maxUnauthenticatedPerIp}); authenticate or close some`,
      };
    }
    return undefined;
  }

  /** Counts an admitted connection until `release`, and closes it with `close` if it stays unauthenticated too long. */
  add(address: string, connection: AdmittedConnection, close: CloseConnection): void {
    let mine = this.#byAddress.get(address);
    if (!mine) this.#byAddress.set(address, (mine = new Set()));
    mine.add(connection);
    this.#open += 1;
    this.#watched.set(connection, { close, since: performance.now() });
    // One timer for every connection, a quarter of the timeout apart (at most 1 s): a connection
    // is closed between the timeout and a quarter past it. Sessions report no auth events, so
    // each sweep reads whether each connection is authenticated now.
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.min(1000, Math.ceil(this.limits.authTimeoutMs / 4))).unref();
  }

  release(address: string, connection: AdmittedConnection): void {
    const mine = this.#byAddress.get(address);
    if (!mine?.delete(connection)) return;
    this.#open -= 1;
    this.#watched.delete(connection);
    if (mine.size === 0) this.#byAddress.delete(address);
    if (this.#watched.size === 0) this.stop();
  }

  /** Stops the timeout's timer (the server is closing, or no connection is open). */
  stop(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  #sweep(): void {
    const now = performance.now();
    for (const [connection, watch] of this.#watched) {
      if (connection.userId !== undefined) watch.since = undefined;
      else if (watch.since === undefined) watch.since = now;
      else if (now - watch.since >= this.limits.authTimeoutMs) {
        this.#watched.delete(connection); // closed once; release() forgets the rest
        watch.close(
          CLOSE_POLICY_VIOLATION,
          `Not authenticated within ${seconds(this.limits.authTimeoutMs)}: send auth first (limit authTimeoutMs)`,
        );
      }
    }
  }
}

/** 10000 → `10 s`, 250 → `0.25 s`. */
function seconds(ms: number): string {
  return `${ms / 1000} s`;
}
