/**
 * The core's only time source. Everything in the domain reads time through a Clock passed in,
 * never through Date.now(), so tests (and the fake-clock scheduler) decide what "now" is.
 */

/** @since 0.1.0 */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
}

/** Wall-clock time. @since 0.1.0 */
export const systemClock: Clock = { now: () => Date.now() };

/** Unix seconds (fractions kept), the unit records carry (REC-1). */
export function unixSeconds(clock: Clock): number {
  return clock.now() / 1000;
}
