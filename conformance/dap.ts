/**
 * A raw DAP connection for checks: it sends exactly the frames a check writes, matches replies
 * by `request_seq`, records everything in the transcript, and never hangs (every wait has a
 * timeout). Requests are paced by the target's rate limit.
 */
import WebSocket from 'ws';
import type { Transcript } from './transcript.js';

export interface DapReply {
  readonly type?: unknown;
  readonly seq?: unknown;
  readonly request_seq?: unknown;
  readonly command?: unknown;
  readonly success?: unknown;
  readonly body?: any;
  readonly message?: unknown;
  /** The reply exactly as received. */
  readonly raw: string;
}

/** Waits for a frame or a reply this long before failing the check (a hung server fails, never hangs). */
export const REPLY_TIMEOUT_MS = 5000;
/** How long `replyOrNothing` still waits once the requests behind a frame were answered. */
const ANSWER_GRACE_MS = 250;

export interface Pacer {
  /** Resolves when one more request may be sent. */
  take(): Promise<void>;
}

/** A request left without its one response (WIRE-2): none came in time, or the connection closed first. */
export class NoReplyError extends Error {
  constructor(
    message: string,
    readonly closed: boolean,
  ) {
    super(message);
  }
}

export class DapConnection {
  readonly received: string[] = [];
  /** Told of every request this connection made and its reply (the target's ledger of what it created). */
  onReply: ((command: string, args: unknown, reply: DapReply) => void) | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;
  #closeInfo: { code: number; reason: string } | undefined;
  #waiters: Array<() => void> = [];
  #seq = 0;

  private constructor(
    private readonly socket: WebSocket,
    readonly name: string,
    private readonly transcript: Transcript,
    private readonly pacer: Pacer,
  ) {
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? `(binary) ${data.toString('hex')}` : data.toString();
      this.received.push(text);
      transcript.record(name, '<', text);
      this.#wake();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        this.#closeInfo = { code, reason: reason.toString() };
        transcript.record(name, '*', `closed ${code}${reason.length ? ` ${reason.toString()}` : ''}`);
        resolve(this.#closeInfo);
        this.#wake();
      }),
    );
    socket.on('error', () => {});
  }

  static async open(url: string, name: string, transcript: Transcript, pacer: Pacer): Promise<DapConnection> {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: REPLY_TIMEOUT_MS });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', (error) => reject(new Error(`Cannot connect to ${url}: ${error.message}`)));
    });
    transcript.record(name, '*', `connected to ${url}`);
    return new DapConnection(socket, name, transcript, pacer);
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** The close code and reason, once closed. */
  get closeInfo(): { code: number; reason: string } | undefined {
    return this.#closeInfo;
  }

  /** Sends a frame as it is: a string as text, a Buffer as binary (unless `binary` is false). */
  async sendRaw(frame: string | Buffer, binary = Buffer.isBuffer(frame)): Promise<void> {
    await this.pacer.take();
    this.transcript.record(
      this.name,
      '>',
      typeof frame === 'string' ? frame : `(${binary ? 'binary' : 'text bytes'}) ${frame.toString('hex')}`,
    );
    this.socket.send(frame, { binary });
  }

  /** Sends a request with the next `seq` (or the one given) and waits for the reply to it. */
  async request(command: string, args?: unknown, seq = ++this.#seq): Promise<DapReply> {
    const frame: Record<string, unknown> = { type: 'request', seq, command };
    if (args !== undefined) frame['arguments'] = args;
    const from = this.received.length;
    await this.sendRaw(JSON.stringify(frame));
    const reply = await this.replyTo(seq, from);
    this.onReply?.(command, args, reply);
    return reply;
  }

  /** The reply whose `request_seq` is `seq` (compared as JSON numbers), among messages from index `from`. */
  async replyTo(seq: number, from = 0): Promise<DapReply> {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    for (;;) {
      for (let i = from; i < this.received.length; i++) {
        const reply = parse(this.received[i]!);
        if (reply && reply.request_seq === seq) return reply;
        // A reply that names our seq in the wrong type would leave a real SDK waiting forever:
        // say so now instead of timing out on every request.
        if (reply && reply.request_seq !== undefined && String(reply.request_seq) === String(seq)) {
          throw new Error(
            `${this.name}: the reply to seq ${seq} carries request_seq ${JSON.stringify(reply.request_seq)}, not the number ${seq} (WIRE-2): ${reply.raw.slice(0, 200)}`,
          );
        }
      }
      if (!this.isOpen) throw new NoReplyError(`${this.name}: connection closed before a reply to seq ${seq}`, true);
      if (!(await this.#wait(deadline)))
        throw new NoReplyError(`${this.name}: no reply to seq ${seq} within ${REPLY_TIMEOUT_MS} ms`, false);
    }
  }

  /**
   * The reply to `seq` among messages from `from`, or undefined when none comes: requests sent
   * behind it (two `rrext_public_probe`, served before and after auth) are answered first, or the
   * connection closes, without one. Fast where a timeout would cost seconds per unanswered frame.
   */
  async replyOrNothing(seq: number, from = 0): Promise<DapReply | undefined> {
    const find = () =>
      this.received
        .slice(from)
        .map(parse)
        .find((reply) => reply?.type !== 'event' && reply?.request_seq === seq);
    for (let fence = 0; fence < 2 && !find() && this.isOpen; fence++) {
      await this.request('rrext_public_probe').catch(() => undefined);
    }
    // Replies may come out of order (they are matched by request_seq): a short grace for a slow path.
    const deadline = Date.now() + ANSWER_GRACE_MS;
    while (!find() && this.isOpen && (await this.#wait(deadline)));
    return find();
  }

  /** Waits until `count` messages have arrived; false if the connection closed or time ran out first. */
  async waitForMessages(count: number, timeoutMs = REPLY_TIMEOUT_MS): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (!this.isOpen || !(await this.#wait(deadline))) return this.received.length >= count;
    }
    return true;
  }

  /** Waits for the server to close the connection; undefined if it stays open past the timeout. */
  async waitForClose(timeoutMs = REPLY_TIMEOUT_MS): Promise<{ code: number; reason: string } | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closeInfo) if (!(await this.#wait(deadline))) break;
    return this.#closeInfo;
  }

  async close(): Promise<void> {
    if (this.#closeInfo) return;
    this.socket.close(1000);
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 1000).unref())]);
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.terminate();
  }

  #wait(deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), left);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

function parse(text: string): DapReply | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...(value as object), raw: text } : undefined;
  } catch {
    return undefined;
  }
}
