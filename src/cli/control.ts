/** `rocketride-deploy-kit control <operation> [args]`: a running server's control API over HTTP. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { definedFields } from '../domain/json.js';
import { DEFAULT_PORT } from '../server/mock-server.js';
import { NAME, UsageError } from './usage-error.js';

const DEFAULT_CONTROL_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

export const CONTROL_USAGE = `Usage: ${NAME} control <operation> [args] [--url URL] [--token TOKEN]

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

export async function control(args: string[]): Promise<number> {
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
