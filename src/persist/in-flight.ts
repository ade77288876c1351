/**
 * What a server owes its clients right now: replies on DAP connections (reply-queue.ts) and
 * control requests over HTTP. A graceful shutdown stops taking new work, then waits for this
 * to drain; with a state file, control answers that report a change wait for the disk too.
 */
import type { RequestListener } from 'node:http';
import { sendError } from '../http/json-answers.js';
import type { Durability } from './committer.js';
import { ReplyQueue, type ReplyOutput, type ReplyQueueOwner } from './reply-queue.js';

export class InFlight implements ReplyQueueOwner {
  readonly #queues = new Set<ReplyQueue>();
  #httpRequests = 0;
  #closing = false;
  #drained: (() => void) | undefined;

  constructor(readonly committer: Durability | undefined) {}

  /** Shutting down: no new requests are taken. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Bytes of the replies every connection's queue holds for the disk. */
  get heldBytes(): number {
    let bytes = 0;
    for (const queue of this.#queues) bytes += queue.heldBytes;
    return bytes;
  }

  /** A new DAP connection's reply queue. */
  open(out: ReplyOutput): ReplyQueue {
    const queue = new ReplyQueue(out, this);
    this.#queues.add(queue);
    return queue;
  }

  /** The connection closed: it owes nothing any more. */
  forget(queue: ReplyQueue): void {
    queue.ended();
    this.#queues.delete(queue);
    this.progressed();
  }

  progressed(): void {
    if (this.#drained && this.#isDrained()) {
      this.#drained();
      this.#drained = undefined;
    }
  }

  /**
   * The control door's `beforeChange` hook: call it as an operation starts, and await what it
   * returns before answering. That resolves at once if the operation changed nothing (or there
   * is no state file), else once the change is on disk ('saved') or its write failed ('failed').
   */
  watchChange(): () => Promise<'saved' | 'failed'> {
    const committer = this.committer;
    const baseline = committer?.generation ?? 0;
    return () => {
      const generation = committer?.generation ?? 0;
      if (!committer || generation === baseline || generation <= committer.durable) return Promise.resolve('saved');
      return new Promise((resolve) => committer.afterDurable(generation, (saved) => resolve(saved ? 'saved' : 'failed')));
    };
  }

  /** Wraps the HTTP handler: refuses requests once shutting down, and counts those in progress. */
  http(handler: RequestListener): RequestListener {
    return (request, response) => {
      if (this.#closing) return sendError(response, 503, 'SHUTTING_DOWN', 'The server is shutting down', { connection: 'close' });
      this.#httpRequests += 1;
      response.once('close', () => {
        this.#httpRequests -= 1;
        this.progressed();
      });
      handler(request, response);
    };
  }

  /** Stops taking requests; resolves once every reply owed has gone out (or its connection closed). */
  drain(): Promise<void> {
    this.#closing = true;
    if (this.#isDrained()) return Promise.resolve();
    return new Promise((resolve) => (this.#drained = resolve));
  }

  #isDrained(): boolean {
    if (this.#httpRequests > 0) return false;
    for (const queue of this.#queues) if (!queue.settled) return false;
    return true;
  }
}
