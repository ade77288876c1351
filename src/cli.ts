#!/usr/bin/env node
/**
 * `rocketride-deploy-kit serve [options]`: the standalone mock server.
 * `rocketride-deploy-kit control <operation> [args]`: calls a running server's control API over HTTP.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadUsersFile, DEFAULT_USERS_FILE } from './auth/users-file.js';
import { ControlError } from './control/errors.js';
import { parseChoice, parseDuration, parseInstant } from './control/inputs.js';
import { definedFields } from './domain/json.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { createMockServer, DEFAULT_PORT } from './server/mock-server.js';
import { SHUTDOWN_LIMIT_MS } from './persist/shutdown.js';
import { VERSION } from './version.js';

const NAME = 'rocketride-deploy-kit';
const DEFAULT_CONTROL_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

const CONTROL_USAGE = `Usage: ${NAME} control <operation> [args] [--url URL] [--token TOKEN]

Calls the control API of a running server and prints its JSON answer.

Operations:
  clock                              Show the server's clock
  set-clock INSTANT                  Move the clock to an instant (ISO with a zone, or epoch ms)
  advance SPAN                       Move the clock forward: 15m, 1h30m, 2d, 900000 (ms)
  next                               Move the clock to the next due tick
  add-user FILE                      Add a user (a JSON file holding one user, users-file format)
  revoke KEY                         Revoke an API key (its deployments turn errored at their next tick)
  restore KEY                        Make a revoked key valid again
  deployments [--user U]             Scheduling picture of every deployment, or one user's
  deployment USER PROJECT            One deployment's scheduling picture
  pause USER PROJECT                 Pause a deployment (its ticks are skipped)
  resume USER PROJECT                Resume a paused deployment
  trigger USER PROJECT               Start a run now (refused while one is in progress)
  runs [--user U] [--project P]      Runs, oldest first
  ticks [--user U] [--project P]     Tick decisions, oldest first
  end-run RUN_ID [--outcome O]       End a run in progress: completed (default), failed or cancelled
  run-behavior [--duration SPAN] [--outcome completed|failed] [--hold|--no-hold] [--user U --project P]
                                     How runs behave from now on: server-wide, or for one deployment
  journal [--command C] [--direction in|out] [--connection N] [--user U] [--type T] [--after ID]
                                     Frames received and sent (the frame journal), oldest first
  clear-journal                      Forget the journal's entries
  connections                        The open DAP connections
  fault KIND [--command C] [--connection N] [--user U] [--count N] [--ms SPAN] [--message M]
             [--body JSON] [--code N] [--reason R]
                                     Inject a fault: delay, reorder, no-reply, fail, reply or close
  faults                             The active faults
  remove-fault ID                    Remove one fault
  clear-faults                       Remove every fault
  reset                              Forget deployments, runs, ticks, added users, revocations,
                                     journal entries and faults

control options:
  --url URL      The server (default ${DEFAULT_CONTROL_URL}; env RRDK_CONTROL_URL)
  --token TOKEN  Control token, if the server requires one (env RRDK_CONTROL_TOKEN)

Exit status: 0 done, 1 the server refused or did not answer, 2 bad usage.`;

const USAGE = `Usage: ${NAME} <command> [options]

Commands:
  serve        Start the mock RocketRide server (deploy API over DAP/WebSocket, control API over HTTP)
  control      Call a running server's control API (clock, keys, deployments, runs)
  conformance  Check a server (default: the in-process mock) against the spec, clause by clause
               (rocketride-deploy-kit conformance --help)

serve options:
  --host HOST            Interface to listen on (default 127.0.0.1)
  --port PORT            Port to listen on; 0 picks a free one (default ${DEFAULT_PORT})
  --users FILE           Users file (default: the demo users in fixtures/users.json)
  --clock fake|real      fake: time stands still until moved; real: wall time plus jumps (default real)
  --start-at INSTANT     Where the clock starts, e.g. 2026-11-26T10:07:00Z (default: now)
  --timezone ZONE        IANA time zone of cron schedules (default UTC)
  --run-duration SPAN    How long a run takes: 1s, 5m, 1h30m (default 1s)
  --run-outcome OUTCOME  How a run ends: completed or failed (default completed)
  --history-limit N      Ticks and runs kept per deployment; counters stay exact (default 1000)
  --journal-entries N    Frames kept in the frame journal; 0 turns it off (default 10000)
  --control-token TOKEN  Require "Authorization: Bearer TOKEN" on the control API (env
                         RRDK_CONTROL_TOKEN); without one, only loopback callers may use it
  --state-file FILE      Keep deployments, run-time users and revocations, the clock and run
                         history in FILE across restarts (created on the first change; a file
                         that is not a state file is refused and left alone)

serve limits (positive integers; input past a limit is refused and changes nothing stored):
  --max-frame-bytes N             Largest WebSocket message, bytes; a larger one closes it with 1009
                                  (default ${DEFAULT_LIMITS.maxFrameBytes})
  --max-pipeline-bytes N          Largest pipeline JSON an add or update may store (default ${DEFAULT_LIMITS.maxPipelineBytes})
  --max-project-id-length N       Longest project id, in characters (default ${DEFAULT_LIMITS.maxProjectIdLength})
  --max-deployments-per-user N    Most deployments one user may hold (default ${DEFAULT_LIMITS.maxDeploymentsPerUser})
  --max-connections N             Most open WebSocket connections; one more is closed with 1013 (default ${DEFAULT_LIMITS.maxConnections})
  --max-unauthenticated-per-ip N  Most not-yet-authenticated connections from one address; one more
                                  is closed with 1008 (default ${DEFAULT_LIMITS.maxUnauthenticatedPerIp})

${CONTROL_USAGE.replace(/^Usage: /, 'control: ')}

  -h, --help     Show this help
  -v, --version  Show the version`;

/** A mistake in how the command was called: printed on one line (or with usage), exit code 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    console.log(VERSION);
    return 0;
  }
  try {
    if (command === 'serve') return await serve(rest);
    if (command === 'control') return await control(rest);
    if (command === 'conformance') return await conformance(rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${NAME}: ${error.message}${error.usage ? `\n\n${error.usage}` : ''}`);
    return 2;
  }
  console.error(`Unknown command '${command}'.\n\n${USAGE}`);
  return 2;
}

/** The suite is compiled apart from src/ (conformance/ -> dist/conformance/); load it at run time. */
async function conformance(args: string[]): Promise<number> {
  const modulePath = './conformance/cli.js';
  let suite: { conformanceMain(args: string[]): Promise<number> };
  try {
    suite = (await import(modulePath)) as typeof suite;
  } catch (error) {
    // vitest is an optional peer dependency: the server alone installs without it.
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /'vitest'/.test((error as Error).message)) {
      console.error(`${NAME}: the conformance suite runs on vitest, which is not installed here: npm install --save-dev vitest@^4.1`);
      return 1;
    }
    throw error;
  }
  return suite.conformanceMain(args);
}

// ---------------------------------------------------------------------------------------------
// serve
// ---------------------------------------------------------------------------------------------

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      users: { type: 'string', default: DEFAULT_USERS_FILE },
      clock: { type: 'string', default: 'real' },
      'start-at': { type: 'string' },
      timezone: { type: 'string', default: 'UTC' },
      'run-duration': { type: 'string', default: '1s' },
      'run-outcome': { type: 'string', default: 'completed' },
      'history-limit': { type: 'string' },
      'journal-entries': { type: 'string' },
      'control-token': { type: 'string' },
      'state-file': { type: 'string' },
      ...Object.fromEntries(Object.keys(LIMIT_FLAGS).map((name) => [name, { type: 'string' as const }])),
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got '${values.port}'`);
  // Flag values are checked here, so a mistake costs exit code 2 and names the flag.
  const mode = flag(() => parseChoice(values.clock, '--clock', ['fake', 'real'] as const));
  const startAt = values['start-at'] === undefined ? undefined : flag(() => parseInstant(values['start-at'], '--start-at'));
  const duration = flag(() => parseDuration(values['run-duration'], '--run-duration'));
  const outcome = flag(() => parseChoice(values['run-outcome'], '--run-outcome', ['completed', 'failed'] as const));
  const historyLimit = values['history-limit'] === undefined ? undefined : integerFlag(values['history-limit'], '--history-limit', 1);
  const journalEntries =
    values['journal-entries'] === undefined ? undefined : integerFlag(values['journal-entries'], '--journal-entries', 0);
  const limits = limitFlags(values as Record<string, string | boolean | undefined>);
  const controlToken = values['control-token'] ?? (process.env['RRDK_CONTROL_TOKEN'] || undefined);
  if (controlToken === '') throw new UsageError('--control-token must not be empty');
  const stateFile = values['state-file'];
  if (stateFile === '') throw new UsageError('--state-file must name a file');

  const users = await loadUsersFile(values.users);
  const server = await createMockServer({
    host: values.host,
    port,
    users,
    clock: startAt === undefined ? mode : { mode, startAt },
    timezone: values.timezone,
    runs: { duration, outcome },
    ...(historyLimit !== undefined && { historyLimit }),
    ...(journalEntries !== undefined && { journal: { entries: journalEntries } }),
    limits,
    ...(controlToken !== undefined && { controlToken }),
    ...(stateFile !== undefined && { stateFile }),
    log: (line) => console.error(line),
  });
  // Listened for before the start-up lines: a signal sent as soon as they appear shuts down gracefully.
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const clock = server.control.clock();
  const httpHost = server.host.includes(':') ? `[${server.host}]` : server.host;
  console.log(`${NAME} ${VERSION} listening on ${server.url}`);
  console.log(
    `control API: http://${httpHost}:${server.port}/control/ ` +
      (controlToken === undefined ? '(loopback callers only; --control-token opens it to others)' : '(control token required)'),
  );
  console.log(`clock: ${clock.mode}, now ${clock.now}, time zone ${clock.timezone}`);
  console.log(`users: ${users.map((u) => `${u.userId} (key ${u.keys[0]})`).join(', ')}`);
  if (stateFile !== undefined) console.log(`state file: ${stateFile} (${server.control.deployments().length} deployments loaded)`);

  const signal = await stopSignal;
  const closing = server.close(); // stops listening before it returns: the line below comes after
  console.log(`${signal} received, shutting down (at most ${SHUTDOWN_LIMIT_MS / 1000} s)`);
  // Graceful, but bounded: a hung disk or client must not keep the process alive.
  const deadline = setTimeout(() => {
    console.error(`${NAME}: shutdown took longer than ${SHUTDOWN_LIMIT_MS / 1000} s; exiting without waiting`);
    process.exit(1);
  }, SHUTDOWN_LIMIT_MS);
  deadline.unref();
  await closing;
  clearTimeout(deadline);
  return 0;
}

/** `serve`'s limit flags, and the limit each sets. */
const LIMIT_FLAGS: Record<string, keyof Limits> = {
  'max-frame-bytes': 'maxFrameBytes',
  'max-pipeline-bytes': 'maxPipelineBytes',
  'max-project-id-length': 'maxProjectIdLength',
  'max-deployments-per-user': 'maxDeploymentsPerUser',
  'max-connections': 'maxConnections',
  'max-unauthenticated-per-ip': 'maxUnauthenticatedPerIp',
};

/** The limits given on the command line (each a positive integer). */
function limitFlags(values: Record<string, string | boolean | undefined>): Partial<Record<keyof Limits, number>> {
  const limits: Partial<Record<keyof Limits, number>> = {};
  for (const [name, limit] of Object.entries(LIMIT_FLAGS)) {
    const text = values[name];
    if (typeof text === 'string') limits[limit] = integerFlag(text, `--${name}`, 1);
  }
  return limits;
}

/** Runs a control-input parser on a flag value, turning its 400 into a usage error. */
function flag<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ControlError) throw new UsageError(error.message);
    throw error;
  }
}

/** A flag's whole number of at least `min` (0 or 1). */
function integerFlag(text: string, name: string, min: 0 | 1): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) {
    throw new UsageError(`${name} must be ${min === 1 ? 'a positive integer' : 'a whole number'}, got '${text}'`);
  }
  return Number(text);
}

// ---------------------------------------------------------------------------------------------
// control
// ---------------------------------------------------------------------------------------------

/** Every flag an operation may take, and its kind (one table: parsing and checks derive from it). */
const CONTROL_FLAGS = {
  user: 'string',
  project: 'string',
  duration: 'string',
  outcome: 'string',
  hold: 'boolean',
  'no-hold': 'boolean',
  command: 'string',
  direction: 'string',
  connection: 'string',
  type: 'string',
  after: 'string',
  count: 'string',
  ms: 'string',
  message: 'string',
  body: 'string',
  code: 'string',
  reason: 'string',
} as const;
type ControlFlag = keyof typeof CONTROL_FLAGS;
type Flags = Partial<Record<ControlFlag, string | boolean>>;

interface ControlRequest {
  method: 'GET' | 'POST';
  /** Path under /control/, segments already encoded. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
}

interface Operation {
  /** Positional argument names, for the arity check. */
  readonly args: readonly string[];
  readonly flags?: readonly ControlFlag[];
  readonly request: (args: readonly string[], flags: Flags) => ControlRequest | Promise<ControlRequest>;
}

const seg = encodeURIComponent;
const deploymentPath = ([user, project]: readonly string[], action = '') => `deployments/${seg(user!)}/${seg(project!)}${action}`;
const filterFlags = (flags: Flags) => ({ userId: text(flags.user), projectId: text(flags.project) });

/** Each operation names its arguments and builds its HTTP request; the server validates the rest. */
const OPERATIONS: Readonly<Record<string, Operation>> = {
  clock: { args: [], request: () => ({ method: 'GET', path: 'clock' }) },
  'set-clock': {
    args: ['INSTANT'],
    request: ([to]) => ({ method: 'POST', path: 'clock', body: { to: /^\d+$/.test(to!) ? Number(to) : to } }),
  },
  advance: { args: ['SPAN'], request: ([by]) => ({ method: 'POST', path: 'clock/advance', body: { by } }) },
  next: { args: [], request: () => ({ method: 'POST', path: 'clock/advance', body: { next: true } }) },
  'add-user': { args: ['FILE'], request: async ([file]) => ({ method: 'POST', path: 'users', body: await readJson(file!) }) },
  revoke: { args: ['KEY'], request: ([key]) => ({ method: 'POST', path: 'keys/revoke', body: { key } }) },
  restore: { args: ['KEY'], request: ([key]) => ({ method: 'POST', path: 'keys/restore', body: { key } }) },
  deployments: { args: [], flags: ['user'], request: (_, f) => ({ method: 'GET', path: 'deployments', query: { userId: text(f.user) } }) },
  deployment: { args: ['USER', 'PROJECT'], request: (a) => ({ method: 'GET', path: deploymentPath(a) }) },
  pause: { args: ['USER', 'PROJECT'], request: (a) => ({ method: 'POST', path: deploymentPath(a, '/pause') }) },
  resume: { args: ['USER', 'PROJECT'], request: (a) => ({ method: 'POST', path: deploymentPath(a, '/resume') }) },
  trigger: { args: ['USER', 'PROJECT'], request: (a) => ({ method: 'POST', path: deploymentPath(a, '/trigger') }) },
  runs: { args: [], flags: ['user', 'project'], request: (_, f) => ({ method: 'GET', path: 'runs', query: filterFlags(f) }) },
  ticks: { args: [], flags: ['user', 'project'], request: (_, f) => ({ method: 'GET', path: 'ticks', query: filterFlags(f) }) },
  'end-run': {
    args: ['RUN_ID'],
    flags: ['outcome'],
    request: ([runId], f) => ({ method: 'POST', path: `runs/${seg(runId!)}/end`, body: definedFields({ outcome: f.outcome }) }),
  },
  'run-behavior': {
    args: [],
    flags: ['duration', 'outcome', 'hold', 'no-hold', 'user', 'project'],
    request: (_, f) => {
      if (f.hold && f['no-hold']) throw new UsageError('Give --hold or --no-hold, not both', CONTROL_USAGE);
      const hold = f.hold ? true : f['no-hold'] ? false : undefined;
      const { duration, outcome, user: userId, project: projectId } = f;
      return { method: 'POST', path: 'run-behavior', body: definedFields({ duration, outcome, hold, userId, projectId }) };
    },
  },
  journal: {
    args: [],
    flags: ['command', 'direction', 'connection', 'user', 'type', 'after'],
    request: (_, f) => ({
      method: 'GET',
      path: 'journal',
      query: {
        command: text(f.command),
        direction: text(f.direction),
        connectionId: text(f.connection),
        userId: text(f.user),
        type: text(f.type),
        after: text(f.after),
      },
    }),
  },
  'clear-journal': { args: [], request: () => ({ method: 'POST', path: 'journal/clear' }) },
  connections: { args: [], request: () => ({ method: 'GET', path: 'connections' }) },
  fault: {
    args: ['KIND'],
    flags: ['command', 'connection', 'user', 'count', 'ms', 'message', 'body', 'code', 'reason'],
    request: ([kind], f) => {
      const number = (value: string | boolean | undefined) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
      const body = f.body === undefined ? undefined : parseJsonFlag(String(f.body), '--body');
      const { command, message, reason } = f;
      const fields = {
        kind,
        command,
        connectionId: number(f.connection),
        userId: f.user,
        count: number(f.count),
        ms: number(f.ms),
        message,
        body,
        code: number(f.code),
        reason,
      };
      return { method: 'POST', path: 'faults', body: definedFields(fields) };
    },
  },
  faults: { args: [], request: () => ({ method: 'GET', path: 'faults' }) },
  'remove-fault': { args: ['ID'], request: ([id]) => ({ method: 'POST', path: `faults/${seg(id!)}/remove` }) },
  'clear-faults': { args: [], request: () => ({ method: 'POST', path: 'faults/clear' }) },
  reset: { args: [], request: () => ({ method: 'POST', path: 'reset' }) },
};

async function control(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        ...Object.fromEntries(Object.entries(CONTROL_FLAGS).map(([name, type]) => [name, { type }])),
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, CONTROL_USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(CONTROL_USAGE);
    return 0;
  }
  const [name, ...rest] = positionals;
  if (name === undefined) throw new UsageError('control needs an operation', CONTROL_USAGE);
  const operation = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
  if (operation === undefined) throw new UsageError(`Unknown control operation '${name}'`, CONTROL_USAGE);
  if (rest.length !== operation.args.length) {
    const wanted = operation.args.length === 0 ? 'no arguments' : operation.args.join(' ');
    throw new UsageError(`control ${name} takes ${wanted}, got ${rest.length === 0 ? 'none' : rest.join(' ')}`, CONTROL_USAGE);
  }
  const flags: Flags = {};
  for (const key of Object.keys(CONTROL_FLAGS) as ControlFlag[]) {
    const value = (values as Record<string, string | boolean | undefined>)[key];
    if (value === undefined) continue;
    if (!operation.flags?.includes(key)) throw new UsageError(`control ${name} does not take --${key}`, CONTROL_USAGE);
    flags[key] = value;
  }

  const base = controlBase(values.url ?? (process.env['RRDK_CONTROL_URL'] || DEFAULT_CONTROL_URL));
  const token = values.token ?? (process.env['RRDK_CONTROL_TOKEN'] || undefined);
  const request = await operation.request(rest, flags);
  return callControl(base, token, request);
}

/** `http://host:port`, from a URL given with or without `/control/` (or a ws:// server URL). */
function controlBase(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url must be a URL like ${DEFAULT_CONTROL_URL}, got '${text}'`);
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') url.protocol = url.protocol === 'ws:' ? 'http:' : 'https:';
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--url must be an http:// URL like ${DEFAULT_CONTROL_URL}, got '${text}'`);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/(control|task\/service)$/, '');
  return `${url.origin}${path}`;
}

async function callControl(base: string, token: string | undefined, request: ControlRequest): Promise<number> {
  const query = new URLSearchParams(
    Object.entries(request.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
  ).toString();
  const url = `${base}/control/${request.path}${query ? `?${query}` : ''}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers: {
        ...(request.body !== undefined && { 'content-type': 'application/json' }),
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
      },
      ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
    });
  } catch (error) {
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
    const reason =
      cause?.code === 'ECONNREFUSED'
        ? `no server answers at ${base} (is \`${NAME} serve\` running there?)`
        : cause?.message === 'bad port'
          ? `cannot reach ${base}: fetch refuses this port (a "bad port" of the Fetch standard); serve on another one`
          : `cannot reach ${base}: ${cause?.message ?? String(error)}`;
    console.error(`${NAME}: ${reason}`);
    return 1;
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    console.error(`${NAME}: ${base} answered HTTP ${response.status} without JSON; is it a ${NAME} server?`);
    return 1;
  }
  if (response.ok) {
    console.log(JSON.stringify(json, null, 2));
    return 0;
  }
  const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  console.error(`${NAME}: ${String(error?.message ?? `HTTP ${response.status}`)} (${String(error?.code ?? response.status)})`);
  return 1;
}

async function readJson(file: string): Promise<unknown> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  try {
    return JSON.parse(content);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function parseJsonFlag(value: string, flag: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new UsageError(`${flag} must be JSON, like '{"deployments": []}'`, CONTROL_USAGE);
  }
}

function text(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Known, user-fixable problems (bad flags, bad users file, port in use) print one line.
    const e = error as NodeJS.ErrnoException;
    const message =
      e?.code === 'EADDRINUSE'
        ? `Port already in use (${e.message.replace(/^listen EADDRINUSE: address already in use /, '')}); pick another with --port`
        : (e?.message ?? String(error));
    console.error(`${NAME}: ${message}`);
    process.exitCode = 1;
  },
);
