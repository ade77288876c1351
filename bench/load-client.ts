/**
 * Closed-loop load over WebSocket: N clients, each authenticates once and then keeps `depth`
 * requests in flight, sending the next as soon as a reply arrives. The same code drives the
 * mock and the echo server; only the ReplyRule differs.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket, { type RawData } from 'ws';
import type { ReplyRule, SentRequest } from './replies.js';
import { deployCycle, requestFrame, type Step } from './workload.js';

export interface LoadOptions {
  readonly url: string;
  readonly clients: number;
  readonly depth: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** The key client `i` authenticates with. */
  readonly keyOf: (client: number) => string;
  /** Makes project ids unique per row, so rows can share one server. */
  readonly tag: string;
  readonly rule: ReplyRule;
}

export interface LoadResult {
  /** Round trips completed inside the measured window. */
  readonly requests: number;
  readonly seconds: number;
  /** One round-trip time (ms) per completed request in the window. */
  readonly latenciesMs: readonly number[];
  /** Bad, missing or unexpected replies over the whole run (warm-up and drain included). */
  readonly failures: number;
  /** The first few distinct failure messages. */
  readonly failureSamples: readonly string[];
}

const CONNECT_TIMEOUT_MS = 5_000;
/** After the window, clients finish their cycle (a few requests); this bounds the wait. */
const DRAIN_TIMEOUT_MS = 5_000;
const CLOSE_TIMEOUT_MS = 2_000;
const MAX_FAILURE_SAMPLES = 5;

/** Shared by all clients of one run: the measuring flag, samples and failures. */
class Recorder {
  measuring = false;
  readonly latenciesMs: number[] = [];
  failures = 0;
  readonly samples: string[] = [];

  fail(why: string, count = 1): void {
    this.failures += count;
    // Distinct messages only: one broken server would otherwise fill the list with one line.
    if (this.samples.length < MAX_FAILURE_SAMPLES && !this.samples.includes(why)) this.samples.push(why);
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const recorder = new Recorder();
  const sockets = await connectAll(options.url, options.clients);
  const clients = sockets.map(
    (socket, i) => new LoadClient(socket, options.depth, deployCycle(options.tag, i), options.rule, recorder),
  );
  try {
    await Promise.all(clients.map((client, i) => client.authenticate(options.keyOf(i))));
    for (const client of clients) client.start();
    await delay(options.warmupMs);

    // Flag and timestamp are set in one synchronous step: no reply can land between them.
    recorder.measuring = true;
    const started = performance.now();
    await delay(options.measureMs);
    recorder.measuring = false;
    const seconds = (performance.now() - started) / 1000;

    for (const client of clients) client.stop();
    await within(DRAIN_TIMEOUT_MS, Promise.all(clients.map((client) => client.idle())));
    for (const client of clients) client.failUnanswered(`no reply within ${DRAIN_TIMEOUT_MS} ms of the end`);

    return {
      requests: recorder.latenciesMs.length,
      seconds,
      latenciesMs: recorder.latenciesMs,
      failures: recorder.failures,
      failureSamples: recorder.samples,
    };
  } finally {
    await Promise.all(sockets.map(closeSocket));
  }
}

/** Adds up the rounds of one server in one row. */
export function mergeLoads(loads: readonly LoadResult[]): LoadResult {
  return {
    requests: loads.reduce((n, l) => n + l.requests, 0),
    seconds: loads.reduce((n, l) => n + l.seconds, 0),
    latenciesMs: loads.flatMap((l) => l.latenciesMs),
    failures: loads.reduce((n, l) => n + l.failures, 0),
    failureSamples: [...new Set(loads.flatMap((l) => l.failureSamples))].slice(0, MAX_FAILURE_SAMPLES),
  };
}

/** One connection's closed loop. */
class LoadClient {
  #seq = 0;
  /** seq -> what was sent and when (performance.now() ms). */
  readonly #inFlight = new Map<number, SentRequest & { readonly sentAt: number }>();
  #running = false;
  #stopping = false;
  /** True between cycles: a client stops only here, so it leaves no deployment behind. */
  #atCycleBoundary = true;
  #broken = false;
  #idleWaiter: (() => void) | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly depth: number,
    private readonly steps: Iterator<Step>,
    private readonly rule: ReplyRule,
    private readonly recorder: Recorder,
  ) {
    socket.on('message', (data: RawData) => this.#receive(data));
    socket.on('close', (code: number) => this.#lost(`connection closed (code ${code})`));
    socket.on('error', (error: Error) => this.#lost(`socket error: ${error.message}`));
  }

  /** Sends `auth` once and waits for its reply, checked by the same rule as every request. */
  async authenticate(key: string): Promise<void> {
    const failuresBefore = this.recorder.failures;
    this.#send('auth', { auth: key });
    await within(CONNECT_TIMEOUT_MS, this.idle());
    this.failUnanswered(`no auth reply within ${CONNECT_TIMEOUT_MS} ms`);
    if (this.recorder.failures > failuresBefore) throw new Error(this.recorder.samples.join('; '));
  }

  /** Fills the pipeline; from now on every reply sends the next request. */
  start(): void {
    this.#running = true;
    this.#pump();
  }

  /** Stops sending once the current cycle is complete. */
  stop(): void {
    this.#stopping = true;
    this.#pump();
  }

  /** Resolves when nothing is in flight and nothing more will be sent. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiter = resolve;
      this.#checkIdle();
    });
  }

  /** Counts requests still waiting for a reply as failures (after the drain timeout). */
  failUnanswered(why: string): void {
    if (this.#inFlight.size > 0) this.recorder.fail(why, this.#inFlight.size);
    this.#inFlight.clear();
  }

  #willSend(): boolean {
    return this.#running && !this.#broken && !(this.#stopping && this.#atCycleBoundary);
  }

  #pump(): void {
    while (this.#willSend() && this.#inFlight.size < this.depth) {
      const step = this.steps.next().value as Step;
      this.#send(step.command, step.arguments);
      this.#atCycleBoundary = step.endsCycle;
    }
  }

  #send(command: string, args?: Record<string, unknown>): void {
    const seq = ++this.#seq;
    const frame = requestFrame(seq, command, args);
    this.#inFlight.set(seq, { seq, command, sentAt: performance.now() });
    this.socket.send(frame);
  }

  #receive(data: RawData): void {
    const now = performance.now();
    this.#handle(data, now);
    this.#pump();
    this.#checkIdle();
  }

  #handle(data: RawData, now: number): void {
    let reply: unknown;
    try {
      reply = JSON.parse(textOf(data));
    } catch {
      this.recorder.fail('reply is not JSON');
      return;
    }
    if (typeof reply !== 'object' || reply === null) {
      this.recorder.fail('reply is not a JSON object');
      return;
    }
    const fields = reply as Record<string, unknown>;
    const seq = this.rule.requestSeqOf(fields);
    const sent = typeof seq === 'number' ? this.#inFlight.get(seq) : undefined;
    if (!sent) {
      this.recorder.fail(`reply to unknown request seq ${JSON.stringify(seq)}`);
      return;
    }
    this.#inFlight.delete(sent.seq);
    const problem = this.rule.problem(fields, sent);
    if (problem !== undefined) this.recorder.fail(problem);
    else if (this.recorder.measuring) this.recorder.latenciesMs.push(now - sent.sentAt);
  }

  #checkIdle(): void {
    if (this.#idleWaiter && this.#inFlight.size === 0 && !this.#willSend()) {
      this.#idleWaiter();
      this.#idleWaiter = undefined;
    }
  }

  #lost(why: string): void {
    if (this.#broken) return;
    this.#broken = true;
    // Our own close at the end loses nothing; anything else costs every request in flight.
    if (this.#inFlight.size > 0 || !this.#stopping) this.recorder.fail(why, Math.max(1, this.#inFlight.size));
    this.#inFlight.clear();
    this.#checkIdle();
  }
}

/** Opens `count` connections; if any fails, closes the others before rethrowing. */
async function connectAll(url: string, count: number): Promise<WebSocket[]> {
  const settled = await Promise.allSettled(Array.from({ length: count }, () => connect(url)));
  const sockets = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return sockets;
  await Promise.all(sockets.map(closeSocket));
  throw new Error(`cannot connect to ${url}: ${String(failed.reason)}`);
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.close(1000);
  await within(CLOSE_TIMEOUT_MS, closed);
  socket.terminate(); // no-op when the close handshake finished in time
}

/** Waits for `promise` or `ms`, whichever is first, without leaving a timer behind. */
async function within(ms: number, promise: Promise<unknown>): Promise<void> {
  const timer = new AbortController();
  await Promise.race([promise, delay(ms, undefined, { signal: timer.signal }).catch(() => {})]);
  timer.abort();
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
