/** `serve`'s flags: one table for parsing, the help and "did you mean". */
import { DEFAULT_DEMO_SEED, DEMO_LIMITS } from '../demo/demo-limits.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import { DEFAULT_PORT } from '../server/mock-server.js';
import { flagHelp, type FlagTable } from './args.js';
import { NAME } from './usage-error.js';

export const SERVE_OPTIONS = {
  host: { type: 'string', placeholder: 'HOST', help: 'Interface to listen on (default 127.0.0.1)' },
  port: { type: 'string', placeholder: 'PORT', help: `Port to listen on; 0 picks a free one (default ${DEFAULT_PORT})` },
  users: {
    type: 'string',
    placeholder: 'FILE',
    help: 'Users file (default: the demo users in fixtures/users.json); a user needs only\nuserId and keys (see the README, "Users file")',
  },
  clock: {
    type: 'string',
    placeholder: 'fake|real',
    help: 'fake: time stands still until moved; real: wall time plus jumps (default real)',
  },
  'start-at': { type: 'string', placeholder: 'INSTANT', help: 'Where the clock starts, e.g. 2026-11-26T10:07:00Z (default: now)' },
  timezone: { type: 'string', placeholder: 'ZONE', help: 'IANA time zone of cron schedules (default UTC)' },
  'run-duration': { type: 'string', placeholder: 'SPAN', help: 'How long a run takes: 1s, 5m, 1h30m (default 1s)' },
  'run-outcome': { type: 'string', placeholder: 'OUTCOME', help: 'How a run ends: completed or failed (default completed)' },
  'history-limit': { type: 'string', placeholder: 'N', help: 'Ticks and runs kept per deployment; counters stay exact (default 1000)' },
  'journal-entries': { type: 'string', placeholder: 'N', help: 'Frames kept in the frame journal; 0 turns it off (default 10000)' },
  'control-token': {
    type: 'string',
    placeholder: 'TOKEN',
    help: 'Require "Authorization: Bearer TOKEN" on the control API (env\nRRDK_CONTROL_TOKEN); without one, only loopback callers may use it',
  },
  'state-file': {
    type: 'string',
    placeholder: 'FILE',
    help: 'Keep deployments, run-time users and revocations, the clock and run\nhistory in FILE across restarts (created on the first change, in a folder\nthat must exist; a file that is not a state file is refused and left alone)',
  },
  'allow-origin': {
    type: 'string',
    placeholder: 'ORIGIN',
    multiple: true,
    help: 'Let web pages at ORIGIN (e.g. http://app.test:3000; * for any) open DAP\nconnections; repeat it or give a comma-separated list. Without it only\npages on localhost or 127.0.0.1 may (others get 403)',
  },
  quiet: {
    type: 'boolean',
    short: 'q',
    help: 'Print no request log (by default, one line per connection, command, run,\nclock move and fault follows the start-up lines on stdout)',
  },
  'log-format': { type: 'string', placeholder: 'text|json', help: "The request log's lines: text, or JSON lines (default text)" },
  demo: {
    type: 'string',
    placeholder: '[N]',
    help: `Start with N demo deployments (${DEMO_LIMITS.min} to ${DEMO_LIMITS.max}, default ${DEMO_LIMITS.default}) across the users who\nmay deploy, and the day of runs before the clock's start (not with --state-file)`,
  },
  'demo-seed': {
    type: 'string',
    placeholder: 'S',
    help: `The demo's seed: the same seed makes the same deployments (default ${DEFAULT_DEMO_SEED})`,
  },
  help: { type: 'boolean', short: 'h', help: "Show serve's help" },
} as const satisfies FlagTable;

/** `serve`'s limit flags, the limit each sets (a count, or a span: `10s`, `500ms`), and their help. */
export const LIMIT_FLAGS: Readonly<Record<string, { readonly limit: keyof Limits; readonly span?: true; readonly help: string }>> = {
  'max-frame-bytes': {
    limit: 'maxFrameBytes',
    help: `Largest WebSocket message, bytes; a larger one closes it with 1009\n(default ${DEFAULT_LIMITS.maxFrameBytes})`,
  },
  'max-pipeline-bytes': {
    limit: 'maxPipelineBytes',
    help: `Largest pipeline JSON an add or update may store (default ${DEFAULT_LIMITS.maxPipelineBytes})`,
  },
  'max-project-id-length': {
    limit: 'maxProjectIdLength',
    help: `Longest project id, in characters (default ${DEFAULT_LIMITS.maxProjectIdLength})`,
  },
  'max-deployments-per-user': {
    limit: 'maxDeploymentsPerUser',
    help: `Most deployments one user may hold (default ${DEFAULT_LIMITS.maxDeploymentsPerUser})`,
  },
  'max-stored-bytes-per-user': {
    limit: 'maxStoredBytesPerUser',
    help: `Most bytes one user's deployments may hold: pipeline JSON and project\nids, UTF-8 (default ${DEFAULT_LIMITS.maxStoredBytesPerUser})`,
  },
  'max-stored-bytes': {
    limit: 'maxStoredBytes',
    help: `The same, for all users together (default ${DEFAULT_LIMITS.maxStoredBytes})`,
  },
  'max-history-entries': {
    limit: 'maxHistoryEntries',
    help: `Most ticks and runs kept by all deployments together; each keeps\nits share, the oldest go first (default ${DEFAULT_LIMITS.maxHistoryEntries})`,
  },
  'max-reply-bytes-per-user': {
    limit: 'maxReplyBytesPerUser',
    help: `Most unsent reply bytes one user's connections may hold; past it\nits requests wait until they drain (default ${DEFAULT_LIMITS.maxReplyBytesPerUser})`,
  },
  'max-connections': {
    limit: 'maxConnections',
    help: `Most open WebSocket connections; one more is closed with 1013 (default ${DEFAULT_LIMITS.maxConnections})`,
  },
  'max-unauthenticated-per-ip': {
    limit: 'maxUnauthenticatedPerIp',
    help: `Most not-yet-authenticated connections from one address; one more\nis closed with 1008 (default ${DEFAULT_LIMITS.maxUnauthenticatedPerIp})`,
  },
  'auth-timeout': {
    limit: 'authTimeoutMs',
    span: true,
    help: `How long a connection may stay unauthenticated (from its opening or a\ndeauth); then it is closed with 1008 (default ${DEFAULT_LIMITS.authTimeoutMs / 1000}s)`,
  },
  'max-handshakes': {
    limit: 'maxHandshakes',
    help: `Most connections still sending their HTTP request or upgrade; one\nmore drops the oldest idle one (default ${DEFAULT_LIMITS.maxHandshakes})`,
  },
  'max-handshakes-per-ip': {
    limit: 'maxHandshakesPerIp',
    help: `Most of those from one address waiting over 1 s (default ${DEFAULT_LIMITS.maxHandshakesPerIp})`,
  },
  'handshake-timeout': {
    limit: 'handshakeTimeoutMs',
    span: true,
    help: `How long a connection may take to send its request or upgrade\n(default ${DEFAULT_LIMITS.handshakeTimeoutMs / 1000}s)`,
  },
};

const LIMIT_OPTIONS: FlagTable = Object.fromEntries(
  Object.entries(LIMIT_FLAGS).map(([name, { span, help }]) => [name, { type: 'string', placeholder: span ? 'SPAN' : 'N', help }]),
);

/** Every flag `serve` takes. */
export const SERVE_FLAGS: FlagTable = { ...SERVE_OPTIONS, ...LIMIT_OPTIONS };

/** The sections of serve's help: its options, then its limits. */
export const SERVE_SECTIONS = `serve options:
${flagHelp(SERVE_OPTIONS, 25)}

serve limits (positive integers or spans; input past a limit is refused and changes nothing stored):
${flagHelp(LIMIT_OPTIONS, 34)}`;

export const SERVE_USAGE = `Usage: ${NAME} serve [options]

Starts the mock RocketRide server: the deploy API over DAP/WebSocket at ws://HOST:PORT/task/service,
the control API over HTTP at http://HOST:PORT/control/.

${SERVE_SECTIONS}`;
