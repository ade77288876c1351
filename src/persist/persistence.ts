/**
 * The `stateFile` option: locks the file for this server (lock.ts), loads its state at start-up
 * (or starts empty if there is none yet), then writes every change back, group-committed
 * (committer.ts): what changed is appended (change-log.ts), and now and then the whole state is
 * rewritten in its place. Closing writes what is left and releases the lock.
 */
import type { DeployCore } from '../core-build.js';
import { commitLines, isCommitLine, replayChanges } from './change-log.js';
import { ChangeTracker, type TakenChanges } from './changes.js';
import { StateCommitter, type Durability } from './committer.js';
import { StateFileError } from './errors.js';
import { STATE_VERSION } from './format.js';
import { lockStateFile } from './lock.js';
import { snapshotChunks, restoreState } from './snapshot.js';
import {
  appendStateFile,
  cutToCommitted,
  fingerprintOf,
  readStateFile,
  removeLeftoverTemp,
  writeStateFile,
  type StateFileContent,
} from './state-file.js';
import { resolveStatePath } from './state-path.js';
import { parseStateDocument, parseStateLines, parseStateText } from './validate.js';
import type { LoadedState } from './format.js';
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
  try {
    content = await readStateFile(real, path, isCommitLine);
    restored = content === undefined ? { changed: false } : restoreState(core, await loadState(real, path, content), path);
    // Only the lock's holder may touch the temporary file, or cut the file: it may be another server's write.
    if (lock.held) {
      await removeLeftoverTemp(real);
      if (content !== undefined) await cutToCommitted(real, content);
    }
  } catch (error) {
    await lock.release();
    throw error;
  }
  const file = new FileShape(content);
  /** Which file this server last read or wrote: another server's write changes it. */
  let fingerprint = await fingerprintOf(real);
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
    () => file.nextWrite(core, changes.take()),
    async (write) => {
      if (overtaken === undefined && !lock.held) await lockLate();
      if (overtaken !== undefined) throw overtaken;
      if (write.whole) await writeStateFile(real, write.chunks);
      else await appendStateFile(real, write.chunks);
      file.written(write);
      fingerprint = await fingerprintOf(real);
    },
    (error) => {
      // What the failed write held is not on disk, and part of it may be: the next write is whole.
      changes.needWhole();
      log?.(`could not save the state to ${path}: ${describe(error)}; changes stay in memory, and the next write tries again`);
    },
  );
  core.onStateChange(changes);
  if (restored.changed) changes.anythingChanged();
  return {
    path,
    committer,
    close: async () => {
      try {
        const saved = await committer.flush();
        core.onStateChange(undefined);
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
async function loadState(real: string, path: string, content: StateFileContent): Promise<LoadedState> {
  try {
    return parseStateLines(content.base, content.changes, path);
  } catch (error) {
    if (!(error instanceof StateFileError && error.code === 'STATE_FILE_NOT_JSON' && content.manyLines)) throw error;
  }
  let text;
  try {
    text = await readFile(real, 'utf8');
  } catch {
    return parseStateLines(content.base, content.changes, path); // the first refusal, then
  }
  return parseStateText(text, path);
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

/** A write the committer hands to the disk: the whole state, or a commit to append. */
interface StateWrite {
  readonly whole: boolean;
  readonly chunks: readonly string[];
  readonly bytes: number;
}

/** Appended changes are rewritten as a whole state once they are this long, or as long as the state, whichever is more. */
const COMPACT_AFTER_BYTES = 4 * 1024 * 1024;

/**
 * The file's shape: how long its first line (the whole state) and the changes after it are, so
 * that a write appends a commit until the changes outgrow the state, and then rewrites the
 * whole state (compaction): each byte of a change is written at most about twice, and a load
 * replays no more changes than the state is long.
 */
class FileShape {
  #baseBytes: number;
  #changeBytes: number;
  /** Whether a commit may be appended: the file ends with a complete line of this version. */
  appendable: boolean;

  constructor(content: StateFileContent | undefined) {
    this.appendable = content !== undefined && content.baseEnded && parseVersion(content.base) === STATE_VERSION;
    const baseBytes = content === undefined ? 0 : Buffer.byteLength(content.base, 'utf8') + 1;
    this.#baseBytes = baseBytes;
    this.#changeBytes = content === undefined ? 0 : content.committedBytes - baseBytes;
  }

  /** The next write for `changes`: a commit to append, unless the whole state is due. */
  nextWrite(core: DeployCore, changes: TakenChanges): StateWrite {
    if (!changes.whole && this.appendable && this.#changeBytes < Math.max(COMPACT_AFTER_BYTES, this.#baseBytes)) {
      const chunks = commitLines(core, changes);
      return { whole: false, chunks, bytes: byteLength(chunks) };
    }
    const chunks = snapshotChunks(core);
    return { whole: true, chunks, bytes: byteLength(chunks) };
  }

  written(write: StateWrite): void {
    if (write.whole) {
      this.#baseBytes = write.bytes;
      this.#changeBytes = 0;
      this.appendable = true;
    } else this.#changeBytes += write.bytes;
  }
}

function byteLength(chunks: readonly string[]): number {
  let bytes = 0;
  for (const chunk of chunks) bytes += Buffer.byteLength(chunk, 'utf8');
  return bytes;
}

/** The version a first line says it has (it was validated on load). */
function parseVersion(base: string): unknown {
  const match = /"version":(\d+)/.exec(base.slice(0, 200));
  return match ? Number(match[1]) : undefined;
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e?.code ? `${e.code} (${e.message})` : String(error);
}
