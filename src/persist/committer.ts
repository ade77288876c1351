/**
 * Decides when the state is written, and tells who waits for a change when it is on disk.
 *
 * Every change bumps a generation number. A write takes a snapshot of everything up to the
 * current generation; once it is on disk, that generation (and every earlier one) is durable.
 * Writes are group commits: the first change schedules one on the next turn of the event loop
 * (setImmediate), so a burst of requests read together costs one write; changes made while a
 * write is under way go into the next one, which starts as soon as it ends. At most one write
 * is in flight, and the snapshot after a failed write covers what that one held (the state
 * file's writer makes it whole).
 */

/** What waits for changes to be on disk sees of a committer. */
export interface Durability {
  /** How many changes were made. */
  readonly generation: number;
  /** How many of them are on disk. */
  readonly durable: number;
  afterDurable(generation: number, done: (saved: boolean) => void): void;
  flush(): Promise<boolean>;
}

export class StateCommitter<Write> implements Durability {
  #generation = 0;
  #durable = 0;
  #writing = false;
  #scheduled = false;
  /** Waiting for a generation to be on disk, in generation order. */
  readonly #waiters: Array<{ readonly generation: number; readonly done: (saved: boolean) => void }> = [];

  constructor(
    /**
     * What to write for every change up to now (taken synchronously, so it is one consistent
     * moment). After a failed write it must cover what that one held too.
     */
    private readonly snapshot: () => Write,
    /** Puts it on disk durably; rejects if it could not. */
    private readonly save: (write: Write) => Promise<void>,
    /** Told of each failed write; the state stays in memory and the next write tries again. */
    private readonly onError: (error: unknown) => void,
  ) {}

  /** How many changes were made. */
  get generation(): number {
    return this.#generation;
  }

  /** How many of them are on disk. */
  get durable(): number {
    return this.#durable;
  }

  /** Records a change: it will be in the next write. */
  changed(): void {
    this.#generation += 1;
    this.#schedule();
  }

  /**
   * Calls `done(true)` once every change up to `generation` is on disk, or `done(false)` if the
   * write that was to carry it failed. At once when it is on disk already.
   */
  afterDurable(generation: number, done: (saved: boolean) => void): void {
    if (generation <= this.#durable) return done(true);
    this.#waiters.push({ generation, done });
    this.#schedule();
  }

  /** Resolves once everything changed so far is on disk (true), or the write failed (false). Tries again after a failure. */
  flush(): Promise<boolean> {
    return new Promise((resolve) => this.afterDurable(this.#generation, resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#writing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#write();
    });
  }

  async #write(): Promise<void> {
    if (this.#durable >= this.#generation) return;
    const target = this.#generation;
    this.#writing = true;
    let saved = false;
    try {
      await this.save(this.snapshot());
      saved = true;
      this.#durable = target;
    } catch (error) {
      this.onError(error);
    }
    this.#writing = false;
    while (this.#waiters.length > 0 && this.#waiters[0]!.generation <= target) this.#waiters.shift()!.done(saved);
    // Changes made during the write (and waiters for them) need the next one.
    if (this.#generation > target) this.#schedule();
  }
}
