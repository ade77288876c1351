/**
 * Which new WebSocket connections the server takes: at most `maxConnections` open at once, and
 * at most `maxUnauthenticatedPerIp` from one address that have not authenticated. A refused
 * connection is still upgraded, so its client reads why in the close frame (an HTTP 503 during
 * the handshake reaches most WebSocket clients as a bare "unexpected response").
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

export class ConnectionAdmission {
  readonly #byAddress = new Map<string, Set<AdmittedConnection>>();
  #open = 0;

  constructor(private readonly limits: Pick<Limits, 'maxConnections' | 'maxUnauthenticatedPerIp'>) {}

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

  /** Counts an admitted connection until `release`. */
  add(address: string, connection: AdmittedConnection): void {
    let mine = this.#byAddress.get(address);
    if (!mine) this.#byAddress.set(address, (mine = new Set()));
    mine.add(connection);
    this.#open += 1;
  }

  release(address: string, connection: AdmittedConnection): void {
    const mine = this.#byAddress.get(address);
    if (!mine?.delete(connection)) return;
    this.#open -= 1;
    if (mine.size === 0) this.#byAddress.delete(address);
  }
}
