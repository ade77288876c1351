/**
 * The next matching minute of a cron expression after an instant, in the server's time zone.
 * UTC (the default) uses our fast search over croner's parsed pattern; other zones run the same
 * search on wall-clock time between offset transitions and ask croner, which knows their
 * daylight-saving rules, only for the ticks around a transition (zoned-cron.ts).
 */
import { UtcCronMatcher } from '../domain/cron-next.js';
import { ZonedCronMatcher } from '../domain/zoned-cron.js';

export interface NextTick {
  /** The first match strictly after `afterMs` (epoch ms), or undefined if none. */
  next(afterMs: number): number | undefined;
}

/** Finds the ticks of a cron expression in a time zone (nextTickFor is the scheduler's). */
export type NextTickFinder = (expression: string, timezone: string) => NextTick;

/**
 * Compiled searches are immutable and every add or schedule update needs one, so they are shared
 * per (zone, expression); bounded, so a stream of distinct schedules only recycles the cache.
 */
export function nextTickFor(expression: string, timezone: string): NextTick {
  const key = `${timezone} ${expression}`;
  let tick = compiled.get(key);
  if (!tick) {
    tick = compile(expression, timezone);
    if (compiled.size >= COMPILED_LIMIT) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, tick);
  }
  return tick;
}

function compile(expression: string, timezone: string): NextTick {
  return timezone === 'UTC' ? UtcCronMatcher.compile(expression) : ZonedCronMatcher.compile(expression, timezone);
}

const COMPILED_LIMIT = 1024;
const compiled = new Map<string, NextTick>();

/**
 * Refuses an unknown IANA time zone up front (croner would only fail at the first tick).
 * @since 0.2.0
 */
export function validateTimezone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new RangeError(`Unknown time zone '${timezone}': use an IANA name such as UTC or Europe/Berlin`);
  }
  return timezone;
}
