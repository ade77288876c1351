/**
 * The changes appended to a state file between whole writes. Each write appends one commit:
 * a line per changed deployment (its record and scheduling, or its removal), per retired
 * entry that came or went, the users and run behaviors when a control operation ran, and last
 * a `commit` line with the clock and counters. A commit counts only once its `commit` line is
 * complete: a crash in the middle of one leaves lines that the reader drops. Loading replays
 * the commits over the first line's state, then validates the result like any state. No I/O.
 */
import type { DeployCore } from '../core-build.js';
import { keyOf } from '../scheduler/entry.js';
import { entryState } from '../scheduler/saved-state.js';
import type { TakenChanges } from './changes.js';
import { deploymentChunks } from './snapshot.js';

/** How every commit line starts: the reader finds the commits without parsing every line. */
const COMMIT_START = '{"op":"commit"';

export function isCommitLine(line: string): boolean {
  return line.startsWith(COMMIT_START);
}

/** One commit's lines for `changes`, read from `core` now: newline-terminated, in chunks (a pipeline is a chunk of its own). */
export function commitLines(core: DeployCore, changes: TakenChanges, savedAt: Date = new Date()): string[] {
  const lines: string[] = [];
  const scheduler = core.scheduler;
  for (const [key, { userId, projectId }] of changes.deployments) {
    const record = core.deploy.find(userId, projectId);
    const entry = scheduler.entries.get(key);
    if (record && entry)
      lines.push(`{"op":"put","deployment":`, ...deploymentChunks(record), `,"entry":${JSON.stringify(entryState(entry))}}\n`);
    else lines.push(`${JSON.stringify({ op: 'delete', userId, projectId })}\n`);
  }
  for (const change of changes.retired) {
    if ('retired' in change) lines.push(`{"op":"retire","entry":${JSON.stringify(entryState(change.retired))}}\n`);
    else lines.push(`${JSON.stringify({ op: 'forget', serial: change.forgotten.serial })}\n`);
  }
  if (changes.control) {
    lines.push(`${JSON.stringify({ op: 'users', users: core.users.exportState() })}\n`);
    lines.push(`${JSON.stringify({ op: 'behaviors', ...scheduler.behaviors.exportState() })}\n`);
  }
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
        // Added again after a removal: it goes last, as it does in the server.
        if (!Object.is(entries.get(key)?.['serial'], entry['serial'])) {
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
