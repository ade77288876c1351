/**
 * The HTTP door of the control API: JSON over plain HTTP under `/control/` on the server's own
 * port, so tests in any language (or curl) can move the clock and read runs. A thin adapter:
 * each route (control-routes.ts) parses its path, query and body, calls one ControlApi operation
 * and serializes the answer; who may call is control-access.ts's, how errors are answered
 * control-errors.ts's. Every decision about the input itself is the ControlApi's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ControlApi } from '../control/control-api.js';
import { ControlError } from '../control/errors.js';
import { controlOpenApi } from '../control/openapi.js';
import { jsonText, send, sendError, sendText } from '../http/json-answers.js';
import { NOT_SAVED_MESSAGE } from '../persist/reply-queue.js';
import { digest, refuseCaller } from './control-access.js';
import { badInput, CONTROL_STATUS, DoorError } from './control-errors.js';
import { COMPILED, CONTROL_PATH, ENDPOINTS, matchRoute, type Method } from './control-routes.js';

export { CONTROL_PATH } from './control-routes.js';
export { isLoopbackAddress } from './loopback.js';

/** The OpenAPI document of the control API, at `GET /control/openapi.json`. */
export const OPENAPI_PATH = 'openapi.json';
let openApiText: string | undefined; // built on the first request for it: most servers never serve it

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
    return send(response, 200, { endpoints: ENDPOINTS, openapi: `${CONTROL_PATH}/${OPENAPI_PATH}` });
  }
  if (rest === OPENAPI_PATH) {
    if (request.method !== 'GET') return sendMethodNotAllowed(response, ['GET']);
    return sendText(response, 200, (openApiText ??= jsonText(controlOpenApi())));
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
    const query = parseQuery(search, route.query);
    if (route.method === 'GET') return send(response, route.status, route.run(options.control, { params, query, body: {} }));
    const body = parseBody(await readBody(request), route.body);
    const saved = options.beforeChange?.();
    const text = jsonText(route.run(options.control, { params, query, body })); // the answer as of now
    // With a state file, the answer to a change leaves once the change is on disk.
    if (saved && (await saved()) === 'failed') return sendError(response, 503, 'STATE_NOT_SAVED', NOT_SAVED_MESSAGE);
    return sendText(response, route.status, text);
  }
  if (allowed.size > 0) return sendMethodNotAllowed(response, [...allowed]);
  throw new DoorError(404, 'NOT_FOUND', `No control endpoint ${request.method ?? ''} ${path}. Endpoints: ${ENDPOINTS.join(', ')}`);
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

function tooLarge(): DoorError {
  return new DoorError(413, 'BODY_TOO_LARGE', `The request body is larger than ${MAX_CONTROL_BODY_BYTES} bytes (1 MiB)`);
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
