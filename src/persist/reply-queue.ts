/**
 * One DAP connection's outgoing replies, between its session and its socket. It does two jobs
 * the session cannot see from where it stands:
 *
 * - With a state file, a reply to a request that changed state leaves only once that change is
 *   on disk ("acknowledged means durable"). Replies behind a held one on the same connection
 *   wait their turn, so the wire order (and `seq` order, which the session assigns as it hands
 *   a reply over) stays as it was; other connections are not held up.
 * - It counts the replies the connection is owed, so a graceful shutdown can wait for them
 *   (delayed by an injected fault, or held for the disk) before closing.
 * - It counts the bytes it holds, so the server's reply backlog limit (mock-server.ts) covers
 *   replies waiting for the disk as well as those waiting in the socket.
 */
import type { Durability } from './committer.js';

/** Where replies finally go: the socket. */
export interface ReplyOutput {
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** What a queue reports to the server's bookkeeping (in-flight.ts). */
export interface ReplyQueueOwner {
  /** The state file's writer, when there is one. */
  readonly committer: Durability | undefined;
  /** Shutting down: requests that arrive now are not taken. */
  readonly closing: boolean;
  /** Something this queue owes or holds changed (a shutdown may be waiting for it). */
  progressed(): void;
}

/**
 * The failure a held reply becomes when its change could not be written. It names no path:
 * the client may be anyone, and the server's log has the details.
 */
export const NOT_SAVED_MESSAGE =
  'The change was made, but the server could not save its state to disk: it may be lost when the server restarts';

interface Held {
  readonly text?: string;
  /** The text's size in UTF-8 (what it will take in the socket's buffer), set when it is held. */
  bytes: number;
  readonly close?: readonly [code: number, reason: string];
  /** Waiting for the disk, saved, failed; or ready (it only waits for those before it). */
  state: 'waiting' | 'saved' | 'failed' | 'ready';
}

export class ReplyQueue {
  readonly #held: Held[] = [];
  #heldBytes = 0;
  /** Told once nothing is held any more (onceEmpty). */
  #emptied: Array<() => void> = [];
  /** Requests handed to the session and not answered yet. */
  #owed = 0;
  /** Closed (by the session) or gone (the transport ended): nothing more goes out. */
  #done = false;
  #inRequest = false;
  /** The generation when the request being handled came in: more means it changed something. */
  #baseline = 0;

  constructor(
    private readonly out: ReplyOutput,
    private readonly owner: ReplyQueueOwner,
  ) {}

  /** Bytes of the replies held (waiting for the disk, or behind one that is). */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Calls `listener` once nothing is held: at once if nothing is; never if the connection ends first. */
  onceEmpty(listener: () => void): void {
    if (this.#held.length === 0) listener();
    else this.#emptied.push(listener);
  }

  /** Nothing owed, nothing held (or the connection is finished). */
  get settled(): boolean {
    return this.#done || (this.#owed <= 0 && this.#held.length === 0);
  }

  /** Hands one request to the session: `handle` runs it, and whatever it sends is its reply. */
  request(handle: () => void): void {
    if (this.owner.closing) return;
    this.#owed += 1;
    this.#inRequest = true;
    this.#baseline = this.owner.committer?.generation ?? 0;
    try {
      handle();
    } finally {
      this.#inRequest = false;
    }
    this.owner.progressed();
  }

  /** The session will not answer a request it was handed (a dropped frame, an injected no-reply or close). */
  unanswered(): void {
    this.#owed -= 1;
  }

  send(text: string): void {
    this.#owed -= 1;
    this.#enqueue({ text, bytes: 0, state: 'ready' }, this.#waitFor());
    this.owner.progressed();
  }

  close(code: number, reason: string): void {
    this.#enqueue({ close: [code, reason], bytes: 0, state: 'ready' }, 0);
    this.owner.progressed();
  }

  /** The transport is gone: what is held is dropped. */
  ended(): void {
    this.#done = true;
    this.#dropHeld();
    this.#emptied = [];
    this.owner.progressed();
  }

  /**
   * The generation a reply must see on disk before it leaves, or 0. A reply sent while its
   * request is handled waits if that request changed something; one sent later (an injected
   * delay or reorder) waits for whatever is not on disk yet, since its change is not known.
   */
  #waitFor(): number {
    const committer = this.owner.committer;
    if (!committer) return 0;
    const generation = committer.generation;
    if (this.#inRequest && generation === this.#baseline) return 0;
    return generation > committer.durable ? generation : 0;
  }

  #enqueue(item: Held, generation: number): void {
    if (this.#done) return;
    if (this.#held.length === 0 && generation === 0) return this.#deliver(item);
    // Measured only when held: a reply delivered at once (every one, without a state file) costs nothing here.
    if (item.text !== undefined) item.bytes = Buffer.byteLength(item.text);
    this.#held.push(item);
    this.#heldBytes += item.bytes;
    if (generation > 0) {
      item.state = 'waiting';
      this.owner.committer!.afterDurable(generation, (saved) => {
        item.state = saved ? 'saved' : 'failed';
        this.#release();
      });
    }
  }

  /** Sends held replies from the front, up to the first one still waiting for the disk. */
  #release(): void {
    while (!this.#done && this.#held.length > 0 && this.#held[0]!.state !== 'waiting') {
      const item = this.#held.shift()!;
      this.#heldBytes -= item.bytes;
      this.#deliver(item);
    }
    if (this.#held.length === 0) for (const listener of this.#emptied.splice(0)) listener();
    this.owner.progressed();
  }

  #dropHeld(): void {
    this.#held.length = 0;
    this.#heldBytes = 0;
  }

  #deliver(item: Held): void {
    if (item.close) {
      this.#done = true;
      this.#dropHeld();
      this.out.close(...item.close);
    } else {
      this.out.send(item.state === 'failed' ? notSaved(item.text!) : item.text!);
    }
  }
}

/** A success reply turned into the failure its unsaved change deserves; anything else as it was. */
function notSaved(text: string): string {
  let reply: { type?: unknown; seq?: unknown; request_seq?: unknown; command?: unknown; success?: unknown };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch {
    return text;
  }
  if (reply.type !== 'response' || reply.success !== true) return text;
  const { seq, request_seq, command } = reply;
  return JSON.stringify({ type: 'response', seq, request_seq, command, success: false, message: NOT_SAVED_MESSAGE });
}
