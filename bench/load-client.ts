/**
 * Closed-loop load over WebSocket: N clients, each authenticates once and then keeps `depth`
 * requests in flight, sending the next as soon as a reply arrives. The same code drives the
 * mock and the echo server; only the ReplyRule differs.
 */
import type WebSocket from 'ws';
import type { ReplyRule } from './replies.js';
import {
  authSteps,
  closeSocket,
  connect,
  MAX_FAILURE_SAMPLES,
  Recorder,
  RequestLoop,
  runCycles,
  settle,
  type LoadResult,
} from './request-loop.js';

export type { LoadResult };

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

const CONNECT_TIMEOUT_MS = 5_000;
/** After the window, clients finish their cycle (a few requests); this bounds the wait. */
const DRAIN_TIMEOUT_MS = 5_000;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const recorder = new Recorder();
  const sockets = await connectAll(options.url, options.clients);
  const clients = sockets.map((socket) => new RequestLoop(socket, options.rule, options.depth));
  try {
    await Promise.all(clients.map((client, i) => authenticate(client, options.keyOf(i), recorder)));
    return await runCycles(clients, recorder, { ...options, drainMs: DRAIN_TIMEOUT_MS });
  } finally {
    await Promise.all(sockets.map(closeSocket));
  }
}

/** Sends `auth` once and waits for its reply, checked by the same rule as every request. */
async function authenticate(client: RequestLoop, key: string, recorder: Recorder): Promise<void> {
  const failuresBefore = recorder.failures;
  client.begin(authSteps(key), recorder);
  await settle([client], CONNECT_TIMEOUT_MS, `no auth reply within ${CONNECT_TIMEOUT_MS} ms`);
  if (recorder.failures > failuresBefore) throw new Error(recorder.samples.join('; '));
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

/** Opens `count` connections; if any fails, closes the others before rethrowing. */
async function connectAll(url: string, count: number): Promise<WebSocket[]> {
  const settled = await Promise.allSettled(Array.from({ length: count }, () => connect(url, CONNECT_TIMEOUT_MS)));
  const sockets = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return sockets;
  await Promise.all(sockets.map(closeSocket));
  throw new Error(`cannot connect to ${url}: ${String(failed.reason)}`);
}
