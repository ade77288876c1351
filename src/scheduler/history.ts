/**
 * Per-deployment tick and run history in typed arrays: a long advance records millions of ticks,
 * and objects kept that long would cost the garbage collector more than the ticks themselves.
 * Each log keeps the newest `limit` entries, growing by doubling only as far as it needs.
 */
import type { Run, RunOutcome, TickReason } from './types.js';

const REASONS: readonly TickReason[] = ['fired', 'skipped_overlap', 'skipped_paused', 'errored_auth'];
const OUTCOMES: readonly (RunOutcome | undefined)[] = [undefined, 'completed', 'failed', 'cancelled'];
const TRIGGERS: readonly Run['trigger'][] = ['schedule', 'manual'];

/** Slots of a circular buffer that grows by doubling up to `limit`. */
class Slots {
  capacity = 0;
  count = 0;
  /** Index of the oldest entry once the buffer is full. */
  start = 0;

  constructor(readonly limit: number) {}

  /** The slot for a new entry; `grow` is called with the new capacity when the arrays must grow. */
  next(grow: (capacity: number) => void): number {
    if (this.count < this.capacity) return this.count++;
    if (this.capacity < this.limit) {
      this.capacity = Math.min(this.limit, Math.max(8, this.capacity * 2));
      grow(this.capacity);
      return this.count++;
    }
    const slot = this.start;
    this.start = (this.start + 1) % this.capacity;
    return slot;
  }

  /** Slots oldest first. */
  *order(): IterableIterator<number> {
    for (let i = 0; i < this.count; i++) yield (this.start + i) % this.capacity;
  }

  /** The newest slot, or -1. */
  newest(): number {
    return this.count === 0 ? -1 : (this.start + this.count - 1) % this.capacity;
  }
}

/**
 * One Float64Array per log with each entry's fields side by side, so recording a tick or a run
 * touches one cache line: with thousands of deployments, that is most of a tick's cost.
 */
function grownTo(old: Float64Array, capacity: number, stride: number): Float64Array {
  const next = new Float64Array(capacity * stride);
  next.set(old);
  return next;
}

export interface TickEntry {
  readonly at: number;
  readonly reason: TickReason;
  /** The run it started (run number), or 0. */
  readonly run: number;
}

const TICK_STRIDE = 3; // at, reason, run

export class TickLog {
  readonly #slots: Slots;
  #data: Float64Array = new Float64Array(0);

  constructor(limit: number) {
    this.#slots = new Slots(limit);
  }

  push(at: number, reason: TickReason, run: number): void {
    const i = this.#slots.next((n) => (this.#data = grownTo(this.#data, n, TICK_STRIDE))) * TICK_STRIDE;
    this.#data[i] = at;
    this.#data[i + 1] = REASONS.indexOf(reason);
    this.#data[i + 2] = run;
  }

  toArray(): TickEntry[] {
    return [...this.#slots.order()].map((slot) => {
      const i = slot * TICK_STRIDE;
      return { at: this.#data[i]!, reason: REASONS[this.#data[i + 1]!]!, run: this.#data[i + 2]! };
    });
  }
}

/** A run as kept in a RunLog, without its owner (the log belongs to one deployment). */
export interface RunEntry {
  readonly number: number;
  readonly trigger: Run['trigger'];
  readonly scheduledFor: number;
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  readonly outcome: RunOutcome | undefined;
}

const RUN_STRIDE = 6; // number, trigger, scheduledFor, startedAt, endedAt (NaN while open), outcome

export class RunLog {
  readonly #slots: Slots;
  #data: Float64Array = new Float64Array(0);

  constructor(limit: number) {
    this.#slots = new Slots(limit);
  }

  start(number: number, trigger: Run['trigger'], scheduledFor: number, startedAt: number): void {
    const i = this.#slots.next((n) => (this.#data = grownTo(this.#data, n, RUN_STRIDE))) * RUN_STRIDE;
    const d = this.#data;
    d[i] = number;
    d[i + 1] = TRIGGERS.indexOf(trigger);
    d[i + 2] = scheduledFor;
    d[i + 3] = startedAt;
    d[i + 4] = NaN;
    d[i + 5] = 0;
  }

  /** Ends the newest run (runs of one deployment never overlap, so the open one is the newest). */
  endNewest(at: number, outcome: RunOutcome): void {
    const i = this.#slots.newest() * RUN_STRIDE;
    this.#data[i + 4] = at;
    this.#data[i + 5] = OUTCOMES.indexOf(outcome);
  }

  toArray(): RunEntry[] {
    return [...this.#slots.order()].map((slot) => this.#entry(slot));
  }

  newest(): RunEntry | undefined {
    const slot = this.#slots.newest();
    return slot < 0 ? undefined : this.#entry(slot);
  }

  #entry(slot: number): RunEntry {
    const i = slot * RUN_STRIDE;
    const d = this.#data;
    const endedAt = d[i + 4]!;
    return {
      number: d[i]!,
      trigger: TRIGGERS[d[i + 1]!]!,
      scheduledFor: d[i + 2]!,
      startedAt: d[i + 3]!,
      endedAt: Number.isNaN(endedAt) ? undefined : endedAt,
      outcome: OUTCOMES[d[i + 5]!],
    };
  }
}
