/**
 * What the two load clients share (load-client.ts: fresh sockets, `depth` requests in flight;
 * sustained-client.ts: many sockets held across phases, one request at a time): a socket's
 * closed loop of DAP requests checked by a ReplyRule, the record of a phase's outcome, and
 * opening and closing sockets.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket, { type RawData } from 'ws';
import type { ReplyRule, SentRequest } from './replies.js';
import { deployCycle, requestFrame, type Step } from './workload.js';

/** A load run's figures, for one server. */
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

export interface CycleOptions {
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Makes project ids unique per run, so runs can share one server. */
  readonly tag: string;
  /** After the window, loops finish their cycle (a few requests); this bounds the wait. */
  readonly drainMs: number;
}

export const MAX_FAILURE_SAMPLES = 5;
const CLOSE_TIMEOUT_MS = 2_000;

/** One phase's outcome (authentication, a load run, a check round), shared by its sockets. */
export class Recorder {
  /** Round-trip times are kept only while this is set (the measured window). */
  measuring = false;
  readonly latenciesMs: number[] = [];
  /** Good replies, in the window or not. */
  answered = 0;
  failures = 0;
  readonly samples: string[] = [];

  fail(why: string, count = 1): void {
    this.failures += count;
    // Distinct messages only: one broken server would otherwise fill the list with one line.
    if (this.samples.length < MAX_FAILURE_SAMPLES && !this.samples.includes(why)) this.samples.push(why);
  }
}

/** The script that authenticates a socket with `key`. */
export function authSteps(key: string): Iterator<Step> {
  return [{ command: 'auth', arguments: { auth: key }, endsCycle: true }][Symbol.iterator]();
}

/**
 * One socket's closed loop. In each phase it keeps up to `depth` requests of a script in flight,
 * sending the next as soon as a reply arrives, until the script runs out or the loop is stopped
 * (at a cycle boundary, so it leaves no deployment behind). The socket stays open across phases.
 */
export class RequestLoop {
  #seq = 0;
  /** seq -> what was sent and when (performance.now() ms). */
  readonly #inFlight = new Map<number, SentRequest & { readonly sentAt: number }>();
  #steps: Iterator<Step> | undefined;
  #recorder = new Recorder();
  #stopping = false;
  /** True between cycles: a loop stops only here. */
  #atCycleBoundary = true;
  /** Why the socket was lost, once it is. */
  #lost: string | undefined;
  #idleWaiter: (() => void) | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly rule: ReplyRule,
    private readonly depth: number,
  ) {
    socket.on('message', (data: RawData) => this.#receive(data));
    socket.on('close', (code: number) => this.#lose(`connection closed (code ${code})`));
    socket.on('error', (error: Error) => this.#lose(`socket error: ${error.message}`));
  }

  /** Starts a phase: runs `steps`, recording into `recorder`. */
  begin(steps: Iterator<Step>, recorder: Recorder): void {
    // A socket lost earlier fails each later phase once (not twice in a record it already failed).
    if (this.#lost !== undefined && recorder !== this.#recorder) recorder.fail(this.#lost);
    this.#steps = steps;
    this.#recorder = recorder;
    this.#stopping = false;
    this.#atCycleBoundary = true;
    this.#pump();
  }

  /** Stops sending once the current cycle is complete. */
  stop(): void {
    this.#stopping = true;
    this.#pump();
    this.#checkIdle();
  }

  /** Resolves when nothing is in flight and nothing more will be sent. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiter = resolve;
      this.#checkIdle();
    });
  }

  /** Counts requests still waiting for a reply as failures (after a timeout) and ends the phase. */
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
    while (this.#sending() && this.#inFlight.size < this.depth) {
      const next = this.#steps!.next();
      if (next.done) {
        this.#steps = undefined;
        return;
      }
      const step = next.value;
      this.#atCycleBoundary = step.endsCycle;
      const seq = ++this.#seq;
      // Serialised before the clock is read: a round trip does not include our own JSON work.
      const frame = requestFrame(seq, step.command, step.arguments);
      this.#inFlight.set(seq, { seq, command: step.command, sentAt: performance.now() });
      this.socket.send(frame);
    }
  }

  #receive(data: RawData): void {
    const now = performance.now();
    this.#take(data, now);
    this.#pump();
    this.#checkIdle();
  }

  /** Matches a reply to its request and records whether the rule finds it good. */
  #take(data: RawData, now: number): void {
    const recorder = this.#recorder;
    let reply: unknown;
    try {
      reply = JSON.parse(textOf(data));
    } catch {
      recorder.fail('reply is not JSON');
      return;
    }
    if (typeof reply !== 'object' || reply === null) {
      recorder.fail('reply is not a JSON object');
      return;
    }
    const fields = reply as Record<string, unknown>;
    const seq = this.rule.requestSeqOf(fields);
    const sent = typeof seq === 'number' ? this.#inFlight.get(seq) : undefined;
    if (!sent) {
      recorder.fail(`reply to unknown request seq ${JSON.stringify(seq)}`);
      return;
    }
    this.#inFlight.delete(sent.seq);
    const problem = this.rule.problem(fields, sent);
    if (problem !== undefined) {
      recorder.fail(problem);
      return;
    }
    recorder.answered += 1;
    if (recorder.measuring) recorder.latenciesMs.push(now - sent.sentAt);
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
    // Our own close at the end loses nothing; anything else costs every request in flight.
    if (this.#inFlight.size > 0 || !this.#stopping) this.#recorder.fail(why, Math.max(1, this.#inFlight.size));
    this.#inFlight.clear();
    this.#checkIdle();
  }
}

/**
 * Every loop runs the deploy cycle (loop `i` on its own ids); round-trip times are kept for
 * `measureMs` after `warmupMs`, then each loop finishes its cycle, within `drainMs`.
 */
export async function runCycles(loops: readonly RequestLoop[], recorder: Recorder, options: CycleOptions): Promise<LoadResult> {
  loops.forEach((loop, i) => loop.begin(deployCycle(options.tag, i), recorder));
  await delay(options.warmupMs);

  // Flag and timestamp are set in one synchronous step: no reply can land between them.
  recorder.measuring = true;
  const started = performance.now();
  await delay(options.measureMs);
  recorder.measuring = false;
  const seconds = (performance.now() - started) / 1000;

  for (const loop of loops) loop.stop();
  await settle(loops, options.drainMs, `no reply within ${options.drainMs} ms of the end`);
  return {
    requests: recorder.latenciesMs.length,
    seconds,
    latenciesMs: recorder.latenciesMs,
    failures: recorder.failures,
    failureSamples: recorder.samples,
  };
}

/** Waits up to `ms` for every loop to go idle; requests still unanswered then fail with `why`. */
export async function settle(loops: readonly RequestLoop[], ms: number, why: string): Promise<void> {
  await within(ms, Promise.all(loops.map((loop) => loop.idle())));
  for (const loop of loops) loop.failUnanswered(why);
}

/** Opens one connection (no compression, as the SDK); `timeoutMs` bounds the handshake. */
export function connect(url: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
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
