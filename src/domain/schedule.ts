/**
 * Schedule rules (SCHED-1..4). A schedule is "manual", one of seven lower-case presets, or a
 * portable 5-field cron expression. A small grammar gate decides what is portable (croner
 * alone accepts more: L, W, #, ?, 6/7 fields, and even `1-60/5` for minutes); croner then
 * does all the date arithmetic.
 */
import { CronPattern } from 'croner';
import { deployErrors } from './errors.js';

/** @since 0.1.0 */
export const MANUAL = 'manual';

/** SCHED-4: what each preset means. */
export const PRESETS: Readonly<Record<string, string>> = Object.freeze({
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
});

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  // 0 and 7 both mean Sunday (SCHED-1).
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES },
];

/** A parsed, accepted schedule. `cron` is absent for "manual". */
export interface Schedule {
  /** The value exactly as the client sent it (what records echo back). */
  readonly source: string;
  /** The 5-field expression the scheduler runs (presets expanded); undefined for manual. */
  readonly expression: string | undefined;
}

/**
 * Validates a client-supplied schedule. Throws a DeployError (INVALID_SCHEDULE or
 * SCHEDULE_NEVER_FIRES) with the real server's message; returns the parsed schedule.
 * @since 0.1.0
 */
export function parseSchedule(value: unknown): Schedule {
  if (typeof value !== 'string') throw deployErrors.invalidSchedule(value);
  if (value === MANUAL) return MANUAL_SCHEDULE;
  const known = accepted.get(value);
  if (known) return known;
  const expression = value.startsWith('@') ? PRESETS[value] : checkFiveFields(value);
  if (expression === undefined) throw deployErrors.invalidSchedule(value);
  let fires: boolean;
  try {
    fires = firesEver(expression);
  } catch {
    throw deployErrors.invalidSchedule(value); // croner disagrees with the grammar gate: refuse
  }
  if (!fires) throw deployErrors.neverFires(value);
  const schedule: Schedule = { source: value, expression };
  if (accepted.size >= ACCEPTED_CACHE_LIMIT) accepted.delete(accepted.keys().next().value!);
  accepted.set(value, schedule);
  return schedule;
}

const MANUAL_SCHEDULE: Schedule = Object.freeze({ source: MANUAL, expression: undefined });
// croner's parse is most of an add's cost; the same few schedules come again and again, so
// accepted ones are remembered (bounded: a stream of distinct schedules only recycles it).
const ACCEPTED_CACHE_LIMIT = 1024;
const accepted = new Map<string, Schedule>();

/** Returns the normalized expression, or undefined when the value is not portable 5-field cron. */
function checkFiveFields(value: string): string | undefined {
  // Fields are separated by spaces or tabs, as in a crontab; no other whitespace.
  const parts = value.replace(/^[ \t]+|[ \t]+$/g, '').split(/[ \t]+/);
  if (parts.length !== FIELDS.length) return undefined;
  for (let i = 0; i < parts.length; i++) {
    if (!fieldIsValid(parts[i]!, FIELDS[i]!)) return undefined;
  }
  return parts.join(' ');
}

function fieldIsValid(field: string, spec: FieldSpec): boolean {
  return field.split(',').every((item) => itemIsValid(item, spec));
}

/** One list item: `*`, `*\/n`, `v`, `a-b`, `a-b/n` where values may be names in month/dow. */
function itemIsValid(item: string, spec: FieldSpec): boolean {
  const [range, step, extra] = item.split('/');
  if (extra !== undefined || range === undefined) return false;
  // croner refuses steps larger than the field's span; the gate only wants a positive number.
  if (step !== undefined && !(/^[0-9]{1,3}$/.test(step) && Number(step) > 0)) return false;
  if (range === '*') return true;
  const bounds = range.split('-');
  if (bounds.length > 2) return false;
  const numbers = bounds.map((b) => valueOf(b, spec));
  if (numbers.some((n) => n === undefined)) return false;
  if (bounds.length === 2) return numbers[0]! <= numbers[1]!;
  // A single value with a step (`5/10`) is not portable cron.
  return step === undefined;
}

function valueOf(token: string, spec: FieldSpec): number | undefined {
  if (/^[0-9]{1,2}$/.test(token)) {
    const n = Number(token);
    return n >= spec.min && n <= spec.max ? n : undefined;
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index < 0) return undefined;
  return spec.names === MONTH_NAMES ? index + 1 : index;
}

/**
 * Whether some date matches (SCHED-3 rejects `0 0 30 2 *` and friends), decided on croner's
 * parsed pattern instead of croner's date search, which takes milliseconds per expression and
 * would let a client stall the server with a stream of distinct never-firing schedules.
 * As in classic cron (and croner), a restricted day-of-week ORs with day-of-month, and a
 * weekday occurs in every month; so only an unrestricted weekday with day-of-month days that no
 * chosen month has can never fire. Throws if croner refuses the expression.
 */
function firesEver(expression: string): boolean {
  const pattern = new CronPattern(expression, 'UTC', { mode: '5-part' });
  if (pattern.starDOM || !pattern.starDOW) return true;
  return pattern.month.some((monthOn, month) => monthOn && pattern.day.some((dayOn, day) => dayOn && day < LONGEST_MONTH_DAYS[month]!));
}

/** The most days each month can have (February in a leap year). */
const LONGEST_MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
