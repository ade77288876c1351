/**
 * Loopback addresses and names: who counts as "this machine" for the doors' access rules (a peer
 * address, a Host header, an Origin). One reading for the control API and the DAP door alike.
 */
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether a peer address is loopback: 127.0.0.0/8, ::1, or IPv4-mapped ::ffff:127.x.x.x. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  // The usual peers, answered before the parse (every control request asks).
  if (address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1') return true;
  const family = isIP(address);
  if (family === 4) return LOOPBACK.check(address, 'ipv4');
  if (family === 6) return LOOPBACK.check(address, 'ipv6');
  return false;
}

export function isLoopbackName(hostname: string | undefined): boolean {
  if (hostname === undefined) return false;
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  return isLoopbackAddress(hostname.replace(/^\[(.*)\]$/, '$1'));
}

/** The name in a Host header (`localhost:5565`, `[::1]:5565`), or undefined if it is not one. */
export function hostOfHeader(host: string): string | undefined {
  return /^(\[[0-9a-fA-F:.]+\]|[^:@/[\]]+)(:\d*)?$/.exec(host)?.[1]?.toLowerCase();
}

/** The host of an Origin header (`http://localhost:3000`); `null` and garbage have none. */
export function hostOfOrigin(origin: string): string | undefined {
  try {
    return new URL(origin).hostname;
  } catch {
    return undefined;
  }
}

/** The port of an Origin header (`http://localhost:3000` → 3000; the scheme's default when none is written). */
export function portOfOrigin(origin: string): number | undefined {
  try {
    const url = new URL(origin);
    if (url.port !== '') return Number(url.port);
    return url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
  } catch {
    return undefined;
  }
}
