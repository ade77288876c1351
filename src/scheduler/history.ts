/**
 * Per-deployment tick and run history in typed arrays: a long advance records millions of ticks,
 * and objects kept that long would cost the garbage collector more than the ticks themselves.
 *
 * Every log of one scheduler shares a HistoryBudget: a log keeps at most `historyLimit` entries,
 * and all of them together at most `maxHistoryEntries`. A log keeps the newest entries of its
 * share; nothing scans the other logs to keep the total: a log checks its share as it records.
 */
import type { Run, RunOutcome, TickReason } from './types.js';

const REASONS: readonly TickReason[] = ['fired', 'skipped_overlap', 'skipped_paused', 'errored_auth'];
const OUTCOMES: readonly (RunOutcome | undefined)[] = [undefined, 'completed', 'failed', 'cancelled'];
const TRIGGERS: readonly Run['trigger'][] = ['schedule', 'manual'];

/**
 * The entries all logs of a scheduler keep: how many, and each log's share. A log's share is
 * the total over the logs that exist, at most `perLog`, and at least 1 (a run log must hold its
 * run in progress). A log over its share (the share fell as logs were made) drops its oldest
 * down to it when it records next; until then the total is still held, because a log that would
 * grow while the total is reached drops its own oldest entry instead.
 */
export class HistoryBudget {
  /** Entries kept by every log together. */
  #kept = 0;
  /** Bumped by every change to any log's entries: a page read at one version is the same until it moves. */
  version = 0;
  #logs = 0;
  #share: number;

  constructor(
    /** Most entries one log keeps (the historyLimit option). */
    readonly perLog: number,
    /** Most entries all logs keep (the maxHistoryEntries limit); Infinity for none. */
    readonly total: number = Infinity,
  ) {
    this.#share = this.shareAmong(0);
  }

  get kept(): number {
    return this.#kept;
  }

  /** Most entries one log may keep now. */
  get share(): number {
    return this.#share;
  }

  /** Whether one more entry would pass the total. */
  get full(): boolean {
    return this.#kept >= this.total;
  }

  /** A log was made. */
  opened(): void {
    this.#logs += 1;
    this.#reshare();
  }

  /** A log is forgotten, with its entries (a removed deployment's history, dropped at last). */
  closed(log: { readonly size: number }): void {
    this.version += 1;
    this.#logs -= 1;
    this.#kept -= log.size;
    this.#reshare();
  }

  /** `change` entries more (or fewer) are kept. */
  count(change: number): void {
    this.#kept += change;
  }

  /** Every log forgotten. */
  reset(): void {
    this.version += 1;
    this.#kept = 0;
    this.#logs = 0;
    this.#reshare();
  }

  /** A log's share when `logs` logs exist. */
  shareAmong(logs: number): number {
    return Math.max(1, Math.min(this.perLog, Math.floor(this.total / Math.max(1, logs))));
  }

  #reshare(): void {
    this.#share = this.shareAmong(this.#logs);
  }
}

/**
 * A circular buffer of entries of `stride` numbers each, in one Float64Array with each entry's
 * fields side by side, so recording a tick or a run touches one cache line: with thousands of
 * deployments, that is most of a tick's cost. It grows by doubling only as far as it needs, and
 * shrinks to its share when that fell.
 */
abstract class HistoryLog {
  protected data: Float64Array = new Float64Array(0);
  #capacity = 0;
  #count = 0;
  /** Slot of the oldest entry. */
  #start = 0;
  /** Entries dropped from the oldest end so far: the oldest kept entry's sequence number. */
  #dropped = 0;

  constructor(
    protected readonly budget: HistoryBudget,
    private readonly stride: number,
  ) {
    budget.opened();
  }

  /** Entries kept. */
  get size(): number {
    return this.#count;
  }

  /**
   * The newest entry's sequence number: entries are numbered from 0 as they are recorded, for as
   * long as the log lives, so a place kept elsewhere (timeline.ts) outlives the slots moving.
   */
  get newestSeq(): number {
    return this.#dropped + this.#count - 1;
  }

  /** The sequence number of the `i`th entry from the oldest. */
  seqOf(i: number): number {
    return this.#dropped + i;
  }

  /** Where entry `seq` is now (0 = the oldest kept), or -1 once it was dropped. */
  positionOf(seq: number): number {
    const i = seq - this.#dropped;
    return i >= 0 && i < this.#count ? i : -1;
  }

  /** Where a new entry goes (an index into `data`): a new slot, or the oldest entry's. */
  protected nextEntry(): number {
    this.budget.version += 1;
    const share = this.budget.share;
    if (this.#count > share) this.#relayout(share, share);
    if (this.#count < share && (this.#count === 0 || !this.budget.full)) {
      if (this.#count === this.#capacity) this.#relayout(Math.min(share, Math.max(8, this.#capacity * 2)), this.#count);
      this.budget.count(1);
      return this.#slotAt(this.#count++);
    }
    // Kept all it may: the newest replaces the oldest.
    const slot = this.#slotAt(this.#count);
    this.#start = (this.#start + 1) % this.#capacity;
    this.#dropped += 1;
    return slot;
  }

  /** Indexes into `data` of the entries, oldest first. */
  *order(): IterableIterator<number> {
    for (let i = 0; i < this.#count; i++) yield this.#slotAt(i);
  }

  /** Index into `data` of the `i`th entry from the oldest (0 <= i < size): for reading entries in place, as pages do. */
  slotOf(i: number): number {
    return this.#slotAt(i);
  }

  /** Index into `data` of the newest entry, or -1. */
  newestEntry(): number {
    return this.#count === 0 ? -1 : this.#slotAt(this.#count - 1);
  }

  /** Index into `data` of the `i`th entry from the oldest (`i` may be the count: the slot after the newest). */
  #slotAt(i: number): number {
    // i <= count <= capacity: one subtraction wraps it (no division on a page's hot path).
    const slot = this.#start + i;
    return (slot >= this.#capacity ? slot - this.#capacity : slot) * this.stride;
  }

  /** Moves the newest `keep` entries, oldest first, into arrays of `capacity` entries. */
  #relayout(capacity: number, keep: number): void {
    const next = new Float64Array(capacity * this.stride);
    const drop = this.#count - keep;
    if (keep > 0) {
      // At most two runs: from the first kept entry to the end of the arrays, then from their start.
      const first = (this.#start + drop) % this.#capacity;
      const before = Math.min(keep, this.#capacity - first);
      next.set(this.data.subarray(first * this.stride, (first + before) * this.stride));
      next.set(this.data.subarray(0, (keep - before) * this.stride), before * this.stride);
    }
    this.data = next;
    this.#capacity = capacity;
    this.#start = 0;
    this.#count = keep;
    this.#dropped += drop;
    this.budget.count(-drop);
  }
}

export interface TickEntry {
  readonly at: number;
  readonly reason: TickReason;
  /** The run it started (run number), or 0. */
  readonly run: number;
}

const TICK_STRIDE = 3; // at, reason, run

export class TickLog extends HistoryLog {
  constructor(budget: HistoryBudget) {
    super(budget, TICK_STRIDE);
  }

  push(at: number, reason: TickReason, run: number): void {
    const i = this.nextEntry();
    this.data[i] = at;
    this.data[i + 1] = REASONS.indexOf(reason);
    this.data[i + 2] = run;
  }

  toArray(): TickEntry[] {
    return [...this.order()].map((i) => this.#entry(i));
  }

  /** When the `i`th tick from the oldest was decided. */
  atOf(i: number): number {
    return this.data[this.slotOf(i)]!;
  }

  /** The `i`th tick from the oldest. */
  entryAt(i: number): TickEntry {
    return this.#entry(this.slotOf(i));
  }

  #entry(i: number): TickEntry {
    return { at: this.data[i]!, reason: REASONS[this.data[i + 1]!]!, run: this.data[i + 2]! };
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

export class RunLog extends HistoryLog {
  constructor(budget: HistoryBudget) {
    super(budget, RUN_STRIDE);
  }

  start(number: number, trigger: Run['trigger'], scheduledFor: number, startedAt: number): void {
    const i = this.nextEntry();
    const d = this.data;
    d[i] = number;
    d[i + 1] = TRIGGERS.indexOf(trigger);
    d[i + 2] = scheduledFor;
    d[i + 3] = startedAt;
    d[i + 4] = NaN;
    d[i + 5] = 0;
  }

  /** Ends the newest run (runs of one deployment never overlap, so the open one is the newest). */
  endNewest(at: number, outcome: RunOutcome): void {
    this.budget.version += 1;
    const i = this.newestEntry();
    this.data[i + 4] = at;
    this.data[i + 5] = OUTCOMES.indexOf(outcome);
  }

  toArray(): RunEntry[] {
    return [...this.order()].map((i) => this.#entry(i));
  }

  /** The `i`th run from the oldest. */
  entryAt(i: number): RunEntry {
    return this.#entry(this.slotOf(i));
  }

  /** The start and number of the `i`th run from the oldest: its place in run order. */
  startedAtOf(i: number): number {
    return this.data[this.slotOf(i) + 3]!;
  }

  numberOf(i: number): number {
    return this.data[this.slotOf(i)]!;
  }

  newest(): RunEntry | undefined {
    const i = this.newestEntry();
    return i < 0 ? undefined : this.#entry(i);
  }

  #entry(i: number): RunEntry {
    const d = this.data;
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
