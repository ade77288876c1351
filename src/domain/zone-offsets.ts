/**
 * A time zone's UTC offsets as a table of transitions (daylight saving, rule changes), read from
 * Intl once per year of instants and kept: the cron search asks for the offset at every tick,
 * and Intl costs microseconds per question, a table lookup nanoseconds.
 *
 * Transitions are found by sampling the offset every SAMPLE_MS and, where two samples differ,
 * bisecting to the second. Two transitions closer than SAMPLE_MS that undo each other would be
 * missed; no zone in the IANA database has any since 1900 (the closest pairs are weeks apart).
 */

const SECOND_MS = 1000;
/** Offsets are sampled this far apart; a pair of transitions undoing each other within it is not seen. */
const SAMPLE_MS = 6 * 3600_000;
/** The table grows by this much at a time. */
const CHUNK_MS = 366 * 86_400_000;
/** Instants the table covers at most; outside, callers ask croner (and Intl) directly. */
export const ZONE_TABLE_FIRST = Date.UTC(1900, 0, 1);
export const ZONE_TABLE_END = Date.UTC(2999, 0, 1);

/** One change of offset: from `at` (epoch ms) on, local time is UTC + `after` instead of UTC + `before`. */
export interface ZoneTransition {
  readonly at: number;
  /** Offsets in ms (local minus UTC). */
  readonly before: number;
  readonly after: number;
}

/** The offset in force at an instant, and the transitions just before and after it. */
export interface OffsetSpan {
  readonly offset: number;
  /** The last transition at or before the instant, or undefined if none since `from` of the lookup. */
  readonly previous: ZoneTransition | undefined;
  /** The first transition after the instant, or undefined if none up to `to` of the lookup. */
  readonly next: ZoneTransition | undefined;
}

export class ZoneOffsets {
  readonly #format: Intl.DateTimeFormat;
  /** Transitions in [#from, #to), in order. */
  #transitions: ZoneTransition[] = [];
  #from = 0;
  #to = 0;
  /** The offset at #from. */
  #offsetAtFrom = 0;
  #covered = false;
  /** Where the last lookup landed: sequential ticks look up the same span again and again. */
  #hint = 0;

  constructor(readonly timezone: string) {
    this.#format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The offset (ms, local minus UTC) at an instant, asked of Intl. */
  offsetAt(ms: number): number {
    const fields: Record<string, number> = {};
    for (const part of this.#format.formatToParts(ms)) if (part.type !== 'literal') fields[part.type] = Number(part.value);
    const wall = Date.UTC(fields['year']!, fields['month']! - 1, fields['day']!, fields['hour']!, fields['minute']!, fields['second']!);
    return wall - Math.floor(ms / SECOND_MS) * SECOND_MS;
  }

  /**
   * The offset at `at` and the transitions around it, with the table covering [from, to]
   * (clamped to ZONE_TABLE_FIRST..ZONE_TABLE_END; from <= at <= to).
   */
  span(at: number, from: number, to: number): OffsetSpan {
    this.#cover(Math.max(from, ZONE_TABLE_FIRST), Math.min(to, ZONE_TABLE_END));
    const list = this.#transitions;
    const i = this.#firstAfter(at);
    const previous = i > 0 ? list[i - 1] : undefined;
    return { offset: previous ? previous.after : this.#offsetAtFrom, previous, next: list[i] };
  }

  /** The index of the first transition strictly after `at`. */
  #firstAfter(at: number): number {
    const list = this.#transitions;
    const h = this.#hint;
    if (h <= list.length && (h === 0 || list[h - 1]!.at <= at) && (h === list.length || list[h]!.at > at)) return h;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.at <= at) lo = mid + 1;
      else hi = mid;
    }
    this.#hint = lo;
    return lo;
  }

  /** Grows the table, a chunk at a time, until it covers [from, to). */
  #cover(from: number, to: number): void {
    if (!this.#covered) {
      const start = Math.floor(from / SECOND_MS) * SECOND_MS;
      this.#from = this.#to = start;
      this.#offsetAtFrom = this.offsetAt(start);
      this.#covered = true;
    }
    while (this.#to < to) {
      const end = this.#to + CHUNK_MS;
      this.#transitions.push(...this.#scan(this.#to, end));
      this.#to = end;
    }
    while (this.#from > from) {
      const start = this.#from - CHUNK_MS;
      this.#transitions.unshift(...this.#scan(start, this.#from));
      this.#from = start;
      this.#offsetAtFrom = this.offsetAt(start);
      this.#hint = 0;
    }
  }

  /** The transitions in (start, end], found by sampling and bisection. */
  #scan(start: number, end: number): ZoneTransition[] {
    const found: ZoneTransition[] = [];
    let at = start;
    let offset = this.offsetAt(at);
    while (at < end) {
      const sample = Math.min(at + SAMPLE_MS, end);
      const sampled = this.offsetAt(sample);
      if (sampled === offset) {
        at = sample;
        continue;
      }
      // The offset changed in (at, sample]: bisect to the first second with another offset.
      let lo = at;
      let hi = sample;
      while (hi - lo > SECOND_MS) {
        const mid = lo + Math.floor((hi - lo) / 2 / SECOND_MS) * SECOND_MS;
        if (this.offsetAt(mid) === offset) lo = mid;
        else hi = mid;
      }
      const after = this.offsetAt(hi);
      found.push({ at: hi, before: offset, after });
      // Another change may follow within the same sample step: carry on from the transition.
      at = hi;
      offset = after;
    }
    return found;
  }
}
