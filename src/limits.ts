/**
 * The server's limits on what clients may send and hold, with their defaults. The deploy
 * domain enforces the per-request and per-user ones (every door shares them); the WebSocket
 * door enforces the per-connection ones. Browser-safe: no Node imports.
 */

/**
 * Every limit, each a positive whole number. The real RocketRide server has none of these
 * (wire.md); the defaults sit far above what a real client sends, so they only stop runaway
 * or hostile input, never a working SDK or the conformance suite.
 * @since 0.4.0
 */
export interface Limits {
  /** Largest WebSocket message, in bytes; a larger one closes its connection with 1009 (WIRE-9). Default 16 MiB. */
  readonly maxFrameBytes: number;
  /** Largest pipeline an `add` or `update` may store, in bytes of its JSON (UTF-8). Default 4 MiB. */
  readonly maxPipelineBytes: number;
  /** Longest project id, in characters (Unicode code points). Default 16,384. */
  readonly maxProjectIdLength: number;
  /** Most deployments one user may hold; an `add` past it is refused. Default 10,000. */
  readonly maxDeploymentsPerUser: number;
  /**
   * Most bytes one user's deployments may hold: their pipelines' JSON and project ids, as UTF-8.
   * An `add`, or an `update` that grows a pipeline, past it is refused. Default 64 MiB.
   * @since 0.5.0
   */
  readonly maxStoredBytesPerUser: number;
  /** The same, for every user's deployments together: what the whole server stores. Default 256 MiB. @since 0.5.0 */
  readonly maxStoredBytes: number;
  /**
   * Most ticks and runs kept in the history of all deployments together (each keeps at most
   * `historyLimit`, and its share of this); past it the oldest kept entries go, never a counter.
   * Default 1,000,000 (a tick takes 24 bytes, a run 48).
   * @since 0.5.0
   */
  readonly maxHistoryEntries: number;
  /**
   * Most reply bytes the connections of one user may hold unsent (in their sockets, or held for
   * the state file), together; past it that user's requests wait, on whichever connection they
   * arrive, until one of them drains. One reply may pass it (a whole `list`). Default 64 MiB.
   * @since 0.5.0
   */
  readonly maxReplyBytesPerUser: number;
  /** Most WebSocket connections open at once; one more is closed with 1013. Default 1,024. */
  readonly maxConnections: number;
  /** Most connections from one IP address that have not authenticated yet; one more is closed with 1008. Default 128. */
  readonly maxUnauthenticatedPerIp: number;
  /**
   * How long a connection may stay unauthenticated (from its opening, or from a `deauth`), in
   * milliseconds; then it is closed with 1008. Default 10 s.
   * @since 0.5.0
   */
  readonly authTimeoutMs: number;
  /** Most TCP connections still in their HTTP request or WebSocket handshake; past it the oldest idle one (or the newcomer) is dropped. Default 1,024. @since 0.5.0 */
  readonly maxHandshakes: number;
  /** Most of those from one IP address that have waited over a second; past it that address's oldest is dropped. Default 32. @since 0.5.0 */
  readonly maxHandshakesPerIp: number;
  /** How long a connection may take to send its HTTP request or upgrade, in milliseconds; then it is dropped. Default 10 s. @since 0.5.0 */
  readonly handshakeTimeoutMs: number;
}

/** @since 0.4.0 */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxFrameBytes: 16 * 1024 * 1024,
  maxPipelineBytes: 4 * 1024 * 1024,
  // The conformance suite's DEP-ISO-1 stores ids of about 10 KB: they must fit.
  maxProjectIdLength: 16_384,
  maxDeploymentsPerUser: 10_000,
  // Real pipelines are kilobytes. With these, one user's `list` (one string) stays far below
  // V8's longest string, and the whole store far below Node's default heap (README, Limits).
  maxStoredBytesPerUser: 64 * 1024 * 1024,
  maxStoredBytes: 256 * 1024 * 1024,
  // A thousand ticks and runs for each of 500 busy deployments: tens of MB, far below the heap.
  maxHistoryEntries: 1_000_000,
  // As large as one user's largest `list`, so a second one waits while the first is unread.
  maxReplyBytesPerUser: 64 * 1024 * 1024,
  maxConnections: 1024,
  maxUnauthenticatedPerIp: 128,
  authTimeoutMs: 10_000,
  maxHandshakes: 1024,
  maxHandshakesPerIp: 32,
  handshakeTimeoutMs: 10_000,
});

/** The longest delay a Node timer takes (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The limits a server option asks for: any subset of them, each a positive whole number. @since 0.4.0 */
export type LimitsOption = { readonly [K in keyof Limits]?: number | undefined };

/**
 * The defaults with `option`'s limits over them; an unknown name or a value that is not a
 * positive whole number is refused, naming it (a typo must not leave a limit silently off).
 */
export function resolveLimits(option: LimitsOption | undefined): Limits {
  if (option === undefined) return DEFAULT_LIMITS;
  if (typeof option !== 'object' || option === null || Array.isArray(option)) throw new TypeError('limits must be an object');
  const limits: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(option)) {
    if (value === undefined) continue;
    if (!(name in DEFAULT_LIMITS))
      throw new RangeError(`limits.${name} is not a limit; the limits are ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
    if (!Number.isSafeInteger(value) || (value as number) < 1)
      throw new RangeError(`limits.${name} must be a positive whole number, got ${String(value)}`);
    // A timer cannot wait longer: Node would fire it at once instead.
    if (name.endsWith('Ms') && (value as number) > MAX_TIMER_MS)
      throw new RangeError(`limits.${name} must be at most ${MAX_TIMER_MS} ms (about 24.8 days), got ${String(value)}`);
    limits[name] = value as number;
  }
  return Object.freeze(limits as unknown as Limits);
}
