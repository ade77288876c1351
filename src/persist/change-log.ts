/**
 * The changes appended to a state file between whole writes. Each write appends one commit:
 * a line per changed deployment (its record and scheduling, or its removal), per retired
 * entry that came or went, the users and run behaviors when a control operation ran, and last
 * a `commit` line with the clock and counters. A commit counts only once its `commit` line is
 * complete: a crash in the middle of one leaves lines that the reader drops. Loading replays
 * the commits over the first line's state, then validates the result like any state. No I/O.
 */
import type { DeployCore } from '../core-build.js';
import type { Deployment } from '../domain/deployment.js';
import { keyOf, type Entry } from '../scheduler/entry.js';
import { entryState } from '../scheduler/saved-state.js';
import type { TakenChanges } from './changes.js';
import { deploymentChunks } from './snapshot.js';

/** How every commit line starts: the reader finds the commits without parsing every line. */
const COMMIT_START = '{"op":"commit"';

export function isCommitLine(line: string): boolean {
  return line.startsWith(COMMIT_START);
}

/** Where a tick or run log stood when it was last written: the log, and its newest entry's sequence number. */
interface LogMark {
  readonly log: HistoryLogLike;
  readonly newestSeq: number;
}
type HistoryLogLike = NonNullable<Entry['ticks'] | Entry['runs']>;

/**
 * What the file holds already: how far each deployment's tick and run history is in it, so
 * that a `put` carries only the entries that are new (and the newest written one again: a run
 * ends after it was written), with how many of the older ones the file keeps (a tick then
 * costs its own entry, not the deployment's whole history); and which users and run behaviors.
 */
export class WrittenState {
  #marks = new WeakMap<Entry, { ticks: LogMark | undefined; runs: LogMark | undefined }>();
  /** The users' and the run behaviors' versions the file holds: a commit writes them when they moved, whatever moved them. */
  readonly #versions = { users: -1, behaviors: -1 };

  /** Everything in `core` is in the file as it is now (a whole write, a load). */
  markAll(core: DeployCore): void {
    this.#marks = new WeakMap();
    for (const entry of core.scheduler.entries.values()) this.#mark(entry);
    this.#versions.users = core.users.version;
    this.#versions.behaviors = core.scheduler.behaviors.version;
  }

  /** Whether the users or the run behaviors changed since the file last got them; now marked as written. */
  moved(part: 'users' | 'behaviors', version: number): boolean {
    const moved = version !== this.#versions[part];
    this.#versions[part] = version;
    return moved;
  }

  /** The entry's state for a `put` (only what the file lacks, and `kept`, unless the file has none of it), now marked as written. */
  entryText(entry: Entry): string {
    const marks = this.#marks.get(entry);
    if (marks === undefined) {
      this.#mark(entry);
      return `"entry":${JSON.stringify(entryState(entry))}`;
    }
    const ticks = resent(entry.ticks, marks.ticks);
    const runs = resent(entry.runs, marks.runs);
    this.#mark(entry);
    return `"entry":${JSON.stringify(entryState(entry, { ticks, runs }))},"kept":${JSON.stringify({ ticks, runs })}`;
  }

  #mark(entry: Entry): void {
    const mark = (log: HistoryLogLike | undefined) => (log && log.size > 0 ? { log, newestSeq: log.newestSeq } : undefined);
    this.#marks.set(entry, { ticks: mark(entry.ticks), runs: mark(entry.runs) });
  }
}

/**
 * Where a log's entries to write start: at the newest one written (sent again), or at the
 * oldest kept if that one is gone or the log is not the one written. It is also how many older
 * entries the file keeps: exactly those before it, which the file holds right before its newest.
 */
function resent(log: HistoryLogLike | undefined, mark: LogMark | undefined): number {
  if (!log || !mark || mark.log !== log) return 0;
  return Math.max(0, log.positionOf(mark.newestSeq));
}

/** One commit's lines for `changes`, read from `core` now: newline-terminated, in chunks (a pipeline is a chunk of its own). */
export function commitLines(core: DeployCore, changes: TakenChanges, written: WrittenState, savedAt: Date = new Date()): string[] {
  const lines: string[] = [];
  const scheduler = core.scheduler;
  const puts: Array<{ record: Deployment; entry: Entry }> = [];
  for (const [key, { userId, projectId }] of changes.deployments) {
    const record = core.deploy.find(userId, projectId);
    const entry = scheduler.entries.get(key);
    if (record && entry) puts.push({ record, entry });
    else lines.push(`${JSON.stringify({ op: 'delete', userId, projectId })}\n`);
  }
  // In serial order: a deployment new to the file goes last in the replay, as it went last in the server.
  puts.sort((a, b) => a.entry.serial - b.entry.serial);
  for (const { record, entry } of puts)
    lines.push(`{"op":"put","deployment":`, ...deploymentChunks(record), `,${written.entryText(entry)}}\n`);
  for (const change of changes.retired) {
    if ('retired' in change) lines.push(`{"op":"retire","entry":${JSON.stringify(entryState(change.retired))}}\n`);
    else lines.push(`${JSON.stringify({ op: 'forget', serial: change.forgotten.serial })}\n`);
  }
  if (written.moved('users', core.users.version)) lines.push(`${JSON.stringify({ op: 'users', users: core.users.exportState() })}\n`);
  if (written.moved('behaviors', scheduler.behaviors.version))
    lines.push(`${JSON.stringify({ op: 'behaviors', ...scheduler.behaviors.exportState() })}\n`);
  const commit = {
    op: 'commit',
    savedAt: savedAt.toISOString(),
    clock: core.clock.exportState(),
    timezone: scheduler.timezone,
    serial: scheduler.serial,
    runSeq: scheduler.runSeq,
  };
  lines.push(`${JSON.stringify(commit)}\n`);
  return lines;
}

/** A change line that cannot be replayed: where, and why. */
export class BadChange extends Error {}

type Raw = Record<string, unknown>;

/**
 * The state of `base` (a state file's first line, parsed) with the commits of `lines` replayed
 * over it, as one document of the same form. `firstLine` numbers the first of `lines` in the
 * file, for the errors. Checks only what replaying needs: the result is validated as a whole.
 */
export function replayChanges(base: Raw, lines: readonly string[], firstLine: number): Raw {
  const scheduler = isObject(base['scheduler']) ? base['scheduler'] : {};
  const records = keyed(base['deployments'], (d) => [d['ownerId'], d['projectId']]);
  const entries = keyed(scheduler['entries'], (e) => [e['userId'], e['projectId']]);
  let retired: unknown[] = Array.isArray(scheduler['retired']) ? [...(scheduler['retired'] as unknown[])] : [];
  const head: Raw = {};
  const schedulerHead: Raw = {};
  lines.forEach((text, i) => {
    const at = `line ${firstLine + i}`;
    let change: unknown;
    try {
      change = JSON.parse(text);
    } catch {
      throw new BadChange(`${at}: not valid JSON`);
    }
    if (!isObject(change)) throw new BadChange(`${at}: not a JSON object`);
    switch (change['op']) {
      case 'put': {
        const record = objectAt(change, 'deployment', at);
        const entry = objectAt(change, 'entry', at);
        const key = keyFrom(record['ownerId'], record['projectId'], `${at}: deployment`);
        if (keyFrom(entry['userId'], entry['projectId'], `${at}: entry`) !== key)
          throw new BadChange(`${at}: the entry is not the deployment's`);
        const previous = entries.get(key);
        if (change['kept'] !== undefined) {
          // Only the newest history: over the file's, of which `kept` entries (before its newest) stay.
          if (!previous || !Object.is(previous['serial'], entry['serial']))
            throw new BadChange(`${at}: a change to the history of an entry the file does not hold`);
          const kept = objectAt(change, 'kept', at);
          for (const log of ['ticks', 'runs'] as const) entry[log] = keptLog(previous[log], kept[log], at).concat(arrayAt(entry, log, at));
        }
        // Added again after a removal: it goes last, as it does in the server.
        if (!Object.is(previous?.['serial'], entry['serial'])) {
          records.delete(key);
          entries.delete(key);
        }
        records.set(key, record);
        entries.set(key, entry);
        break;
      }
      case 'delete': {
        const key = keyFrom(change['userId'], change['projectId'], at);
        records.delete(key);
        entries.delete(key);
        break;
      }
      case 'retire':
        retired.push(objectAt(change, 'entry', at));
        break;
      case 'forget':
        retired = retired.filter((e) => !isObject(e) || e['serial'] !== change['serial']);
        break;
      case 'users':
        head['users'] = change['users'];
        break;
      case 'behaviors':
        schedulerHead['runBehavior'] = change['runBehavior'];
        schedulerHead['runBehaviors'] = change['runBehaviors'];
        break;
      case 'commit':
        for (const field of ['savedAt', 'clock', 'timezone'] as const) head[field] = change[field];
        for (const field of ['serial', 'runSeq'] as const) schedulerHead[field] = change[field];
        break;
      default:
        throw new BadChange(`${at}: an unknown "op", ${JSON.stringify(change['op'])?.slice(0, 40)}`);
    }
  });
  return {
    ...base,
    ...head,
    deployments: [...records.values()],
    scheduler: { ...scheduler, ...schedulerHead, entries: [...entries.values()], retired },
  };
}

/** The objects of a base array by owner and project id; anything else is left for validation to name, under a key of its own. */
function keyed(value: unknown, ids: (o: Raw) => [unknown, unknown]): Map<string, Raw> {
  const map = new Map<string, Raw>();
  if (!Array.isArray(value)) return map;
  value.forEach((item: unknown, i) => {
    const [userId, projectId] = isObject(item) ? ids(item) : [undefined, undefined];
    const key = typeof userId === 'string' && typeof projectId === 'string' ? keyOf(userId, projectId) : `#${i}`;
    map.set(map.has(key) ? `#${i}` : key, item as Raw);
  });
  return map;
}

/** The `kept` entries of a log before its newest (which the change sends again). */
function keptLog(log: unknown, kept: unknown, at: string): unknown[] {
  if (!Array.isArray(log)) throw new BadChange(`${at}: the history it changes is not a list`);
  if (typeof kept !== 'number' || !Number.isInteger(kept) || kept < 0 || kept > Math.max(0, log.length - 1))
    throw new BadChange(`${at}: "kept" must count entries the file holds`);
  return kept === 0 ? [] : log.slice(0, -1).slice(-kept);
}

function arrayAt(change: Raw, field: string, at: string): unknown[] {
  const value = change[field];
  if (!Array.isArray(value)) throw new BadChange(`${at}: "${field}" must be a list`);
  return value;
}

function keyFrom(userId: unknown, projectId: unknown, at: string): string {
  if (typeof userId !== 'string' || typeof projectId !== 'string') throw new BadChange(`${at}: no owner and project id`);
  return keyOf(userId, projectId);
}

function objectAt(change: Raw, field: string, at: string): Raw {
  const value = change[field];
  if (!isObject(value)) throw new BadChange(`${at}: "${field}" must be an object`);
  return value;
}

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
