/**
 * What `stateFile` names, checked before anything is read or locked: a regular file (or none
 * yet) that this server may replace, reached through its real path. A FIFO would hang the start,
 * a read-only file would be silently replaced, and a second name for a file in use (a symbolic
 * or hard link) would get past its lock, which is made next to the name. Node only.
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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
    // No file yet: its directory's real path, if there is one (else the first write says so).
    return realpath(dirname(path)).then(
      (dir) => join(dir, basename(path)),
      () => path,
    );
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
  // The owner's write bit, not access() alone: a server run as root may write any file, and
  // would then replace one its owner made read-only on purpose.
  const readOnly = (info.mode & 0o200) === 0 || !(await writable(real));
  if (readOnly || !(await writable(dirname(real)))) {
    throw new StateFileError(
      'STATE_FILE_READ_ONLY',
      `State file ${readOnly ? `${path} is read-only` : `${path} is in a directory this server cannot write`}, and this server replaces the file at every change: ` +
        `make it writable (chmod u+w) or choose another state file path; the file was left as it is`,
    );
  }
  return real;
}

async function writable(path: string): Promise<boolean> {
  return access(path, constants.W_OK).then(
    () => true,
    () => false,
  );
}
