import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cron } from 'croner';
import { UtcCronMatcher } from '../../src/domain/cron-next.js';
import { cronPattern as pattern } from '../helpers/cron-patterns.js';

const ms = (iso: string): number => Date.parse(iso);
const iso = (epochMs: number | undefined): string | undefined => (epochMs === undefined ? undefined : new Date(epochMs).toISOString());
const nextIso = (expression: string, after: string): string | undefined => iso(UtcCronMatcher.compile(expression).next(ms(after)));
/** The next `count` matches strictly after `afterMs`, each found from the one before. */
function nextN(matcher: UtcCronMatcher, count: number, afterMs: number): number[] {
  const out: number[] = [];
  for (let tick = matcher.next(afterMs); tick !== undefined && out.length < count; tick = matcher.next(tick)) out.push(tick);
  return out;
}
const nextNIso = (expression: string, count: number, after: string): string[] =>
  nextN(UtcCronMatcher.compile(expression), count, ms(after)).map((t) => new Date(t).toISOString());

describe('UtcCronMatcher, hand-checked examples', () => {
  it('steps every 15 minutes', () => {
    expect(nextNIso('*/15 * * * *', 4, '2026-11-26T10:07:00Z')).toEqual([
      '2026-11-26T10:15:00.000Z',
      '2026-11-26T10:30:00.000Z',
      '2026-11-26T10:45:00.000Z',
      '2026-11-26T11:00:00.000Z',
    ]);
  });

  it('ORs a restricted day-of-month with a restricted day-of-week (2026-06-01 is a Monday)', () => {
    expect(nextNIso('0 9 1 * MON', 6, '2026-06-01T09:00:00Z')).toEqual([
      '2026-06-08T09:00:00.000Z',
      '2026-06-15T09:00:00.000Z',
      '2026-06-22T09:00:00.000Z',
      '2026-06-29T09:00:00.000Z',
      '2026-07-01T09:00:00.000Z',
      '2026-07-06T09:00:00.000Z',
    ]);
  });

  it('ORs with */1 in day-of-week too (croner counts only a literal * as unrestricted)', () => {
    expect(nextNIso('0 0 31 * */1', 2, '2026-06-01T12:00:00Z')).toEqual(['2026-06-02T00:00:00.000Z', '2026-06-03T00:00:00.000Z']);
  });

  it('fires Feb 29 only in leap years (2100 is not one)', () => {
    expect(nextIso('0 0 29 2 *', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(nextIso('0 0 29 2 *', '2096-03-01T00:00:00Z')).toBe('2104-02-29T00:00:00.000Z');
  });

  it('expands each preset as SCHED-4 says (2026-11-26 is a Thursday)', () => {
    const from = '2026-11-26T10:07:00Z';
    expect(nextIso('0 * * * *', from)).toBe('2026-11-26T11:00:00.000Z'); // @hourly
    expect(nextIso('0 0 * * *', from)).toBe('2026-11-27T00:00:00.000Z'); // @daily, @midnight
    expect(nextIso('0 0 * * 0', from)).toBe('2026-11-29T00:00:00.000Z'); // @weekly
    expect(nextIso('0 0 1 * *', from)).toBe('2026-12-01T00:00:00.000Z'); // @monthly
    expect(nextIso('0 0 1 1 *', from)).toBe('2027-01-01T00:00:00.000Z'); // @yearly, @annually
  });

  it('returns the next match strictly after an instant that itself matches', () => {
    expect(nextIso('0 * * * *', '2026-11-26T11:00:00.000Z')).toBe('2026-11-26T12:00:00.000Z');
    expect(nextIso('*/15 * * * *', '2026-11-26T10:15:00.000Z')).toBe('2026-11-26T10:30:00.000Z');
  });

  it('ignores seconds and milliseconds of the starting instant', () => {
    expect(nextIso('*/15 * * * *', '2026-11-26T10:14:59.999Z')).toBe('2026-11-26T10:15:00.000Z');
    expect(nextIso('*/15 * * * *', '2026-11-26T10:15:00.001Z')).toBe('2026-11-26T10:30:00.000Z');
  });

  it('crosses month and year boundaries', () => {
    expect(nextIso('* * * * *', '2026-12-31T23:59:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(nextIso('0 0 * * *', '2026-04-30T12:00:00Z')).toBe('2026-05-01T00:00:00.000Z');
    expect(nextIso('0 0 31 * *', '2026-04-01T00:00:00Z')).toBe('2026-05-31T00:00:00.000Z');
    expect(nextIso('59 23 31 12 *', '2026-06-01T00:00:00Z')).toBe('2026-12-31T23:59:00.000Z');
    expect(nextIso('59 23 31 12 *', '2026-12-31T23:59:00Z')).toBe('2027-12-31T23:59:00.000Z');
  });

  it('reads Sunday as 0 or 7, and month and weekday names', () => {
    expect(nextIso('0 0 * * 7', '2026-11-26T10:07:00Z')).toBe('2026-11-29T00:00:00.000Z');
    expect(nextIso('0 0 * * SUN', '2026-11-26T10:07:00Z')).toBe('2026-11-29T00:00:00.000Z');
    expect(nextIso('30 6 * FEB-MAR fri', '2026-11-26T10:07:00Z')).toBe('2027-02-05T06:30:00.000Z');
  });

  it('finds nothing for a never-firing expression (a safety net: parseSchedule refuses these)', () => {
    expect(nextIso('0 0 30 2 *', '2026-01-01T00:00:00Z')).toBeUndefined();
    expect(nextN(UtcCronMatcher.compile('0 0 30 2 *'), 3, ms('2026-01-01T00:00:00Z'))).toEqual([]);
  });

  it('stops before the year 3000, as croner does', () => {
    expect(nextIso('0 0 1 1 *', '2998-06-01T00:00:00Z')).toBe('2999-01-01T00:00:00.000Z');
    expect(nextIso('0 0 1 1 *', '2999-06-01T00:00:00Z')).toBeUndefined();
    const oracle = new Cron('0 0 1 1 *', { mode: '5-part', timezone: 'UTC' });
    expect(oracle.nextRun(new Date('2999-06-01T00:00:00Z'))).toBeNull();
  });

  it('refuses croner extensions it does not model', () => {
    for (const expression of ['0 0 L * *', '0 0 15W * *', '0 0 * * 5#2', '0 0 * * 5L', '0 0 1 * +MON']) {
      expect(() => UtcCronMatcher.compile(expression)).toThrow();
    }
  });
});

// ---- property: croner is the oracle ----

const FROM = Date.UTC(1970, 0, 1);
const TO = Date.UTC(2100, 0, 1);
const instant = fc.oneof(
  fc.integer({ min: FROM, max: TO }),
  // Minute-aligned instants, so that starting on a match happens often.
  fc.integer({ min: FROM / 60_000, max: TO / 60_000 }).map((minutes) => minutes * 60_000),
);

function croner(expression: string): Cron | undefined {
  try {
    return new Cron(expression, { mode: '5-part', timezone: 'UTC' });
  } catch {
    return undefined; // croner refuses it (e.g. a step longer than the field): nothing to compare
  }
}

describe('UtcCronMatcher against croner', () => {
  it('finds the same next tick and the same next five ticks as croner', () => {
    fc.assert(
      fc.property(pattern, instant, (expression, after) => {
        const oracle = croner(expression);
        if (!oracle) return;
        const matcher = UtcCronMatcher.compile(expression);
        const expected = oracle.nextRun(new Date(after))?.getTime();
        expect(matcher.next(after)).toBe(expected);

        const chain: number[] = [];
        let from = after;
        for (let i = 0; i < 5; i++) {
          const tick = oracle.nextRun(new Date(from));
          if (!tick) break;
          chain.push(tick.getTime());
          from = tick.getTime();
        }
        expect(nextN(matcher, 5, after)).toEqual(chain);
      }),
      { numRuns: 500 },
    );
  });
});
