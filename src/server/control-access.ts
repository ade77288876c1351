/**
 * Who may call the control API: a bearer token, or (without one) loopback callers only, and
 * never a web page of another origin (a foreign Origin, or a page on another local port) or a
 * DNS-rebound name (a foreign Host). The dashboard, served on this port, is the one page that may.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DoorError } from './control-errors.js';
import { hostOfHeader, hostOfOrigin, isLoopbackAddress, isLoopbackName, portOfOrigin } from './loopback.js';

export function refuseCaller(request: IncomingMessage, tokenDigest: Buffer | undefined): void {
  if (tokenDigest !== undefined) {
    const refusal = tokenRefusal(request.headers.authorization, tokenDigest);
    if (refusal !== undefined) throw new DoorError(401, 'UNAUTHORIZED', refusal);
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
  // A page on another local port (a dev server, another tool) is another origin: its Origin
  // names a loopback host too, so its port must be this server's (the dashboard's own requests).
  const { host, origin } = request.headers;
  if (
    (host !== undefined && !isLoopbackName(hostOfHeader(host))) ||
    (origin !== undefined && (!isLoopbackName(hostOfOrigin(origin)) || portOfOrigin(origin) !== request.socket?.localPort))
  ) {
    throw new DoorError(
      403,
      'FORBIDDEN',
      'Without a control token the control API refuses requests from web pages and non-loopback host names; start the server with --control-token TOKEN to allow them',
    );
  }
}

/**
 * Who may load the dashboard's files (dashboard-http.ts): without a control token, the control
 * API's callers (loopback, loopback names); with one, anyone, since the files hold no data and a
 * browser cannot send the token when it opens a page: every read of data is a control request.
 */
export function refusePageCaller(request: IncomingMessage, tokenDigest: Buffer | undefined): void {
  if (tokenDigest === undefined) refuseCaller(request, undefined);
}

/**
 * Why a request's Authorization header does not carry this server's token, or undefined when it
 * does. A missing token, a header of another form and a wrong token each get their own text:
 * each has a different fix. Digests are compared, so the comparison takes the same time
 * whatever the token's length or content.
 */
function tokenRefusal(header: string | undefined, tokenDigest: Buffer): string | undefined {
  if (header === undefined || header.trim() === '') {
    return 'This server requires a control token: send the header "Authorization: Bearer <token>"';
  }
  const match = /^Bearer +(\S.*)$/i.exec(header);
  if (match === null) return 'The Authorization header must be "Bearer <token>" (the control token given to the server)';
  if (timingSafeEqual(digest(match[1]!), tokenDigest)) return undefined;
  return "The control token sent is not this server's: send the token it was started with (serve --control-token, or RRDK_CONTROL_TOKEN)";
}

export function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
