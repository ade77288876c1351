/**
 * The dashboard's files over HTTP: `GET /` answers the page, `GET /assets/NAME` its script and
 * style sheet, as built by scripts/build-dashboard.ts into dist/dashboard/. The page reads and
 * drives the server through the control API only (control-http.ts); this door only hands out
 * static files, with a strict Content-Security-Policy, and refuses callers as the control door
 * does (control-access.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { sendError } from '../http/json-answers.js';
import { digest, refusePageCaller } from './control-access.js';
import { DoorError } from './control-errors.js';

/** Where the build puts the dashboard: `dist/dashboard/`, reached the same way from `src/server/` and `dist/server/`. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));
export const ASSETS_PATH = '/assets/';

/**
 * The page may run only its own script and style sheet, and talk only to its own origin; no
 * frame may embed it (so no other page can click its buttons), and it sends no referrer.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface StaticFile {
  readonly bytes: Buffer;
  readonly type: string;
}

interface Files {
  readonly page: Buffer;
  /** By name under /assets/; names carry a hash of their content, so they never change. */
  readonly assets: ReadonlyMap<string, StaticFile>;
}

/** Whether a request path is the dashboard's: the page at `/` (and `/index.html`) or a file under `/assets/`. */
export function isDashboardPath(path: string): boolean {
  return path === '/' || path === '/index.html' || path.startsWith(ASSETS_PATH);
}

export interface DashboardHandlerOptions {
  /** The control token, if the server has one: the files are then served to anyone, the data only with it. */
  readonly token?: string | undefined;
  /** The built files' folder; default DASHBOARD_DIR. */
  readonly dir?: string | undefined;
}

/** The handler for dashboard paths. The files are read once, at the first request. */
export function createDashboardHandler(
  options: DashboardHandlerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const tokenDigest = options.token === undefined ? undefined : digest(options.token);
  const dir = options.dir ?? DASHBOARD_DIR;
  let files: Files | undefined;
  return (request, response) => {
    response.on('error', () => {});
    try {
      refusePageCaller(request, tokenDigest);
    } catch (error) {
      if (error instanceof DoorError) return sendError(response, error.status, error.code, error.message);
      throw error;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendError(response, 405, 'METHOD_NOT_ALLOWED', 'Use GET for the dashboard', { allow: 'GET, HEAD' });
    }
    files ??= readFiles(dir);
    if (files === undefined) {
      return sendError(response, 503, 'DASHBOARD_NOT_BUILT', `The dashboard is not built (no ${dir}): run npm run build`);
    }
    const path = (request.url ?? '/').split('?')[0]!;
    if (!path.startsWith(ASSETS_PATH)) {
      return sendFile(request, response, files.page, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': DASHBOARD_CSP,
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
      });
    }
    const file = files.assets.get(path.slice(ASSETS_PATH.length));
    if (file === undefined) return sendError(response, 404, 'NOT_FOUND', `No dashboard file ${path}`);
    sendFile(request, response, file.bytes, { 'content-type': file.type, 'cache-control': 'public, max-age=31536000, immutable' });
  };
}

function readFiles(dir: string): Files | undefined {
  let page: Buffer;
  try {
    page = readFileSync(`${dir}/index.html`);
  } catch {
    return undefined;
  }
  const assets = new Map<string, StaticFile>();
  for (const name of readdirSync(`${dir}/assets`)) {
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (type !== undefined) assets.set(name, { bytes: readFileSync(`${dir}/assets/${name}`), type });
  }
  return { page, assets };
}

function sendFile(request: IncomingMessage, response: ServerResponse, bytes: Buffer, headers: Record<string, string>): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(200, { ...headers, 'content-length': String(bytes.length), 'x-content-type-options': 'nosniff' });
  response.end(request.method === 'HEAD' ? undefined : bytes);
}
