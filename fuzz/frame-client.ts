/**
 * The fuzzer's WebSocket client: sends frames exactly as given (text or binary, valid UTF-8 or
 * not) and hands back what the server sends, in order, one frame at a time, unparsed.
 */
import WebSocket from 'ws';

export type Next = { readonly text: string } | { readonly closed: { code: number; reason: string } } | { readonly timeout: true };

export class FrameClient {
  readonly #socket: WebSocket;
  readonly #inbox: string[] = [];
  #head = 0;
  #wake: (() => void) | undefined;
  #closed: { code: number; reason: string } | undefined;
  /** Server frames received so far on this connection. */
  received = 0;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data: Buffer) => {
      this.received += 1;
      this.#inbox.push(data.toString('utf8'));
      this.#wake?.();
    });
    socket.on('close', (code: number, reason: Buffer) => {
      this.#closed = { code, reason: reason.toString() };
      this.#wake?.();
    });
    // A reset connection is reported as a close; the error itself says nothing more.
    socket.on('error', () => {});
  }

  static open(url: string): Promise<FrameClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
      socket.once('open', () => {
        socket.off('error', reject);
        resolve(new FrameClient(socket));
      });
      socket.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }

  /** Sends one frame; a text frame's bytes go as they are (they need not be UTF-8). */
  send(bytes: Buffer | string, binary: boolean): void {
    if (this.isOpen) this.#socket.send(bytes, { binary });
  }

  /** The next frame from the server, or the close, or a timeout. */
  async next(timeoutMs: number): Promise<Next> {
    if (this.#head < this.#inbox.length) return { text: this.#take() };
    if (this.#closed) return { closed: this.#closed };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await new Promise<boolean>((resolve) => {
      this.#wake = () => resolve(false);
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    this.#wake = undefined;
    clearTimeout(timer);
    if (this.#head < this.#inbox.length) return { text: this.#take() };
    if (this.#closed) return { closed: this.#closed };
    return timedOut ? { timeout: true } : this.next(timeoutMs);
  }

  /** Waits for the connection to close (or the timeout); undefined on timeout. */
  async closedWithin(timeoutMs: number): Promise<{ code: number; reason: string } | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = await this.next(Math.max(1, deadline - Date.now()));
      if ('closed' in next) return next.closed;
      if ('timeout' in next) return undefined;
    }
  }

  close(): void {
    if (this.#socket.readyState === WebSocket.OPEN || this.#socket.readyState === WebSocket.CONNECTING) this.#socket.close(1000);
  }

  /** Cuts the connection without a closing handshake. */
  terminate(): void {
    this.#socket.terminate();
  }

  #take(): string {
    const text = this.#inbox[this.#head]!;
    this.#head += 1;
    // Forget consumed frames now and then, so a long connection does not keep them all.
    if (this.#head > 1024) {
      this.#inbox.splice(0, this.#head);
      this.#head = 0;
    }
    return text;
  }
}
