/**
 * JSON Schemas (2020-12, as OpenAPI 3.1 takes them) of what the control API answers: one per
 * view of control-api.ts. A test validates real answers against them, so they cannot drift.
 */
import { FAULT_KINDS } from '../dap/fault-plan.js';
import { BEHAVIOR_OUTCOMES, RUN_OUTCOMES, TICK_REASONS } from '../scheduler/types.js';

type Schema = Readonly<Record<string, unknown>>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const list = (name: string): Schema => ({ type: 'array', items: ref(name) });
/** A page of a paged list (paging.ts): its items, and the cursor of the next page or null. */
const page = (items: Schema): Schema =>
  object({
    items: { type: 'array', items },
    next: {
      ...nullable({ type: 'string' }),
      description: 'The cursor of the next page (pass it as cursor), or null when this page is the last',
    },
  });
const instant: Schema = { type: 'string', format: 'date-time', description: 'An ISO 8601 instant in UTC' };
const nullable = (schema: Schema): Schema => ({ oneOf: [schema, { type: 'null' }] });
const counts = (names: readonly string[]): Schema => object(Object.fromEntries(names.map((n) => [n, { type: 'integer', minimum: 0 }])));

/** An object with exactly these properties, all required unless listed in `optional`. */
function object(properties: Record<string, Schema>, optional: readonly string[] = [], additional = false): Schema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    additionalProperties: additional,
  };
}

const RunBehaviorView = object({
  durationMs: { type: 'integer', minimum: 0 },
  outcome: { enum: BEHAVIOR_OUTCOMES },
  hold: { type: 'boolean' },
});

const RunView = object({
  id: { type: 'string' },
  userId: { type: 'string' },
  projectId: { type: 'string' },
  trigger: { enum: ['schedule', 'manual'] },
  scheduledFor: instant,
  startedAt: instant,
  endedAt: nullable(instant),
  outcome: nullable({ enum: RUN_OUTCOMES }),
});

// A users-file entry as users-parse.ts reads it: permissions default to none, other fields are ignored.
const permissions: Schema = { type: 'array', items: { type: 'string' } };
const team = object({ id: { type: 'string' }, name: { type: 'string' }, permissions }, ['permissions'], true);

/** The views, by name; `components.schemas` of the OpenAPI document. */
export const VIEW_SCHEMAS = {
  ClockView: object({
    now: instant,
    nowMs: { type: 'integer' },
    mode: { enum: ['fake', 'real'] },
    timezone: { type: 'string' },
  }),
  AdvanceView: object(
    {
      from: instant,
      to: instant,
      ticks: counts(TICK_REASONS),
      runsEnded: { type: 'integer', minimum: 0 },
      complete: { type: 'boolean', description: 'False when the move stopped early at the events-per-move cap: move again to go on' },
      nothingDue: {
        type: 'boolean',
        const: true,
        description:
          'Only from a move to the next tick: no deployment has a tick to come (none scheduled, or each manual or errored), so the clock stayed',
      },
    },
    ['nothingDue'],
  ),
  UserAdded: object({ userId: { type: 'string' } }),
  UserViews: {
    type: 'array',
    items: object({
      userId: { type: 'string' },
      displayName: nullable({ type: 'string' }),
      keys: { type: 'array', items: object({ key: { type: 'string' }, revoked: { type: 'boolean' } }) },
      addedAtRunTime: { type: 'boolean' },
    }),
  },
  KeyState: object({ key: { type: 'string' }, revoked: { type: 'boolean' } }),
  DeploymentView: object({
    userId: { type: 'string' },
    projectId: { type: 'string' },
    state: { enum: ['active', 'paused', 'errored'] },
    schedule: { type: 'string' },
    timezone: { type: 'string' },
    counters: counts([...TICK_REASONS, ...RUN_OUTCOMES]),
    runInProgress: nullable(ref('RunView')),
    nextDue: { type: 'array', items: instant },
    runBehavior: ref('RunBehaviorView'),
  }),
  DeploymentPage: page(ref('DeploymentView')),
  RunView,
  RunPage: page(ref('RunView')),
  TickPage: page(
    object({
      at: instant,
      userId: { type: 'string' },
      projectId: { type: 'string' },
      reason: { enum: TICK_REASONS },
      runId: nullable({ type: 'string' }),
    }),
  ),
  RunBehaviorView,
  JournalPage: page(
    object(
      {
        id: { type: 'integer' },
        connectionId: { type: 'integer' },
        at: instant,
        direction: { enum: ['in', 'out'] },
        userId: nullable({ type: 'string' }),
        command: {
          ...nullable({ type: 'string' }),
          description: "The frame's command, when it is a JSON object with a string there (a request's, or the one a response answers)",
        },
        type: {
          ...nullable({ type: 'string' }),
          description: "The frame's type (request, response, event), when it is a JSON object with a string there",
        },
        text: {
          type: 'string',
          description:
            "The frame's text exactly as it passed (a binary frame: its JSON header; bytes that are not UTF-8 read as U+FFFD), never parsed and written out again: parse it to read the frame",
        },
        payloadBytes: { type: 'integer', description: 'A binary frame: its payload size' },
      },
      ['payloadBytes'],
    ),
  ),
  Cleared: object({ cleared: { type: 'integer', minimum: 0 } }),
  ConnectionViews: {
    type: 'array',
    items: object({ id: { type: 'integer' }, userId: nullable({ type: 'string' }), openedAt: instant }),
  },
  FaultView: object(
    {
      id: { type: 'string' },
      remaining: { type: 'integer', minimum: 0 },
      kind: { enum: FAULT_KINDS },
      command: { type: 'string' },
      connectionId: { type: 'integer' },
      userId: { type: 'string' },
      count: { type: 'integer' },
      ms: { type: 'integer' },
      message: { type: 'string' },
      body: { type: 'object' },
      code: { type: 'integer' },
      reason: { type: 'string' },
    },
    ['command', 'connectionId', 'userId', 'ms', 'message', 'body', 'code', 'reason'],
  ),
  FaultViews: list('FaultView'),
  FaultRemoved: object({ id: { type: 'string' }, removed: { const: true } }),
  Reset: object({ reset: { const: true } }),
  SeedView: object({
    seed: { type: 'integer', minimum: 0 },
    deployments: { type: 'object', additionalProperties: { type: 'integer', minimum: 1 }, description: 'Deployments added, by owner' },
    runs: { type: 'integer', minimum: 0, description: 'Runs started during the demo day' },
    from: instant,
    to: instant,
  }),
  User: object(
    {
      userId: { type: 'string' },
      keys: { type: 'array', items: { type: 'string' }, minItems: 1 },
      displayName: { type: 'string' },
      givenName: { type: 'string' },
      familyName: { type: 'string' },
      preferredUsername: { type: 'string' },
      email: { type: 'string' },
      defaultTeam: { type: 'string' },
      organizations: {
        type: 'array',
        items: object(
          { id: { type: 'string' }, name: { type: 'string' }, permissions, teams: { type: 'array', items: team } },
          ['permissions'],
          true,
        ),
      },
    },
    ['displayName', 'givenName', 'familyName', 'preferredUsername', 'email'],
    true,
  ),
  Error: object({ error: object({ code: { type: 'string' }, message: { type: 'string' } }) }),
} as const satisfies Record<string, Schema>;

/** The name of a schema an operation answers with. */
export type ResultSchema = keyof typeof VIEW_SCHEMAS;
