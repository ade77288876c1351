/**
 * A server's graceful shutdown, in order: stop taking connections and requests; stop the
 * scheduler's timer and send what reorder faults hold; answer every request already received
 * (replies held for the disk or delayed by a fault included); write the state a last time;
 * close every connection with 1001; stop. Each wait is bounded, so a stuck client cannot hold
 * the server up: at most DRAIN_LIMIT_MS for the answers and CLOSE_GRACE_MS for the closing
 * handshakes (the final write waits for the disk; the CLI bounds the whole at SHUTDOWN_LIMIT_MS).
 */
import type { Server } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { InFlight } from './in-flight.js';
import type { Persistence } from './persistence.js';

/** Longest wait for requests already received to be answered. */
export const DRAIN_LIMIT_MS = 3000;
/** Longest wait for clients to finish the closing handshake before they are cut off. */
export const CLOSE_GRACE_MS = 1000;
/** The CLI exits after this long whatever happens (a hung disk, say). */
export const SHUTDOWN_LIMIT_MS = 5000;

export interface ShutdownParts {
  readonly http: Server;
  readonly wss: WebSocketServer;
  readonly inFlight: InFlight;
  readonly persistence: Persistence | undefined;
  /** Stops the core's timers (the real-time scheduler, reorder faults' holds, which sends what they hold). */
  stopCore(): void;
  readonly log: ((line: string) => void) | undefined;
}

export async function shutDown(parts: ShutdownParts): Promise<void> {
  const { http, wss, inFlight, persistence, log } = parts;
  const drained = inFlight.drain(); // from here, new requests are refused
  const stopped = new Promise<void>((resolve) => http.close(() => resolve())); // no new connections
  parts.stopCore();
  if (!(await within(DRAIN_LIMIT_MS, drained))) log?.(`shutting down: some requests were still unanswered after ${DRAIN_LIMIT_MS} ms`);
  if (persistence && !(await persistence.close())) log?.(`shutting down: the last changes could not be saved to ${persistence.path}`);
  const sockets = [...wss.clients];
  for (const ws of sockets) ws.close(1001, 'Server shutting down');
  await within(CLOSE_GRACE_MS, Promise.all(sockets.map(closed)));
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  http.closeAllConnections();
  await stopped;
}

function closed(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())));
}

/** Whether `promise` settled within `ms`. */
async function within(ms: number, promise: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
