/**
 * Instants as ISO 8601 text, exactly as `Date.prototype.toISOString` writes them, faster: a page
 * of runs writes hundreds of instants, most of them on a few days, and toISOString was the
 * largest cost of a control read. The date part of the last day written is kept.
 */
const DAY_MS = 86_400_000;
/** Years 1970 to 9999: toISOString writes four-digit years there (the fast path's only form). */
const FAST_UNTIL_MS = 253_402_300_800_000;

let lastDay = NaN;
let lastDate = '';

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** `ms` (epoch milliseconds) as `2026-11-26T10:15:00.000Z`; throws RangeError where toISOString does. */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < FAST_UNTIL_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    lastDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
    lastDay = day;
  }
  let rest = ms - day * DAY_MS;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  return `${lastDate}${two(hour)}:${two(minute)}:${two(second)}.${three(milli)}Z`;
}
