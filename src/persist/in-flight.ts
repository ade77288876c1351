/**
 * What a server owes its clients right now: replies on DAP connections (reply-queue.ts) and
 * control requests over HTTP. A graceful shutdown stops taking new work, then waits for this
 * to drain; with a state file, control answers that report a change wait for the disk too.
 */
import { ServerResponse, type IncomingMessage, type RequestListener } from 'node:http';
import type { FaultDecision, FaultSpec, FaultView, ReorderGroup, RequestScope } from '../dap/fault-plan.js';
import { FaultPlan } from '../dap/fault-plan.js';
import type { SessionContext } from '../dap/session.js';
import type { StateCommitter } from './committer.js';
import { ReplyQueue, type ReplyOutput, type ReplyQueueOwner } from './reply-queue.js';

export class InFlight implements ReplyQueueOwner {
  readonly #queues = new Set<ReplyQueue>();
  #httpRequests = 0;
  #closing = false;
  #serving: ReplyQueue | undefined;
  #drained: (() => void) | undefined;

  constructor(readonly committer: StateCommitter | undefined) {}

  /** Shutting down: no new requests are taken. */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * The context sessions run in: the server's, with dropped frames and injected no-replies
   * counted against the connection being served (those requests are owed no reply).
   */
  sessionContext(context: SessionContext): SessionContext {
    const unanswered = () => this.#serving?.unanswered();
    return {
      ...context,
      onDroppedFrame: (reason) => {
        unanswered();
        context.onDroppedFrame?.(reason);
      },
      ...(context.faultPlan && { faultPlan: new WatchedFaultPlan(context.faultPlan, unanswered) }),
    };
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

  serving(queue: ReplyQueue | undefined): void {
    this.#serving = queue;
  }

  progressed(): void {
    if (this.#drained && this.#isDrained()) {
      this.#drained();
      this.#drained = undefined;
    }
  }

  /**
   * Wraps the HTTP handler: refuses requests once shutting down, counts those in progress, and
   * (with a state file) holds a POST's answer until what it changed is on disk. The server must
   * be created with `ServerResponse: HeldResponse`.
   */
  http(handler: RequestListener): RequestListener {
    return (request, response) => {
      if (this.#closing) return refuseShuttingDown(response);
      this.#httpRequests += 1;
      response.once('close', () => {
        this.#httpRequests -= 1;
        this.progressed();
      });
      if (this.committer && request.method === 'POST' && response instanceof HeldResponse) response.holdUntilSaved(this.committer);
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

/** The answer to a request that arrives during a shutdown. */
function refuseShuttingDown(response: ServerResponse): void {
  const text = `${JSON.stringify({ error: { code: 'SHUTTING_DOWN', message: 'The server is shutting down' } }, null, 2)}\n`;
  response.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), connection: 'close' });
  response.end(text);
}

/**
 * The server's fault plan as its sessions see it: the same plan (every call is passed on), which
 * also reports the requests an injected no-reply leaves unanswered.
 */
class WatchedFaultPlan extends FaultPlan {
  constructor(
    private readonly plan: FaultPlan,
    private readonly onSilenced: () => void,
  ) {
    super();
  }

  override decide(scope: RequestScope): FaultDecision | undefined {
    const decision = this.plan.decide(scope);
    if (decision?.silent) this.onSilenced();
    return decision;
  }

  override hold(group: ReorderGroup, send: () => void): void {
    this.plan.hold(group, send);
  }

  override get size(): number {
    return this.plan.size;
  }

  override add(spec: FaultSpec): FaultView {
    return this.plan.add(spec);
  }

  override list(): FaultView[] {
    return this.plan.list();
  }

  override remove(id: string): boolean {
    return this.plan.remove(id);
  }

  override clear(): number {
    return this.plan.clear();
  }
}

/** Answer text for a control request whose change could not be written (no path: the log has it). */
const NOT_SAVED_BODY = `${JSON.stringify(
  { error: { code: 'STATE_NOT_SAVED', message: 'The change was made, but the server could not save its state to disk: it may be lost when the server restarts' } },
  null,
  2,
)}\n`;

/**
 * A response that can be held until the state it reports is on disk: the control door answers
 * with writeHead then end, and both wait while a write covering this request's change is
 * pending. If that write fails, the answer becomes a 503 STATE_NOT_SAVED.
 */
export class HeldResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  #committer: StateCommitter | undefined;
  #baseline = 0;
  #head: unknown[] | undefined;

  holdUntilSaved(committer: StateCommitter): void {
    this.#committer = committer;
    this.#baseline = committer.generation;
  }

  override writeHead(...args: unknown[]): this {
    if (this.#committer === undefined) return (super.writeHead as (...a: unknown[]) => this).apply(this, args);
    this.#head = args;
    return this;
  }

  override end(...args: unknown[]): this {
    const committer = this.#committer;
    const end = (...a: unknown[]) => (super.end as (...b: unknown[]) => this).apply(this, a);
    const writeHead = (...a: unknown[]) => (super.writeHead as (...b: unknown[]) => this).apply(this, a);
    if (committer === undefined) return end(...args);
    this.#committer = undefined;
    const generation = committer.generation;
    const release = (saved: boolean) => {
      if (!saved) {
        writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(NOT_SAVED_BODY)), 'cache-control': 'no-store' });
        return void end(NOT_SAVED_BODY);
      }
      if (this.#head) writeHead(...this.#head);
      end(...args);
    };
    // Only a successful request during which something changed waits.
    const status = typeof this.#head?.[0] === 'number' ? this.#head[0] : this.statusCode;
    if (status < 400 && generation > this.#baseline && generation > committer.durable) committer.afterDurable(generation, release);
    else release(true);
    return this;
  }
}
