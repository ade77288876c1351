import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cron } from 'croner';
import { ZonedCronMatcher } from '../../src/domain/zoned-cron.js';
import { ZoneOffsets } from '../../src/domain/zone-offsets.js';
import { cronPattern } from '../helpers/cron-patterns.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * Zones with different rules: northern and southern hemisphere daylight saving, a 30-minute
 * shift (Lord Howe), a +5:45 offset that was +5:30 until 1986 (Kathmandu), zones that changed
 * their rules in the last decades (Moscow 2011 and 2014, São Paulo and Tehran gave up DST in
 * 2019 and 2022), a change at midnight (Havana), a skipped calendar day (Apia, 2011-12-30).
 */
const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Australia/Sydney',
  'America/Santiago',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'Europe/Moscow',
  'America/Sao_Paulo',
  'Asia/Tehran',
  'America/Havana',
  'Pacific/Apia',
] as const;

const FROM = Date.UTC(1970, 0, 1);
const TO = Date.UTC(2040, 0, 1);

/**
 * The zone's offset changes in [FROM, TO), found apart from the code under test: Intl's own
 * `longOffset` name ("GMT+05:45"), one look a day, bisected to the minute.
 */
function transitionsOf(timezone: string): number[] {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
  const name = (ms: number) => format.formatToParts(ms).find((p) => p.type === 'timeZoneName')!.value;
  const found: number[] = [];
  let before = name(FROM);
  for (let day = FROM + DAY; day < TO; day += DAY) {
    const now = name(day);
    if (now === before) continue;
    let lo = day - DAY;
    let hi = day;
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (name(mid) === before) lo = mid;
      else hi = mid;
    }
    found.push(hi);
    before = now;
  }
  return found;
}

const transitions = new Map(ZONES.map((zone) => [zone, transitionsOf(zone)]));

/** The zone's transitions: most instants fall within a day or two of one, where the rules bite. */
const zoneAndInstant = fc.constantFrom(...ZONES).chain((zone) => {
  const changes = transitions.get(zone)!;
  const near = fc
    .tuple(fc.constantFrom(...changes), fc.integer({ min: -3 * DAY, max: 3 * DAY }), fc.boolean())
    .map(([at, shift, aligned]) => (aligned ? Math.floor((at + shift) / MINUTE) * MINUTE : at + shift));
  const anywhere = fc.integer({ min: FROM, max: TO });
  return fc.tuple(fc.constant(zone), fc.oneof({ arbitrary: near, weight: 4 }, { arbitrary: anywhere, weight: 1 }));
});

/**
 * Expressions that meet the transitions: fixed-time jobs (one minute, one hour: croner moves them
 * out of a gap and runs them once in a repeated hour) and interval jobs over the small hours,
 * besides any expression at all.
 */
const smallHour = fc.integer({ min: 0, max: 4 });
const zonePattern = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 59 }), smallHour).map(([m, h]) => `${m} ${h} * * *`),
  fc.tuple(fc.constantFrom(1, 5, 15, 20, 30), smallHour).map(([step, h]) => `*/${step} ${h} * * *`),
  fc.tuple(fc.integer({ min: 0, max: 59 }), smallHour, smallHour).map(([m, a, b]) => `${m} ${Math.min(a, b)}-${Math.max(a, b)} * * *`),
  fc.constantFrom('* * * * *', '0 * * * *', '30 * * * *', '45 * * * *', '0 0 * * *', '30 0 * * *', '0 0 * * 0'),
  cronPattern,
);

function croner(expression: string, timezone: string): Cron | undefined {
  try {
    return new Cron(expression, { mode: '5-part', timezone });
  } catch {
    return undefined; // croner refuses it (a step longer than the field): nothing to compare
  }
}

function compiled(expression: string, timezone: string): ZonedCronMatcher | undefined {
  try {
    return ZonedCronMatcher.compile(expression, timezone);
  } catch {
    return undefined;
  }
}

const local = (ms: number | undefined, timezone: string) =>
  ms === undefined
    ? undefined
    : new Intl.DateTimeFormat('sv-SE', { timeZone: timezone, dateStyle: 'short', timeStyle: 'short', hourCycle: 'h23' }).format(ms);

/** The next `count` ticks strictly after `after`, each found from the one before, in local time. */
function ticks(expression: string, timezone: string, after: string, count: number): Array<string | undefined> {
  const matcher = ZonedCronMatcher.compile(expression, timezone);
  const out: Array<string | undefined> = [];
  for (let t = matcher.next(Date.parse(after)); t !== undefined && out.length < count; t = matcher.next(t)) out.push(local(t, timezone));
  return out;
}

describe('ZonedCronMatcher, hand-checked daylight-saving days', () => {
  it('moves a fixed time in the spring-forward gap to the gap end (Berlin, 2026-03-29, 02:00 -> 03:00)', () => {
    expect(ticks('30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z', 3)).toEqual([
      '2026-03-29 03:00',
      '2026-03-30 02:30',
      '2026-03-31 02:30',
    ]);
  });

  it('skips an interval job in the gap, and runs it through both passes of a repeated hour (Berlin)', () => {
    expect(ticks('*/30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z', 2)).toEqual(['2026-03-30 02:00', '2026-03-30 02:30']);
    const fallBack = ZonedCronMatcher.compile('*/15 2 * * *', 'Europe/Berlin');
    const utc: string[] = [];
    for (let t = fallBack.next(Date.parse('2026-10-24T23:59:00Z')); t! < Date.parse('2026-10-25T02:00:00Z'); t = fallBack.next(t!))
      utc.push(new Date(t!).toISOString().slice(11, 16));
    expect(utc).toEqual(['00:00', '00:15', '00:30', '00:45', '01:00', '01:15', '01:30', '01:45']); // 02:xx at +2, then at +1
  });

  it('runs a fixed time in a repeated hour once, at its first pass (Berlin, 2026-10-25)', () => {
    const matcher = ZonedCronMatcher.compile('30 2 * * *', 'Europe/Berlin');
    expect(new Date(matcher.next(Date.parse('2026-10-24T12:00:00Z'))!).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    // From inside the second pass, before its 02:30: the next is the next day's.
    expect(new Date(matcher.next(Date.parse('2026-10-25T01:10:00Z'))!).toISOString()).toBe('2026-10-26T01:30:00.000Z');
  });

  it('follows a 30-minute shift (Lord Howe, 2026-10-04, 02:00 -> 02:30) and a +5:45 offset (Kathmandu)', () => {
    expect(ticks('15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z', 2)).toEqual(['2026-10-04 02:30', '2026-10-05 02:15']);
    expect(ticks('0 9 * * *', 'Asia/Kathmandu', '2026-11-26T00:00:00Z', 1)).toEqual(['2026-11-26 09:00']);
    expect(new Date(ZonedCronMatcher.compile('0 9 * * *', 'Asia/Kathmandu').next(Date.parse('2026-11-26T00:00:00Z'))!).toISOString()).toBe(
      '2026-11-26T03:15:00.000Z',
    );
  });

  it('skips the calendar day Samoa left out (Apia, 2011-12-30)', () => {
    expect(ticks('0 12 * * *', 'Pacific/Apia', '2011-12-28T00:00:00Z', 3)).toEqual([
      '2011-12-28 12:00',
      '2011-12-29 12:00',
      '2011-12-31 12:00',
    ]);
  });
});

describe('ZonedCronMatcher against croner', () => {
  it('finds the same next tick and the same next five ticks as croner, around the transitions of eleven zones', () => {
    fc.assert(
      fc.property(zonePattern, zoneAndInstant, (expression, [timezone, after]) => {
        const oracle = croner(expression, timezone);
        const matcher = compiled(expression, timezone);
        if (!oracle || !matcher) return;
        const chain: number[] = [];
        for (let from = after, i = 0; i < 5; i++) {
          const tick = oracle.nextRun(new Date(from));
          if (!tick) break;
          chain.push(tick.getTime());
          from = tick.getTime();
        }
        const found: number[] = [];
        for (let t = matcher.next(after); t !== undefined && found.length < 5; t = matcher.next(t)) found.push(t);
        expect(found.map((t) => local(t, timezone))).toEqual(chain.map((t) => local(t, timezone)));
        expect(found).toEqual(chain);
      }),
      { numRuns: 1000 },
    );
  }, 120_000);

  it('walks every minute across each transition of 2025 and 2026 in each zone as croner does', () => {
    for (const timezone of ZONES) {
      const oracle = new Cron('* * * * *', { mode: '5-part', timezone });
      const matcher = ZonedCronMatcher.compile('* * * * *', timezone);
      // Only the minutes around each transition are asked of croner: a year of its nextRun takes minutes.
      for (const at of transitions.get(timezone)!.filter((t) => t >= Date.UTC(2025, 0, 1) && t < Date.UTC(2027, 0, 1))) {
        for (let t = at - 2 * HOUR; t < at + 3 * HOUR; t = matcher.next(t)!)
          expect(matcher.next(t)).toBe(oracle.nextRun(new Date(t))!.getTime());
      }
    }
  }, 120_000);
});

describe('ZoneOffsets', () => {
  it('has the offsets Intl gives, and the transitions an independent scan finds, forwards and backwards', () => {
    for (const timezone of ZONES) {
      const table = new ZoneOffsets(timezone);
      const expected = transitions.get(timezone)!;
      // Asked first in 2026, then back in 1975: the table grows both ways.
      for (const year of [2026, 2027, 1975, 1990]) {
        const start = Date.UTC(year, 0, 1);
        const seen: number[] = [];
        for (let t = start; t < Date.UTC(year + 1, 0, 1);) {
          const span = table.span(t, t, t + 400 * DAY);
          expect(span.offset).toBe(table.offsetAt(t));
          if (!span.next || span.next.at >= Date.UTC(year + 1, 0, 1)) break;
          expect(span.next.before).toBe(span.offset);
          seen.push(span.next.at);
          t = span.next.at;
        }
        expect(seen, `${timezone} ${year}`).toEqual(expected.filter((t) => t >= start && t < Date.UTC(year + 1, 0, 1)));
      }
    }
  }, 120_000);

  it('reads a +5:45 offset, and a half-hour daylight saving', () => {
    expect(new ZoneOffsets('Asia/Kathmandu').offsetAt(Date.UTC(2026, 5, 1))).toBe((5 * 60 + 45) * MINUTE);
    const lordHowe = new ZoneOffsets('Australia/Lord_Howe');
    expect(lordHowe.offsetAt(Date.UTC(2026, 0, 1)) - lordHowe.offsetAt(Date.UTC(2026, 6, 1))).toBe(30 * MINUTE);
  });
});
