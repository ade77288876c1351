/**
 * Many connections held open at once: opened and authenticated in batches (a server admits only
 * so many unauthenticated connections per address), then driven together in closed loops over
 * the same add/status/list/update/remove cycle as the table rows, for as many runs as asked,
 * without reconnecting. The same code drives the mock and the echo server; only the ReplyRule
 * differs.
 */
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';
import type { ReplyRule } from './replies.js';
import { authSteps, closeSocket, connect, Recorder, RequestLoop, runCycles, settle, type LoadResult } from './request-loop.js';
import type { Step } from './workload.js';

/** sustained.ts closes its filler sockets with it. */
export { closeSocket };

const CONNECT_TIMEOUT_MS = 10_000;
/** Auth replies of a batch, and the end of a run's cycles, are bounded by this. */
const SETTLE_TIMEOUT_MS = 10_000;
/** One request at a time per connection: the load comes from how many are held, not from pipelining. */
const DEPTH = 1;

export interface PhaseResult {
  readonly answered: number;
  readonly failures: number;
  readonly failureSamples: readonly string[];
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
  private constructor(private readonly connections: readonly RequestLoop[]) {}

  get size(): number {
    return this.connections.length;
  }

  /** Opens and authenticates `count` connections, `batch` at a time; closes them all if any fails. */
  static async open(options: HoldOptions): Promise<HeldConnections> {
    const held: RequestLoop[] = [];
    try {
      for (let first = 0; first < options.count; first += options.batch) {
        const size = Math.min(options.batch, options.count - first);
        const sockets = await Promise.allSettled(Array.from({ length: size }, () => connect(options.url, CONNECT_TIMEOUT_MS)));
        for (const s of sockets) if (s.status === 'fulfilled') held.push(new RequestLoop(s.value, options.rule, DEPTH));
        const failed = sockets.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failed) throw new Error(`cannot open connection ${held.length + 1} to ${options.url}: ${String(failed.reason)}`);
        const batch = held.slice(first);
        const auth = await phase(batch, (i) => authSteps(options.keyOf(first + i)));
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
    return runCycles(this.connections, new Recorder(), { ...options, drainMs: SETTLE_TIMEOUT_MS });
  }

  /** One `list` on every connection: whether they all still answer, and answer well. */
  check(): Promise<PhaseResult> {
    return phase(this.connections, () => [{ command: 'rrext_deploy_list', endsCycle: true }][Symbol.iterator]());
  }

  close(): Promise<void> {
    return Promise.all(this.connections.map((c) => c.close())).then(() => {});
  }
}

/** Runs a finite script on each connection and waits for every answer. */
async function phase(connections: readonly RequestLoop[], script: (connection: number) => Iterator<Step>): Promise<PhaseResult> {
  const recorder = new Recorder();
  connections.forEach((c, i) => c.begin(script(i), recorder));
  await settle(connections, SETTLE_TIMEOUT_MS, `no reply within ${SETTLE_TIMEOUT_MS} ms`);
  return { answered: recorder.answered, failures: recorder.failures, failureSamples: recorder.samples };
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
      sockets.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - first) }, () => connect(url, CONNECT_TIMEOUT_MS)))));
    }
    return sockets;
  } catch (error) {
    await Promise.all(sockets.map(closeSocket));
    throw error;
  }
}
