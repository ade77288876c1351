/**
 * Schedule rules (SCHED-1..4). A schedule is "manual", one of seven lower-case presets, or a
 * portable 5-field cron expression. A small grammar gate decides what is portable (croner
 * alone accepts more: L, W, #, ?, 6/7 fields, and even `1-60/5` for minutes); croner then
 * does all the date arithmetic.
 */
import { Cron } from 'croner';
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
  if (value === MANUAL) return { source: value, expression: undefined };
  const expression = value.startsWith('@') ? PRESETS[value] : checkFiveFields(value);
  if (expression === undefined) throw deployErrors.invalidSchedule(value);
  let fires: boolean;
  try {
    fires = firesEver(expression);
  } catch {
    throw deployErrors.invalidSchedule(value); // croner disagrees with the grammar gate: refuse
  }
  if (!fires) throw deployErrors.neverFires(value);
  return { source: value, expression };
}

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
  if (step !== undefined && !/^[1-9][0-9]{0,2}$/.test(step)) return false;
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
 * Whether some date matches (SCHED-3 rejects `0 0 30 2 *` and friends). croner's search for
 * a never-matching expression takes milliseconds, so answers are remembered per normalized
 * expression (a bounded map: hostile clients cannot grow it, and the hot path stays cheap).
 */
function firesEver(expression: string): boolean {
  let fires = firesCache.get(expression);
  if (fires === undefined) {
    fires = new Cron(expression, { mode: '5-part', timezone: 'UTC' }).nextRun(new Date(0)) !== null;
    if (firesCache.size >= FIRES_CACHE_LIMIT) firesCache.delete(firesCache.keys().next().value!);
    firesCache.set(expression, fires);
  }
  return fires;
}
const FIRES_CACHE_LIMIT = 4096;
const firesCache = new Map<string, boolean>();
