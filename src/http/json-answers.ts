/**
 * JSON answers over HTTP: the control door's and the server's other HTTP refusals (a shutdown
 * in progress). Kept apart from the control routes so that what answers HTTP does not depend on
 * what decides it: the control door (server/) and the drain of requests in flight (persist/) both
 * answer through here, so neither folder imports the other for it.
 */
import type { ServerResponse } from 'node:http';

export function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendText(response, status, isFrozenObject(body) ? renderedBytes(body) : jsonText(body), headers);
}

/**
 * Compact JSON: indenting cost a quarter of a control read's server time (a 60 KB page of
 * deployments), and every reader that wants it pretty (`control`, jq) indents it itself.
 */
export function jsonText(body: unknown): string {
  return `${JSON.stringify(body)}\n`;
}

/** The bytes of frozen answers (remembered pages, control/page-memo.ts): rendered once, sent on every poll. */
const rendered = new WeakMap<object, Buffer>();

function renderedBytes(body: object): Buffer {
  let bytes = rendered.get(body);
  if (bytes === undefined) rendered.set(body, (bytes = Buffer.from(jsonText(body))));
  return bytes;
}

function isFrozenObject(body: unknown): body is object {
  return typeof body === 'object' && body !== null && Object.isFrozen(body);
}

export function sendText(response: ServerResponse, status: number, text: string | Buffer, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(typeof text === 'string' ? Buffer.byteLength(text) : text.length),
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(text);
}

/** Answers `{ error: { code, message } }`; also used for the server's other HTTP refusals. */
export function sendError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  extraHeaders: Record<string, string> = {},
): void {
  const headers: Record<string, string> = { ...extraHeaders };
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="rocketride-deploy-kit control"';
  // An oversized body is not read to its end: close the connection rather than drain it.
  if (status === 413) headers['connection'] = 'close';
  send(response, status, { error: { code, message } }, headers);
}
