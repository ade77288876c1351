/**
 * The `stateFile` option: loads a server's state from its file at start-up (or starts empty if
 * there is none yet), then writes every change back, group-committed (committer.ts).
 */
import type { DeployCore } from '../core-build.js';
import { StateCommitter } from './committer.js';
import { snapshotText, restoreState } from './snapshot.js';
import { readStateFile, removeLeftoverTemp, writeStateFile } from './state-file.js';
import { parseStateText } from './validate.js';

export interface Persistence {
  readonly path: string;
  readonly committer: StateCommitter;
  /** Writes what is not on disk yet, then stops following changes. Resolves whether all of it was saved. */
  close(): Promise<boolean>;
}

/**
 * Loads `path` into `core` (built, not serving yet) and keeps the file up to date from then on.
 * Throws StateFileError, leaving the file as it was, if it is not a state file this server can use.
 */
export async function openStateFile(path: string, core: DeployCore, log: ((line: string) => void) | undefined): Promise<Persistence> {
  const text = await readStateFile(path);
  const restored = text === undefined ? { changed: false } : restoreState(core, parseStateText(text, path), path);
  await removeLeftoverTemp(path);
  const committer = new StateCommitter(
    () => snapshotText(core),
    (snapshot) => writeStateFile(path, snapshot),
    (error) => log?.(`could not save the state to ${path}: ${describe(error)}; changes stay in memory, and the next write tries again`),
  );
  core.onStateChange(() => committer.changed());
  if (restored.changed) committer.changed();
  return {
    path,
    committer,
    close: async () => {
      const saved = await committer.flush();
      core.onStateChange(() => {});
      return saved;
    },
  };
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e?.code ? `${e.code} (${e.message})` : String(error);
}
