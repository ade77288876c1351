/**
 * TCP connections that have not yet sent a whole HTTP request or WebSocket upgrade (half-open
 * ones, partial headers): at most `maxHandshakesPerIp` from one address and `maxHandshakes` in
 * all, each for at most `handshakeTimeoutMs`. One more is dropped at once, so no address can
 * use up the process's file descriptors by opening sockets and sending nothing.
 */
import type { Socket } from 'node:net';
import type { Limits } from '../limits.js';

type HandshakeLimits = Pick<Limits, 'maxHandshakes' | 'maxHandshakesPerIp' | 'handshakeTimeoutMs'>;

export class Handshakes {
  readonly #pending = new Map<Socket, { readonly address: string; readonly timer: NodeJS.Timeout }>();
  readonly #perAddress = new Map<string, number>();

  constructor(private readonly limits: HandshakeLimits) {}

  /** Sockets counted now. */
  get size(): number {
    return this.#pending.size;
  }

  /** A new connection: counted until its request arrives (`done`), or dropped at once when a bound is reached. */
  admit(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const mine = this.#perAddress.get(address) ?? 0;
    if (this.#pending.size >= this.limits.maxHandshakes || mine >= this.limits.maxHandshakesPerIp) {
      socket.destroy();
      return;
    }
    this.#perAddress.set(address, mine + 1);
    const timer = setTimeout(() => socket.destroy(), this.limits.handshakeTimeoutMs).unref();
    this.#pending.set(socket, { address, timer });
    socket.once('close', () => this.done(socket));
  }

  /** Its request or upgrade has arrived (or it closed): it no longer counts. */
  done(socket: Socket): void {
    const entry = this.#pending.get(socket);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#pending.delete(socket);
    const left = (this.#perAddress.get(entry.address) ?? 1) - 1;
    if (left === 0) this.#perAddress.delete(entry.address);
    else this.#perAddress.set(entry.address, left);
  }

  /** Stops every timer (the server is closing). */
  clear(): void {
    for (const { timer } of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
    this.#perAddress.clear();
  }
}
