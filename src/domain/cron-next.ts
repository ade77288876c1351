/**
 * Fast next-tick search for 5-field cron in UTC. croner parses (and stays the oracle in the
 * property test); this file only searches. croner's own `nextRun` costs tens of microseconds per
 * tick, which long fake-clock advances cannot afford, so the search here works on integers:
 * "next allowed value" tables for minute, hour and month, one 31-bit day mask per month shape,
 * and days-since-epoch <-> civil date conversions instead of Date objects.
 */
import { CronPattern } from 'croner';

const MINUTE_MS = 60_000;
const MINUTES_PER_DAY = 1440;
/** parseSchedule refuses never-firing expressions; any firing one fires within 8 years (Feb 29). */
const HORIZON_YEARS = 30;
/** croner returns no run in year 3000 or later (for patterns without a year field); nor do we. */
const CRONER_FIRST_YEAR_OUT = 3000;
/** croner marks an allowed weekday with the "any occurrence" nth-weekday mask. */
const ANY_NTH_WEEKDAY = 63;

/** Compiled from a 5-field expression (already validated by parseSchedule): croner parses, we search. */
export class UtcCronMatcher {
  /** nextMinute[m]: the first allowed minute >= m, or -1 (index 60 is always -1). */
  private readonly nextMinute: Int8Array;
  /** nextHour[h]: the first allowed hour >= h, or -1 (index 24 is always -1). */
  private readonly nextHour: Int8Array;
  /** nextMonth[m]: the first allowed month (1-12) >= m (1-based), or -1 (index 13 is always -1). */
  private readonly nextMonth: Int8Array;
  /** Allowed days (bit d-1 = day d) for a month starting on weekday w with length n: [w * 4 + n - 28]. */
  private readonly dayMasks: Int32Array;

  private constructor(pattern: CronPattern) {
    refuseUnsupported(pattern);
    this.nextMinute = nextSetTable(pattern.minute, 60, 0);
    this.nextHour = nextSetTable(pattern.hour, 24, 0);
    this.nextMonth = nextSetTable(pattern.month, 12, 1);
    this.dayMasks = dayMaskTable(pattern);
  }

  static compile(expression: string): UtcCronMatcher {
    return new UtcCronMatcher(new CronPattern(expression, 'UTC', { mode: '5-part' }));
  }

  /**
   * The first minute-aligned instant (epoch ms, second 0) strictly after `afterMs` that matches;
   * undefined if none within ~30 years, or none before the year 3000 (croner's limit too).
   */
  next(afterMs: number): number | undefined {
    if (!Number.isFinite(afterMs)) return undefined;
    // The first whole minute strictly after afterMs, whether or not afterMs is itself aligned.
    const start = Math.floor(afterMs / MINUTE_MS) + 1;
    const startDay = Math.floor(start / MINUTES_PER_DAY);
    const minuteOfDay = start - startDay * MINUTES_PER_DAY;
    const found = this.search(startDay, (minuteOfDay / 60) | 0, minuteOfDay % 60);
    return found < 0 ? undefined : found * MINUTE_MS;
  }

  /** Minutes since epoch of the first match at or after (day, hour, minute), or -1. */
  private search(startDay: number, startHour: number, startMinute: number): number {
    const civil = civilFromDays(startDay);
    let year = civil.year;
    let month = civil.month;
    let day = civil.day;
    let hour = startHour;
    let minute = startMinute;
    const lastYear = Math.min(year + HORIZON_YEARS, CRONER_FIRST_YEAR_OUT - 1);
    while (year <= lastYear) {
      const month2 = this.nextMonth[month]!;
      if (month2 < 0) {
        // No allowed month left this year: restart at January of the next.
        year++;
        month = 1;
        day = 1;
        hour = 0;
        minute = 0;
        continue;
      }
      if (month2 !== month) {
        month = month2;
        day = 1;
        hour = 0;
        minute = 0;
      }
      const firstOfMonth = daysFromCivil(year, month, 1);
      const day2 = firstBitFrom(this.dayMask(firstOfMonth, year, month), day);
      if (day2 < 0) {
        // Whole remainder of the month is off; month 13 falls through to the next year above.
        month++;
        day = 1;
        hour = 0;
        minute = 0;
        continue;
      }
      if (day2 !== day) {
        day = day2;
        hour = 0;
        minute = 0;
      }
      const time = this.firstTimeFrom(hour, minute);
      if (time >= 0) return (firstOfMonth + day - 1) * MINUTES_PER_DAY + time;
      // Nothing left today; day may run past the month's end, which the mask then rejects.
      day++;
      hour = 0;
      minute = 0;
    }
    return -1;
  }

  /** Minute of the day of the first allowed time at or after hour:minute, or -1. */
  private firstTimeFrom(hour: number, minute: number): number {
    let h = this.nextHour[hour]!;
    if (h < 0) return -1;
    if (h === hour) {
      const m = this.nextMinute[minute]!;
      if (m >= 0) return h * 60 + m;
      h = this.nextHour[hour + 1]!;
      if (h < 0) return -1;
    }
    return h * 60 + this.nextMinute[0]!;
  }

  private dayMask(firstOfMonth: number, year: number, month: number): number {
    return this.dayMasks[weekdayOf(firstOfMonth) * 4 + monthLength(year, month) - 28]!;
  }
}

/** The search models plain fields only; L, W, #, and croner's `+` AND-modifier are refused upstream. */
function refuseUnsupported(pattern: CronPattern): void {
  const nth = pattern.dayOfWeek.some((v) => v !== 0 && v !== ANY_NTH_WEEKDAY);
  const nearest = pattern.nearestWeekdays.some(Boolean);
  if (pattern.lastDayOfMonth || pattern.lastWeekday || pattern.useAndLogic || nth || nearest) {
    throw new TypeError(`UtcCronMatcher: unsupported cron feature in '${pattern.pattern}'`);
  }
}

/** table[i] = offset + the first index j >= i with bits[j] set, or -1; one extra slot past the end. */
function nextSetTable(bits: readonly number[], size: number, offset: number): Int8Array {
  const table = new Int8Array(size + offset + 1).fill(-1);
  let next = -1;
  for (let i = size - 1; i >= 0; i--) {
    if (bits[i]) next = i + offset;
    table[i + offset] = next;
  }
  return table;
}

/**
 * For each month shape (weekday of the 1st, 28-31 days), the allowed days. croner's day rule:
 * a literal `*` day-of-week leaves day-of-month alone; otherwise a literal `*` day-of-month
 * defers to the weekday, and two restricted fields OR (classic cron).
 */
function dayMaskTable(pattern: CronPattern): Int32Array {
  // croner already folds weekday 7 into 0 (Sunday).
  const weekdays = Array.from({ length: 7 }, (_, w) => Boolean(pattern.dayOfWeek[w]));
  const masks = new Int32Array(7 * 4);
  for (let first = 0; first < 7; first++) {
    for (let length = 28; length <= 31; length++) {
      let mask = 0;
      for (let day = 1; day <= length; day++) {
        const domOn = Boolean(pattern.day[day - 1]);
        const dowOn = weekdays[(first + day - 1) % 7]!;
        const on = pattern.starDOW ? domOn : pattern.starDOM ? dowOn : domOn || dowOn;
        if (on) mask |= 1 << (day - 1);
      }
      masks[first * 4 + length - 28] = mask;
    }
  }
  return masks;
}

/** The lowest day >= `day` whose bit is set in `mask` (bit d-1 = day d), or -1. */
function firstBitFrom(mask: number, day: number): number {
  if (day > 31) return -1;
  // Clear the bits below `day`; `-1 << 31` still keeps bit 31, which no mask uses.
  const rest = mask & (-1 << (day - 1));
  if (rest === 0) return -1;
  return 32 - Math.clz32(rest & -rest);
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function monthLength(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month]!;
}

/** 0 = Sunday; 1970-01-01 (day 0) was a Thursday. */
function weekdayOf(days: number): number {
  const w = (days + 4) % 7;
  return w < 0 ? w + 7 : w;
}

// Howard Hinnant's civil calendar algorithms (proleptic Gregorian, eras of 400 years),
// http://howardhinnant.github.io/date_algorithms.html

interface Civil {
  year: number;
  month: number;
  day: number;
}

function civilFromDays(days: number): Civil {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
