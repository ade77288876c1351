/**
 * The reference model of the deploy semantics (semantics.md DEP-*, REC-1..3, SCHED-1/2), for the
 * checks to compare a target with. Pure: no I/O, no clock, no randomness. It holds per-user maps
 * of records keyed by project id, applies wire.md's validation order, and for each command says
 * whether it must succeed and, if so, which record (or list) it must answer with and leave behind.
 *
 * Times are the one thing a model cannot predict: the model learns each record's `createdAt` and
 * `updatedAt` from the target's replies and checks the rules about them (equal on add; never
 * earlier after an update; unchanged otherwise; a re-add starts no earlier than the record it
 * replaces).
 */
import type { Profile } from './target.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const PERMISSION_CONTROL = 'task.control';
export const PERMISSION_MONITOR = 'task.monitor';
export type Permission = typeof PERMISSION_CONTROL | typeof PERMISSION_MONITOR;

export const STATES = ['active', 'paused', 'errored'] as const;
export type State = (typeof STATES)[number];

const EXPECTED_SCHEDULE = 'Expected "manual", a cron preset (@hourly etc.), or a 5-field cron expression.';

/** The real server's failure messages (wire.md); DEP-MSG-1 asks for exactly these words (WIRE-3 and WIRE-5 name two of them). */
export const WORDS = {
  pipelineRequired: 'pipeline is required',
  pipelineNotObject: 'pipeline must be an object',
  projectIdRequired: 'pipeline.project_id is required',
  projectIdArgRequired: 'projectId is required',
  alreadyExists: (id: string) => `Deployment already exists: ${id}`,
  /** The mock's words; the real server's name its storage path instead (a leak: DEP-MSG-1). */
  notFound: (id: string) => `Deployment not found: ${id}`,
  /** A value that is not a string is quoted as JSON, as the server quotes it. */
  invalidSchedule: (value: unknown) => `Invalid schedule '${scheduleShown(value)}'. ${EXPECTED_SCHEDULE}`,
  permissionDenied: (permission: Permission) => `Permission '${permission}' denied`,
  notAuthenticated: 'Not authenticated',
  noAuthorization: 'No authorization provided',
  invalidKey: 'Invalid API key',
  tooManyAttempts: 'Too many authentication attempts',
  invalidCommand: (command: string) => `Invalid command: ${command}`,
} as const;

function scheduleShown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The real server's schedule refusal (`WORDS.invalidSchedule`), or the same two sentences with
 * what is wrong said between them (`… '61 * * * *'. Minute '61' is out of range 0-59. Expected …`):
 * the words a test written against the real server looks for are all there, first and last.
 */
export function invalidScheduleWords(value: unknown): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escape(`Invalid schedule '${scheduleShown(value)}'. `)}(?:[^]*?\\. )?${escape(EXPECTED_SCHEDULE)}$`);
}

/**
 * What a ConnectResult grants, read as the SDKs read it (wire.md): the organization holding the
 * team named by `defaultTeam`, and that organization's and team's permissions (`org.admin` among
 * them grants every permission).
 */
export function defaultTeamGrants(connectResult: unknown): { home: any; granted: Set<string> } {
  const body = connectResult as { defaultTeam?: unknown; organizations?: unknown } | undefined;
  const organizations: any[] = Array.isArray(body?.organizations) ? body.organizations : [];
  const isHomeTeam = (team: any) => team?.id === body?.defaultTeam;
  const home = organizations.find((org) => Array.isArray(org?.teams) && org.teams.some(isHomeTeam));
  const team = home?.teams.find(isHomeTeam);
  const granted = new Set<string>([
    ...(Array.isArray(home?.permissions) ? home.permissions : []),
    ...(Array.isArray(team?.permissions) ? team.permissions : []),
  ]);
  return { home, granted };
}

// ---------------------------------------------------------------------------------------------
// JSON helpers

/** A plain JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `args` sends `key` (JSON has no `undefined`: an undefined value is not sent). */
export function sends(args: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(args, key) && (args as Record<string, unknown>)[key] !== undefined;
}

/** The value as the server receives it: through JSON. */
export function wireCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Equality of JSON values: own keys only (an own `__proto__` key counts like any other), key
 * order ignored (JSON objects are unordered), arrays and objects never equal to each other.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((item, i) => jsonEqual(item, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  return ka.every((k) => own(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A short JSON rendering for failure messages. */
/**
 * Where two JSON values first differ, as a path and both values; strings that print alike
 * (NFC and NFD, lookalikes, invisible characters) are spelled as code points.
 */
export function whereDiffer(a: unknown, b: unknown, path = ''): string | undefined {
  if (jsonEqual(a, b)) return undefined;
  const at = path || '(the value)';
  if (typeof a === 'string' && typeof b === 'string') return `at ${at}: ${stringDifference(a, b)}`;
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    const missing = keys.filter((k) => !(k in a));
    const extra = keys.filter((k) => !(k in b));
    if (missing.length || extra.length) {
      return `at ${at}: ${[...missing.map((k) => `key ${spelled(k)} missing`), ...extra.map((k) => `key ${spelled(k)} not sent`)].join(', ')}`;
    }
    for (const k of keys) {
      const found = whereDiffer(a[k], b[k], /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`);
      if (found) return found;
    }
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) {
      const found = whereDiffer(a[i], b[i], `${path}[${i}]`);
      if (found) return found;
    }
  }
  return `at ${at}: ${show(a, 200)}, expected ${show(b, 200)}`;
}

/** A string as JSON, and as code points when it holds anything but printable ASCII. */
function spelled(text: string): string {
  const json = JSON.stringify(text);
  if (/^[\x20-\x7e]*$/.test(text) || text.length > 40) return json.length > 200 ? `${json.slice(0, 200)}…` : json;
  return `${json} (${codePoints(text)})`;
}

const codePoints = (text: string) => [...text].map((ch) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ');

/** Two strings from the first character where they part, a few characters each, spelled as code points. */
function stringDifference(a: string, b: string): string {
  const x = [...a];
  const y = [...b];
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  const part = (chars: string[]) => {
    const piece = chars.slice(i, i + 4).join('');
    return piece === '' ? 'the end of the string' : `${JSON.stringify(piece)}${chars.length > i + 4 ? '…' : ''} (${codePoints(piece)})`;
  };
  return `from character ${i}: ${part(x)}, expected ${part(y)}`;
}

export function show(value: unknown, max = 300): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

// ---------------------------------------------------------------------------------------------
// Records on the wire (REC-1, REC-2)

/** Which owner/time names a record carries: REC-1's documented ones, REC-2's snake_case ones, both, or neither set whole. */
export type Dialect = 'documented' | 'snake_case' | 'both' | 'neither';

const DOCUMENTED = ['userId', 'createdAt', 'updatedAt'] as const;
const SNAKE_CASE = ['created_by', 'created_at', 'updated_at'] as const;

function hasAll(record: object, names: readonly string[]): boolean {
  return names.every((name) => sends(record, name));
}

export function dialectOf(record: unknown): Dialect {
  if (!isJsonObject(record)) return 'neither';
  const documented = hasAll(record, DOCUMENTED);
  const snake = hasAll(record, SNAKE_CASE);
  return documented && snake ? 'both' : documented ? 'documented' : snake ? 'snake_case' : 'neither';
}

/** A record's fields, read in either dialect (documented names first): what profile-independent checks compare. */
export interface RecordView {
  readonly pipeline: unknown;
  readonly schedule: unknown;
  readonly state: unknown;
  readonly owner: unknown;
  readonly createdAt: unknown;
  readonly updatedAt: unknown;
}

export function viewOf(record: unknown): RecordView | undefined {
  if (!isJsonObject(record)) return undefined;
  const pick = (documented: string, snake: string) => (sends(record, documented) ? record[documented] : record[snake]);
  return {
    pipeline: record['pipeline'],
    schedule: record['schedule'],
    state: record['state'],
    owner: pick('userId', 'created_by'),
    createdAt: pick('createdAt', 'created_at'),
    updatedAt: pick('updatedAt', 'updated_at'),
  };
}

/** The project id of a record on the wire (`pipeline.project_id`; there is no top-level id). */
export function projectIdOf(record: unknown): unknown {
  const pipeline = isJsonObject(record) ? record['pipeline'] : undefined;
  return isJsonObject(pipeline) ? pipeline['project_id'] : undefined;
}

/** Unix seconds of any date from 2001 to 5138: a value in milliseconds (or microseconds) falls outside. */
export function isUnixSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 1e9 && value < 1e11;
}

/**
 * What is wrong with a record's shape under the profile (REC-1; REC-2 for `compat`): an empty
 * list when nothing is. `spec` requires the documented names; `compat` accepts either set whole.
 */
export function shapeProblems(record: unknown, profile: Profile): string[] {
  if (!isJsonObject(record)) return [`the record is not a JSON object: ${show(record)}`];
  const problems: string[] = [];
  if (!isJsonObject(record['pipeline'])) problems.push(`pipeline is not an object: ${show(record['pipeline'])}`);
  if (typeof record['schedule'] !== 'string') problems.push(`schedule is not a string: ${show(record['schedule'])}`);
  if (!(STATES as readonly unknown[]).includes(record['state']))
    problems.push(`state is not one of ${STATES.join(' | ')}: ${show(record['state'])}`);
  const setProblems = (names: readonly [string, string, string]) => {
    const [owner, created, updated] = names;
    const found: string[] = [];
    if (typeof record[owner] !== 'string') found.push(`${owner} is not a string: ${show(record[owner])}`);
    for (const time of [created, updated]) {
      if (!isUnixSeconds(record[time])) found.push(`${time} is not a number of Unix seconds (1e9 to 1e11): ${show(record[time])}`);
    }
    return found;
  };
  const documented = setProblems(['userId', 'createdAt', 'updatedAt']);
  if (profile === 'spec') return [...problems, ...documented];
  const snake = setProblems(['created_by', 'created_at', 'updated_at']);
  if (documented.length === 0 || snake.length === 0) return problems;
  return [...problems, `neither field set is whole (compat profile accepts either): ${[...documented, ...snake].join('; ')}`];
}

// ---------------------------------------------------------------------------------------------
// The model

/** A user as the model sees it: an id and what they may do. */
export interface ModelUser {
  readonly userId: string;
  readonly permissions: ReadonlySet<Permission>;
}

export interface ModelRecord {
  readonly projectId: string;
  readonly pipeline: JsonObject;
  readonly schedule: string;
  readonly state: State;
  readonly owner: string;
  readonly createdAt: number;
  /** Exactly known (from the add reply or the last read), or, after an update, only a lower bound. */
  readonly updatedAt: number;
  readonly updatedAtExact: boolean;
}

/** What the model says about a command: it must fail (and why), or succeed with `value`. */
export type Expectation<T> =
  | { readonly ok: true; readonly value: T; /** Why failing is also conformant, when it is. */ readonly mayRefuse?: string }
  | { readonly ok: false; readonly failure: Failure };

export interface Failure {
  /** The clause that makes the command fail. */
  readonly clause: string;
  /** Why it must fail, for the failure printout. */
  readonly reason: string;
  /** The real server's words for it (DEP-MSG-1). */
  readonly words: string;
  /**
   * What the message MUST contain (a MUST clause requires it): the missing permission's name
   * (DEP-PERM-1), or "already exists" (DEP-ADD-4) when that is the only thing wrong.
   */
  readonly mustMatch?: RegExp;
}

/** The new record an add must answer with (times come from the target). */
export interface AddPlan {
  readonly projectId: string;
  readonly pipeline: JsonObject;
  readonly schedule: string;
  readonly owner: string;
  /** A re-add after a remove starts fresh: its `createdAt` is no earlier than the removed record's. */
  readonly notBefore: number | undefined;
}

export interface UpdatePlan {
  readonly before: ModelRecord;
  readonly after: ModelRecord;
}

/** Which schedules are valid: the corpus is the oracle (the model refuses to guess about others). */
export interface ScheduleOracle {
  readonly valid: readonly string[];
  readonly invalid: readonly unknown[];
}

export const MANUAL = 'manual';

export class DeployModel {
  readonly #users = new Map<string, Map<string, ModelRecord>>();
  /** user -> project id -> createdAt of the last removed record there. */
  readonly #removed = new Map<string, Map<string, number>>();
  readonly #valid: ReadonlySet<string>;
  readonly #invalid: readonly unknown[];

  constructor(schedules: ScheduleOracle) {
    this.#valid = new Set(schedules.valid);
    this.#invalid = schedules.invalid;
  }

  /** SCHED-1/2 by the corpus; a string the corpus does not know is a mistake in the check. */
  scheduleIsValid(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    if (this.#valid.has(value)) return true;
    if (this.#invalid.includes(value)) return false;
    throw new Error(`The model does not know whether the schedule ${show(value)} is valid: add it to the corpus`);
  }

  get(userId: string, projectId: string): ModelRecord | undefined {
    return this.#users.get(userId)?.get(projectId);
  }

  /** A user's records, by project id. */
  recordsOf(userId: string): ModelRecord[] {
    return [...(this.#users.get(userId)?.values() ?? [])].sort((a, b) =>
      a.projectId < b.projectId ? -1 : a.projectId > b.projectId ? 1 : 0,
    );
  }

  /** DEP-ADD-1..5, DEP-PERM-1, SCHED-1/2: permission, pipeline, project_id, schedule, then the duplicate check. */
  expectAdd(caller: ModelUser, args: { readonly pipeline?: unknown; readonly schedule?: unknown }): Expectation<AddPlan> {
    const denied = this.#denied(caller, PERMISSION_CONTROL);
    if (denied) return denied;
    const problems: Failure[] = [];
    const pipeline = sends(args, 'pipeline') ? args.pipeline : undefined;
    // The real server tests `if not pipeline` first (wire.md): every falsy value (null, false, 0, '', [], {}) is missing.
    if (pipeline === undefined || pipeline === null) problems.push(fail('DEP-ADD-2', 'the pipeline is missing', WORDS.pipelineRequired));
    else if (isPythonFalsy(pipeline))
      problems.push(
        fail(
          isJsonObject(pipeline) ? 'DEP-ADD-3' : 'DEP-ADD-2',
          `the pipeline is empty (${JSON.stringify(pipeline)})`,
          WORDS.pipelineRequired,
        ),
      );
    else if (!isJsonObject(pipeline)) problems.push(fail('DEP-ADD-2', 'the pipeline is not a JSON object', WORDS.pipelineNotObject));
    else {
      const id = pipeline['project_id'];
      if (typeof id !== 'string' || id === '')
        problems.push(fail('DEP-ADD-3', 'pipeline.project_id is missing, empty or not a string', WORDS.projectIdRequired));
    }
    const schedule = sends(args, 'schedule') ? args.schedule : MANUAL;
    if (!this.scheduleIsValid(schedule))
      problems.push(fail('SCHED-2', `the schedule ${show(schedule)} is invalid`, WORDS.invalidSchedule(schedule)));
    const projectId = isJsonObject(pipeline) && typeof pipeline['project_id'] === 'string' ? pipeline['project_id'] : undefined;
    if (projectId !== undefined && projectId !== '' && this.get(caller.userId, projectId)) {
      problems.push(
        fail('DEP-ADD-4', 'the caller already has a deployment with this project id', WORDS.alreadyExists(projectId), /already exists/i),
      );
    }
    const [first] = problems;
    if (first) {
      // The order of the checks after permission is the server's; only a sole reason must be named.
      const failure = problems.length === 1 ? first : fail(first.clause, problems.map((p) => p.reason).join('; and '), first.words);
      return { ok: false, failure };
    }
    return {
      ok: true,
      value: {
        projectId: projectId!,
        pipeline: wireCopy(pipeline as JsonObject),
        schedule: schedule as string,
        owner: caller.userId,
        notBefore: this.#removed.get(caller.userId)?.get(projectId!),
      },
    };
  }

  commitAdd(plan: AddPlan, times: { readonly createdAt: number; readonly updatedAt: number }): ModelRecord {
    const record: ModelRecord = {
      projectId: plan.projectId,
      pipeline: plan.pipeline,
      schedule: plan.schedule,
      state: 'active',
      owner: plan.owner,
      createdAt: times.createdAt,
      updatedAt: times.updatedAt,
      updatedAtExact: true,
    };
    this.#put(record);
    return record;
  }

  /** DEP-UPD-1..3: permission, projectId, load (unknown id first), pipeline, schedule; all or nothing. */
  expectUpdate(
    caller: ModelUser,
    args: { readonly projectId?: unknown; readonly pipeline?: unknown; readonly schedule?: unknown },
  ): Expectation<UpdatePlan> {
    const denied = this.#denied(caller, PERMISSION_CONTROL);
    if (denied) return denied;
    const loaded = this.#load(caller, args, 'DEP-UPD-3');
    if (!loaded.ok) return loaded;
    const before = loaded.value;
    let pipeline = before.pipeline;
    let mayRefuse: string | undefined;
    if (sends(args, 'pipeline')) {
      if (!isJsonObject(args.pipeline)) {
        return { ok: false, failure: fail('DEP-UPD-3', 'the replacement pipeline is not a JSON object', WORDS.pipelineNotObject) };
      }
      const given = wireCopy(args.pipeline) as JsonObject;
      if (given['project_id'] !== before.projectId) {
        mayRefuse = `the replacement pipeline's project_id (${show(given['project_id'])}) is not the deployment's: rejecting the mismatch is conformant (DEP-UPD-2)`;
      }
      pipeline = { ...given, project_id: before.projectId };
    }
    let schedule = before.schedule;
    if (sends(args, 'schedule')) {
      if (!this.scheduleIsValid(args.schedule)) {
        return {
          ok: false,
          failure: fail('SCHED-2', `the schedule ${show(args.schedule)} is invalid`, WORDS.invalidSchedule(args.schedule)),
        };
      }
      schedule = args.schedule as string;
    }
    const after: ModelRecord = { ...before, pipeline, schedule, updatedAtExact: false };
    return { ok: true, value: { before, after }, ...(mayRefuse !== undefined && { mayRefuse }) };
  }

  commitUpdate(plan: UpdatePlan): void {
    this.#put(plan.after);
  }

  /** DEP-REM-1/2. */
  expectRemove(caller: ModelUser, args: { readonly projectId?: unknown }): Expectation<ModelRecord> {
    return this.#denied(caller, PERMISSION_CONTROL) ?? this.#load(caller, args, 'DEP-REM-2');
  }

  commitRemove(record: ModelRecord): void {
    this.#users.get(record.owner)?.delete(record.projectId);
    let removed = this.#removed.get(record.owner);
    if (!removed) this.#removed.set(record.owner, (removed = new Map()));
    removed.set(record.projectId, record.createdAt);
  }

  /** DEP-STATUS-1. */
  expectStatus(caller: ModelUser, args: { readonly projectId?: unknown }): Expectation<ModelRecord> {
    return this.#denied(caller, PERMISSION_MONITOR) ?? this.#load(caller, args, 'DEP-STATUS-1');
  }

  /** DEP-LIST-1: exactly the caller's records (order unspecified). */
  expectList(caller: ModelUser): Expectation<ModelRecord[]> {
    return this.#denied(caller, PERMISSION_MONITOR) ?? { ok: true, value: this.recordsOf(caller.userId) };
  }

  /** Records a read of `updatedAt` (after an update the model only knew a lower bound). */
  learnUpdatedAt(userId: string, projectId: string, updatedAt: number): void {
    const record = this.get(userId, projectId);
    if (record && !record.updatedAtExact) this.#put({ ...record, updatedAt, updatedAtExact: true });
  }

  #put(record: ModelRecord): void {
    let mine = this.#users.get(record.owner);
    if (!mine) this.#users.set(record.owner, (mine = new Map()));
    mine.set(record.projectId, record);
  }

  #denied(caller: ModelUser, permission: Permission): { ok: false; failure: Failure } | undefined {
    if (caller.permissions.has(permission)) return undefined;
    return {
      ok: false,
      failure: fail(
        'DEP-PERM-1',
        `the caller lacks ${permission}`,
        WORDS.permissionDenied(permission),
        new RegExp(permission.replace('.', '\\.')),
      ),
    };
  }

  #load(caller: ModelUser, args: { readonly projectId?: unknown }, clause: string): Expectation<ModelRecord> {
    const id = sends(args, 'projectId') ? args.projectId : undefined;
    if (typeof id !== 'string' || id === '')
      return { ok: false, failure: fail(clause, 'projectId is missing, empty or not a string', WORDS.projectIdArgRequired) };
    const record = this.get(caller.userId, id);
    if (!record)
      return { ok: false, failure: fail(clause, 'the caller has no deployment with this project id', `Deployment not found: ${id}`) };
    return { ok: true, value: record };
  }
}

function fail(clause: string, reason: string, words: string, mustMatch?: RegExp): Failure {
  return { clause, reason, words, ...(mustMatch && { mustMatch }) };
}

// ---------------------------------------------------------------------------------------------
// Comparing what a target answered with what the model expects

export interface TimeRules {
  /** How far apart `createdAt` and `updatedAt` of a new record may be (0 on a kit mock's clock). */
  readonly sameTimeTolerance: number;
}

/** Problems of a new record (the add reply) against the plan; [] when it conforms. */
export function addedRecordProblems(observed: unknown, plan: AddPlan, rules: TimeRules): string[] {
  const view = viewOf(observed);
  if (!view) return [`DEP-ADD-1: the add reply's body is not a record: ${show(observed)}`];
  const problems = [
    ...dialectProblems(observed),
    ...fieldProblems(view, { pipeline: plan.pipeline, schedule: plan.schedule, state: 'active', owner: plan.owner }, 'DEP-ADD-1'),
  ];
  const { createdAt, updatedAt } = view;
  if (typeof createdAt !== 'number' || typeof updatedAt !== 'number') {
    problems.push(`DEP-ADD-1: createdAt/updatedAt are not numbers: ${show(createdAt)}, ${show(updatedAt)}`);
  } else {
    if (Math.abs(createdAt - updatedAt) > rules.sameTimeTolerance) {
      problems.push(`DEP-ADD-1: a new record's createdAt and updatedAt differ: ${createdAt} vs ${updatedAt}`);
    }
    if (plan.notBefore !== undefined && createdAt < plan.notBefore) {
      problems.push(
        `DEP-REM-1: added again after a remove, the record does not start fresh: createdAt ${createdAt} is earlier than the removed record's ${plan.notBefore}`,
      );
    }
  }
  return problems;
}

/** REC-2: a record that carries both dialects must give them equal values, whatever changed it. */
export function dialectProblems(record: unknown): string[] {
  if (dialectOf(record) !== 'both' || !isJsonObject(record)) return [];
  return SNAKE_CASE.flatMap((snake, i) => {
    const documented = DOCUMENTED[i]!;
    return jsonEqual(record[snake], record[documented])
      ? []
      : [`REC-2: ${snake} is ${show(record[snake])} but ${documented} is ${show(record[documented])}`];
  });
}

/** Problems of a record read back (status, list) against the model's; [] when it conforms. */
export function storedRecordProblems(observed: unknown, expected: ModelRecord, clause: string): string[] {
  const view = viewOf(observed);
  if (!view) return [`${clause}: not a record: ${show(observed)}`];
  const problems = [...dialectProblems(observed), ...fieldProblems(view, expected, clause)];
  if (view.createdAt !== expected.createdAt) {
    problems.push(`DEP-UPD-1: createdAt changed from ${expected.createdAt} to ${show(view.createdAt)}`);
  }
  if (typeof view.updatedAt !== 'number') problems.push(`${clause}: updatedAt is not a number: ${show(view.updatedAt)}`);
  else if (expected.updatedAtExact && view.updatedAt !== expected.updatedAt) {
    problems.push(`${clause}: updatedAt is ${view.updatedAt}, but nothing updated the record since it was ${expected.updatedAt}`);
  } else if (!expected.updatedAtExact && view.updatedAt < expected.updatedAt) {
    problems.push(`DEP-UPD-1: after an update, updatedAt went back from ${expected.updatedAt} to ${view.updatedAt}`);
  }
  return problems;
}

function fieldProblems(
  view: RecordView,
  expected: { readonly pipeline: JsonObject; readonly schedule: string; readonly state: string; readonly owner: string },
  clause: string,
): string[] {
  const problems: string[] = [];
  if (!jsonEqual(view.pipeline, expected.pipeline)) {
    // Not as sent is REC-3's fault, whichever command showed it.
    problems.push(
      `REC-3: the pipeline is ${show(view.pipeline)}, expected ${show(expected.pipeline)}: ${whereDiffer(view.pipeline, expected.pipeline)}`,
    );
  }
  if (view.schedule !== expected.schedule)
    problems.push(`${clause}: schedule is ${show(view.schedule)}, expected ${show(expected.schedule)}`);
  if (view.state !== expected.state) problems.push(`${clause}: state is ${show(view.state)}, expected ${show(expected.state)}`);
  if (view.owner !== expected.owner) problems.push(`${clause}: the owner is ${show(view.owner)}, expected ${show(expected.owner)}`);
  return problems;
}

/** Python's `not value` for a JSON value: false, 0, '', [] and {} (and null) are falsy. */
function isPythonFalsy(value: unknown): boolean {
  if (value === null || value === false || value === 0 || value === '') return true;
  return typeof value === 'object' && Object.keys(value as object).length === 0;
}
