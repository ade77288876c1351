/**
 * An independent cron expansion for the RUN and SCHED-4 checks: they never ask the server what a
 * schedule means before checking what it did. 5 fields, lists, ranges, steps, `*`, month and
 * weekday names, 0 or 7 for Sunday; day-of-month and day-of-week both restricted match when either does.
 */
import { MINUTE } from './time.js';

export interface Cron {
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  /** Day-of-month / day-of-week is `*` (or starts with it): unrestricted for the OR rule. */
  readonly anyDay: boolean;
  readonly anyWeekday: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function field(text: string, min: number, max: number, names: readonly string[] = [], nameBase = 0): Set<number> {
  const value = (word: string): number => {
    const named = names.indexOf(word.toLowerCase());
    const n = named >= 0 ? named + nameBase : /^\d+$/.test(word) ? Number(word) : NaN;
    if (!(n >= min && n <= max)) throw new Error(`cron helper: bad value '${word}' in '${text}'`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined) throw new Error(`cron helper: bad step in '${text}'`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!(Number.isInteger(step) && step > 0)) throw new Error(`cron helper: bad step in '${text}'`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [lo, hi] = [value(a), value(b)];
    } else [lo, hi] = [value(range), stepText === undefined ? value(range) : max];
    for (let n = lo; n <= hi; n += step) out.add(n);
  }
  return out;
}

export function parseCron(source: string): Cron {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron helper: '${source}' is not a 5-field expression`);
  const [m = '', h = '', dom = '', mon = '', dow = ''] = parts;
  const weekdays = field(dow, 0, 7, WEEKDAYS);
  if (weekdays.delete(7)) weekdays.add(0);
  return {
    source,
    minutes: field(m, 0, 59),
    hours: field(h, 0, 23),
    days: field(dom, 1, 31),
    months: field(mon, 1, 12, MONTHS, 1),
    weekdays,
    anyDay: dom.startsWith('*'),
    anyWeekday: dow.startsWith('*'),
  };
}

interface LocalTime {
  readonly year: number;
  readonly minute: number;
  readonly hour: number;
  readonly day: number;
  readonly month: number;
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
export const isUtc = (zone: string) => /^(Etc\/)?(UTC|GMT|UCT|Universal|Zulu)$/i.test(zone);

/** The wall-clock fields of an instant in a time zone. */
export function localTime(ms: number, zone: string): LocalTime {
  if (isUtc(zone)) {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(),
      minute: d.getUTCMinutes(),
      hour: d.getUTCHours(),
      day: d.getUTCDate(),
      month: d.getUTCMonth() + 1,
      weekday: d.getUTCDay(),
    };
  }
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
  return {
    year: Number(parts['year']),
    minute: Number(parts['minute']),
    hour: Number(parts['hour']),
    day: Number(parts['day']),
    month: Number(parts['month']),
    weekday: WEEKDAYS.indexOf(String(parts['weekday']).toLowerCase()),
  };
}

function dayMatches(cron: Cron, t: LocalTime): boolean {
  if (!cron.months.has(t.month)) return false;
  const byDay = cron.days.has(t.day);
  const byWeekday = cron.weekdays.has(t.weekday);
  return !cron.anyDay && !cron.anyWeekday ? byDay || byWeekday : byDay && byWeekday;
}

/**
 * The instants (epoch ms, second 0) strictly after `afterMs` at which `cron` matches in `zone`,
 * up to `until` (inclusive) or `count` of them. Walks real minutes, skipping whole days and hours
 * that cannot match. (On a daylight-saving day it does not model what a cron library does with
 * skipped local times; the checks run in UTC unless the target is configured otherwise.)
 */
export function expand(cron: Cron | string, zone: string, afterMs: number, limit: { until?: number; count?: number }): number[] {
  const c = typeof cron === 'string' ? parseCron(cron) : cron;
  const out: number[] = [];
  let t = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  for (let guard = 0; ; guard++) {
    if (limit.until !== undefined && t > limit.until) break;
    if (limit.count !== undefined && out.length >= limit.count) break;
    if (guard > 5_000_000) throw new Error(`cron helper: '${c.source}' does not fire soon enough`);
    const local = localTime(t, zone);
    if (!dayMatches(c, local)) t += (local.hour < 23 ? (23 - local.hour) * 60 - local.minute : 60 - local.minute) * MINUTE;
    else if (!c.hours.has(local.hour)) t += (60 - local.minute) * MINUTE;
    else {
      if (c.minutes.has(local.minute)) out.push(t);
      t += MINUTE;
    }
  }
  return out;
}
