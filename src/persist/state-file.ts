/**
 * The state file on disk: reading it (or learning it is not there yet), and replacing it
 * atomically, so that a crash or `kill -9` at any moment leaves either the previous complete
 * file or the new complete file, never a mix: the new text goes to a temporary file in the
 * same directory, is flushed to the disk, renamed over the old one, and the rename itself is
 * flushed by syncing the directory. Between whole writes, changes are appended to it and
 * flushed (change-log.ts says what they hold). The text comes in chunks and is written in
 * batches, never joined into one string: a state may be larger than the longest string V8 can
 * make. Node only.
 */
import { constants } from 'node:buffer';
import { open, rename, rm, stat, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MOVE_IT_AWAY, StateFileError } from './errors.js';

/** The temporary file a write goes through (one server per state file). */
export function tempPathOf(path: string): string {
  return `${path}.rrdk-tmp`;
}

/** The file holds API keys: only its owner may read it. */
const FILE_MODE = 0o600;

/** What a state file holds: its first line (the state as of its last whole write) and the changes appended since. */
export interface StateFileContent {
  /** The first line: one JSON document, the whole state when it was written. */
  readonly base: string;
  /** Whether a newline ends it, so that changes can be appended after it (a file of version 1 has none). */
  readonly baseEnded: boolean;
  /** The change lines after it, up to the last complete commit (change-log.ts), each without its newline. */
  readonly changes: readonly string[];
  /** Where the last complete commit ends: bytes past it are a write cut short, never acknowledged. */
  readonly committedBytes: number;
  /** The file's size as read. */
  readonly totalBytes: number;
  /** Whether there is more than the first line. */
  readonly manyLines: boolean;
}

/**
 * The file's content, or undefined when there is no file yet. Read line by line, so the file
 * may be longer than one string; only one line must fit in one. `isCommit` tells the line that
 * closes a commit: lines after the last one are left out. Throws StateFileError (naming it
 * `shown`) if it cannot be read.
 */
export async function readStateFile(
  path: string,
  shown: string,
  isCommit: (line: string) => boolean,
): Promise<StateFileContent | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(error, shown);
  }
  try {
    let base: string | undefined;
    let baseEnded = false;
    const changes: string[] = [];
    let pending: string[] = [];
    let committedBytes = 0;
    let offset = 0;
    let manyLines = false;
    /** Where the last complete commit starts, in `changes` and in bytes. */
    let last = { start: 0, bytesBefore: 0 };
    for await (const line of lines(handle)) {
      offset += line.bytes;
      if (base === undefined) {
        base = line.text;
        baseEnded = line.complete;
        committedBytes = offset;
        continue;
      }
      manyLines = true;
      if (!line.complete) break; // cut short: it can only be the last
      pending.push(line.text);
      if (isCommit(line.text)) {
        last = { start: changes.length, bytesBefore: committedBytes };
        for (const text of pending) changes.push(text);
        pending = [];
        committedBytes = offset;
      }
    }
    // A power cut can keep a later part of the last write and not an earlier one (the disk puts
    // pages down in any order until the flush returns, and only then was it acknowledged): a
    // last commit with a line that is not JSON is such a write, and is dropped like a cut one.
    // Damage in an earlier commit, flushed before the next was written, is damage: refused on load.
    if (changes.slice(last.start).some((text) => !isJson(text))) {
      changes.length = last.start;
      committedBytes = last.bytesBefore;
    }
    return { base: base ?? '', baseEnded, changes, committedBytes, totalBytes: offset, manyLines };
  } catch (error) {
    throw unreadable(error, shown);
  } finally {
    await handle.close();
  }
}

/** Longest line read as one string: V8's longest string, counted in bytes (a byte is at most one UTF-16 unit). */
const MAX_LINE_BYTES = constants.MAX_STRING_LENGTH;

/** A line too long to be one string: the reader gives up on it at once, rather than gathering it all. */
class LineTooLong extends Error {}

/** The file's lines in order, each with its byte length (newline included) and whether it ended with a newline. */
async function* lines(handle: FileHandle): AsyncGenerator<{ text: string; bytes: number; complete: boolean }> {
  let parts: Buffer[] = [];
  let length = 0;
  const take = (last: Buffer, complete: boolean) => {
    parts.push(last);
    const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length + last.length);
    parts = [];
    length = 0;
    return { text: whole.toString('utf8', 0, whole.length - (complete ? 1 : 0)), bytes: whole.length, complete };
  };
  for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(10, start); end >= 0; end = chunk.indexOf(10, start)) {
      if (length + end - start > MAX_LINE_BYTES) throw new LineTooLong();
      yield take(chunk.subarray(start, end + 1), true);
      start = end + 1;
    }
    if (start < chunk.length) {
      length += chunk.length - start;
      if (length > MAX_LINE_BYTES) throw new LineTooLong();
      parts.push(chunk.subarray(start));
    }
  }
  if (length > 0) {
    const last = parts.pop()!;
    length -= last.length;
    yield take(last, false);
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function unreadable(error: unknown, shown: string): StateFileError {
  if (error instanceof StateFileError) return error;
  if (error instanceof LineTooLong || error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG')
    return new StateFileError(
      'STATE_FILE_UNREADABLE',
      `Cannot read state file ${shown}: it is larger than one JavaScript string can hold (about 512 MiB of text), so it cannot be ` +
        `loaded (it was saved with the storage limits raised that far). Keep it, and start with another --state-file or none; ` +
        `keep --max-stored-bytes well below 512 MiB when a state file is to be loaded again`,
    );
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? String(error));
  return new StateFileError('STATE_FILE_UNREADABLE', `Cannot read state file ${shown} (${why}): ${MOVE_IT_AWAY}`);
}

/**
 * Cuts off what follows the last complete commit (a write that a crash cut short), so that
 * appended commits follow a complete line.
 */
export async function cutToCommitted(path: string, content: StateFileContent): Promise<void> {
  if (content.totalBytes > content.committedBytes) await truncate(path, content.committedBytes);
}

/**
 * Appends the concatenation of `chunks` to the file and flushes it to the disk before it
 * resolves. A crash in between leaves a prefix of it at the end of the file: the reader drops
 * what follows the last complete commit.
 */
export async function appendStateFile(path: string, chunks: readonly string[]): Promise<void> {
  const file = await open(path, 'a');
  try {
    await writeFile(file, writeBatches(chunks), 'utf8');
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** Which file is at `path` now and how long it is: another server's write changes one or the other. */
export async function fingerprintOf(path: string): Promise<string> {
  try {
    const info = await stat(path, { bigint: true });
    return `${info.dev}:${info.ino}:${info.size}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw error;
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
  await writeTempFile(path, chunks);
  await replaceWithTemp(path);
}

/** Writes the concatenation of `chunks` to the state file's temporary file, flushed to the disk. */
export async function writeTempFile(path: string, chunks: readonly string[]): Promise<void> {
  const temp = tempPathOf(path);
  // Made afresh each time, so its mode is ours even if a leftover had another.
  await rm(temp, { force: true });
  await createFlushed(temp, chunks, FILE_MODE);
}

/** Renames the temporary file over the state file, and makes the rename durable. */
export async function replaceWithTemp(path: string): Promise<void> {
  await rename(tempPathOf(path), path);
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
