/**
 * One kind of history (tick decisions, or runs) of every deployment, in one order: a page reads
 * the entries it shows (and those it skips), not the head of every deployment's log. Merging the
 * logs (pages.ts) builds a heap of all of them per page: 5 ms and more with 10,000 busy
 * deployments, for every read a new cursor makes, while the server serves no one else.
 *
 * It holds places, not copies: an owner and the entry's sequence number in the owner's log
 * (history.ts), beside the entry's sort key. Entries are recorded in their order (the clock only
 * moves forward; ticks due at one instant are decided oldest deployment first; run numbers only
 * grow), so the timeline is appended to, and one recorded out of order is put in its place. An
 * entry its log has dropped is skipped; such places are swept out once the timeline has doubled
 * since the last sweep, so it holds at most about twice the entries the logs keep.
 */
import type { MergedPage, PageRequest, SortKey } from './pages.js';

/** What the timeline needs of an owner's log. */
export interface PlacedLog {
  /** Where entry `seq` is now, or -1 once it was dropped. */
  positionOf(seq: number): number;
}

/** One entry's place, as a restore lists them. */
export interface Place<O> {
  readonly owner: O;
  readonly seq: number;
  readonly primary: number;
  readonly secondary: number;
}

const FIRST_CAPACITY = 1024;

export class Timeline<O, T> {
  #owners: O[] = [];
  #seqs = new Float64Array(FIRST_CAPACITY);
  #primary = new Float64Array(FIRST_CAPACITY);
  #secondary = new Float64Array(FIRST_CAPACITY);
  #size = 0;
  /** The size at which the next append sweeps out dropped entries' places. */
  #sweepAt = FIRST_CAPACITY;

  constructor(
    /** The owner's log, or undefined once the owner's history is let go. */
    private readonly logOf: (owner: O) => PlacedLog | undefined,
    /** The item shown for the entry at `position` of the owner's log. */
    private readonly itemOf: (owner: O, position: number) => T,
  ) {}

  /** Places held, dropped entries' included until the next sweep. */
  get size(): number {
    return this.#size;
  }

  /** Places the newest entry of `owner`'s log, numbered `seq`, under its sort key. */
  append(owner: O, seq: number, primary: number, secondary: number): void {
    if (this.#size >= this.#sweepAt) this.#sweep();
    if (this.#size === this.#seqs.length) this.#grow();
    const n = this.#size;
    // After the last place in the order, it goes last; else (rare) where it belongs.
    const at =
      n === 0 || !before(primary, secondary, this.#primary[n - 1]!, this.#secondary[n - 1]!) ? n : this.#countAtMost(primary, secondary);
    if (at < n) {
      this.#seqs.copyWithin(at + 1, at, n);
      this.#primary.copyWithin(at + 1, at, n);
      this.#secondary.copyWithin(at + 1, at, n);
      this.#owners.splice(at, 0, owner);
    } else this.#owners[at] = owner;
    this.#seqs[at] = seq;
    this.#primary[at] = primary;
    this.#secondary[at] = secondary;
    this.#size = n + 1;
  }

  /** Replaces every place with `places` (a restore), in their order. */
  load(places: Array<Place<O>>): void {
    this.clear();
    places.sort((a, b) => a.primary - b.primary || a.secondary - b.secondary);
    for (const { owner, seq, primary, secondary } of places) this.append(owner, seq, primary, secondary);
  }

  clear(): void {
    this.#owners = [];
    this.#seqs = new Float64Array(FIRST_CAPACITY);
    this.#primary = new Float64Array(FIRST_CAPACITY);
    this.#secondary = new Float64Array(FIRST_CAPACITY);
    this.#size = 0;
    this.#sweepAt = FIRST_CAPACITY;
  }

  /** The page of `request` over the entries whose owner `accepts`. */
  page(request: PageRequest, accepts: (owner: O) => boolean): MergedPage<T> {
    const newest = request.order === 'newest';
    const after = request.after;
    // The first place past `after` in the page's order.
    let i: number;
    if (after === undefined) i = newest ? this.#size - 1 : 0;
    else i = newest ? this.#countBefore(after.primary, after.secondary) - 1 : this.#countAtMost(after.primary, after.secondary);
    const step = newest ? -1 : 1;
    const items: T[] = [];
    let last: SortKey | undefined;
    for (; i >= 0 && i < this.#size; i += step) {
      const owner = this.#owners[i]!;
      if (!accepts(owner)) continue;
      const position = this.logOf(owner)?.positionOf(this.#seqs[i]!) ?? -1;
      if (position < 0) continue; // dropped: its log keeps newer entries only
      if (items.length === request.limit) return { items, last };
      items.push(this.itemOf(owner, position));
      last = { primary: this.#primary[i]!, secondary: this.#secondary[i]! };
    }
    return { items, last: undefined };
  }

  /** How many places have a key at most (primary, secondary). */
  #countAtMost(primary: number, secondary: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(primary, secondary, this.#primary[mid]!, this.#secondary[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** How many places have a key below (primary, secondary). */
  #countBefore(primary: number, secondary: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.#primary[mid]!, this.#secondary[mid]!, primary, secondary)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Keeps only the places of entries still kept, in order. */
  #sweep(): void {
    let kept = 0;
    for (let i = 0; i < this.#size; i++) {
      const owner = this.#owners[i]!;
      if ((this.logOf(owner)?.positionOf(this.#seqs[i]!) ?? -1) < 0) continue;
      this.#owners[kept] = owner;
      this.#seqs[kept] = this.#seqs[i]!;
      this.#primary[kept] = this.#primary[i]!;
      this.#secondary[kept] = this.#secondary[i]!;
      kept += 1;
    }
    this.#owners.length = kept;
    this.#size = kept;
    this.#sweepAt = Math.max(FIRST_CAPACITY, 2 * kept);
  }

  #grow(): void {
    const capacity = this.#seqs.length * 2;
    const grown = (old: Float64Array) => {
      const next = new Float64Array(capacity);
      next.set(old);
      return next;
    };
    this.#seqs = grown(this.#seqs);
    this.#primary = grown(this.#primary);
    this.#secondary = grown(this.#secondary);
  }
}

/** Whether key a comes before key b. */
function before(aPrimary: number, aSecondary: number, bPrimary: number, bSecondary: number): boolean {
  return aPrimary < bPrimary || (aPrimary === bPrimary && aSecondary < bSecondary);
}
