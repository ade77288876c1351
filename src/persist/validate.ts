/**
 * Reads state-file text into domain values, checking everything on the way: a state file is
 * input like any other and must not be able to crash the server or plant a record the domain
 * would never have made. Every refusal names the JSON path of the first bad value.
 */
import type { UsersState } from '../auth/users.js';
import { parseUsers } from '../auth/users-parse.js';
import type { ClockState } from '../domain/clock.js';
import { MAX_PIPELINE_DEPTH } from '../domain/deploy-service.js';
import { storedDeployment, type Deployment, type DeploymentState } from '../domain/deployment.js';
import { isJsonObject, nestsDeeperThan } from '../domain/json.js';
import { parseSchedule } from '../domain/schedule.js';
import type { Limits } from '../limits.js';
import type { EntryState, SchedulerState } from '../scheduler/saved-state.js';
import type { Counters, RunBehavior, RunOutcome, TickReason } from '../scheduler/types.js';
import { MOVE_IT_AWAY, StateFileError } from './errors.js';
import { BadChange, replayChanges } from './change-log.js';
import { READABLE_VERSIONS, STATE_FORMAT, STATE_VERSION, type LoadedState } from './format.js';

/**
 * Parses and validates a state file's text; throws StateFileError saying what is wrong. The
 * text is one JSON document (a file of version 1, or one laid out by hand over many lines), or
 * a first line with changes after it.
 */
export function parseStateText(text: string, path: string): LoadedState {
  try {
    return parseStateLines(text, [], path);
  } catch (error) {
    if (!(error instanceof StateFileError && error.code === 'STATE_FILE_NOT_JSON')) throw error;
  }
  const [base, ...changes] = text.split('\n');
  if (changes.at(-1) === '') changes.pop();
  return parseStateLines(base!, changes, path);
}

/**
 * Parses a state file's first line, replays the change lines after it (change-log.ts), and
 * validates the result; throws StateFileError saying what is wrong.
 */
export function parseStateLines(base: string, changes: readonly string[], path: string): LoadedState {
  const data = parseStateDocument(base, path);
  let replayed = data;
  if (changes.length > 0) {
    if (data['version'] !== STATE_VERSION)
      throw new StateFileError(
        'STATE_FILE_INVALID',
        `State file ${path} is damaged at line 2: a file of version ${JSON.stringify(data['version'])} has one line; ${MOVE_IT_AWAY}`,
      );
    try {
      replayed = replayChanges(data, changes, 2);
    } catch (error) {
      if (!(error instanceof BadChange)) throw error;
      throw new StateFileError('STATE_FILE_INVALID', `State file ${path} is damaged at ${error.message}; ${MOVE_IT_AWAY}`);
    }
  }
  try {
    return loadedState(replayed);
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    const where = changes.length > 0 ? ` (with the changes after its first line replayed)` : '';
    throw new StateFileError('STATE_FILE_INVALID', `State file ${path} is damaged at ${error.message}${where}; ${MOVE_IT_AWAY}`);
  }
}

/** A state file's first line as a JSON object of a format and version this kit reads; throws StateFileError if it is not. */
export function parseStateDocument(text: string, path: string): Record<string, unknown> {
  if (text.trim() === '')
    throw new StateFileError('STATE_FILE_NOT_JSON', `State file ${path} is empty, so it is not a state file: ${MOVE_IT_AWAY}`);
  if (text.startsWith('\uFEFF')) {
    throw new StateFileError(
      'STATE_FILE_NOT_JSON',
      `State file ${path} starts with a byte order mark (U+FEFF, an editor added it?), which JSON does not allow: save it as UTF-8 without BOM, or ${MOVE_IT_AWAY}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the file, which may be binary.
    throw new StateFileError(
      'STATE_FILE_NOT_JSON',
      `State file ${path} is not valid JSON (damaged, cut short, or another kind of file): ${MOVE_IT_AWAY}`,
    );
  }
  if (!isJsonObject(data) || data['format'] !== STATE_FORMAT) {
    throw new StateFileError(
      'STATE_FILE_FOREIGN',
      `${path} is not a rocketride-deploy-kit state file (it has no "format": "${STATE_FORMAT}"): ${MOVE_IT_AWAY}`,
    );
  }
  if (!READABLE_VERSIONS.includes(data['version'] as number)) {
    throw new StateFileError(
      'STATE_FILE_VERSION',
      `State file ${path} has version ${JSON.stringify(data['version'])}, and this rocketride-deploy-kit reads versions ${READABLE_VERSIONS.join(' and ')} only: ` +
        `use the version that wrote it, or ${MOVE_IT_AWAY}`,
    );
  }
  return data;
}

/** The limits on what is stored, which a loaded state must fit like any `add` or `update`. */
type StoredLimits = Pick<
  Limits,
  'maxPipelineBytes' | 'maxProjectIdLength' | 'maxDeploymentsPerUser' | 'maxStoredBytesPerUser' | 'maxStoredBytes'
>;

/**
 * Refuses a state that holds more than `limits` allow (a file saved by a server started with
 * higher limits): keeping it would make the limits a lie. Names each limit passed, with the
 * value that would fit, so one restart with those flags loads it.
 */
export function checkWithinLimits(state: LoadedState, limits: StoredLimits, path: string): void {
  const needed: Record<keyof StoredLimits, number> = {
    maxPipelineBytes: 0,
    maxProjectIdLength: 0,
    maxDeploymentsPerUser: 0,
    maxStoredBytesPerUser: 0,
    maxStoredBytes: 0,
  };
  const perUser = new Map<string, { held: number; bytes: number }>();
  for (const d of state.deployments) {
    const pipelineBytes = Buffer.byteLength(d.pipelineJson, 'utf8');
    needed.maxPipelineBytes = Math.max(needed.maxPipelineBytes, pipelineBytes);
    needed.maxProjectIdLength = Math.max(needed.maxProjectIdLength, codePoints(d.projectId));
    // What the store counts (storedBytes): the pipeline's JSON and the project id.
    const bytes = pipelineBytes + Buffer.byteLength(d.projectId, 'utf8');
    const mine = perUser.get(d.ownerId) ?? { held: 0, bytes: 0 };
    mine.held += 1;
    mine.bytes += bytes;
    perUser.set(d.ownerId, mine);
    needed.maxDeploymentsPerUser = Math.max(needed.maxDeploymentsPerUser, mine.held);
    needed.maxStoredBytesPerUser = Math.max(needed.maxStoredBytesPerUser, mine.bytes);
    needed.maxStoredBytes += bytes;
  }
  const over = (Object.keys(needed) as Array<keyof StoredLimits>).filter((name) => needed[name] > limits[name]);
  if (over.length === 0) return;
  const what = {
    maxPipelineBytes: (n: number) => `a pipeline of ${n} bytes`,
    maxProjectIdLength: (n: number) => `a project id of ${n} characters`,
    maxDeploymentsPerUser: (n: number) => `${n} deployments of one user`,
    maxStoredBytesPerUser: (n: number) => `${n} bytes stored by one user`,
    maxStoredBytes: (n: number) => `${n} bytes stored in all`,
  };
  throw new StateFileError(
    'STATE_FILE_MISMATCH',
    `State file ${path} holds more than this server's limits allow (${over.map((name) => `${what[name](needed[name])}, over ${limits[name]}`).join('; ')}): ` +
      `start it with ${over.map((name) => `${flagOf(name)} ${needed[name]}`).join(' ')} or more (limits.${over.join(', limits.')} in createMockServer), or ${MOVE_IT_AWAY}`,
  );
}

/** `maxPipelineBytes` -> `--max-pipeline-bytes`, the `serve` flag that sets it. */
function flagOf(limit: string): string {
  return `--${limit.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** A bad value: its JSON path and what is wrong with it. */
class Invalid extends Error {}

function bad(at: string, what: string): Invalid {
  return new Invalid(`${at}: ${what}`);
}

function loadedState(data: Record<string, unknown>): LoadedState {
  const deployments = array(data['deployments'], 'deployments').map((d, i) => deployment(d, `deployments[${i}]`));
  const scheduler = schedulerState(data['scheduler'], 'scheduler');
  checkEntriesMatch(deployments, scheduler);
  return {
    version: data['version'] as number,
    clock: clockState(data['clock'], 'clock'),
    timezone: string(data['timezone'], 'timezone'),
    users: usersState(data['users'], 'users'),
    deployments,
    scheduler,
  };
}

// ---- parts ----

function clockState(value: unknown, at: string): ClockState {
  const c = object(value, at);
  return {
    mode: choice(c['mode'], `${at}.mode`, ['fake', 'real'] as const),
    nowMs: instant(c['nowMs'], `${at}.nowMs`),
    offsetMs: integer(c['offsetMs'], `${at}.offsetMs`, -2 * MAX_INSTANT_MS, 2 * MAX_INSTANT_MS),
  };
}

function usersState(value: unknown, at: string): UsersState {
  const u = object(value, at);
  let added;
  try {
    added = parseUsers(array(u['added'], `${at}.added`));
  } catch (error) {
    if (error instanceof Invalid) throw error;
    throw new Invalid((error as Error).message.replace(/^users/, `${at}.added`));
  }
  const revokedKeys = array(u['revokedKeys'], `${at}.revokedKeys`).map((k, i) => string(k, `${at}.revokedKeys[${i}]`));
  return { added, revokedKeys };
}

const DEPLOYMENT_STATES = ['active', 'paused', 'errored'] as const satisfies readonly DeploymentState[];

function deployment(value: unknown, at: string): Deployment {
  const d = object(value, at);
  const projectId = string(d['projectId'], `${at}.projectId`);
  const pipeline = d['pipeline'];
  if (!isJsonObject(pipeline)) throw bad(`${at}.pipeline`, 'must be an object');
  if (pipeline['project_id'] !== projectId) throw bad(`${at}.pipeline.project_id`, 'must equal the projectId');
  if (nestsDeeperThan(pipeline, MAX_PIPELINE_DEPTH)) throw bad(`${at}.pipeline`, `nests deeper than ${MAX_PIPELINE_DEPTH} levels`);
  const source = string(d['schedule'], `${at}.schedule`);
  let schedule;
  try {
    schedule = parseSchedule(source);
  } catch (error) {
    throw bad(`${at}.schedule`, (error as Error).message);
  }
  return storedDeployment({
    projectId,
    ownerId: string(d['ownerId'], `${at}.ownerId`),
    ownerCredential: string(d['ownerCredential'], `${at}.ownerCredential`),
    pipelineJson: JSON.stringify(pipeline),
    schedule,
    state: choice(d['state'], `${at}.state`, DEPLOYMENT_STATES),
    createdAt: seconds(d['createdAt'], `${at}.createdAt`),
    updatedAt: seconds(d['updatedAt'], `${at}.updatedAt`),
  });
}

function schedulerState(value: unknown, at: string): SchedulerState {
  const s = object(value, at);
  const serial = integer(s['serial'], `${at}.serial`, 0);
  const runSeq = integer(s['runSeq'], `${at}.runSeq`, 0);
  const limits = { serial, runSeq };
  const entries = array(s['entries'], `${at}.entries`).map((e, i) => entryState(e, `${at}.entries[${i}]`, limits, false));
  const serials = new Set<number>();
  entries.forEach((e, i) => {
    if (serials.has(e.serial)) throw bad(`${at}.entries[${i}].serial`, `${e.serial} is used twice`);
    serials.add(e.serial);
  });
  return {
    serial,
    runSeq,
    runBehavior: runBehavior(s['runBehavior'], `${at}.runBehavior`),
    runBehaviors: array(s['runBehaviors'], `${at}.runBehaviors`).map((b, i) => {
      const where = `${at}.runBehaviors[${i}]`;
      const o = object(b, where);
      return {
        userId: string(o['userId'], `${where}.userId`),
        projectId: string(o['projectId'], `${where}.projectId`),
        behavior: runBehavior(o['behavior'], `${where}.behavior`),
      };
    }),
    entries,
    retired: array(s['retired'], `${at}.retired`).map((e, i) => entryState(e, `${at}.retired[${i}]`, limits, true)),
  };
}

const REASONS = ['fired', 'skipped_overlap', 'skipped_paused', 'errored_auth'] as const satisfies readonly TickReason[];
const OUTCOMES = ['completed', 'failed', 'cancelled'] as const satisfies readonly RunOutcome[];
const TRIGGERS = ['schedule', 'manual'] as const;
const COUNTERS = [...REASONS, ...OUTCOMES] as const;

function entryState(value: unknown, at: string, limits: { serial: number; runSeq: number }, retired: boolean): EntryState {
  const e = object(value, at);
  const runNumber = (v: unknown, where: string) => integer(v, where, 1, limits.runSeq);
  const counters = object(e['counters'], `${at}.counters`);
  const ticks = array(e['ticks'], `${at}.ticks`).map((t, i): EntryState['ticks'][number] => {
    const where = `${at}.ticks[${i}]`;
    const [tickAt, reason, run] = tuple(t, where, 3);
    return [instant(tickAt, `${where}[0]`), choice(reason, `${where}[1]`, REASONS), integer(run, `${where}[2]`, 0, limits.runSeq)];
  });
  const runs = array(e['runs'], `${at}.runs`).map((r, i): EntryState['runs'][number] => {
    const where = `${at}.runs[${i}]`;
    const [number, trigger, scheduledFor, startedAt, endedAt, outcome] = tuple(r, where, 6);
    const end = nullable(endedAt, (v) => instant(v, `${where}[4]`));
    const how = nullable(outcome, (v) => choice(v, `${where}[5]`, OUTCOMES));
    if ((end === null) !== (how === null)) throw bad(where, 'a run has both an end time and an outcome, or neither');
    return [
      runNumber(number, `${where}[0]`),
      choice(trigger, `${where}[1]`, TRIGGERS),
      instant(scheduledFor, `${where}[2]`),
      instant(startedAt, `${where}[3]`),
      end,
      how,
    ];
  });
  const run = nullable(e['run'], (v) => {
    const o = object(v, `${at}.run`);
    return {
      number: runNumber(o['number'], `${at}.run.number`),
      outcome: choice(o['outcome'], `${at}.run.outcome`, OUTCOMES),
      endAt: nullable(o['endAt'], (t) => instant(t, `${at}.run.endAt`)),
    };
  });
  // Only the newest run can be open, and only while it is the run in progress.
  runs.forEach(([number, , , , endedAt], i) => {
    const inProgress = run !== null && i === runs.length - 1 && number === run.number;
    if ((endedAt === null) !== inProgress)
      throw bad(`${at}.runs[${i}]`, inProgress ? 'the run in progress has ended' : 'an open run that is not the run in progress');
  });
  if (run !== null && runs.at(-1)?.[0] !== run.number) throw bad(`${at}.run`, 'the run in progress is not the newest run of its history');
  const removedAt = retired ? instant(e['removedAt'], `${at}.removedAt`) : undefined;
  return {
    userId: string(e['userId'], `${at}.userId`),
    projectId: string(e['projectId'], `${at}.projectId`),
    serial: integer(e['serial'], `${at}.serial`, 1, limits.serial),
    tickAt: nullable(e['tickAt'], (v) => instant(v, `${at}.tickAt`)),
    run,
    counters: Object.fromEntries(COUNTERS.map((name) => [name, integer(counters[name], `${at}.counters.${name}`, 0)])) as Counters,
    ticks,
    runs,
    ...(removedAt !== undefined && { removedAt }),
  };
}

function runBehavior(value: unknown, at: string): Partial<RunBehavior> {
  const b = object(value, at);
  const out: { -readonly [K in keyof RunBehavior]?: RunBehavior[K] } = {};
  if (b['durationMs'] !== undefined) out.durationMs = integer(b['durationMs'], `${at}.durationMs`, 0);
  if (b['outcome'] !== undefined) out.outcome = choice(b['outcome'], `${at}.outcome`, ['completed', 'failed'] as const);
  if (b['hold'] !== undefined) {
    if (typeof b['hold'] !== 'boolean') throw bad(`${at}.hold`, 'must be true or false');
    out.hold = b['hold'];
  }
  return out;
}

/** Every deployment has exactly one scheduling entry, and every entry a deployment. */
function checkEntriesMatch(deployments: readonly Deployment[], scheduler: SchedulerState): void {
  const key = (userId: string, projectId: string) => JSON.stringify([userId, projectId]);
  const stored = new Set<string>();
  deployments.forEach((d, i) => {
    const k = key(d.ownerId, d.projectId);
    if (stored.has(k)) throw bad(`deployments[${i}]`, `user '${d.ownerId}' has deployment '${d.projectId}' twice`);
    stored.add(k);
  });
  const scheduled = new Set<string>();
  scheduler.entries.forEach((e, i) => {
    const k = key(e.userId, e.projectId);
    if (!stored.has(k) || scheduled.has(k)) {
      throw bad(
        `scheduler.entries[${i}]`,
        `'${e.projectId}' of user '${e.userId}' is ${scheduled.has(k) ? 'scheduled twice' : 'not a deployment'}`,
      );
    }
    scheduled.add(k);
  });
  const unscheduled = deployments.findIndex((d) => !scheduled.has(key(d.ownerId, d.projectId)));
  if (unscheduled >= 0) throw bad(`deployments[${unscheduled}]`, 'has no scheduling entry in scheduler.entries');
}

// ---- values ----

/** The last instant a Date holds; every saved time must be a real instant. */
const MAX_INSTANT_MS = 8.64e15;

function object(value: unknown, at: string): Record<string, unknown> {
  if (!isJsonObject(value)) throw bad(at, 'must be an object');
  return value;
}

function array(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) throw bad(at, 'must be an array');
  return value;
}

function tuple(value: unknown, at: string, length: number): unknown[] {
  const items = array(value, at);
  if (items.length !== length) throw bad(at, `must have ${length} items`);
  return items;
}

function string(value: unknown, at: string): string {
  if (typeof value !== 'string' || value === '') throw bad(at, 'must be a non-empty string');
  return value;
}

/** A record's time: Unix seconds (fractions allowed) within what a Date holds. */
function seconds(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_INSTANT_MS / 1000) {
    throw bad(at, `must be a time in Unix seconds from ${-MAX_INSTANT_MS / 1000} to ${MAX_INSTANT_MS / 1000}`);
  }
  return value;
}

function integer(value: unknown, at: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw bad(at, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function instant(value: unknown, at: string): number {
  return integer(value, at, -MAX_INSTANT_MS, MAX_INSTANT_MS);
}

function choice<T extends string>(value: unknown, at: string, options: readonly T[]): T {
  if (!options.includes(value as T)) throw bad(at, `must be one of ${options.join(', ')}`);
  return value as T;
}

function nullable<T>(value: unknown, read: (value: unknown) => T): T | null {
  return value === null ? null : read(value);
}
