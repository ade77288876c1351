/**
 * One control request over HTTP: built from an operation's named inputs by the registry's HTTP
 * binding, sent with fetch, its JSON answer read back. The typed client and the CLI both use it
 * (internal: the package exports createControlClient). Browser-safe: it only needs `fetch`.
 */
import { DEFAULT_PORT, NAME } from '../version.js';
import { CONTROL_PATH, OPERATIONS, pathParameters, type Method, type Operation, type OperationName } from './operations.js';

/**
 * What the server refused (`status` and `code` as it answered them: `code` is the control API's
 * error code, like `DEPLOYMENT_NOT_FOUND`), or `UNREACHABLE` (status 0: no answer) or
 * `NOT_JSON` (an answer that is not the control API's).
 * @since 0.5.0
 */
export class ControlClientError extends Error {
  override readonly name = 'ControlClientError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** How requests are sent. @since 0.5.0 */
export interface ControlClientOptions {
  /** The control token, when the server requires one (`Authorization: Bearer <token>`). */
  readonly token?: string | undefined;
  /** The fetch to use; default the global one. */
  readonly fetch?: typeof fetch | undefined;
}

/** One HTTP request to the control API. */
export interface ControlRequest {
  readonly method: Method;
  /** The path after `/control/`, its segments percent-encoded. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The JSON body, if any. */
  readonly body?: unknown;
}

/**
 * The request that calls `name` with these named inputs. A path value must be a non-empty
 * string other than `.` and `..` (which a URL resolves away, even percent-encoded): a TypeError.
 */
export function controlRequest(name: OperationName, inputs: Readonly<Record<string, unknown>>): ControlRequest {
  const operation: Operation = OPERATIONS[name];
  const { method, path, wholeBody, selector } = operation.http;
  const inPath = new Set(pathParameters(path));
  const encodedPath = path.replace(/:(\w+)/g, (_, field: string) => encodeURIComponent(pathValue(name, field, inputs[field])));
  const rest = Object.entries(inputs).filter(([field, value]) => !inPath.has(field) && value !== undefined);
  if (method === 'GET') return { method, path: encodedPath, query: Object.fromEntries(rest.map(([k, v]) => [k, String(v)])) };
  if (wholeBody !== undefined) return { method, path: encodedPath, query: {}, body: inputs[wholeBody] };
  const body = Object.fromEntries(rest);
  if (selector !== undefined && operation.inputs.find((i) => i.name === selector.field)?.type === 'marker') body[selector.field] = true;
  return { method, path: encodedPath, query: {}, ...(Object.keys(body).length > 0 && { body }) };
}

function pathValue(name: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..') {
    const got = value === undefined ? 'nothing' : JSON.stringify(value);
    throw new TypeError(`${name} needs ${field} as a non-empty string other than "." and ".." (got ${got})`);
  }
  return value;
}

/** Sends one request and answers its JSON; throws a ControlClientError for anything but a 2xx JSON answer. */
export async function sendControlRequest(base: string, request: ControlRequest, options: ControlClientOptions = {}): Promise<unknown> {
  const query = new URLSearchParams(request.query).toString();
  const url = `${base}${CONTROL_PATH}/${request.path}${query ? `?${query}` : ''}`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: request.method,
      headers: {
        ...(request.body !== undefined && { 'content-type': 'application/json' }),
        ...(options.token !== undefined && { authorization: `Bearer ${options.token}` }),
      },
      ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
    });
  } catch (error) {
    throw new ControlClientError(0, 'UNREACHABLE', unreachable(base, error), { cause: error });
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ControlClientError(
      response.status,
      'NOT_JSON',
      `${base} answered HTTP ${response.status} without JSON; is it a ${NAME} server?`,
    );
  }
  if (response.ok) return json;
  const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  throw new ControlClientError(
    response.status,
    String(error?.code ?? response.status),
    String(error?.message ?? `HTTP ${response.status}`),
  );
}

function unreachable(base: string, error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return `no server answers at ${base} (is \`${NAME} serve\` running there?)`;
  if (cause?.message === 'bad port')
    return `cannot reach ${base}: fetch refuses this port (a "bad port" of the Fetch standard); serve on another one`;
  return `cannot reach ${base}: ${cause?.message ?? String(error)}`;
}

/** The control URL of a server on this machine's default port. */
export const DEFAULT_CONTROL_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

/** `http://host:port`, from a URL given with or without `/control/` (or a ws:// server URL). */
export function controlBaseUrl(text: string, what = 'The control URL'): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`${what} must be a URL like ${DEFAULT_CONTROL_URL}, got '${text}'`);
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') url.protocol = url.protocol === 'ws:' ? 'http:' : 'https:';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${what} must be an http:// URL like ${DEFAULT_CONTROL_URL}, got '${text}'`);
  }
  const path = url.pathname.replace(/\/+$/, '').replace(new RegExp(`(${CONTROL_PATH}|/task/service)$`), '');
  return `${url.origin}${path}`;
}
