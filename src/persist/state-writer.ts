/**
 * Writes one state file: appends each commit (change-log.ts), writes the whole state when the
 * changes are not known, and compacts: once the appended changes outgrow the state, the whole
 * state is written to the temporary file in the background while commits go on being appended
 * to the state file; the commits made meanwhile are then appended to the temporary file too,
 * and it is renamed over the state file. So no write ever waits for the whole state but a
 * whole write itself, which is rare (the first one, one after a failure or a reset). Each byte
 * of a change is written about twice at most, and a load replays no more changes than the
 * state is long. Node only.
 */
import type { DeployCore } from '../core-build.js';
import { commitLines, WrittenState } from './change-log.js';
import type { TakenChanges } from './changes.js';
import { snapshotChunks } from './snapshot.js';
import {
  appendStateFile,
  removeLeftoverTemp,
  replaceWithTemp,
  tempPathOf,
  writeStateFile,
  writeTempFile,
  type StateFileContent,
} from './state-file.js';

/** A write the committer hands to the disk: the whole state, or a commit to append. */
export interface StateWrite {
  readonly whole: boolean;
  readonly chunks: readonly string[];
  readonly bytes: number;
}

/** Appended changes are compacted once they are this long, or as long as the state, whichever is more. */
export const COMPACT_AFTER_BYTES = 4 * 1024 * 1024;

interface Compaction {
  /** The commit planned with the snapshot: the snapshot holds it already. */
  readonly after: StateWrite;
  /** The commits appended to the state file since the snapshot, for the temporary file too. */
  readonly pending: Array<readonly string[]>;
  pendingBytes: number;
  done: Promise<void>;
}

export class StateFileWriter {
  #baseBytes: number;
  #changeBytes: number;
  /** Whether a commit may be appended: the file ends with a complete line of this version. */
  #appendable: boolean;
  #compaction: Compaction | undefined;
  /** Appends wait for a compaction's last step (and it for them): the file's end is changed by one at a time. */
  #tail: Promise<unknown> = Promise.resolve();
  /** After a failed compaction, the next waits until the changes have grown this far. */
  #retryAt = 0;
  /** What of the state the file holds (history, users, run behaviors). */
  readonly #written = new WrittenState();

  constructor(
    private readonly path: string,
    /** The file as loaded into `core`, or undefined for none. */
    content: StateFileContent | undefined,
    /** Whether commits may follow it: its first line is a whole state of this version, ended by a newline. */
    appendable: boolean,
    core: DeployCore,
    /** Told after each write that changed which file is there, or its length. */
    private readonly written: () => Promise<void>,
    /** Told of a failed compaction: the file stays as it was, and grows until the next one. */
    private readonly compactionFailed: (error: unknown) => void,
  ) {
    this.#appendable = appendable;
    const baseBytes = content === undefined ? 0 : Buffer.byteLength(content.base, 'utf8') + 1;
    this.#baseBytes = baseBytes;
    this.#changeBytes = content === undefined ? 0 : content.committedBytes - baseBytes;
    this.#written.markAll(core);
  }

  /**
   * The write for `changes`, taken from `core` now: a commit to append, unless the whole state
   * must be written. Starts a compaction (its snapshot taken now too) when one is due.
   */
  plan(core: DeployCore, changes: TakenChanges): StateWrite {
    if (changes.whole || !this.#appendable) {
      const chunks = snapshotChunks(core);
      this.#written.markAll(core); // if the write fails, the next is whole again
      return { whole: true, chunks, bytes: byteLength(chunks) };
    }
    const chunks = commitLines(core, changes, this.#written);
    const write = { whole: false, chunks, bytes: byteLength(chunks) };
    const changeBytes = this.#changeBytes + write.bytes;
    if (!this.#compaction && changeBytes >= Math.max(COMPACT_AFTER_BYTES, this.#baseBytes, this.#retryAt)) this.#compact(core, write);
    return write;
  }

  async write(write: StateWrite): Promise<void> {
    if (write.whole) {
      // A compaction under way writes the same temporary file, and would replace this write's file after it.
      await this.settled();
      await writeStateFile(this.path, write.chunks);
      this.#baseBytes = write.bytes;
      this.#changeBytes = 0;
      this.#appendable = true;
    } else {
      await this.#exclusive(async () => {
        await appendStateFile(this.path, write.chunks);
        const compaction = this.#compaction;
        // The commit planned with the snapshot is in it: only later ones are pending (replaying one twice would retire an entry twice).
        if (compaction && write !== compaction.after) {
          compaction.pending.push(write.chunks);
          compaction.pendingBytes += write.bytes;
        }
      });
      this.#changeBytes += write.bytes;
    }
    await this.written();
  }

  /** Resolves once no compaction is under way (the one under way done). */
  async settled(): Promise<void> {
    await this.#compaction?.done;
  }

  #compact(core: DeployCore, after: StateWrite): void {
    const snapshot = snapshotChunks(core);
    const snapshotBytes = byteLength(snapshot);
    const compaction: Compaction = { after, pending: [], pendingBytes: 0, done: Promise.resolve() };
    this.#compaction = compaction;
    compaction.done = (async () => {
      let replaced = false;
      try {
        await writeTempFile(this.path, snapshot);
        await this.#exclusive(async () => {
          if (compaction.pending.length > 0) await appendStateFile(tempPathOf(this.path), compaction.pending.flat());
          await replaceWithTemp(this.path);
          replaced = true;
          this.#baseBytes = snapshotBytes;
          this.#changeBytes = compaction.pendingBytes;
          this.#retryAt = 0;
        });
        if (replaced) await this.written();
      } catch (error) {
        this.#retryAt = 2 * this.#changeBytes;
        this.compactionFailed(error);
      } finally {
        if (!replaced) await removeLeftoverTemp(this.path);
        this.#compaction = undefined;
      }
    })();
  }

  #exclusive(step: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(step);
    this.#tail = run.catch(() => {});
    return run;
  }
}

function byteLength(chunks: readonly string[]): number {
  let bytes = 0;
  for (const chunk of chunks) bytes += Buffer.byteLength(chunk, 'utf8');
  return bytes;
}
