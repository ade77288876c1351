/**
 * Failure messages that carry their evidence: every offending value (up to a screenful, then a
 * count) and, for a record that changed, the fields that differ with both values, instead of
 * an assertion library's `expected [ …(25) ] to deeply equal []`.
 */
import { expect } from 'vitest';
import { listing } from './findings.js';
import { isJsonObject, jsonEqual, show } from './model.js';

/** Fails, listing them, unless `items` is empty. Start `headline` with a clause ID to name the clause broken. */
export function expectNone(items: readonly string[], headline: string): void {
  if (items.length > 0) expect.fail(listing(headline, items));
}

/** The fields in which two records (or any JSON values) differ, each with both values. */
export function differences(actual: unknown, expected: unknown): string[] {
  if (!isJsonObject(actual) || !isJsonObject(expected))
    return jsonEqual(actual, expected) ? [] : [`${show(actual, 400)}, expected ${show(expected, 400)}`];
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
  return keys
    .filter((key) => !jsonEqual(actual[key], expected[key]))
    .map(
      (key) =>
        `${key}: ${key in actual ? show(actual[key], 300) : '(missing)'}${key in expected ? `, was ${show(expected[key], 300)}` : ' (new)'}`,
    );
}

/** Fails naming each differing field unless `actual` equals `expected`. */
export function expectUnchanged(actual: unknown, expected: unknown, headline: string): void {
  const changed = differences(actual, expected);
  if (changed.length > 0) expect.fail(`${headline}: ${changed.join('; ')}`);
}
