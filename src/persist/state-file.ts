/**
 * The state file on disk: reading it (or learning it is not there yet), and replacing it
 * atomically, so that a crash or `kill -9` at any moment leaves either the previous complete
 * file or the new complete file, never a mix: the new text goes to a temporary file in the
 * same directory, is flushed to the disk, renamed over the old one, and the rename itself is
 * flushed by syncing the directory. The text comes in chunks and is written in batches, never
 * joined into one string: a state may be larger than the longest string V8 can make. Node only.
 */
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MOVE_IT_AWAY, StateFileError } from './errors.js';

/** The temporary file a write goes through (one server per state file). */
export function tempPathOf(path: string): string {
  return `${path}.rrdk-tmp`;
}

/** The file holds API keys: only its owner may read it. */
const FILE_MODE = 0o600;

/** The file's text, or undefined when there is no file yet. Throws StateFileError (naming it `shown`) if it cannot be read. */
export async function readStateFile(path: string, shown = path): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (error instanceof RangeError)
      throw new StateFileError(
        'STATE_FILE_UNREADABLE',
        `Cannot read state file ${shown}: it is larger than one JavaScript string can hold (about 512 MiB of text), so it cannot be ` +
          `loaded (it was saved with the storage limits raised that far). Keep it, and start with another --state-file or none; ` +
          `keep --max-stored-bytes well below 512 MiB when a state file is to be loaded again`,
      );
    const why =
      code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? String(error));
    throw new StateFileError('STATE_FILE_UNREADABLE', `Cannot read state file ${shown} (${why}): ${MOVE_IT_AWAY}`);
  }
}

/**
 * Removes what an interrupted write left behind. Never needed for correctness (only the state
 * file itself is ever read), but a stale temporary file would sit next to it for ever.
 */
export async function removeLeftoverTemp(path: string): Promise<void> {
  await rm(tempPathOf(path), { force: true }).catch(() => {});
}

/**
 * Replaces the file's content with the concatenation of `chunks`, atomically and durably (see
 * the module comment).
 */
export async function writeStateFile(path: string, chunks: readonly string[]): Promise<void> {
  const temp = tempPathOf(path);
  // Made afresh each time, so its mode is ours even if a leftover had another.
  await rm(temp, { force: true });
  await createFlushed(temp, chunks, FILE_MODE);
  await rename(temp, path);
  await syncDirectory(dirname(path));
}

/**
 * Creates `path` only if there is none (`wx`), with the concatenation of `chunks` flushed to
 * the disk before it resolves; on failure nothing is left behind. Used for the temp file and
 * the lock.
 */
export async function createFlushed(path: string, chunks: readonly string[], mode?: number): Promise<void> {
  const file = await open(path, 'wx', mode);
  try {
    // Given an iterable, writeFile encodes and writes one batch at a time (in full, even if the
    // system takes part of it at first): the text is never whole in memory.
    await writeFile(file, writeBatches(chunks), 'utf8');
    await file.sync();
  } catch (error) {
    await file.close().catch(() => {});
    await rm(path, { force: true }).catch(() => {});
    throw error;
  }
  await file.close();
}

/** About 1 MiB of text per write: few system calls, and little more memory than the chunks hold already. */
const BATCH_CHARS = 1024 * 1024;

/**
 * The chunks joined into batches to write one after the other: consecutive chunks up to
 * `limit` characters together, and a longer chunk alone, as it is.
 */
export function* writeBatches(chunks: readonly string[], limit = BATCH_CHARS): Generator<string> {
  let batch: string[] = [];
  let length = 0;
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (length > 0 && length + chunk.length > limit) {
      yield batch.length === 1 ? batch[0]! : batch.join('');
      batch = [];
      length = 0;
    }
    batch.push(chunk);
    length += chunk.length;
  }
  if (length > 0) yield batch.length === 1 ? batch[0]! : batch.join('');
}

/** Makes a rename in `dir` durable. Some systems (Windows) cannot open a directory: nothing to do there. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    if (isUnsupported(error)) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!isUnsupported(error)) throw error;
  } finally {
    await handle.close();
  }
}

function isUnsupported(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'ENOTSUP';
}
