/**
 * Parsing of control inputs, which arrive untyped (HTTP bodies, query strings, CLI words).
 * Every failure is a ControlError BAD_INPUT with a message naming the field.
 */
import { ControlError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** The largest instant a JavaScript Date can hold (year 275760); the clock cannot go past it. */
export const MAX_INSTANT_MS = 8.64e15;

/**
 * A span of time: whole milliseconds as a number, or a string such as `90s`, `15m`, `1h30m`,
 * `2d`, `500ms`, `1.5s` (units ms, s, m, h, d; a bare number string means milliseconds).
 */
export function parseDuration(value: unknown, field: string): number {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text);
    else if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) {
      ms = 0;
      for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(amount) * UNITS[unit!]!;
    }
  }
  // Whole milliseconds only, so that spans add up exactly: advancing by a + b and by a then b
  // must reach the same instant (RUN-8), which fractions of a millisecond would break.
  if (ms !== undefined && Number.isInteger(ms) && ms >= 0 && ms <= MAX_INSTANT_MS) return ms;
  throw badInput(
    `${field} must be a duration in whole milliseconds: a number, or a string like "90s", "15m", "1h30m", "2d" (got ${show(value)})`,
  );
}

/** An instant: whole epoch milliseconds, or a real ISO 8601 date-time with a zone (`2026-11-26T10:07:00Z`). */
export function parseInstant(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= MAX_INSTANT_MS) return value;
  const parts = typeof value === 'string' ? ISO_INSTANT.exec(value.trim()) : null;
  if (parts && isCalendarDate(parts)) {
    const ms = Date.parse(parts[0]);
    if (Number.isFinite(ms)) return ms;
  }
  throw badInput(
    `${field} must be an instant: epoch milliseconds or an ISO date-time with a zone, like "2026-11-26T10:07:00Z" (got ${show(value)})`,
  );
}

const ISO_INSTANT = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?(?:Z|[+-](\d\d):(\d\d))$/;

/** Date.parse rolls `02-30` into March and `T24:00` into the next day; refuse them instead. */
function isCalendarDate([, y, mo, d, h, mi, s = '0', oh = '0', om = '0']: RegExpExecArray): boolean {
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    Number(h) <= 23 &&
    Number(mi) <= 59 &&
    Number(s) <= 59 &&
    Number(oh) <= 23 &&
    Number(om) <= 59
  );
}

export function parseText(value: unknown, field: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw badInput(`${field} must be a non-empty string (got ${show(value)})`);
}

export function parseOptionalText(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : parseText(value, field);
}

export function parseChoice<T extends string>(value: unknown, field: string, choices: readonly T[]): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw badInput(`${field} must be one of ${choices.map((c) => `"${c}"`).join(', ')} (got ${show(value)})`);
}

export function parseBoolean(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw badInput(`${field} must be true or false (got ${show(value)})`);
}

export function parseObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw badInput(`${field} must be a JSON object (got ${show(value)})`);
}

/** A whole number (or its decimal string, as query strings carry it) of at least `min`. */
export function wholeNumber(value: unknown, field: string, min: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= min) return n;
  throw badInput(`${field} must be a whole number of at least ${min} (got ${JSON.stringify(value) ?? String(value)})`);
}

export function badInput(message: string): ControlError {
  return new ControlError('BAD_INPUT', message);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
