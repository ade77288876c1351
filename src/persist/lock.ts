/**
 * One server per state file: a lock file next to it (`FILE.lock`), created exclusively and
 * holding the owner's pid and host name. A second server on the same file would remove the
 * first one's temporary file and the two would overwrite each other, so it is refused instead.
 * A lock whose process is gone (a `kill -9`, a crash) is stale and taken over. Node only.
 */
import { readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { StateFileError } from './errors.js';
import { createFlushed } from './state-file.js';

/** The lock file of the state file at `path`. */
export function lockPathOf(path: string): string {
  return `${path}.lock`;
}

/** Who holds a lock, as written in the lock file. */
interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

export interface StateFileLock {
  /** Whether this server holds the lock now. */
  readonly held: boolean;
  /**
   * Takes the lock if it could not be made at start-up (the directory did not exist yet, say).
   * Throws StateFileError STATE_FILE_LOCKED if another server took it meanwhile.
   */
  ensure(): Promise<void>;
  /** Removes the lock file if it is still ours. For good: later writes will not take it again. */
  release(): Promise<void>;
}

/**
 * Locks the state file at `path` for this process. Throws StateFileError STATE_FILE_LOCKED if
 * another live server holds it. If the lock file cannot be made at all (a failure the start-up
 * checks of state-path.ts did not foresee, such as a folder removed in between), no server can
 * write the state file either: the lock is then taken by `ensure()` before the first write.
 */
export async function lockStateFile(path: string): Promise<StateFileLock> {
  let ours: string | undefined;
  let released = false;
  try {
    ours = await acquire(path);
  } catch (error) {
    if (error instanceof StateFileError) throw error;
  }
  return {
    get held() {
      return ours !== undefined;
    },
    async ensure() {
      if (released) throw new Error(`the lock on ${path} was released: this server no longer writes it`);
      ours ??= await acquire(path);
    },
    async release() {
      released = true;
      if (ours === undefined) return;
      const text = ours;
      ours = undefined;
      const lockPath = lockPathOf(path);
      // Someone may have taken over a lock they judged stale: theirs stays.
      if ((await readLock(lockPath)) === text) await rm(lockPath, { force: true });
    },
  };
}

/** Tries a few times (another starting server may take a stale lock away in between); returns the text written. */
async function acquire(path: string): Promise<string> {
  const lockPath = lockPathOf(path);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const text = `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies Holder)}\n`;
    try {
      // Flushed before it resolves, so a reader finds the lock whole (or empty for an instant).
      await createFlushed(lockPath, [text]);
      return text;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const seen = await readLock(lockPath);
    if (seen === undefined) continue; // released just now
    const holder = parseHolder(seen);
    if (holder === undefined || !isStale(holder)) throw lockedError(path, holder);
    await removeIfUnchanged(lockPath, seen);
  }
  throw lockedError(path, parseHolder((await readLock(lockPath)) ?? ''));
}

/** The lock file's text; undefined if there is none, '' if it cannot be read. */
function readLock(lockPath: string): Promise<string | undefined> {
  return readFile(lockPath, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : ''));
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    if (Number.isSafeInteger(h.pid) && (h.pid as number) > 0 && typeof h.host === 'string' && typeof h.since === 'string')
      return h as Holder;
  } catch {
    // not ours: said so by the caller
  }
  return undefined;
}

/** Only a lock of this host can be judged: its process is gone. */
function isStale(holder: Holder): boolean {
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0); // signal 0: only asks whether the process exists
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: it exists, run by another user
  }
}

/**
 * Removes the stale lock `seen`, but not a lock another starting server put in its place
 * meanwhile: the file is first renamed aside (atomic), then checked, and put back if it was not
 * the stale one. (Three servers starting at once on a stale lock could still race; one never does.)
 */
async function removeIfUnchanged(lockPath: string, seen: string): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another server removed it first
    throw error;
  }
  try {
    if ((await readFile(aside, 'utf8')) !== seen) await rename(aside, lockPath);
  } finally {
    await rm(aside, { force: true });
  }
}

function lockedError(path: string, holder: Holder | undefined): StateFileError {
  const lockPath = lockPathOf(path);
  if (holder === undefined) {
    return new StateFileError(
      'STATE_FILE_LOCKED',
      `State file ${path} is locked by ${lockPath}, which does not say which server holds it (one starting right now, or a crash while starting): ` +
        `if no server uses ${path}, delete ${lockPath}`,
    );
  }
  if (holder.host !== hostname()) {
    return new StateFileError(
      'STATE_FILE_LOCKED',
      `State file ${path} is in use by a server on host ${holder.host} (pid ${holder.pid}, since ${holder.since}): ` +
        `stop that server or choose another state file path; if it is no longer running, delete ${lockPath}`,
    );
  }
  const who = holder.pid === process.pid ? `another server in this process (pid ${holder.pid}` : `another server (pid ${holder.pid}`;
  return new StateFileError(
    'STATE_FILE_LOCKED',
    `State file ${path} is in use by ${who}, since ${holder.since}): stop that server or choose another state file path ` +
      `(if pid ${holder.pid} is not a rocketride-deploy-kit server, the lock is left over: delete ${lockPath})`,
  );
}
