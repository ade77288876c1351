/** isoTime writes every instant exactly as Date#toISOString does, on its fast path and off it. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/domain/iso-time.js';

describe('isoTime', () => {
  it('equals toISOString for any instant a Date holds, in any order of calls', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -8.64e15, max: 8.64e15 }), { minLength: 1, maxLength: 20 }), (instants) => {
        for (const ms of instants) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 300 },
    );
  });

  it('on the edges: a day boundary, the epoch, year 9999 and 10000, a fraction of a millisecond', () => {
    for (const ms of [0, 86_399_999, 86_400_000, 253_402_300_799_999, 253_402_300_800_000, -1, 1.5, Date.parse('2026-11-26T23:59:59.999Z')])
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoTime(NaN)).toThrow(RangeError);
  });
});
