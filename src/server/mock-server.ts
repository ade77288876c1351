/**
 * The WebSocket door: an HTTP server whose `/task/service` path upgrades to DAP sessions, and
 * whose `/control/` paths serve the control API's HTTP door (control-http.ts), and `/` the
 * dashboard's files (dashboard-http.ts).
 * It only moves bytes; every decision is made by DapSession, the deploy domain and the control API.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { loadUsersFile } from '../auth/users-file.js';
import type { UserSpec } from '../auth/users.js';
import { buildDeployCore, inProcessJournal, type CoreOptions, type DeployCore } from '../core-build.js';
import type { ControlApi } from '../control/control-api.js';
import type { JournalEntryWithMessage, JournalFilter } from '../dap/journal.js';
import type { Session } from '../dap/session.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { ConnectionAdmission } from './admission.js';
import { createControlHandler, isControlPath, validateControlToken } from './control-http.js';
import { createDashboardHandler, isDashboardPath } from './dashboard-http.js';
import { readAllowedOrigins, refuseUpgrade } from './dap-access.js';
import { Handshakes } from './handshakes.js';
import { HEAVY_BYTES, UserBacklogs, type Backlog } from './user-backlogs.js';
import { InFlight } from '../persist/in-flight.js';
import { openStateFile } from '../persist/persistence.js';
import { shutDown } from '../persist/shutdown.js';

/** The DAP endpoint's path (WIRE-1). */
export const DAP_PATH = '/task/service';
export { DEFAULT_PORT } from '../version.js';
/**
 * Default frame size limit; a larger frame closes the connection with 1009 (WIRE-9).
 * @deprecated since 0.4.0: use `DEFAULT_LIMITS.maxFrameBytes`.
 */
export const DEFAULT_MAX_FRAME_BYTES = DEFAULT_LIMITS.maxFrameBytes;
/**
 * Replies waiting to be sent to one client (in its socket, or held until their change is in the
 * state file), above which the server stops reading that client's requests until the backlog
 * drains: a client that sends but never reads cannot make the server buffer without bound, and
 * loses nothing (its requests wait in TCP).
 */
export const REPLY_BACKLOG_LIMIT = 4 * 1024 * 1024;
/** How long a refused connection (past a connection limit) may take to finish its close. */
const REFUSED_CLOSE_GRACE_MS = 1000;

/** @since 0.1.0 */
export interface MockServerOptions extends Omit<CoreOptions, 'users'> {
  /** Users and keys: an array (validated like a users file), or a users file path. Default: the demo users. */
  users?: readonly UserSpec[] | string | undefined;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; `0` (the default in-process) picks a free one. The CLI defaults to 5565. */
  port?: number;
  /** Require `Authorization: Bearer <token>` on the HTTP control API. Default: none (loopback callers only). */
  controlToken?: string;
  /**
   * Web pages allowed to open DAP connections, besides those on loopback names: origins such as
   * `http://app.test:3000`, `null` (pages without an origin), or `*` for any. Without them the
   * WebSocket upgrade refuses a foreign `Origin` (or, from this machine, a foreign `Host`) with
   * 403, so a page the developer visits cannot use the demo keys. SDKs send no Origin.
   * @since 0.5.0
   */
  allowOrigins?: readonly string[];
  /**
   * Largest accepted frame in bytes. Default 16 MiB.
   * @deprecated since 0.4.0: use `limits.maxFrameBytes` (this one still works when that is not given).
   */
  maxFrameBytes?: number;
  /**
   * Keeps the server's state in this file across restarts: deployments, users added and keys
   * revoked at run time, the clock, and run and tick history. Loaded at start (a missing file
   * means an empty server; a file that is not a valid state file is refused with a
   * StateFileError and left as it is), then rewritten atomically after every change. A reply
   * to a change leaves only once the change is on disk. See docs/persistence.md.
   * @since 0.4.0
   */
  stateFile?: string;
}

/** @since 0.1.0 */
export interface MockServer {
  /** `ws://HOST:PORT/task/service`: what SDKs and the reference client connect to. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The control API: clock, users and keys, pause/resume/trigger, runs and ticks, journal, faults, reset. */
  readonly control: ControlApi;
  /**
   * The frame journal: every frame clients sent (`direction: 'in'`) and the server answered.
   * `find` answers what every door shows (each frame's `text`, as it passed) with the frame
   * parsed as JSON besides, in `message` (parsed when first read).
   * @example expect(server.journal.find({ command: 'rrext_deploy_add', direction: 'in' })[0]?.message?.arguments).toEqual({ pipeline })
   * @since 0.3.0
   */
  readonly journal: {
    find(filter?: JournalFilter): JournalEntryWithMessage[];
    clear(): void;
  };
  /** Open DAP connections, and reply bytes queued for them (held for the state file included) but not yet handed to the OS. */
  stats(): { connections: number; bufferedBytes: number };
  /**
   * Shuts down gracefully: stops taking connections and requests, answers those already
   * received (waiting at most 3 s), writes the state file a last time, then closes every
   * connection with 1001. Safe to call twice.
   */
  close(): Promise<void>;
}

/**
 * Starts a mock RocketRide server. Resolves once it accepts connections.
 * @example
 * const server = await createMockServer({ port: 0 });
 * // ... connect to server.url with key MYAPIKEY ...
 * await server.close();
 * @since 0.1.0
 */
export function createMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  return serveCore(options, buildDeployCore);
}

/** Starts a server on the core `buildCore` makes from the options (createMockServer's makes the default one). */
export async function serveCore(options: MockServerOptions, buildCore: (options: CoreOptions) => DeployCore): Promise<MockServer> {
  const host = options.host ?? '127.0.0.1';
  validateControlToken(options.controlToken);
  const allowedOrigins = readAllowedOrigins(options.allowOrigins);
  const users = typeof options.users === 'string' ? await loadUsersFile(options.users) : options.users;
  const core = buildCore({ ...options, users, limits: { maxFrameBytes: options.maxFrameBytes, ...options.limits } });
  const admission = new ConnectionAdmission(core.limits);
  const backlogs = new UserBacklogs(core.limits.maxReplyBytesPerUser);
  const handshakes = new Handshakes(core.limits, (why) => reportOnce(`handshakes: ${why}`));
  const persistence =
    options.stateFile === undefined
      ? undefined
      : await openStateFile(options.stateFile, core, options.log).catch((error: unknown) => {
          core.stop();
          throw error;
        });
  const inFlight = new InFlight(persistence?.committer);

  // Refusals the client may not see (a browser shows only "403", a dropped socket nothing): the
  // log says why, once per reason; a flood of distinct reasons is counted, not printed.
  const reported = new Set<string>();
  let unreported = 0;
  const reportOnce = (line: string) => {
    if (reported.has(line)) return;
    if (reported.size >= 100) {
      if (unreported++ % 1000 === 0) options.log?.(`(${unreported} more refusals of other kinds, not printed one by one)`);
      return;
    }
    reported.add(line);
    options.log?.(line);
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: core.limits.maxFrameBytes,
    perMessageDeflate: false,
    // Text that is not UTF-8 is a malformed frame like any other (WIRE-9): decode it leniently
    // and let the session drop or answer it, rather than ws closing the connection with 1007.
    skipUTF8Validation: true,
  });

  // Plain HTTP requests: the control door under /control/, a 404 pointing at the WebSocket elsewhere.
  const control = createControlHandler({
    control: core.controlDoor,
    token: options.controlToken,
    log: options.log,
    ...(persistence && { beforeChange: () => inFlight.watchChange() }),
  });
  // The dashboard's files at / and /assets/: a page that reads and drives the server through the control door.
  const dashboard = createDashboardHandler({ token: options.controlToken });
  const http = createServer(
    // Node's own bound on a request's headers too, checked often enough to hold.
    {
      headersTimeout: core.limits.handshakeTimeoutMs,
      requestTimeout: Math.max(30_000, core.limits.handshakeTimeoutMs),
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(core.limits.handshakeTimeoutMs / 4))),
    },
    inFlight.http((request, response) => {
      const path = pathOf(request);
      (isControlPath(path) ? control : isDashboardPath(path) ? dashboard : notFound)(request, response);
    }),
  );
  // A last bound on sockets of every kind, past what the limits above let in.
  http.maxConnections = 2 * core.limits.maxConnections + core.limits.maxHandshakes;
  http.on('connection', (socket: Socket) => handshakes.waiting(socket));
  // A keep-alive socket waits for its next request like a new one: it counts again once answered.
  http.on('request', (request: IncomingMessage, response: ServerResponse) => {
    handshakes.done(request.socket);
    response.once('finish', () => handshakes.waiting(request.socket));
  });
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    handshakes.done(request.socket);
    socket.on('error', () => socket.destroy());
    if (inFlight.closing) return void socket.destroy(); // shutting down: no new connections
    if (pathOf(request) !== DAP_PATH) return refuseHandshake(socket, '404 Not Found', '');
    const forbidden = refuseUpgrade(request, allowedOrigins);
    if (forbidden !== undefined) {
      reportOnce(`refused a WebSocket upgrade: ${forbidden}`);
      return refuseHandshake(socket, '403 Forbidden', `${forbidden}\n`);
    }
    const address = request.socket.remoteAddress ?? '';
    wss.handleUpgrade(request, socket, head, (ws) => {
      const refusal = admission.check(address);
      if (refusal) {
        ws.close(refusal.code, refusal.reason);
        // A refused client that never answers the close would hold its socket for ws's 30 s.
        setTimeout(() => ws.terminate(), REFUSED_CLOSE_GRACE_MS).unref();
        return;
      }
      const session = attachSession(ws, socket, core, inFlight, backlogs);
      admission.add(address, session, (code, reason) => {
        ws.close(code, reason);
        setTimeout(() => ws.terminate(), REFUSED_CLOSE_GRACE_MS).unref(); // a client deaf to the close
      });
      ws.once('close', () => admission.release(address, session));
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    // Not listening (a port in use, say): give back the state file's lock and the core's timers.
    await persistence?.release();
    core.stop();
    throw error;
  });
  const port = (http.address() as AddressInfo).port;
  const url = `ws://${host.includes(':') ? `[${host}]` : host}:${port}${DAP_PATH}`;

  let closed: Promise<void> | undefined;
  const stopDoor = () => {
    admission.stop();
    handshakes.clear();
    core.stop();
  };
  const close = () => (closed ??= shutDown({ http, wss, inFlight, persistence, stopCore: stopDoor, log: options.log }));

  const stats = () => {
    let bufferedBytes = 0;
    for (const ws of wss.clients) bufferedBytes += ws.bufferedAmount;
    return { connections: wss.clients.size, bufferedBytes: bufferedBytes + inFlight.heldBytes };
  };
  return { url, host, port, control: core.control, journal: inProcessJournal(core), stats, close };
}

/**
 * Connects a WebSocket to a new DAP session. `tcp` is the connection under it: replies to the
 * requests of one read are corked and leave in one write, so a client that pipelines requests
 * costs one system call per burst instead of one per reply.
 */
function attachSession(socket: WebSocket, tcp: Duplex, core: DeployCore, inFlight: InFlight, backlogs: UserBacklogs): Session {
  // Replies go through a queue: with a state file, a reply to a change waits for the disk.
  const replies = inFlight.open({
    send: (text) => socket.send(text),
    close: (code, reason) => socket.close(code, clipReason(reason)),
  });
  const session = core.openSession({
    send: (text) => replies.send(text),
    close: (code, reason) => replies.close(code, reason),
    unanswered: () => replies.unanswered(),
  });
  let corked = false;
  const uncork = () => {
    corked = false;
    tcp.uncork();
  };
  const backlog: Backlog = { bytes: () => socket.bufferedAmount + replies.heldBytes };
  /** The user this connection's backlog counts toward while it is tracked. */
  let trackedAs: string | undefined;
  // Backpressure: past the backlog limit, stop reading and hold the requests ws had already
  // read (small) instead of answering them (their replies may be large) until the backlog has
  // drained. The backlog is what the socket buffers plus what the queue holds for the disk. A
  // request also waits while its user's connections together hold too much (user-backlogs.ts).
  let paused = false;
  const held: Array<[Buffer, boolean]> = [];
  const handle = (data: Buffer, isBinary: boolean) => {
    const user = session.userId;
    if (user !== undefined && backlogs.over(user)) {
      held.unshift([data, isBinary]);
      pause();
      backlogs.whenLess(user, resume);
      return;
    }
    if (!corked) {
      corked = true;
      tcp.cork();
      process.nextTick(uncork);
    }
    replies.request(() => session.receive(data, isBinary));
    const bytes = backlog.bytes();
    if (bytes > HEAVY_BYTES && trackedAs === undefined && session.userId !== undefined) {
      trackedAs = session.userId;
      backlogs.track(trackedAs, backlog);
      whenDrained(untrack);
    }
    if (bytes > REPLY_BACKLOG_LIMIT) {
      pause();
      whenDrained(resume);
    }
  };
  const untrack = () => {
    if (trackedAs !== undefined) backlogs.untrack(trackedAs, backlog);
    trackedAs = undefined;
  };
  // Held replies go to the socket once on disk: wait for that, then for the socket to drain.
  const whenDrained = (done: () => void) => {
    if (replies.heldBytes > 0) replies.onceEmpty(() => whenDrained(done));
    else if (tcp.writableNeedDrain) tcp.once('drain', () => whenDrained(done));
    else done();
  };
  const pause = () => {
    if (paused) return;
    paused = true;
    socket.pause();
  };
  const resume = () => {
    if (!paused || socket.readyState !== socket.OPEN) return;
    paused = false;
    while (!paused && held.length > 0) handle(...held.shift()!);
    if (!paused) socket.resume();
  };
  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (paused) held.push([toBuffer(data), isBinary]);
    else handle(toBuffer(data), isBinary);
  });
  socket.on('close', () => {
    untrack();
    inFlight.forget(replies);
    session.ended();
  });
  // Protocol errors (bad opcodes, oversized frames) are answered by ws itself with a close;
  // the listener only keeps them from becoming uncaught exceptions.
  socket.on('error', () => {});
  return session;
}

/**
 * Answers a handshake with an HTTP error and closes the socket. Destroyed once the answer is
 * written: Node's server allows half-open sockets, so a client that never closes its side would
 * otherwise hold the descriptor (and keep close() waiting) for ever.
 */
function refuseHandshake(socket: Duplex, status: string, body: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** A close reason may hold at most 123 bytes (RFC 6455). */
function clipReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123
    ? reason
    : bytes
        .subarray(0, 120)
        .toString('utf8')
        .replace(/\uFFFD$/, '') + '...';
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function pathOf(request: IncomingMessage): string {
  const raw = request.url ?? '/';
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}

function notFound(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: `Not found. Connect a WebSocket to ${DAP_PATH}.` }));
}
