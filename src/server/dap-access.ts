/**
 * Which WebSocket upgrades the DAP door takes: never one from a web page the developer happens
 * to visit (a foreign `Origin`) or through a DNS-rebound name (a foreign `Host` from this
 * machine), unless allowed. SDKs, the reference client and msw send no Origin, or a loopback one.
 */
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { hostOfHeader, hostOfOrigin, isLoopbackAddress, isLoopbackName } from './loopback.js';

/** The origins allowed besides loopback ones, read once from `allowOrigins`. */
export interface AllowedOrigins {
  /** `*` was given: any origin and any host name. */
  readonly any: boolean;
  /** Exact origins (`https://app.example:8443`, or `null` for pages without one). */
  readonly origins: ReadonlySet<string>;
  /** Their host names, which a Host header may then name too. */
  readonly hosts: ReadonlySet<string>;
}

/**
 * Reads the `allowOrigins` option: `*`, `null`, or origins such as `http://app.test:3000` (or
 * `chrome-extension://abcdef` for other schemes, compared as written). Anything else (a path, a
 * bare host name) is refused, naming it.
 */
export function readAllowedOrigins(list: readonly string[] | undefined): AllowedOrigins {
  const origins = new Set<string>();
  const hosts = new Set<string>();
  let any = false;
  for (const entry of list ?? []) {
    if (entry === '*') any = true;
    else if (entry === 'null') origins.add('null');
    else if (OTHER_SCHEME_ORIGIN.test(entry) && !/^https?:/i.test(entry)) origins.add(entry.toLowerCase());
    else {
      const origin = originOf(entry);
      if (origin === undefined || new URL(entry).pathname.length > 1 || /[?#]/.test(entry)) {
        throw new RangeError(
          `allowOrigins: '${entry}' is not an origin; give a scheme, a host and an optional port, e.g. http://app.test:3000 (or * for any, null for pages without an origin)`,
        );
      }
      origins.add(origin);
      hosts.add(new URL(origin).hostname);
    }
  }
  return { any, origins, hosts };
}

/** An origin of another scheme (`chrome-extension://abcdef`): scheme and host, no path; compared as written. */
const OTHER_SCHEME_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/i;

/** An http(s) Origin's canonical form (`HTTP://App.Test:80` is `http://app.test`), or undefined if it is none. */
function originOf(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** How an Origin header is compared with the allowed ones: canonical for http(s), as written (lowercase) otherwise. */
function comparable(origin: string): string | undefined {
  if (origin === 'null') return 'null';
  return originOf(origin) ?? (OTHER_SCHEME_ORIGIN.test(origin) ? origin.toLowerCase() : undefined);
}

/** Why an upgrade is refused (a message for the 403 and the log), or undefined to take it. */
export function refuseUpgrade(request: IncomingMessage, allowed: AllowedOrigins): string | undefined {
  if (allowed.any) return undefined;
  const { origin, host } = request.headers;
  if (origin !== undefined) {
    const canonical = comparable(origin);
    const http = canonical !== undefined && originOf(canonical) !== undefined;
    const loopback = http && isLoopbackName(hostOfOrigin(canonical));
    if (!loopback && (canonical === undefined || !allowed.origins.has(canonical))) {
      return (
        `WebSocket connections from web pages at ${JSON.stringify(origin)} are refused: only pages on localhost or 127.0.0.1 may connect. ` +
        `Allow that page with --allow-origin ${canonical ?? "'*'"} (createMockServer: allowOrigins: [${JSON.stringify(canonical ?? '*')}])`
      );
    }
  }
  // A page on a DNS-rebound name (evil.test resolving to 127.0.0.1) reaches loopback under a
  // foreign Host. Rebinding needs a name: an IP literal (the printed ws://0.0.0.0:PORT too) is fine.
  if (host !== undefined && isLoopbackAddress(request.socket.remoteAddress)) {
    const name = hostOfHeader(host);
    const literal = name !== undefined && isIP(name.replace(/^\[(.*)\]$/, '$1')) !== 0;
    // The machine's own name is fine too: Debian resolves it to 127.0.1.1.
    if (!literal && !isLoopbackName(name) && name !== hostname().toLowerCase() && (name === undefined || !allowed.hosts.has(name))) {
      return (
        `WebSocket connections from this machine to host ${JSON.stringify(host)} are refused (a DNS-rebound name?): connect to localhost or 127.0.0.1, ` +
        `or allow a page on that host with --allow-origin (createMockServer: allowOrigins), e.g. for a tunnel or proxy`
      );
    }
  }
  return undefined;
}
