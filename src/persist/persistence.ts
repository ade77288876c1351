/**
 * The `stateFile` option: locks the file for this server (lock.ts), loads its state at start-up
 * (or starts empty if there is none yet), then writes every change back, group-committed
 * (committer.ts). Closing writes what is left and releases the lock.
 */
import type { DeployCore } from '../core-build.js';
import { StateCommitter } from './committer.js';
import { StateFileError } from './errors.js';
import { lockStateFile } from './lock.js';
import { snapshotChunks, restoreState } from './snapshot.js';
import { readStateFile, removeLeftoverTemp, writeStateFile } from './state-file.js';
import { resolveStatePath } from './state-path.js';
import { parseStateText } from './validate.js';

export interface Persistence {
  readonly path: string;
  readonly committer: StateCommitter;
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
  let text: string | undefined;
  let restored: { changed: boolean };
  try {
    text = await readStateFile(real, path);
    restored = text === undefined ? { changed: false } : restoreState(core, parseStateText(text, path), path);
    // Only the lock's holder may touch the temporary file: it may be another server's write.
    if (lock.held) await removeLeftoverTemp(real);
  } catch (error) {
    await lock.release();
    throw error;
  }
  const loadedText = text;
  /** Set for good once another server is found to have written the file: it must not be overwritten. */
  let overtaken: StateFileError | undefined;
  /** The lock could not be made at start-up (its folder removed in between...): take it now, if the file is still as loaded. */
  const lockLate = async () => {
    await lock.ensure();
    if ((await readStateFile(real, path)) === loadedText) return;
    overtaken = new StateFileError(
      'STATE_FILE_LOCKED',
      `State file ${path} was written by another server since this one started, so this one no longer saves its state: ` +
        `restart it to load that file, or choose another state file path`,
    );
    await lock.release();
  };
  const committer = new StateCommitter(
    () => snapshotChunks(core),
    async (snapshot) => {
      if (overtaken === undefined && !lock.held) await lockLate();
      if (overtaken !== undefined) throw overtaken;
      await writeStateFile(real, snapshot);
    },
    (error) => log?.(`could not save the state to ${path}: ${describe(error)}; changes stay in memory, and the next write tries again`),
  );
  core.onStateChange(() => committer.changed());
  if (restored.changed) committer.changed();
  return {
    path,
    committer,
    close: async () => {
      try {
        const saved = await committer.flush();
        core.onStateChange(() => {});
        return saved;
      } finally {
        await lock.release();
      }
    },
    release: () => lock.release(),
  };
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e?.code ? `${e.code} (${e.message})` : String(error);
}
