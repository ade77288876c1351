/**
 * Bursts of requests for the state-file bench: `count` requests spread over `connections`
 * connections (each its own bench user), timed from the first send to the last reply.
 * Connecting, authenticating and building the frames happen before the clock starts. Each
 * connection keeps up to `window` requests in flight: all of them (a pipelined burst) or one
 * (a client that waits for each reply, so each change is its own write).
 */
import { performance } from 'node:perf_hooks';
import WebSocket, { type RawData } from 'ws';
import { benchUserKey } from './config.js';
import { requestFrame } from './workload.js';

export interface BurstRequest {
  readonly command: string;
  readonly arguments: Record<string, unknown>;
}

export interface BurstOptions {
  readonly url: string;
  readonly connections: number;
  /** Over all connections; each sends its share. */
  readonly count: number;
  /** Connection `c`'s `i`-th request. */
  readonly requestOf: (connection: number, i: number) => BurstRequest;
  /** Requests in flight per connection; Infinity sends them all at once. */
  readonly window: number;
}

export interface BurstResult {
  readonly ms: number;
  /** Requests not answered with success (or not answered in time). */
  readonly failures: number;
  readonly failureSamples: readonly string[];
}

const CONNECT_TIMEOUT_MS = 5_000;
/** A burst on a slow disk may take a while; this only catches a hung server. */
const BURST_TIMEOUT_MS = 120_000;
const MAX_FAILURE_SAMPLES = 3;

export async function runBurst(options: BurstOptions): Promise<BurstResult> {
  const sockets = await Promise.all(Array.from({ length: options.connections }, () => connect(options.url)));
  try {
    await Promise.all(sockets.map((socket, c) => authenticate(socket, benchUserKey(c))));
    const per = Math.ceil(options.count / options.connections);
    // Built before the clock starts: the figure is the server's, not JSON.stringify's.
    const frames = sockets.map((_, c) =>
      Array.from({ length: Math.max(0, Math.min(per, options.count - c * per)) }, (_, i) => {
        const request = options.requestOf(c, i);
        return { command: request.command, text: requestFrame(i + 2, request.command, request.arguments) };
      }),
    );
    const samples: string[] = [];
    let failures = 0;
    const fail = (why: string, count = 1) => {
      failures += count;
      if (samples.length < MAX_FAILURE_SAMPLES && !samples.includes(why)) samples.push(why);
    };
    const started = performance.now();
    const lanes = sockets.map((socket, c) => new Lane(socket, frames[c]!, options.window, fail));
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.all(lanes.map((lane) => lane.done)).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), BURST_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    const ms = performance.now() - started;
    if (!finished) {
      const unanswered = lanes.reduce((n, lane) => n + lane.unanswered, 0);
      fail(`${unanswered} requests not answered within ${BURST_TIMEOUT_MS / 1000} s`, unanswered);
    }
    return { ms, failures, failureSamples: samples };
  } finally {
    for (const socket of sockets) socket.terminate();
  }
}

/** One connection's requests: sent `window` at a time, in order, each reply checked. */
class Lane {
  readonly done: Promise<void>;
  #sent = 0;
  #received = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly frames: ReadonlyArray<{ readonly command: string; readonly text: string }>,
    private readonly window: number,
    fail: (why: string, count?: number) => void,
  ) {
    this.done = new Promise((resolve) => {
      if (frames.length === 0) return resolve();
      socket.on('message', (data: RawData) => {
        // One connection's replies come in request order (the server answers in order).
        const problem = problemOf(textOf(data), frames[this.#received]!.command);
        this.#received += 1;
        if (problem !== undefined) fail(problem);
        if (this.#received === frames.length) return resolve();
        this.#fill();
      });
      socket.once('close', (code: number) => {
        if (this.unanswered > 0) fail(`connection closed (code ${code}) with ${this.unanswered} requests unanswered`, this.unanswered);
        resolve();
      });
    });
    this.#fill();
  }

  get unanswered(): number {
    return this.frames.length - this.#received;
  }

  #fill(): void {
    while (this.#sent < this.frames.length && this.#sent - this.#received < this.window) {
      this.socket.send(this.frames[this.#sent]!.text);
      this.#sent += 1;
    }
  }
}

/** A pipeline of three components, padded with a note to about `bytes` of JSON. */
export function pipelineOf(projectId: string, bytes: number): Record<string, unknown> {
  const pipeline = {
    project_id: projectId,
    name: `Burst pipeline ${projectId}`,
    source: 'webhook_1',
    components: [
      { id: 'webhook_1', provider: 'webhook', config: { mode: 'Source', type: 'webhook' } },
      { id: 'parse_1', provider: 'parse', config: {}, input: [{ lane: 'tags', from: 'webhook_1' }] },
      { id: 'response_1', provider: 'response', config: {}, input: [{ lane: 'text', from: 'parse_1' }] },
    ],
    notes: '',
  };
  pipeline.notes = 'x'.repeat(Math.max(0, bytes - JSON.stringify(pipeline).length));
  return pipeline;
}

function problemOf(text: string, command: string): string | undefined {
  let reply: Record<string, unknown>;
  try {
    reply = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'reply is not JSON';
  }
  if (reply['type'] !== 'response' || reply['command'] !== command)
    return `expected a ${command} response, got ${String(reply['type'])} ${String(reply['command'])}`;
  if (reply['success'] !== true) return `${command} failed: ${String(reply['message'])}`;
  return undefined;
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function authenticate(socket: WebSocket, key: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no auth reply within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    socket.once('message', (data: RawData) => {
      clearTimeout(timer);
      const reply = JSON.parse(textOf(data)) as Record<string, unknown>;
      if (reply['success'] === true) resolve();
      else reject(new Error(`auth with ${key} failed: ${String(reply['message'])}`));
    });
    socket.send(requestFrame(1, 'auth', { auth: key }));
  });
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
