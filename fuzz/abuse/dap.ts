/**
 * A bare DAP connection for the abuse run: requests by `seq`, answers matched back, and the
 * means to stop reading (a client that asks and never takes its answers). The bystander and
 * the abusers both use it, so both pay the same client cost.
 */
import WebSocket from 'ws';

export interface DapAnswer {
  readonly success: boolean;
  readonly message?: string;
  readonly body?: unknown;
}

const CONNECT_TIMEOUT_MS = 10_000;

export class DapConnection {
  #seq = 0;
  readonly #waiting = new Map<number, { resolve: (answer: DapAnswer) => void; reject: (error: Error) => void }>();
  #lost: string | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const reply = JSON.parse(data.toString()) as { request_seq?: number } & DapAnswer;
      const waiter = reply.request_seq === undefined ? undefined : this.#waiting.get(reply.request_seq);
      if (waiter === undefined) return;
      this.#waiting.delete(reply.request_seq!);
      waiter.resolve(reply);
    });
    socket.on('close', (code, reason) => {
      this.#lost = `closed ${code} ${reason.toString()}`;
      for (const waiter of this.#waiting.values()) waiter.reject(new Error(this.#lost));
      this.#waiting.clear();
    });
    socket.on('error', () => {}); // every error ends in a close, handled above
  }

  /** Opens a connection (no compression, as the SDKs) and, with a key, authenticates it. */
  static async open(url: string, key?: string): Promise<DapConnection> {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const connection = new DapConnection(socket);
    if (key !== undefined) {
      const answer = await connection.request('auth', { auth: key });
      if (!answer.success) throw new Error(`auth failed: ${answer.message ?? 'no message'}`);
    }
    return connection;
  }

  /** Sends one request and resolves with its answer (rejects if the connection is lost first). */
  request(command: string, args?: Record<string, unknown>): Promise<DapAnswer> {
    if (this.#lost !== undefined) return Promise.reject(new Error(this.#lost));
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      this.socket.send(JSON.stringify({ type: 'request', seq, command, ...(args !== undefined && { arguments: args }) }));
    });
  }

  /** Sends a request whose answer is never awaited. */
  fire(command: string, args?: Record<string, unknown>): void {
    this.request(command, args).catch(() => {});
  }

  /** Stops reading from the socket: the server's answers pile up in its buffers. */
  stopReading(): void {
    this.socket.pause();
  }

  close(): void {
    this.socket.terminate();
  }
}
