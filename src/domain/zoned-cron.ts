/**
 * Fast next-tick search for 5-field cron in any IANA time zone, with exactly croner's answers.
 *
 * Between two offset transitions local time is UTC plus a constant, so the next local match is
 * the UTC search (UtcCronMatcher) run on wall-clock time and shifted back. Where that shortcut
 * could differ from croner, croner answers: when the match would lie at or past the next
 * transition (a spring-forward gap, where croner moves fixed-time jobs to the gap's end and
 * skips interval jobs' missing times), when the instant is inside a repeated stretch after a
 * fall-back (croner runs fixed-time jobs only in the first pass), for an offset that is not a
 * whole number of minutes (local mean time before 1900 or so), and outside the table's years.
 * Those cases are a handful of ticks per transition; every other tick costs about what UTC's do.
 */
import { Cron } from 'croner';
import { UtcCronMatcher } from './cron-next.js';
import { ZONE_TABLE_END, ZONE_TABLE_FIRST, ZoneOffsets } from './zone-offsets.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How far back a transition can still repeat wall times: the largest backward jump is a day (a date-line move). */
const LOOK_BACK_MS = 2 * DAY_MS;
/** A tick further ahead than this is left to croner, rather than growing the table for one answer. */
const LOOK_AHEAD_MS = 400 * DAY_MS;

/** One table per zone, shared by every expression (the zone is the server's setting, not a client's input). */
const tables = new Map<string, ZoneOffsets>();

function tableOf(timezone: string): ZoneOffsets {
  let table = tables.get(timezone);
  if (!table) tables.set(timezone, (table = new ZoneOffsets(timezone)));
  return table;
}

export class ZonedCronMatcher {
  private constructor(
    /** The expression's search on wall-clock time, as if local time were UTC. */
    private readonly wall: UtcCronMatcher,
    /** croner, for the ticks around transitions. */
    private readonly cron: Cron,
    private readonly zone: ZoneOffsets,
  ) {}

  /** Compiles an expression already validated by parseSchedule, for an IANA zone validateTimezone accepted. */
  static compile(expression: string, timezone: string): ZonedCronMatcher {
    return new ZonedCronMatcher(UtcCronMatcher.compile(expression), new Cron(expression, { mode: '5-part', timezone }), tableOf(timezone));
  }

  /** The first match strictly after `afterMs` (epoch ms), as croner's nextRun finds it; undefined if none. */
  next(afterMs: number): number | undefined {
    if (!Number.isFinite(afterMs)) return undefined;
    return this.shortcut(afterMs) ?? this.cron.nextRun(new Date(afterMs))?.getTime();
  }

  /** Instants in [#from, #to) have offset #offset and repeat no wall time; the last lookup's stretch. */
  #from = 0;
  #to = 0;
  #offset = 0;

  /** The next match by the wall-clock search, or undefined where croner must decide. */
  private shortcut(afterMs: number): number | undefined {
    if (afterMs < this.#from || afterMs >= this.#to) {
      if (!this.#lookUp(afterMs)) return undefined;
    }
    const wall = this.wall.next(afterMs + this.#offset);
    if (wall === undefined) return undefined;
    const at = wall - this.#offset;
    return at < this.#to ? at : undefined;
  }

  /** Finds the stretch around `afterMs`; false where there is none the shortcut may use. */
  #lookUp(afterMs: number): boolean {
    if (afterMs < ZONE_TABLE_FIRST + LOOK_BACK_MS || afterMs > ZONE_TABLE_END - LOOK_AHEAD_MS) return false;
    const { offset, previous, next } = this.zone.span(afterMs, afterMs - LOOK_BACK_MS, afterMs + LOOK_AHEAD_MS);
    if (offset % MINUTE_MS !== 0) return false;
    // After a fall-back, wall times come round a second time until the jump back is made up.
    const from = previous ? previous.at + Math.max(0, previous.before - previous.after) : afterMs - LOOK_BACK_MS;
    if (afterMs < from) return false;
    this.#from = from;
    this.#to = next ? next.at : afterMs + LOOK_AHEAD_MS;
    this.#offset = offset;
    return true;
  }
}
