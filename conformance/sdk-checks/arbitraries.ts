/**
 * Generators and comparisons shared by the SDK checks. Values cross a driver as JSON, so they
 * are compared as JSON: what the SDK was given, written as JSON and read back, is what the
 * server must have received.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { scheduleCorpus } from '../corpus.js';

/** Pipelines with any JSON content (strings of whole characters: a driver may be UTF-8 only). */
export function pipelineContent(): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((k) => k !== 'project_id'),
    fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 2 }),
    { maxKeys: 5 },
  );
}

let ids = 0;
/** A project id unique in this check file (each SDK session is a user of its own, so that is enough). */
export const newId = (label: string): string => `${label}-${++ids}`;

export const validSchedule = (): fc.Arbitrary<string> => fc.constantFrom(...scheduleCorpus.valid.map((c) => c.value));

/** A value as it reads after a trip through JSON (-0 becomes 0, undefined keys go). */
export function asJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** Whether two values are the same JSON. */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(asJson(a), asJson(b));
}

/** Fails with both values shown, as JSON, naming the clause. */
export function expectSameJson(clause: string, what: string, actual: unknown, expected: unknown): void {
  if (!sameJson(actual, expected)) {
    throw new Error(
      `${clause}: ${what}\n  expected: ${JSON.stringify(asJson(expected))}\n  actual:   ${JSON.stringify(asJson(actual)) ?? 'undefined'}`,
    );
  }
}

export function fail(clause: string, message: string): never {
  throw new Error(`${clause}: ${message}`);
}
