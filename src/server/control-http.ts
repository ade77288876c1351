/**
 * The HTTP door of the control API: JSON over plain HTTP under `/control/` on the server's own
 * port, so tests in any language (or curl) can move the clock and read runs. A thin adapter:
 * each route parses its path, query and body, calls one ControlApi operation and serializes
 * the answer. Every decision about the input itself is the ControlApi's.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { ControlApi } from '../control/control-api.js';
import { ControlError, type ControlErrorCode } from '../control/errors.js';
import { NOT_SAVED_MESSAGE } from '../persist/reply-queue.js';
import { jsonText, send, sendError, sendText } from '../http/json-answers.js';

/** Every control endpoint lives under this path. */
export const CONTROL_PATH = '/control';
/** Largest accepted request body; control bodies are small, so a larger one is refused (413). */
export const MAX_CONTROL_BODY_BYTES = 1024 * 1024;

export interface ControlHandlerOptions {
  readonly control: ControlApi;
  /** When set, every request needs `Authorization: Bearer <token>`; else only loopback callers are served. */
  readonly token?: string | undefined;
  /** Receives a line for each unexpected error (the caller only sees a generic 500). */
  readonly log?: ((line: string) => void) | undefined;
  /**
   * With a state file: called right before a POST runs its operation. The function it returns
   * is awaited before a successful answer leaves; 'failed' (what the operation changed could
   * not be written) answers 503 STATE_NOT_SAVED instead.
   */
  readonly beforeChange?: (() => () => Promise<'saved' | 'failed'>) | undefined;
}

/** Whether a request path (without the query) belongs to the control door. */
export function isControlPath(path: string): boolean {
  return path === CONTROL_PATH || path.startsWith(`${CONTROL_PATH}/`);
}

/** Refuses an empty token up front: it would make "token required" mean nothing. */
export function validateControlToken(token: string | undefined): string | undefined {
  if (token !== undefined && (typeof token !== 'string' || token === '')) {
    throw new RangeError('controlToken must be a non-empty string');
  }
  return token;
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

type Method = 'GET' | 'POST';

/** What a route gets from the request: decoded path parameters, the query and the JSON body. */
interface Call {
  readonly params: readonly string[];
  readonly query: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>>;
}

interface Route {
  readonly method: Method;
  /** Segments after `/control/`; `:name` is a parameter. */
  readonly path: string;
  /** Accepted query parameters (others are refused, so a typo like `?user=` is not silently ignored). */
  readonly query?: readonly string[];
  /** Accepted body fields; `'any'` hands the whole body to the operation (it validates). */
  readonly body?: readonly string[] | 'any';
  readonly status?: 201;
  readonly run: (control: ControlApi, call: Call) => unknown;
}

const FILTER = ['userId', 'projectId'] as const;

// The ControlApi validates untyped input, but its signatures are typed for in-process callers:
// the casts below hand it the raw JSON values to validate.
const ROUTES: readonly Route[] = [
  { method: 'GET', path: 'clock', run: (c) => c.clock() },
  { method: 'POST', path: 'clock', body: ['to'], run: (c, { body }) => c.setClock(body['to'] as string) },
  { method: 'POST', path: 'clock/advance', body: ['by', 'to', 'next'], run: (c, { body }) => advance(c, body) },
  { method: 'POST', path: 'users', body: 'any', status: 201, run: (c, { body }) => c.addUser(body) },
  { method: 'POST', path: 'keys/revoke', body: ['key'], run: (c, { body }) => c.revokeKey(body['key'] as string) },
  { method: 'POST', path: 'keys/restore', body: ['key'], run: (c, { body }) => c.restoreKey(body['key'] as string) },
  { method: 'GET', path: 'deployments', query: ['userId'], run: (c, { query }) => c.deployments(query) },
  { method: 'GET', path: 'deployments/:userId/:projectId', run: (c, { params: [u, p] }) => c.deployment(u!, p!) },
  { method: 'POST', path: 'deployments/:userId/:projectId/pause', run: (c, { params: [u, p] }) => c.pause(u!, p!) },
  { method: 'POST', path: 'deployments/:userId/:projectId/resume', run: (c, { params: [u, p] }) => c.resume(u!, p!) },
  { method: 'POST', path: 'deployments/:userId/:projectId/trigger', status: 201, run: (c, { params: [u, p] }) => c.trigger(u!, p!) },
  { method: 'GET', path: 'runs', query: FILTER, run: (c, { query }) => c.runs(query) },
  { method: 'GET', path: 'ticks', query: FILTER, run: (c, { query }) => c.ticks(query) },
  {
    method: 'POST',
    path: 'runs/:runId/end',
    body: ['outcome'],
    run: (c, { params: [runId], body }) => c.endRun(runId!, body['outcome'] as 'completed' | undefined),
  },
  { method: 'POST', path: 'run-behavior', body: ['duration', 'outcome', 'hold', ...FILTER], run: (c, { body }) => runBehavior(c, body) },
  {
    method: 'GET',
    path: 'journal',
    query: ['connectionId', 'userId', 'command', 'direction', 'type', 'after'],
    run: (c, { query }) => c.journal(query),
  },
  { method: 'POST', path: 'journal/clear', run: (c) => c.clearJournal() },
  { method: 'GET', path: 'connections', run: (c) => c.connections() },
  { method: 'GET', path: 'faults', run: (c) => c.faults() },
  { method: 'POST', path: 'faults', body: 'any', status: 201, run: (c, { body }) => c.injectFault(body as never) },
  { method: 'POST', path: 'faults/clear', run: (c) => c.clearFaults() },
  { method: 'POST', path: 'faults/:faultId/remove', run: (c, { params: [id] }) => c.removeFault(id!) },
  { method: 'POST', path: 'reset', run: (c) => c.reset() },
];

/** `{"by"}`, `{"to"}` or `{"next": true}`: three ways to move the clock, exactly one per call. */
function advance(control: ControlApi, body: Call['body']): unknown {
  const given = ['by', 'to', 'next'].filter((field) => body[field] !== undefined);
  if (given.length !== 1) {
    throw badInput(
      `Give exactly one of "by" (a duration like "15m"), "to" (an instant) or "next": true (got ${given.length === 0 ? 'none' : given.join(', ')})`,
    );
  }
  if (body['by'] !== undefined) return control.advance(body['by'] as string);
  if (body['to'] !== undefined) return control.setClock(body['to'] as string);
  if (body['next'] !== true) throw badInput('next must be true');
  return control.runToNextTick();
}

/** userId + projectId scope the behavior to one deployment; without them it is server-wide. */
function runBehavior(control: ControlApi, body: Call['body']): unknown {
  const { userId, projectId, ...behavior } = body;
  if ((userId === undefined) !== (projectId === undefined)) {
    throw badInput("userId and projectId go together: give both to set one deployment's run behavior, or neither for the whole server");
  }
  return userId === undefined
    ? control.setRunBehavior(behavior)
    : control.setRunBehavior(behavior, { userId: userId as string, projectId: projectId as string });
}

interface CompiledRoute extends Route {
  readonly segments: readonly string[];
}

const COMPILED: readonly CompiledRoute[] = ROUTES.map((route) => ({ ...route, segments: route.path.split('/') }));

/** One line per endpoint, for the index and for 404 answers. */
const ENDPOINTS: readonly string[] = ROUTES.map((r) => `${r.method} ${CONTROL_PATH}/${r.path}`);

/** Path parameters of `segments` if they fit `route` (literals first, then decoding), else undefined. */
function matchRoute(route: CompiledRoute, segments: readonly string[]): string[] | undefined {
  if (route.segments.length !== segments.length) return undefined;
  if (route.segments.some((part, i) => !part.startsWith(':') && part !== segments[i])) return undefined;
  return route.segments.flatMap((part, i) => (part.startsWith(':') ? [decodeSegment(segments[i]!, part.slice(1))] : []));
}

function decodeSegment(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badInput(`${name} in the path is not valid percent-encoding`);
  }
}

// ---------------------------------------------------------------------------------------------
// The handler
// ---------------------------------------------------------------------------------------------

/**
 * Builds the request handler for paths under `/control`. It never throws and never rejects:
 * bad input gets a 4xx answer, anything unexpected a generic 500, and the server keeps serving.
 */
export function createControlHandler(options: ControlHandlerOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const tokenDigest = validateControlToken(options.token) === undefined ? undefined : digest(options.token!);
  return (request, response) => {
    response.on('error', () => {}); // the caller may be gone; there is no one left to tell
    handle(options, tokenDigest, request, response).catch((error: unknown) => {
      if (error instanceof Aborted) return; // the caller went away mid-request: no one to answer
      if (error instanceof ControlError) return sendError(response, CONTROL_STATUS[error.code], error.code, error.message);
      if (error instanceof DoorError) return sendError(response, error.status, error.code, error.message);
      options.log?.(`control: unexpected error in ${request.method ?? '?'} ${pathOf(request)}: ${String(error)}`);
      sendError(response, 500, 'INTERNAL', 'Internal error in the control API; the server keeps running');
    });
  };
}

async function handle(
  options: ControlHandlerOptions,
  tokenDigest: Buffer | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  // Who may call comes first: an unauthorized caller learns nothing, and no body is read for it.
  refuseCaller(request, tokenDigest);

  const [path, search] = splitUrl(request.url ?? '/');
  const rest = path.slice(CONTROL_PATH.length).replace(/^\/|\/$/g, '');
  if (rest === '') {
    if (request.method !== 'GET') return sendMethodNotAllowed(response, ['GET']);
    return send(response, 200, { endpoints: ENDPOINTS });
  }

  const segments = rest.split('/');
  const allowed = new Set<Method>(); // methods of routes that fit the path, for a 405
  for (const route of COMPILED) {
    const params = matchRoute(route, segments);
    if (params === undefined) continue;
    if (route.method !== request.method) {
      allowed.add(route.method);
      continue;
    }
    const query = parseQuery(search, route.query ?? []);
    if (route.method === 'GET') return send(response, route.status ?? 200, route.run(options.control, { params, query, body: {} }));
    const body = parseBody(await readBody(request), route.body ?? []);
    const saved = options.beforeChange?.();
    const text = jsonText(route.run(options.control, { params, query, body })); // the answer as of now
    // With a state file, the answer to a change leaves once the change is on disk.
    if (saved && (await saved()) === 'failed') return sendError(response, 503, 'STATE_NOT_SAVED', NOT_SAVED_MESSAGE);
    return sendText(response, route.status ?? 200, text);
  }
  if (allowed.size > 0) return sendMethodNotAllowed(response, [...allowed]);
  throw new DoorError(404, 'NOT_FOUND', `No control endpoint ${request.method ?? ''} ${path}. Endpoints: ${ENDPOINTS.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Who may call: a bearer token, or (without one) loopback callers only
// ---------------------------------------------------------------------------------------------

function refuseCaller(request: IncomingMessage, tokenDigest: Buffer | undefined): void {
  if (tokenDigest !== undefined) {
    if (!bearerMatches(request.headers.authorization, tokenDigest)) {
      throw new DoorError(401, 'UNAUTHORIZED', 'This server requires a control token: send the header "Authorization: Bearer <token>"');
    }
    return;
  }
  if (!isLoopbackAddress(request.socket?.remoteAddress)) {
    throw new DoorError(
      403,
      'FORBIDDEN',
      'Without a control token the control API only answers loopback callers; start the server with --control-token TOKEN (or RRDK_CONTROL_TOKEN) and send "Authorization: Bearer TOKEN"',
    );
  }
  // A web page the developer happens to visit can reach loopback too: through a cross-site
  // request (it carries a foreign Origin) or a DNS-rebound name (a foreign Host). Refuse both;
  // browsers cannot add an Authorization header cross-site, so token mode needs no such check.
  const { host, origin } = request.headers;
  if ((host !== undefined && !isLoopbackName(hostOfHeader(host))) || (origin !== undefined && !isLoopbackName(hostOfOrigin(origin)))) {
    throw new DoorError(
      403,
      'FORBIDDEN',
      'Without a control token the control API refuses requests from web pages and non-loopback host names; start the server with --control-token TOKEN to allow them',
    );
  }
}

/** Compares digests, so the comparison takes the same time whatever the token's length or content. */
function bearerMatches(header: string | undefined, tokenDigest: Buffer): boolean {
  const match = /^Bearer +(\S.*)$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), tokenDigest);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether a peer address is loopback: 127.0.0.0/8, ::1, or IPv4-mapped ::ffff:127.x.x.x. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const family = isIP(address);
  if (family === 4) return LOOPBACK.check(address, 'ipv4');
  if (family === 6) return LOOPBACK.check(address, 'ipv6');
  return false;
}

function isLoopbackName(hostname: string | undefined): boolean {
  if (hostname === undefined) return false;
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  return isLoopbackAddress(hostname.replace(/^\[(.*)\]$/, '$1'));
}

/** The name in a Host header (`localhost:5565`, `[::1]:5565`), or undefined if it is not one. */
function hostOfHeader(host: string): string | undefined {
  return /^(\[[0-9a-fA-F:.]+\]|[^:@/[\]]+)(:\d*)?$/.exec(host)?.[1]?.toLowerCase();
}

/** The host of an Origin header (`http://localhost:3000`); `null` and garbage have none. */
function hostOfOrigin(origin: string): string | undefined {
  try {
    return new URL(origin).hostname;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the request
// ---------------------------------------------------------------------------------------------

function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

function pathOf(request: IncomingMessage): string {
  return splitUrl(request.url ?? '/')[0];
}

function parseQuery(search: string, accepted: readonly string[]): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    if (!accepted.includes(name)) {
      throw badInput(
        `Unknown query parameter '${clip(name)}'${accepted.length > 0 ? `; use ${accepted.join(', ')}` : ': this endpoint takes none'}`,
      );
    }
    if (Object.hasOwn(query, name)) throw badInput(`Query parameter '${name}' is given twice`);
    query[name] = value;
  }
  return query;
}

/** An empty body counts as `{}`, so endpoints without input can be called with a bare POST. */
function parseBody(raw: Buffer, accepted: readonly string[] | 'any'): Record<string, unknown> {
  if (raw.length === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw badInput('The request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badInput('The request body must be a JSON object');
  const record = body as Record<string, unknown>;
  if (accepted !== 'any') {
    const unknown = Object.keys(record).filter((field) => !accepted.includes(field));
    if (unknown.length > 0) {
      throw badInput(
        `Unknown field(s) ${unknown.map((f) => `'${clip(f)}'`).join(', ')}${accepted.length > 0 ? `; use ${accepted.join(', ')}` : ': this endpoint takes no body'}`,
      );
    }
  }
  return record;
}

/** The body, up to MAX_CONTROL_BODY_BYTES; a larger one is refused without being kept. */
function readBody(request: IncomingMessage): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (declared > MAX_CONTROL_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (error: Error | undefined) => {
      request.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_CONTROL_BODY_BYTES) done(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => done(undefined);
    const onAbort = () => done(new Aborted());
    const onClose = () => {
      if (!request.complete) done(new Aborted());
    };
    request.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onClose);
  });
}

/** The caller went away mid-request; there is no one to answer. */
class Aborted extends Error {}

/** A refusal by the door itself, with a code the ControlApi has no use for. */
/** The HTTP status each control error code is answered with: HTTP lives here, not in the core. */
const CONTROL_STATUS: Readonly<Record<ControlErrorCode, number>> = {
  BAD_INPUT: 400,
  KEY_NOT_FOUND: 404,
  USER_EXISTS: 409,
  FAULT_NOT_FOUND: 404,
  DEPLOYMENT_NOT_FOUND: 404,
  DEPLOYMENT_ERRORED: 409,
  RUN_IN_PROGRESS: 409,
  RUN_NOT_FOUND: 404,
  RUN_NOT_IN_PROGRESS: 409,
  CLOCK_BACKWARDS: 400,
  CLOCK_OUT_OF_RANGE: 400,
};

/** The door's own refusals (no such endpoint, not allowed, the body): a status and a code. */
class DoorError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function tooLarge(): DoorError {
  return new DoorError(413, 'BODY_TOO_LARGE', `The request body is larger than ${MAX_CONTROL_BODY_BYTES} bytes (1 MiB)`);
}

function badInput(message: string): DoorError {
  return new DoorError(400, 'BAD_INPUT', message);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

// ---------------------------------------------------------------------------------------------
// Answering
// ---------------------------------------------------------------------------------------------

function sendMethodNotAllowed(response: ServerResponse, allowed: readonly Method[]): void {
  const error = { code: 'METHOD_NOT_ALLOWED', message: `Use ${allowed.join(' or ')} for this endpoint` };
  send(response, 405, { error }, { allow: allowed.join(', ') });
}
