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
 * SCHEDULE_NEVER_FIRES) in the real server's words, with what is wrong between its two
 * sentences; returns the parsed schedule.
 * @since 0.1.0
 */
export function parseSchedule(value: unknown): Schedule {
  if (typeof value !== 'string') throw deployErrors.invalidSchedule(value, `A schedule is a string, not ${kindOf(value)}`);
  if (value === MANUAL) return MANUAL_SCHEDULE;
  const known = accepted.get(value);
  if (known) return known;
  const checked = value.startsWith('@') ? checkPreset(value) : checkFiveFields(value);
  if (!checked.ok) throw deployErrors.invalidSchedule(value, checked.reason);
  const { expression } = checked;
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

/** A schedule's expression, or why it has none: a sentence naming the part that is wrong. */
type Checked = { readonly ok: true; readonly expression: string } | { readonly ok: false; readonly reason: string };
const refused = (reason: string): Checked => ({ ok: false, reason });

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A part of the client's value, quoted, and cut short: a reason must not echo a megabyte. */
function quote(text: string): string {
  return `'${text.length > 40 ? `${text.slice(0, 40)}...` : text}'`;
}

function checkPreset(value: string): Checked {
  const expression = PRESETS[value];
  if (expression !== undefined) return { ok: true, expression };
  if (PRESETS[value.toLowerCase()] !== undefined) return refused(`Presets are lower case: ${quote(value.toLowerCase())}`);
  return refused(`${quote(value)} is not a preset; the presets are ${Object.keys(PRESETS).join(', ')}`);
}

/** The normalized expression, or why the value is not portable 5-field cron. */
function checkFiveFields(value: string): Checked {
  if (value.trim() === '') return refused('It is empty');
  if (value.toLowerCase() === MANUAL) return refused(`Write ${quote(MANUAL)} in lower case`);
  // Fields are separated by spaces or tabs, as in a crontab; no other whitespace.
  if (/[^\S \t]/.test(value)) return refused('It holds a line break or other whitespace: fields are separated by spaces or tabs');
  const parts = value.replace(/^[ \t]+|[ \t]+$/g, '').split(/[ \t]+/);
  if (parts.length !== FIELDS.length) {
    const beyond = parts.length > FIELDS.length ? ' (seconds and years are not supported)' : '';
    return refused(
      `It has ${parts.length} field${parts.length === 1 ? '' : 's'}${beyond}; cron has 5: ${FIELDS.map((f) => f.name).join(' ')}`,
    );
  }
  for (let i = 0; i < parts.length; i++) {
    const reason = fieldFault(parts[i]!, FIELDS[i]!);
    if (reason !== undefined) return refused(reason);
  }
  return { ok: true, expression: parts.join(' ') };
}

/** What is wrong with one field (a list of items), or undefined. */
function fieldFault(field: string, spec: FieldSpec): string | undefined {
  for (const item of field.split(',')) {
    if (item === '') return `The ${spec.name} field ${quote(field)} has an empty list item`;
    const reason = itemFault(item, spec);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/** What some crons (Quartz, Jenkins, croner) accept beyond the portable grammar, by its usual name. */
const EXTENSIONS = [
  { name: 'L (last)', pattern: /^(?:\d*L|L-\d+|LW)$/i },
  { name: 'W (nearest weekday)', pattern: /^\d+W$/i },
  { name: '# (nth weekday)', pattern: /^\w+#\d+$/ },
  { name: '? (no value)', pattern: /^\?$/ },
  { name: 'H (hash)', pattern: /^H(?:\(\d+-\d+\))?(?:\/\d+)?$/i },
];

/** One list item: `*`, `*\/n`, `v`, `a-b`, `a-b/n` where values may be names in month/dow. */
function itemFault(item: string, spec: FieldSpec): string | undefined {
  const where = `${quote(item)} in the ${spec.name} field`;
  const extension = EXTENSIONS.find(({ pattern }) => pattern.test(item));
  if (extension) return `${where} uses ${extension.name}, which is not portable 5-field cron`;
  const [range, step, extra] = item.split('/');
  if (extra !== undefined) return `${where} has two steps`;
  // croner refuses steps larger than the field's span; the gate only wants a positive number.
  if (step !== undefined && !(/^[0-9]{1,3}$/.test(step) && Number(step) > 0))
    return `The step of ${where} must be a whole number from 1 to 999`;
  if (range === '*') return undefined;
  const bounds = range!.split('-');
  if (bounds.length > 2 || bounds.some((b) => b === '')) return `${where} is not a value or a range (like 5 or 1-5)`;
  for (const bound of bounds) {
    const reason = valueFault(bound, spec);
    if (reason !== undefined) return reason;
  }
  const [from, to] = bounds.map((b) => valueOf(b, spec)!);
  if (to !== undefined && from! > to) return `The range ${quote(range!)} in the ${spec.name} field runs backwards`;
  // A single value with a step (`5/10`) is not portable cron.
  if (to === undefined && step !== undefined) return `${where}: a step needs * or a range before it, like */15 or 0-30/15`;
  return undefined;
}

function valueFault(token: string, spec: FieldSpec): string | undefined {
  if (valueOf(token, spec) !== undefined) return undefined;
  const name = spec.name[0]!.toUpperCase() + spec.name.slice(1);
  if (/^[0-9]{3,}$/.test(token)) return `${name} ${quote(token)} has more than two digits`;
  if (/^[0-9]+$/.test(token)) return `${name} ${quote(token)} is out of range ${spec.min}-${spec.max}`;
  if (spec.names === undefined) return `The ${spec.name} field takes numbers ${spec.min}-${spec.max}, not ${quote(token)}`;
  return `${quote(token)} is not a ${spec.name}: give ${spec.min}-${spec.max} or a name ${spec.names[0]}-${spec.names[spec.names.length - 1]}`;
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
