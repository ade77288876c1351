/**
 * JSON answers over HTTP: the control door's and the server's other HTTP refusals (a shutdown
 * in progress). Kept apart from the control routes so that what answers HTTP does not depend on
 * what decides it: the control door (server/) and the drain of requests in flight (persist/) both
 * answer through here, so neither folder imports the other for it.
 */
import type { ServerResponse } from 'node:http';

export function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendText(response, status, jsonText(body), headers);
}

export function jsonText(body: unknown): string {
  return `${JSON.stringify(body, null, 2)}\n`;
}

export function sendText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
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
