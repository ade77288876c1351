/**
 * A lean pipelined DAP connection for load-like tests: requests go out at once, each gets a
 * promise of its response, matched by `request_seq`. Every frame received is checked as a
 * response envelope (WIRE-2: type, seq growing by one, a request_seq we sent, the command
 * echoed, a message on failure). Unlike test/helpers/raw-client.ts it keeps no transcript, so
 * tens of thousands of requests cost nothing but the requests.
 */
import WebSocket, { type RawData } from 'ws';
import { ConcurrencyError, show } from './concurrency-errors.js';

export interface DapReply {
  readonly success: boolean;
  readonly body?: any;
  readonly message?: string;
}

interface Pending {
  readonly command: string;
  readonly resolve: (reply: DapReply) => void;
  readonly reject: (error: Error) => void;
}

export class DapPipe {
  #seq = 0;
  #serverSeq = 0;
  readonly #pending = new Map<number, Pending>();
  #broken: ConcurrencyError | undefined;
  readonly #closed: Promise<void>;

  private constructor(
    private readonly socket: WebSocket,
    /** Names the connection in error messages. */
    readonly label: string,
  ) {
    socket.on('message', (data: RawData) => this.#receive(data));
    socket.on('error', (error: Error) => this.#fail(new ConcurrencyError('CONNECTION_LOST', `${label}: socket error: ${error.message}`)));
    this.#closed = new Promise((resolve) =>
      socket.on('close', (code: number, reason: Buffer) => {
        this.#fail(
          new ConcurrencyError('CONNECTION_LOST', `${label}: connection closed (code ${code}${reason.length ? `, ${reason}` : ''})`),
        );
        resolve();
      }),
    );
  }

  static async open(url: string, label: string): Promise<DapPipe> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', (error) =>
        reject(new ConcurrencyError('CONNECTION_LOST', `${label}: cannot connect to ${url}: ${error.message}`)),
      );
    });
    return new DapPipe(socket, label);
  }

  /** Authenticates with `key`; resolves to the user id the server says it belongs to. */
  async auth(key: string): Promise<string> {
    const reply = await this.request('auth', { auth: key, clientName: 'rocketride-deploy-kit fuzz' });
    const userId: unknown = reply.body?.userId;
    if (!reply.success || typeof userId !== 'string') {
      throw new ConcurrencyError(
        'AUTH_FAILED',
        `${this.label}: auth with the key ${show(key)} failed: ${show(reply.message ?? reply.body)}`,
      );
    }
    return userId;
  }

  /** Sends one request now; the promise settles with its response. */
  request(command: string, args?: Record<string, unknown>): Promise<DapReply> {
    if (this.#broken) return Promise.reject(this.#broken);
    const seq = ++this.#seq;
    const frame = args === undefined ? { type: 'request', seq, command } : { type: 'request', seq, command, arguments: args };
    return new Promise((resolve, reject) => {
      this.#pending.set(seq, { command, resolve, reject });
      this.socket.send(JSON.stringify(frame));
    });
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.#pending.size;
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(1000);
    await Promise.race([this.#closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.terminate();
  }

  #receive(data: RawData): void {
    const text = data.toString();
    let frame: any;
    try {
      frame = JSON.parse(text);
    } catch {
      return this.#fail(new ConcurrencyError('PROTOCOL', `${this.label}: a frame that is not JSON: ${show(text)}`));
    }
    const pending = this.#pending.get(frame?.request_seq);
    const problem =
      frame === null || typeof frame !== 'object' || frame.type !== 'response'
        ? 'not a response'
        : frame.seq !== this.#serverSeq + 1
          ? `seq ${show(frame.seq)} where ${this.#serverSeq + 1} was due (WIRE-2)`
          : !pending
            ? 'answers no request in flight (a duplicate or unknown request_seq)'
            : frame.command !== pending.command
              ? `command ${show(frame.command)} answers ${pending.command}`
              : typeof frame.success !== 'boolean'
                ? 'success is not a boolean'
                : frame.success === false && (typeof frame.message !== 'string' || frame.message === '')
                  ? 'a failure without a message'
                  : undefined;
    if (problem !== undefined) return this.#fail(new ConcurrencyError('PROTOCOL', `${this.label}: ${problem}: ${show(text)}`));
    this.#serverSeq = frame.seq;
    this.#pending.delete(frame.request_seq);
    pending!.resolve(frame.success ? { success: true, body: frame.body } : { success: false, message: frame.message });
  }

  /** Rejects everything in flight and every later request with `error` (the first one wins). */
  #fail(error: ConcurrencyError): void {
    this.#broken ??= error;
    if (this.#pending.size > 0) {
      const first = this.#broken;
      const lost = new ConcurrencyError(first.code, `${first.message}; ${this.#pending.size} request(s) unanswered`);
      for (const pending of this.#pending.values()) pending.reject(lost);
      this.#pending.clear();
    }
    if (error.code === 'PROTOCOL') this.socket.terminate();
  }
}
