/**
 * Many connections held open at once: opened and authenticated in batches (a server admits only
 * so many unauthenticated connections per address), then driven together in closed loops over
 * the same add/status/list/update/remove cycle as the table rows, for as many runs as asked,
 * without reconnecting. The same code drives the mock and the echo server; only the ReplyRule
 * differs.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket, { type RawData } from 'ws';
import type { LoadResult } from './load-client.js';
import type { ReplyRule, SentRequest } from './replies.js';
import { deployCycle, requestFrame, type Step } from './workload.js';

const CONNECT_TIMEOUT_MS = 10_000;
/** Auth replies of a batch, and the end of a run's cycles, are bounded by this. */
const SETTLE_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2_000;
const MAX_FAILURE_SAMPLES = 5;

/** One phase's outcome (authentication, a load run, a check round), shared by its connections. */
class Recorder {
  measuring = false;
  readonly latenciesMs: number[] = [];
  answered = 0;
  failures = 0;
  readonly samples: string[] = [];

  fail(why: string, count = 1): void {
    this.failures += count;
    if (this.samples.length < MAX_FAILURE_SAMPLES && !this.samples.includes(why)) this.samples.push(why);
  }
}

export interface PhaseResult {
  readonly answered: number;
  readonly failures: number;
  readonly failureSamples: readonly string[];
}

/** A socket kept open across phases; in each phase it sends steps until they run out or it is stopped. */
class HeldConnection {
  #seq = 0;
  readonly #inFlight = new Map<number, SentRequest & { readonly sentAt: number }>();
  #steps: Iterator<Step> | undefined;
  #recorder = new Recorder();
  #stopping = false;
  #atCycleBoundary = true;
  #lost: string | undefined;
  #idleWaiter: (() => void) | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly rule: ReplyRule,
  ) {
    socket.on('message', (data: RawData) => this.#receive(data));
    socket.on('close', (code: number) => this.#lose(`connection closed (code ${code})`));
    socket.on('error', (error: Error) => this.#lose(`socket error: ${error.message}`));
  }

  /** Starts a phase: `steps` one request at a time, each sent when the previous one is answered. */
  begin(steps: Iterator<Step>, recorder: Recorder): void {
    this.#steps = steps;
    this.#recorder = recorder;
    this.#stopping = false;
    this.#atCycleBoundary = true;
    if (this.#lost !== undefined) recorder.fail(this.#lost);
    this.#pump();
  }

  /** Stops sending once the current cycle is complete (no deployment is left behind). */
  stop(): void {
    this.#stopping = true;
    this.#checkIdle();
  }

  /** Resolves when nothing is in flight and nothing more will be sent. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiter = resolve;
      this.#checkIdle();
    });
  }

  /** Counts requests still waiting as failures (after the settle timeout) and stops the phase. */
  failUnanswered(why: string): void {
    if (this.#inFlight.size > 0) this.#recorder.fail(why, this.#inFlight.size);
    this.#inFlight.clear();
    this.#steps = undefined;
  }

  close(): Promise<void> {
    this.#stopping = true;
    return closeSocket(this.socket);
  }

  #sending(): boolean {
    return this.#steps !== undefined && this.#lost === undefined && !(this.#stopping && this.#atCycleBoundary);
  }

  #pump(): void {
    // Depth 1: the next request leaves when the previous one is answered.
    if (!this.#sending() || this.#inFlight.size > 0) return;
    const next = this.#steps!.next();
    if (next.done) {
      this.#steps = undefined;
      return;
    }
    const step = next.value;
    this.#atCycleBoundary = step.endsCycle;
    const seq = ++this.#seq;
    this.#inFlight.set(seq, { seq, command: step.command, sentAt: performance.now() });
    this.socket.send(requestFrame(seq, step.command, step.arguments));
  }

  #receive(data: RawData): void {
    const now = performance.now();
    const recorder = this.#recorder;
    let reply: unknown;
    try {
      reply = JSON.parse(textOf(data));
    } catch {
      recorder.fail('reply is not JSON');
      return;
    }
    const fields = (typeof reply === 'object' && reply !== null ? reply : {}) as Record<string, unknown>;
    const seq = this.rule.requestSeqOf(fields);
    const sent = typeof seq === 'number' ? this.#inFlight.get(seq) : undefined;
    if (!sent) {
      recorder.fail(`reply to unknown request seq ${JSON.stringify(seq)}`);
      return;
    }
    this.#inFlight.delete(sent.seq);
    const problem = this.rule.problem(fields, sent);
    if (problem !== undefined) recorder.fail(problem);
    else {
      recorder.answered += 1;
      if (recorder.measuring) recorder.latenciesMs.push(now - sent.sentAt);
    }
    this.#pump();
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#idleWaiter && this.#inFlight.size === 0 && !this.#sending()) {
      this.#idleWaiter();
      this.#idleWaiter = undefined;
    }
  }

  #lose(why: string): void {
    if (this.#lost !== undefined) return;
    this.#lost = why;
    // Our own close at the end loses nothing; anything else costs the request in flight.
    if (this.#inFlight.size > 0 || !this.#stopping) this.#recorder.fail(why, Math.max(1, this.#inFlight.size));
    this.#inFlight.clear();
    this.#checkIdle();
  }
}

export interface HoldOptions {
  readonly url: string;
  readonly count: number;
  /** Connections opened (and authenticated) at once. */
  readonly batch: number;
  /** The key connection `i` authenticates with. */
  readonly keyOf: (connection: number) => string;
  readonly rule: ReplyRule;
}

/** `count` authenticated connections to one server, held until `close`. */
export class HeldConnections {
  private constructor(private readonly connections: readonly HeldConnection[]) {}

  get size(): number {
    return this.connections.length;
  }

  /** Opens and authenticates `count` connections, `batch` at a time; closes them all if any fails. */
  static async open(options: HoldOptions): Promise<HeldConnections> {
    const held: HeldConnection[] = [];
    try {
      for (let first = 0; first < options.count; first += options.batch) {
        const size = Math.min(options.batch, options.count - first);
        const sockets = await Promise.allSettled(Array.from({ length: size }, () => connect(options.url)));
        for (const s of sockets) if (s.status === 'fulfilled') held.push(new HeldConnection(s.value, options.rule));
        const failed = sockets.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failed) throw new Error(`cannot open connection ${held.length + 1} to ${options.url}: ${String(failed.reason)}`);
        const batch = held.slice(first);
        const auth = await phase(batch, (i) => authStep(options.keyOf(first + i)));
        if (auth.failures > 0) throw new Error(`authentication failed: ${auth.failureSamples.join('; ')}`);
      }
      return new HeldConnections(held);
    } catch (error) {
      await Promise.all(held.map((c) => c.close()));
      throw error;
    }
  }

  /** Every connection runs the deploy cycle in a closed loop; latencies are kept for `measureMs` after `warmupMs`. */
  async load(options: { readonly warmupMs: number; readonly measureMs: number; readonly tag: string }): Promise<LoadResult> {
    const recorder = new Recorder();
    this.connections.forEach((c, i) => c.begin(deployCycle(options.tag, i), recorder));
    await delay(options.warmupMs);
    recorder.measuring = true;
    const started = performance.now();
    await delay(options.measureMs);
    recorder.measuring = false;
    const seconds = (performance.now() - started) / 1000;
    for (const c of this.connections) c.stop();
    await settle(this.connections);
    return { requests: recorder.latenciesMs.length, seconds, latenciesMs: recorder.latenciesMs, failures: recorder.failures, failureSamples: recorder.samples };
  }

  /** One `list` on every connection: whether they all still answer, and answer well. */
  check(): Promise<PhaseResult> {
    return phase(this.connections, () => [{ command: 'rrext_deploy_list', endsCycle: true }]);
  }

  close(): Promise<void> {
    return Promise.all(this.connections.map((c) => c.close())).then(() => {});
  }
}

/** Runs a finite script on each connection and waits for every answer. */
async function phase(connections: readonly HeldConnection[], script: (connection: number) => Step[]): Promise<PhaseResult> {
  const recorder = new Recorder();
  connections.forEach((c, i) => c.begin(script(i)[Symbol.iterator](), recorder));
  await settle(connections);
  return { answered: recorder.answered, failures: recorder.failures, failureSamples: recorder.samples };
}

async function settle(connections: readonly HeldConnection[]): Promise<void> {
  await within(SETTLE_TIMEOUT_MS, Promise.all(connections.map((c) => c.idle())));
  for (const c of connections) c.failUnanswered(`no reply within ${SETTLE_TIMEOUT_MS} ms`);
}

function authStep(key: string): Step[] {
  return [{ command: 'auth', arguments: { auth: key }, endsCycle: true }];
}

/** How a connection ended when the server refused it: the close code and reason, or that it stayed open. */
export type Admission = { readonly closed: true; readonly code: number; readonly reason: string } | { readonly closed: false };

/**
 * Opens one connection and waits `waitMs` for the server to close it (a refused connection is
 * upgraded, then closed with a code and reason). Closes it if the server did not.
 */
export async function admissionOf(url: string, waitMs: number): Promise<Admission> {
  const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
  socket.on('error', () => {}); // a refusal may surface as an error too; the close tells what happened
  const closed = new Promise<Admission>((resolve) =>
    socket.once('close', (code: number, reason: Buffer) => resolve({ closed: true, code, reason: reason.toString('utf8') })),
  );
  const result = await Promise.race([closed, delay(waitMs).then((): Admission => ({ closed: false }))]);
  if (!result.closed) await closeSocket(socket);
  return result;
}

/** Opens `count` connections without authenticating them, `batch` at a time (fillers up to a limit). */
export async function openUnauthenticated(url: string, count: number, batch: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  try {
    for (let first = 0; first < count; first += batch) {
      sockets.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - first) }, () => connect(url)))));
    }
    return sockets;
  } catch (error) {
    await Promise.all(sockets.map(closeSocket));
    throw error;
  }
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
    socket.once('open', () => {
      socket.off('error', reject);
      socket.on('error', () => {}); // later errors end in a close, which the owner handles
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export async function closeSocket(socket: WebSocket): Promise<void> {
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
