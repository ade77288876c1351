/**
 * Counts the state-file writes a server makes, from outside its process. Every write ends by
 * renaming a fresh temporary file over the state file (src/persist/state-file.ts), so each
 * one is exactly one 'rename' event naming the state file in its directory: the watcher
 * counts those. No tracing, and no cost inside the measured server.
 */
import { watch, type FSWatcher } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { writeStateFile } from '../src/persist/state-file.js';

/** Events for writes already made arrive within a turn or two of the loop; this is ample. */
const QUIET_MS = 100;
const CALIBRATION_WRITES = 5;

export class WriteCounter {
  #count = 0;
  readonly #watcher: FSWatcher;

  constructor(path: string) {
    const name = basename(path);
    this.#watcher = watch(dirname(path), (event, filename) => {
      if (event === 'rename' && filename === name) this.#count += 1;
    });
  }

  get count(): number {
    return this.#count;
  }

  /** Resolves with the count once no event has come for a while (the last write's may still be queued). */
  async settled(): Promise<number> {
    for (;;) {
      const before = this.#count;
      await delay(QUIET_MS);
      if (this.#count === before) return before;
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
    for (let i = 0; i < CALIBRATION_WRITES; i++) await writeStateFile(path, [`{"write":${i}}`]);
    const seen = await counter.settled();
    if (seen !== CALIBRATION_WRITES) {
      throw new Error(
        `the state-file write counter saw ${seen} of ${CALIBRATION_WRITES} writes in ${dir}; writes per burst would be wrong`,
      );
    }
  } finally {
    counter.close();
    await rm(path, { force: true });
  }
}
