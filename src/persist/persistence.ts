/**
 * The `stateFile` option: locks the file for this server (lock.ts), loads its state at start-up
 * (or starts empty if there is none yet), then writes every change back, group-committed
 * (committer.ts): what changed is appended (change-log.ts), and now and then the whole state is
 * rewritten in its place. Closing writes what is left and releases the lock.
 */
import type { DeployCore } from '../core-build.js';
import { isCommitLine, replayChanges } from './change-log.js';
import { ChangeTracker } from './changes.js';
import { StateCommitter, type Durability } from './committer.js';
import { StateFileError } from './errors.js';
import { lockStateFile } from './lock.js';
import { restoreState } from './snapshot.js';
import { cutToCommitted, fingerprintOf, readStateFile, removeLeftoverTemp, type StateFileContent } from './state-file.js';
import { StateFileWriter, type StateWrite } from './state-writer.js';
import { resolveStatePath } from './state-path.js';
import { parseStateDocument, parseStateLines, parseStateText } from './validate.js';
import { STATE_VERSION, type LoadedState } from './format.js';
import { readFile } from 'node:fs/promises';

export interface Persistence {
  readonly path: string;
  readonly committer: Durability;
  /**
   * Writes what is not on disk yet, stops following changes and releases the lock. Resolves
   * whether all of it was saved.
   */
  close(): Promise<boolean>;
  /**
   * Releases the lock without writing, for a server that will not serve after all (its start
   * failed after the file was opened). close() does it too. Safe to call more than once.
   */
  release(): Promise<void>;
}

/**
 * Loads `path` into `core` (built, not serving yet) and keeps the file up to date from then on.
 * Throws StateFileError, leaving the file as it was, if it is not a state file this server can use
 * or another server uses it.
 */
export async function openStateFile(path: string, core: DeployCore, log: ((line: string) => void) | undefined): Promise<Persistence> {
  // Reads, writes and the lock go through the real path: two names of one file share one lock.
  const real = await resolveStatePath(path);
  const lock = await lockStateFile(real);
  let content: StateFileContent | undefined;
  let restored: { changed: boolean };
  /** The file's end past its last commit, which appends must not follow: the first write is then whole. */
  let tornTail = false;
  /** Whether commits may be appended to the file as it is: a first line of this version, ended by a newline. */
  let appendable: boolean;
  try {
    content = await readStateFile(real, path, isCommitLine);
    const loaded = content === undefined ? undefined : await loadState(real, path, content);
    restored = loaded === undefined ? { changed: false } : restoreState(core, loaded.state, path);
    // A file read whole (laid out by hand over many lines) has no commits: nothing of it is a torn tail.
    if (loaded?.asLines) tornTail = content!.totalBytes > content!.committedBytes;
    appendable = loaded !== undefined && loaded.asLines && content!.baseEnded && loaded.state.version === STATE_VERSION;
    // Only the lock's holder may touch the temporary file, or cut the file: it may be another server's write.
    if (lock.held) {
      await removeLeftoverTemp(real);
      if (tornTail) await cutToCommitted(real, content!);
      tornTail = false;
    }
  } catch (error) {
    await lock.release();
    throw error;
  }
  /** Which file this server last read or wrote: another server's write changes it. */
  let fingerprint = await fingerprintOf(real);
  const writer = new StateFileWriter(
    real,
    content,
    appendable,
    core,
    async () => {
      fingerprint = await fingerprintOf(real);
    },
    (error) =>
      log?.(`could not compact the state file ${path}: ${describe(error)}; it keeps its changes appended, and grows until the next try`),
  );
  /** Set for good once another server is found to have written the file: it must not be overwritten. */
  let overtaken: StateFileError | undefined;
  /** The lock could not be made at start-up (its folder removed in between...): take it now, if the file is still as loaded. */
  const lockLate = async () => {
    await lock.ensure();
    if ((await fingerprintOf(real)) === fingerprint) return;
    overtaken = new StateFileError(
      'STATE_FILE_LOCKED',
      `State file ${path} was written by another server since this one started, so this one no longer saves its state: ` +
        `restart it to load that file, or choose another state file path`,
    );
    await lock.release();
  };
  // The tracker tells the committer of each change; the committer takes the tracker's changes at each write.
  const changes = new ChangeTracker(() => committer.changed());
  const committer = new StateCommitter<StateWrite>(
    () => writer.plan(core, changes.take()),
    async (write) => {
      if (overtaken === undefined && !lock.held) await lockLate();
      if (overtaken !== undefined) throw overtaken;
      await writer.write(write);
    },
    (error) => {
      // What the failed write held is not on disk, and part of it may be: the next write is whole.
      changes.needWhole();
      log?.(`could not save the state to ${path}: ${describe(error)}; changes stay in memory, and the next write tries again`);
    },
  );
  core.onStateChange(changes);
  if (tornTail) changes.needWhole();
  if (restored.changed) changes.anythingChanged();
  return {
    path,
    committer,
    close: async () => {
      try {
        const saved = await committer.flush();
        core.onStateChange(undefined);
        await writer.settled(); // a compaction under way: the next start loads a shorter file
        return saved;
      } finally {
        await lock.release();
      }
    },
    release: () => lock.release(),
  };
}

/**
 * The state in a file as read: its first line and the changes after it, or, when the first line
 * is not a whole JSON document, the whole file as one (a file laid out over many lines by hand).
 */
async function loadState(real: string, path: string, content: StateFileContent): Promise<{ state: LoadedState; asLines: boolean }> {
  try {
    return { state: parseStateLines(content.base, content.changes, path), asLines: true };
  } catch (error) {
    if (!(error instanceof StateFileError && error.code === 'STATE_FILE_NOT_JSON' && content.manyLines)) throw error;
  }
  let text;
  try {
    text = await readFile(real, 'utf8');
  } catch {
    return { state: parseStateLines(content.base, content.changes, path), asLines: true }; // the first refusal, then
  }
  return { state: parseStateText(text, path), asLines: false };
}

/**
 * A state file's state as one document of version 1's form: its first line with the changes
 * after it replayed (not validated). Undefined when there is no file. For tools and tests that
 * look into a file; a server loads one with openStateFile.
 */
export async function readStateDocument(path: string): Promise<Record<string, unknown> | undefined> {
  const content = await readStateFile(path, path, isCommitLine);
  if (content === undefined) return undefined;
  const base = parseStateDocument(content.base, path);
  return content.changes.length === 0 ? base : replayChanges(base, content.changes, 2);
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e?.code ? `${e.code} (${e.message})` : String(error);
}
