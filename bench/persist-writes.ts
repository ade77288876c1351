/**
 * Counts the state-file writes a server makes, from outside its process. A whole write ends by
 * renaming a fresh temporary file over the state file (src/persist/state-file.ts): one
 * 'rename' event naming the state file in its directory. An append of a commit is one 'change'
 * event naming it (a commit over 1 MiB is written in batches: one event each). The watcher
 * counts both, apart. No tracing, and no cost inside the measured server.
 */
import { watch, type FSWatcher } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { appendStateFile, writeStateFile } from '../src/persist/state-file.js';

/** Events for writes already made arrive within a turn or two of the loop; this is ample. */
const QUIET_MS = 100;
const CALIBRATION_WRITES = 5;

/** Writes seen: whole ones and appended commits. */
export interface WriteCount {
  readonly whole: number;
  readonly appended: number;
}

export class WriteCounter {
  #whole = 0;
  #appended = 0;
  readonly #watcher: FSWatcher;

  constructor(path: string) {
    const name = basename(path);
    this.#watcher = watch(dirname(path), (event, filename) => {
      if (filename !== name) return;
      if (event === 'rename') this.#whole += 1;
      else this.#appended += 1;
    });
  }

  /** Resolves with the counts once no event has come for a while (the last write's may still be queued). */
  async settled(): Promise<WriteCount> {
    for (;;) {
      const before = this.#whole + this.#appended;
      await delay(QUIET_MS);
      if (this.#whole + this.#appended === before) return { whole: this.#whole, appended: this.#appended };
    }
  }

  close(): void {
    this.#watcher.close();
  }
}

/**
 * Proves the counter on this machine before its figures are trusted: makes a known number of
 * writes with the server's own write function and checks the counter saw each one, no more.
 */
export async function calibrateWriteCounter(dir: string): Promise<void> {
  const path = join(dir, 'calibration.json');
  const counter = new WriteCounter(path);
  try {
    for (let i = 0; i < CALIBRATION_WRITES; i++) {
      await writeStateFile(path, [`{"write":${i}}\n`]);
      await appendStateFile(path, [`{"append":${i}}\n`]);
    }
    const seen = await counter.settled();
    if (seen.whole !== CALIBRATION_WRITES || seen.appended !== CALIBRATION_WRITES) {
      throw new Error(
        `the state-file write counter saw ${seen.whole} whole writes and ${seen.appended} appends of ${CALIBRATION_WRITES} each in ${dir}; ` +
          `writes per burst would be wrong`,
      );
    }
  } finally {
    counter.close();
    await rm(path, { force: true });
  }
}
