import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, MAX_FRAME_DEPTH } from '../../src/dap/frames.js';
import { scanNesting } from '../../src/dap/nesting.js';

/** The value with every array or object deeper than `limit` levels replaced by null (the reference for `shallow`). */
function cut(value: unknown, limit: number, depth = 1): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > limit) return null;
  if (Array.isArray(value)) return value.map((v) => cut(v, limit, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v, limit, depth + 1)]));
}

function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

/** JSON values nested up to ~12 levels, with strings full of brackets, quotes and backslashes. */
/** What decoding reads of a frame that has no string command or type. */
const NO_HEADING = { command: null, type: null };

const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ' ') });
const nested = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.integer(), tricky, fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.dictionary(tricky, tie('value'), { maxKeys: 3 }),
})).value;

describe('scanNesting', () => {
  it('finds exactly the values nested deeper than the limit, and cuts them to what a parse would see', () => {
    fc.assert(
      fc.property(nested, fc.integer({ min: 0, max: 8 }), fc.boolean(), (value, limit, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 1 : undefined);
        const scan = scanNesting(text, limit);
        if (depthOf(value) <= limit) expect(scan.kind).toBe('within');
        else {
          expect(scan.kind).toBe('deeper');
          expect(JSON.parse((scan as { shallow: string }).shallow)).toEqual(cut(value, limit));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('calls text that is not JSON invalid, whether it is deep or not', () => {
    fc.assert(
      fc.property(nested, fc.integer({ min: 0, max: 3 }), (value, limit) => {
        const text = JSON.stringify(value);
        // Dropping the last character of a container or string always unbalances it.
        fc.pre(/[\]}"]$/.test(text) && text.length > limit);
        const scan = scanNesting(text.slice(0, -1), limit);
        if (scan.kind !== 'within') expect(scan.kind).toBe('invalid');
        expect(() => JSON.parse(text.slice(0, -1))).toThrow();
      }),
      { numRuns: 1000 },
    );
    expect(scanNesting('['.repeat(10) + ']'.repeat(9), 2).kind).toBe('invalid');
    expect(scanNesting('[[[["x]]]]', 2).kind).toBe('invalid');
    expect(scanNesting(']]]][[[[', 2).kind).toBe('invalid');
    expect(scanNesting('[[[[1,]]]]', 2).kind).toBe('invalid');
  });
});

describe('deeply nested frames (WIRE-9)', () => {
  const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

  it('reads what lies past MAX_FRAME_DEPTH as null, and the rest as sent', () => {
    const frame = `{"type":"request","seq":7,"command":"rrext_ping","arguments":{"junk":${deep(MAX_FRAME_DEPTH - 1)},"keep":"k"}}`;
    const decoded = decodeFrame(frame, false);
    expect(decoded).toMatchObject({ kind: 'request', seq: 7, command: 'rrext_ping', arguments: { keep: 'k' } });
    // Levels 3..4096 of `junk` are kept; the one container at level 4097 reads as null.
    let junk = (decoded as unknown as { arguments: { junk: unknown } }).arguments.junk;
    for (let level = 3; level <= MAX_FRAME_DEPTH; level++) junk = (junk as unknown[])[0];
    expect(junk).toBeNull();
  });

  it('parses a request at the limit whole', () => {
    const frame = `{"type":"request","seq":7,"command":"rrext_ping","arguments":{"junk":${deep(MAX_FRAME_DEPTH - 2)}}}`;
    const decoded = decodeFrame(frame, false) as { kind: string; arguments: unknown };
    expect(decoded.kind).toBe('request');
    // Compared as text: a recursive deep equality would overflow the stack at this depth.
    expect(JSON.stringify(decoded.arguments)).toBe(`{"junk":${deep(MAX_FRAME_DEPTH - 2)}}`);
  });

  it('drops a deep frame whose JSON is broken only past the limit, as JSON.parse would', () => {
    const broken = `{"type":"request","seq":7,"command":"rrext_ping","arguments":{"junk":${'['.repeat(5000)}1,,${']'.repeat(5000)}}}`;
    expect(() => JSON.parse(broken)).toThrow();
    expect(decodeFrame(broken, false)).toEqual({ kind: 'drop', heading: NO_HEADING, reason: 'not JSON' });
  });

  it('drops deep frames with no readable seq, or that are not JSON', () => {
    expect(decodeFrame(deep(1_000_000), false)).toEqual({ kind: 'drop', heading: NO_HEADING, reason: 'not a JSON object' });
    expect(decodeFrame('['.repeat(1_000_000), false)).toEqual({ kind: 'drop', heading: NO_HEADING, reason: 'not JSON' });
    expect(decodeFrame(`{"seq":"x","junk":${deep(5000)}}`, false)).toEqual({
      kind: 'drop',
      heading: NO_HEADING,
      reason: "no numeric 'seq'",
    });
  });

  it('keeps the envelope problem first: a deep frame with a bad command says so', () => {
    expect(decodeFrame(`{"type":"request","seq":1,"command":3,"arguments":${deep(5000)}}`, false)).toEqual({
      kind: 'bad',
      heading: { command: null, type: 'request' },
      seq: 1,
      command: '',
      message: "Invalid request: 'command' must be a non-empty string",
    });
  });
});
