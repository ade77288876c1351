/**
 * A guard in front of JSON.parse for deeply nested frames. V8 parses nesting about a hundred
 * times slower per byte than flat JSON (0.3 µs a level): a 16 MiB frame of brackets took over
 * 3 s, and the server serves no one while it parses. A frame with many brackets is checked in
 * one pass instead (json-syntax.ts), and what lies deeper than the limit is cut, so what is
 * parsed is small. JSON.parse would decide every frame the same way: valid or not.
 */
import { checkJson } from './json-syntax.js';

/** What the scan found: within the limit, not JSON, or too deep (with a copy cut to the limit). */
export type NestingScan = { kind: 'within' } | { kind: 'invalid' } | { kind: 'deeper'; shallow: string };

const WITHIN: NestingScan = { kind: 'within' };
const INVALID: NestingScan = { kind: 'invalid' };

/**
 * Scans JSON text for arrays and objects nested more than `limit` levels. When they are, each
 * outermost container past the limit is replaced by `null` in `shallow`. Text with no more than
 * `limit` opening brackets in all is not scanned at all: it cannot nest deeper, and JSON.parse
 * handles it quickly.
 */
export function scanNesting(text: string, limit: number): NestingScan {
  if (!hasMoreOpeningsThan(text, limit)) return WITHIN;
  const check = checkJson(text, limit);
  if (check === 'invalid') return INVALID;
  return check.shallow === undefined ? WITHIN : { kind: 'deeper', shallow: check.shallow };
}

/** Whether `text` has more than `limit` of `[` and `{` together (inside strings too: an upper bound). */
function hasMoreOpeningsThan(text: string, limit: number): boolean {
  if (text.length <= limit) return false;
  let count = 0;
  for (const bracket of ['[', '{']) {
    for (let i = text.indexOf(bracket); i >= 0; i = text.indexOf(bracket, i + 1)) if (++count > limit) return true;
  }
  return false;
}
