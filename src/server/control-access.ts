/**
 * Who may call the control API: a bearer token, or (without one) loopback callers only, and
 * never a web page (a foreign Origin) or a DNS-rebound name (a foreign Host).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { DoorError } from './control-errors.js';

export function refuseCaller(request: IncomingMessage, tokenDigest: Buffer | undefined): void {
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

export function digest(text: string): Buffer {
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
