/**
 * The registry of control operations: for each ControlApi method, its summary, its named inputs,
 * how the method takes them, its HTTP endpoint, its CLI word, whether it changes what a state
 * file keeps, and the shape of its answer. The HTTP routes, the CLI (its table, flags and usage
 * text), CHANGES_STATE, the typed HTTP client, the OpenAPI document, the tables in
 * docs/control-api.md and the pytest plugin's Python client (scripts/python-control-client.ts)
 * are all generated from it: a new operation is one entry here plus its function in
 * control-api.ts (and `npm run docs`).
 *
 * Browser-safe (the typed client uses it): no Node imports.
 */
import { FAULT_KINDS } from '../dap/fault-plan.js';
import { DEFAULT_DEMO_SEED, DEMO_LIMITS } from '../demo/demo-limits.js';
import { BEHAVIOR_OUTCOMES, RUN_OUTCOMES } from '../scheduler/types.js';
import type { ControlApi } from './control-api.js';
import { JOURNAL_PAGE_BYTES, PAGE_FIELDS, PAGE_LIMITS, PAGE_ORDERS } from './paging.js';
import type { ResultSchema } from './openapi-schemas.js';
import { FAULT_SPEC_FIELDS, JOURNAL_FILTER_FIELDS } from './wire-inputs.js';

/** Every control endpoint lives under this path. */
export const CONTROL_PATH = '/control';

/** How an input's value is written; the ControlApi parses and validates every one of them. */
export type FieldType =
  | 'text'
  /** Epoch milliseconds or an ISO date-time with a zone. */
  | 'instant'
  /** Milliseconds, or a string like `"15m"`. */
  | 'span'
  | 'boolean'
  /** A whole number. */
  | 'whole'
  /** One of `choices`. */
  | 'choice'
  /** Any JSON value (an object, typically). */
  | 'json'
  /** The literal `true`: its presence selects an operation on an endpoint shared by several. */
  | 'marker';

/** One named input of an operation. */
export interface Field {
  readonly type: FieldType;
  readonly description: string;
  /** How the CLI and the docs write its value: `USER`, `SPAN`... */
  readonly placeholder: string;
  /** The CLI flag (without `--`) when the input is not positional; default: its name. */
  readonly flag?: string;
  readonly choices?: readonly string[];
  /** A json input's JSON Schema (openapi-schemas.ts), when it has one. */
  readonly schema?: ResultSchema;
}

/** The inputs' dictionary: an input means the same wherever it appears. */
const FIELDS = {
  to: { type: 'instant', placeholder: 'INSTANT', description: 'An instant: epoch milliseconds or an ISO date-time with a zone' },
  by: { type: 'span', placeholder: 'SPAN', description: 'A span: milliseconds, or a string like "15m", "1h30m", "2d"' },
  next: { type: 'marker', placeholder: 'true', description: 'Move to the next due tick' },
  user: { type: 'json', placeholder: 'FILE', schema: 'User', description: 'One user, in the users-file format' },
  key: { type: 'text', placeholder: 'KEY', description: 'An API key' },
  userId: { type: 'text', placeholder: 'USER', flag: 'user', description: 'A user id' },
  projectId: { type: 'text', placeholder: 'PROJECT', flag: 'project', description: 'A project id' },
  runId: { type: 'text', placeholder: 'RUN_ID', description: 'A run id' },
  outcome: { type: 'choice', placeholder: 'O', choices: BEHAVIOR_OUTCOMES, description: 'How runs end' },
  duration: { type: 'span', placeholder: 'SPAN', description: 'How long each run takes' },
  hold: { type: 'boolean', placeholder: 'BOOL', description: 'Runs last until ended through endRun' },
  connectionId: { type: 'whole', placeholder: 'N', flag: 'connection', description: 'A DAP connection id' },
  command: { type: 'text', placeholder: 'C', description: 'A DAP command, like rrext_deploy_add' },
  direction: {
    type: 'choice',
    placeholder: 'in|out',
    choices: ['in', 'out'],
    description: 'in: what clients sent; out: what the server sent',
  },
  type: { type: 'text', placeholder: 'T', description: 'A DAP message type: request, response or event' },
  after: { type: 'whole', placeholder: 'ID', description: 'Only entries after this journal entry id' },
  kind: {
    type: 'choice',
    placeholder: 'KIND',
    choices: FAULT_KINDS,
    description: 'What the matching requests get',
  },
  count: { type: 'whole', placeholder: 'N', description: 'How many matching requests (reorder: how many responses to hold)' },
  ms: { type: 'span', placeholder: 'SPAN', description: 'delay: the delay; reorder: the longest hold' },
  message: { type: 'text', placeholder: 'M', description: 'fail: the error message' },
  body: { type: 'json', placeholder: 'JSON', description: 'reply: the response body (an object)' },
  code: { type: 'whole', placeholder: 'N', description: 'close: the WebSocket close code' },
  reason: { type: 'text', placeholder: 'R', description: 'close: the close reason' },
  faultId: { type: 'text', placeholder: 'ID', description: 'A fault id, as injectFault answered it' },
  limit: {
    type: 'whole',
    placeholder: 'N',
    description: `Most items in the page (default ${PAGE_LIMITS.default}, at most ${PAGE_LIMITS.max})`,
  },
  seed: {
    type: 'whole',
    placeholder: 'S',
    description: `The demo seed (default ${DEFAULT_DEMO_SEED}): the same seed makes the same deployments`,
  },
  cursor: { type: 'text', placeholder: 'CURSOR', description: "Where the page starts: the previous page's next" },
  order: {
    type: 'choice',
    placeholder: 'oldest|newest',
    choices: PAGE_ORDERS,
    description: 'oldest first (the default) or newest first; a cursor keeps its order',
  },
} as const satisfies Record<string, Field>;

export type FieldName = keyof typeof FIELDS;

/** An input of one operation: a field of the dictionary, optionally narrowed. */
export interface Input extends Field {
  readonly name: FieldName;
  readonly optional?: boolean;
}

/**
 * How the ControlApi method takes the inputs, argument by argument: one input, or an object of
 * inputs (`open`: every input given, known or not, for the method to refuse the unknown ones;
 * `optional`: the argument is left out when none of its inputs is given).
 */
export type Param = FieldName | { readonly fields: readonly FieldName[]; readonly optional?: true; readonly open?: true };

export type Method = 'GET' | 'POST';

/** Where an operation is served: path parameters are its `:inputs`, a GET's others are query parameters, a POST's the body's fields. */
export interface HttpBinding {
  readonly method: Method;
  /** Segments after `/control/`; `:name` is an input. */
  readonly path: string;
  /** The body is the value of this one input (addUser: a user object). */
  readonly wholeBody?: FieldName;
  /** On an endpoint shared by several operations: the input whose presence selects this one. */
  readonly selector?: { readonly field: FieldName; readonly hint: string };
  readonly status?: 201;
}

export interface CliBinding {
  /** The word after `control`. */
  readonly word: string;
  /** Inputs given as positional arguments, in order; the others are flags (a json flag is JSON text). */
  readonly args: readonly FieldName[];
  /** The positional argument that names a JSON file holding the input's value. */
  readonly file?: FieldName;
  /** One invocation, for the usage table in the docs. */
  readonly example: string;
  /** A note for the docs' usage table. */
  readonly note?: string;
}

export interface Operation {
  readonly summary: string;
  readonly inputs: readonly Input[];
  readonly params: readonly Param[];
  readonly http: HttpBinding;
  /** A second endpoint serving it (setClock is also `{"to"}` on `clock/advance`). */
  readonly alsoAt?: HttpBinding;
  readonly cli: CliBinding;
  /** Whether it changes what a state file keeps (the journal and faults are not kept). */
  readonly changesState: boolean;
  /** A rule over several inputs, checked by the HTTP door before the call (the in-process API checks it its own way): the message, or undefined. */
  readonly check?: (inputs: Readonly<Record<string, unknown>>) => string | undefined;
  /** The JSON Schema of its answer (openapi-schemas.ts). */
  readonly result: ResultSchema;
}

const input = (name: FieldName, narrow: Partial<Omit<Input, 'name'>> = {}): Input => ({ name, ...FIELDS[name], ...narrow });
const optional = (name: FieldName, narrow: Partial<Omit<Input, 'name'>> = {}): Input => input(name, { optional: true, ...narrow });
const deploymentInputs = [input('userId'), input('projectId')];
const FILTER = [optional('userId'), optional('projectId')];
const PAGE = PAGE_FIELDS.map((name) => optional(name));

/** Every control operation. Order is the order of the docs, the usage text and the index of endpoints. */
export const OPERATIONS = {
  clock: {
    summary: "Show the server's clock",
    inputs: [],
    params: [],
    http: { method: 'GET', path: 'clock' },
    cli: { word: 'clock', args: [], example: 'clock' },
    changesState: false,
    result: 'ClockView',
  },
  advance: {
    summary: 'Move the clock forward by a span (15m, 1h30m, 2d, 900000 ms), processing what comes due',
    inputs: [input('by')],
    params: ['by'],
    http: { method: 'POST', path: 'clock/advance', selector: { field: 'by', hint: '"by" (a duration like "15m")' } },
    cli: { word: 'advance', args: ['by'], example: 'advance 1h30m' },
    changesState: true,
    result: 'AdvanceView',
  },
  setClock: {
    summary: 'Set the clock to a later instant (it never moves back), processing what comes due',
    inputs: [input('to')],
    params: ['to'],
    http: { method: 'POST', path: 'clock' },
    alsoAt: { method: 'POST', path: 'clock/advance', selector: { field: 'to', hint: '"to" (an instant)' } },
    cli: { word: 'set-clock', args: ['to'], example: 'set-clock 2026-11-27T00:00:00Z' },
    changesState: true,
    result: 'AdvanceView',
  },
  runToNextTick: {
    summary: 'Move the clock to the next due tick of any deployment',
    inputs: [input('next')],
    params: [],
    http: { method: 'POST', path: 'clock/advance', selector: { field: 'next', hint: '"next": true' } },
    cli: { word: 'next', args: [], example: 'next' },
    changesState: true,
    result: 'AdvanceView',
  },
  addUser: {
    summary: 'Add a user (the users-file format) while the server runs',
    inputs: [input('user')],
    params: ['user'],
    http: { method: 'POST', path: 'users', wholeBody: 'user', status: 201 },
    cli: { word: 'add-user', args: ['user'], file: 'user', example: 'add-user bob.json', note: 'a file holding one user' },
    changesState: true,
    result: 'UserAdded',
  },
  users: {
    summary: 'Every user: its keys (revoked or not), and whether it was added at run time',
    inputs: [],
    params: [],
    http: { method: 'GET', path: 'users' },
    cli: { word: 'users', args: [], example: 'users' },
    changesState: false,
    result: 'UserViews',
  },
  revokeKey: {
    summary: 'Revoke an API key (its deployments turn errored at their next tick)',
    inputs: [input('key')],
    params: ['key'],
    http: { method: 'POST', path: 'keys/revoke' },
    cli: { word: 'revoke', args: ['key'], example: 'revoke MYAPIKEY' },
    changesState: true,
    result: 'KeyState',
  },
  restoreKey: {
    summary: 'Make a revoked key valid again (errored deployments stay errored)',
    inputs: [input('key')],
    params: ['key'],
    http: { method: 'POST', path: 'keys/restore' },
    cli: { word: 'restore', args: ['key'], example: 'restore MYAPIKEY' },
    changesState: true,
    result: 'KeyState',
  },
  deployments: {
    summary: "A page of deployments' scheduling pictures, or one user's, in the order they were added",
    inputs: [optional('userId'), ...PAGE],
    params: [{ fields: ['userId', ...PAGE_FIELDS] }],
    http: { method: 'GET', path: 'deployments' },
    cli: { word: 'deployments', args: [], example: 'deployments --user local' },
    changesState: false,
    result: 'DeploymentPage',
  },
  deployment: {
    summary: "One deployment's scheduling picture",
    inputs: deploymentInputs,
    params: ['userId', 'projectId'],
    http: { method: 'GET', path: 'deployments/:userId/:projectId' },
    cli: { word: 'deployment', args: ['userId', 'projectId'], example: 'deployment local etl/nightly' },
    changesState: false,
    result: 'DeploymentView',
  },
  pause: {
    summary: 'Pause a deployment (its ticks are skipped)',
    inputs: deploymentInputs,
    params: ['userId', 'projectId'],
    http: { method: 'POST', path: 'deployments/:userId/:projectId/pause' },
    cli: { word: 'pause', args: ['userId', 'projectId'], example: 'pause local reports' },
    changesState: true,
    result: 'DeploymentView',
  },
  resume: {
    summary: 'Resume a paused deployment',
    inputs: deploymentInputs,
    params: ['userId', 'projectId'],
    http: { method: 'POST', path: 'deployments/:userId/:projectId/resume' },
    cli: { word: 'resume', args: ['userId', 'projectId'], example: 'resume local reports' },
    changesState: true,
    result: 'DeploymentView',
  },
  trigger: {
    summary: 'Start a run now (refused while one is in progress)',
    inputs: deploymentInputs,
    params: ['userId', 'projectId'],
    http: { method: 'POST', path: 'deployments/:userId/:projectId/trigger', status: 201 },
    cli: { word: 'trigger', args: ['userId', 'projectId'], example: 'trigger local reports' },
    changesState: true,
    result: 'RunView',
  },
  runs: {
    summary: 'A page of runs, by start time (oldest first unless asked)',
    inputs: [...FILTER, ...PAGE],
    params: [{ fields: ['userId', 'projectId', ...PAGE_FIELDS] }],
    http: { method: 'GET', path: 'runs' },
    cli: { word: 'runs', args: [], example: 'runs --user local --project reports' },
    changesState: false,
    result: 'RunPage',
  },
  ticks: {
    summary: 'A page of tick decisions, by time (oldest first unless asked)',
    inputs: [...FILTER, ...PAGE],
    params: [{ fields: ['userId', 'projectId', ...PAGE_FIELDS] }],
    http: { method: 'GET', path: 'ticks' },
    cli: { word: 'ticks', args: [], example: 'ticks --project reports --order newest --limit 10' },
    changesState: false,
    result: 'TickPage',
  },
  endRun: {
    summary: 'End a run in progress: completed (the default), failed or cancelled',
    inputs: [input('runId'), optional('outcome', { choices: RUN_OUTCOMES, description: 'How the run ends' })],
    params: ['runId', 'outcome'],
    http: { method: 'POST', path: 'runs/:runId/end' },
    cli: { word: 'end-run', args: ['runId'], example: 'end-run run-5 --outcome failed' },
    changesState: true,
    result: 'RunView',
  },
  setRunBehavior: {
    summary: 'How runs behave from now on: server-wide, or for one deployment',
    inputs: [optional('duration'), optional('outcome'), optional('hold'), ...FILTER],
    params: [{ fields: ['duration', 'outcome', 'hold'] }, { fields: ['userId', 'projectId'], optional: true }],
    http: { method: 'POST', path: 'run-behavior' },
    cli: { word: 'run-behavior', args: [], example: 'run-behavior --hold --user local --project reports' },
    changesState: true,
    check: ({ userId, projectId }) =>
      (userId === undefined) === (projectId === undefined)
        ? undefined
        : "userId and projectId go together: give both to set one deployment's run behavior, or neither for the whole server",
    result: 'RunBehaviorView',
  },
  journal: {
    summary: `A page of the frames received and sent (the frame journal), oldest first unless asked; at most ${JOURNAL_PAGE_BYTES / 1024 / 1024} MiB of frame text a page`,
    inputs: [...JOURNAL_FILTER_FIELDS.map((name) => optional(name)), ...PAGE],
    params: [{ fields: [...JOURNAL_FILTER_FIELDS, ...PAGE_FIELDS] }],
    http: { method: 'GET', path: 'journal' },
    cli: { word: 'journal', args: [], example: 'journal --command rrext_deploy_add --direction in' },
    changesState: false,
    result: 'JournalPage',
  },
  clearJournal: {
    summary: "Forget the journal's entries",
    inputs: [],
    params: [],
    http: { method: 'POST', path: 'journal/clear' },
    cli: { word: 'clear-journal', args: [], example: 'clear-journal' },
    changesState: false,
    result: 'Cleared',
  },
  connections: {
    summary: 'The open DAP connections',
    inputs: [],
    params: [],
    http: { method: 'GET', path: 'connections' },
    cli: { word: 'connections', args: [], example: 'connections' },
    changesState: false,
    result: 'ConnectionViews',
  },
  injectFault: {
    summary: 'Inject a fault: delay, reorder, no-reply, fail, reply or close',
    inputs: FAULT_SPEC_FIELDS.map((name) => (name === 'kind' ? input(name) : optional(name as FieldName))),
    params: [{ fields: FAULT_SPEC_FIELDS as FieldName[], open: true }],
    http: { method: 'POST', path: 'faults', status: 201 },
    cli: { word: 'fault', args: ['kind'], example: 'fault no-reply --command deauth' },
    changesState: false,
    result: 'FaultView',
  },
  faults: {
    summary: 'The active faults',
    inputs: [],
    params: [],
    http: { method: 'GET', path: 'faults' },
    cli: { word: 'faults', args: [], example: 'faults' },
    changesState: false,
    result: 'FaultViews',
  },
  removeFault: {
    summary: 'Remove one fault (a held reorder group is sent)',
    inputs: [input('faultId')],
    params: ['faultId'],
    http: { method: 'POST', path: 'faults/:faultId/remove' },
    cli: { word: 'remove-fault', args: ['faultId'], example: 'remove-fault f1' },
    changesState: false,
    result: 'FaultRemoved',
  },
  clearFaults: {
    summary: 'Remove every fault',
    inputs: [],
    params: [],
    http: { method: 'POST', path: 'faults/clear' },
    cli: { word: 'clear-faults', args: [], example: 'clear-faults' },
    changesState: false,
    result: 'Cleared',
  },
  reset: {
    summary: 'Forget deployments, runs, ticks, added users, revocations, journal entries and faults (the clock keeps its time)',
    inputs: [],
    params: [],
    http: { method: 'POST', path: 'reset' },
    cli: { word: 'reset', args: [], example: 'reset' },
    changesState: true,
    result: 'Reset',
  },
  seed: {
    summary: `Add demo deployments (${DEMO_LIMITS.min} to ${DEMO_LIMITS.max}) across the users who may deploy, then move the clock one day forward so the scheduler makes their day of runs`,
    inputs: [
      optional('count', { description: `How many deployments (default ${DEMO_LIMITS.default}, ${DEMO_LIMITS.min} to ${DEMO_LIMITS.max})` }),
      optional('seed'),
    ],
    params: ['count', 'seed'],
    http: { method: 'POST', path: 'seed', status: 201 },
    cli: { word: 'seed', args: ['count'], example: 'seed 25 --seed 7' },
    changesState: true,
    result: 'SeedView',
  },
} as const satisfies Record<keyof ControlApi, Operation>;

export type OperationName = keyof ControlApi;

/** The registry's entries, in order, each with its name. */
export const OPERATION_LIST: ReadonlyArray<Operation & { readonly name: OperationName }> = Object.entries(OPERATIONS).map(
  ([name, operation]) => ({ name: name as OperationName, ...(operation as Operation) }),
);

/** The operations that change what a state file keeps. */
export const CHANGES_STATE: ReadonlySet<OperationName> = new Set(OPERATION_LIST.filter((o) => o.changesState).map((o) => o.name));

/** The ControlApi method's arguments from named inputs (absent inputs stay undefined; an optional object param with none is left out). */
export function argumentsOf(operation: Operation, inputs: Readonly<Record<string, unknown>>): unknown[] {
  const args = operation.params.map((param) => {
    if (typeof param === 'string') return inputs[param];
    const names = param.open ? Object.keys(inputs) : param.fields;
    const object = Object.fromEntries(names.filter((name) => inputs[name] !== undefined).map((name) => [name, inputs[name]]));
    return param.optional && Object.keys(object).length === 0 ? undefined : object;
  });
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  return args;
}

/**
 * Named inputs from a ControlApi method's arguments: the reverse of argumentsOf (for the HTTP
 * client). An object's unknown fields are kept, so the server names them in its refusal; a field
 * of another argument is refused here (a TypeError), as the in-process API would refuse it.
 */
export function inputsOf(operation: Operation, args: readonly unknown[]): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  operation.params.forEach((param, i) => {
    const arg = args[i];
    if (arg === undefined) return;
    if (typeof param === 'string') {
      inputs[param] = arg;
      return;
    }
    if (typeof arg !== 'object' || arg === null) throw new TypeError(`Expected an object of ${param.fields.join(', ')}, got ${typeof arg}`);
    const others = operation.params.flatMap((p, j) => (j === i ? [] : typeof p === 'string' ? [p] : p.fields)) as string[];
    for (const [field, value] of Object.entries(arg)) {
      if (others.includes(field)) throw new TypeError(`${field} is not a field of this argument (${param.fields.join(', ')})`);
      inputs[field] = value;
    }
  });
  return inputs;
}

/** One operation as one endpoint serves it. */
export interface Served {
  readonly name: OperationName;
  readonly operation: Operation;
  readonly binding: HttpBinding;
}

/**
 * Every endpoint, in the registry's order, with the operations it serves: one, or several told
 * apart by their selector field (`POST clock/advance`).
 */
export const ENDPOINT_GROUPS: ReadonlyArray<readonly Served[]> = (() => {
  const groups = new Map<string, Served[]>();
  for (const { name, ...operation } of OPERATION_LIST) {
    for (const binding of [operation.http, operation.alsoAt]) {
      if (binding === undefined) continue;
      const key = `${binding.method} ${binding.path}`;
      groups.set(key, [...(groups.get(key) ?? []), { name, operation, binding }]);
    }
  }
  return [...groups.values()];
})();

/** The names of an endpoint's path parameters (`deployments/:userId/:projectId`: userId, projectId). */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((match) => match[1]!);
}
