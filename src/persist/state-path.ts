/**
 * What `stateFile` names, checked before anything is read or locked: a regular file (or none
 * yet) that this server may replace, reached through its real path. A FIFO would hang the start,
 * a read-only file would be silently replaced, and a second name for a file in use (a symbolic
 * or hard link) would get past its lock, which is made next to the name. Node only.
 */
import { constants } from 'node:fs';
import { access, lstat, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MOVE_IT_AWAY, StateFileError } from './errors.js';

/**
 * The path every read, write and lock of the state file goes through: `path` with its links
 * resolved (its directory's, when there is no file yet). Throws StateFileError when the file
 * cannot be a state file this server writes; the file is left as it is.
 */
export async function resolveStatePath(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return path; // readStateFile says why
    // No file yet: a link to a file still to be made leads there; the directory must be writable.
    const target = await danglingTarget(path);
    const dir = await realpath(dirname(target)).catch(() => undefined);
    // Refused now, not at every change: a server that cannot save would keep changes it says it lost.
    if (dir === undefined) {
      const folder = resolve(dirname(target));
      throw new StateFileError(
        'STATE_FILE_NO_DIRECTORY',
        `State file ${path} cannot be made: its folder ${folder} does not exist. Create it (mkdir -p ${folder}) or choose a state file path in an existing folder`,
      );
    }
    await refuseReadOnly(path, dir, false);
    return join(dir, basename(target));
  }
  if (info.isDirectory()) return path; // readStateFile: "it is a directory"
  if (!info.isFile()) {
    throw new StateFileError(
      'STATE_FILE_UNREADABLE',
      `State file ${path} is not a regular file (a FIFO, socket or device): ${MOVE_IT_AWAY}`,
    );
  }
  if (info.nlink > 1) {
    throw new StateFileError(
      'STATE_FILE_LINKED',
      `State file ${path} has ${info.nlink} hard links: another of its names may be another server's state file, which this server's lock cannot see. ` +
        `Copy it to a file of its own (cp ${path} NEW) and use that; the file was left as it is`,
    );
  }
  const real = await realpath(path);
  // The owner's write bits, not access() alone: a server run as root may write anything, and
  // would then replace a file (or fill a directory) its owner made read-only on purpose.
  const readOnly = (info.mode & 0o200) === 0 || !(await writable(real));
  await refuseReadOnly(path, dirname(real), readOnly);
  return real;
}

/** The path a symbolic link to a file not made yet points at (links followed); `path` itself otherwise. */
async function danglingTarget(path: string): Promise<string> {
  let at = path;
  for (let hops = 0; hops < 40; hops++) {
    const info = await lstat(at).catch(() => undefined);
    if (!info?.isSymbolicLink()) return at;
    at = resolve(dirname(at), await readlink(at));
  }
  return at;
}

/** Refuses a read-only file (`fileReadOnly`), or a directory the server may not write new files into. */
async function refuseReadOnly(path: string, dir: string, fileReadOnly: boolean): Promise<void> {
  const dirInfo = await stat(dir);
  const dirReadOnly = (dirInfo.mode & 0o200) === 0 || !(await writable(dir));
  if (!fileReadOnly && !dirReadOnly) return;
  throw new StateFileError(
    'STATE_FILE_READ_ONLY',
    `State file ${fileReadOnly ? `${path} is read-only` : `${path} is in a directory this server may not write (${dir})`}, and this server replaces the file at every change: ` +
      `make it writable for the server (chmod u+w, as its owner) or choose another state file path; the file was left as it is`,
  );
}

async function writable(path: string): Promise<boolean> {
  return access(path, constants.W_OK).then(
    () => true,
    () => false,
  );
}
