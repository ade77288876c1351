/**
 * A raw DAP test client: sends exactly the frames a test writes and records exactly what the
 * server sends back, so tests can check bytes, `seq`s and closes that a real client hides.
 */
import WebSocket from 'ws';

export interface DapResponse {
  type: string;
  seq: number;
  request_seq: number;
  command: string;
  success: boolean;
  body?: any;
  message?: string;
}

export class RawClient {
  /** Every text the server sent, in order, unparsed. */
  readonly received: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<() => void> = [];
  #seq = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.received.push(data.toString());
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.#waiters.splice(0)) wake();
      }),
    );
  }

  /** Opens a connection; `origin` sends an Origin header, as a browser page would. */
  static async open(url: string, options: { origin?: string } = {}): Promise<RawClient> {
    const socket = new WebSocket(url, options.origin === undefined ? {} : { origin: options.origin });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Opens a connection and authenticates with `key`. */
  static async authed(url: string, key = 'MYAPIKEY'): Promise<RawClient> {
    const client = await RawClient.open(url);
    const reply = await client.request('auth', { auth: key });
    if (!reply.success) throw new Error(`auth failed: ${reply.message}`);
    return client;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends a raw frame (string → text frame, Buffer → binary frame unless `binary` is false). */
  sendRaw(frame: string | Buffer, binary = Buffer.isBuffer(frame)): void {
    this.socket.send(frame, { binary });
  }

  /** Sends a request with the next seq and waits for the response whose request_seq matches. */
  async request(command: string, args?: unknown, seq = ++this.#seq): Promise<DapResponse> {
    const frame: Record<string, unknown> = { type: 'request', seq, command };
    if (args !== undefined) frame['arguments'] = args;
    const from = this.received.length;
    this.sendRaw(JSON.stringify(frame));
    return this.responseTo(seq, from);
  }

  /** Waits for the response to `seq` among messages received from index `from` on. */
  async responseTo(seq: number, from = 0): Promise<DapResponse> {
    for (;;) {
      for (let i = from; i < this.received.length; i++) {
        const message = JSON.parse(this.received[i]!) as DapResponse;
        if (message.request_seq === seq) return message;
      }
      if (!this.isOpen) throw new Error(`connection closed before a response to seq ${seq}`);
      await new Promise<void>((wake) => this.#waiters.push(wake));
    }
  }

  /** Waits until at least `count` messages have arrived (or the connection closed). */
  async waitForMessages(count: number): Promise<void> {
    while (this.received.length < count && this.isOpen) await new Promise<void>((wake) => this.#waiters.push(wake));
  }

  close(): void {
    this.socket.close(1000);
  }
}
