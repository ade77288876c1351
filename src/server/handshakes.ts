/**
 * TCP connections that have not yet sent a whole HTTP request or WebSocket upgrade (half-open
 * ones, partial headers, and keep-alive sockets between requests): each for at most
 * `handshakeTimeoutMs`, at most `maxHandshakes` in all, and at most `maxHandshakesPerIp` from
 * one address that have been waiting for over a second. So no address can use up the process's
 * file descriptors by opening sockets and sending nothing, while a test suite opening hundreds of
 * WebSockets at once (all accepted before any request is read) is never reset.
 */
import type { Socket } from 'node:net';
import type { Limits } from '../limits.js';

type HandshakeLimits = Pick<Limits, 'maxHandshakes' | 'maxHandshakesPerIp' | 'handshakeTimeoutMs'>;

/** A handshake younger than this is in progress, not idle: it never counts against its address. */
export const HANDSHAKE_GRACE_MS = 1000;

interface Pending {
  readonly address: string;
  readonly since: number;
  readonly timer: NodeJS.Timeout;
}

export class Handshakes {
  /** Oldest first (a Map keeps insertion order). */
  readonly #pending = new Map<Socket, Pending>();
  readonly #watched = new WeakSet<Socket>();

  constructor(
    private readonly limits: HandshakeLimits,
    /** Told of each socket dropped for a bound (not for the timeout), rate-limited by the caller. */
    private readonly onDrop: (why: string) => void = () => {},
  ) {}

  /** Sockets counted now. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * A connection waiting for its (next) request: counted until it arrives (`done`). Past a bound
   * the oldest idle handshake of the same address (or, for the total, of any) is dropped to make
   * room; when every one is younger than HANDSHAKE_GRACE_MS, the total bound drops the newcomer.
   */
  waiting(socket: Socket): void {
    if (socket.destroyed || this.#pending.has(socket)) return;
    const address = socket.remoteAddress ?? '';
    const now = performance.now();
    let idleHere = 0;
    let oldestHere: Socket | undefined;
    for (const [other, p] of this.#pending) {
      if (p.address !== address || now - p.since < HANDSHAKE_GRACE_MS) continue;
      idleHere += 1;
      oldestHere ??= other;
    }
    if (idleHere >= this.limits.maxHandshakesPerIp && oldestHere) {
      this.#drop(oldestHere, `more than ${this.limits.maxHandshakesPerIp} idle handshakes from ${address} (limit maxHandshakesPerIp)`);
    }
    if (this.#pending.size >= this.limits.maxHandshakes) {
      const [oldest, p] = this.#pending.entries().next().value!;
      if (now - p.since >= HANDSHAKE_GRACE_MS)
        this.#drop(oldest, `more than ${this.limits.maxHandshakes} handshakes (limit maxHandshakes)`);
      else {
        this.onDrop(
          `more than ${this.limits.maxHandshakes} handshakes at once (limit maxHandshakes): a new connection from ${address} was dropped`,
        );
        socket.destroy();
        return;
      }
    }
    const timer = setTimeout(() => socket.destroy(), this.limits.handshakeTimeoutMs).unref();
    this.#pending.set(socket, { address, since: now, timer });
    if (!this.#watched.has(socket)) {
      this.#watched.add(socket);
      socket.once('close', () => this.done(socket));
    }
  }

  /** Its request or upgrade has arrived (or it closed): it no longer counts. */
  done(socket: Socket): void {
    const entry = this.#pending.get(socket);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#pending.delete(socket);
  }

  /** Stops every timer (the server is closing). */
  clear(): void {
    for (const { timer } of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }

  #drop(socket: Socket, why: string): void {
    this.onDrop(`dropped a connection: ${why}`);
    this.done(socket);
    socket.destroy();
  }
}
