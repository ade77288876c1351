import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cron } from 'croner';
import { DeployError, parseSchedule, PRESETS } from '../../src/index.js';
import { scheduleCorpus } from '../helpers/fixtures.js';

const EXPECTED = 'Expected "manual", a cron preset (@hourly etc.), or a 5-field cron expression.';

describe('parseSchedule (SCHED-1..4)', () => {
  it.each(scheduleCorpus.valid)('accepts $value ($why)', ({ value }) => {
    const schedule = parseSchedule(value);
    expect(schedule.source).toBe(value);
    if (value === 'manual') expect(schedule.expression).toBeUndefined();
    else expect(schedule.expression).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
  });

  it.each(scheduleCorpus.invalid)('refuses $value ($why)', ({ value }) => {
    let thrown: unknown;
    try {
      parseSchedule(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DeployError);
    const error = thrown as DeployError;
    expect(error.message.startsWith(`Invalid schedule '${value}'.`)).toBe(true);
    expect(error.message.endsWith(EXPECTED)).toBe(true);
  });

  it('uses the exact real-server message for a malformed schedule', () => {
    expect(() => parseSchedule('@HOURLY')).toThrow(
      `Invalid schedule '@HOURLY'. Expected "manual", a cron preset (@hourly etc.), or a 5-field cron expression.`,
    );
  });

  it('names never-firing expressions as such (SCHED-3)', () => {
    expect(() => parseSchedule('0 0 30 2 *')).toThrowError(expect.objectContaining({ code: 'SCHEDULE_NEVER_FIRES' }));
    expect(() => parseSchedule('0 0 30 2 *')).toThrow(/never fires/);
  });

  it.each([null, 5, true, {}, ['* * * * *']])('refuses the non-string %j', (value) => {
    expect(() => parseSchedule(value)).toThrowError(expect.objectContaining({ code: 'INVALID_SCHEDULE' }));
  });

  it('expands the presets as SCHED-4 defines them', () => {
    expect(PRESETS).toEqual({
      '@hourly': '0 * * * *',
      '@daily': '0 0 * * *',
      '@midnight': '0 0 * * *',
      '@weekly': '0 0 * * 0',
      '@monthly': '0 0 1 * *',
      '@yearly': '0 0 1 1 *',
      '@annually': '0 0 1 1 *',
    });
    for (const [preset, expression] of Object.entries(PRESETS)) {
      expect(parseSchedule(preset).expression).toBe(expression);
    }
  });

  it('keeps the classic OR of day-of-month and day-of-week (SCHED-1)', () => {
    // 2026-06-01 is a Monday: from then, `0 9 1 * MON` fires on the 1st and on every Monday.
    const { expression } = parseSchedule('0 9 1 * MON');
    const runs = new Cron(expression!, { mode: '5-part', timezone: 'UTC' })
      .nextRuns(6, new Date('2026-06-01T09:00:00Z'))
      .map((d) => d.toISOString().slice(0, 10));
    expect(runs).toEqual(['2026-06-08', '2026-06-15', '2026-06-22', '2026-06-29', '2026-07-01', '2026-07-06']);
  });
});

describe('never-fires detection against croner’s own date search (SCHED-3)', () => {
  const item = (min: number, max: number) =>
    fc.oneof(
      fc.constant('*'),
      fc.integer({ min: 1, max: max - min + 1 }).map((n) => `*/${n}`),
      fc.integer({ min, max }).map(String),
      fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    );
  const field = (min: number, max: number) =>
    fc.oneof(
      { weight: 3, arbitrary: item(min, max) },
      { weight: 1, arbitrary: fc.array(item(min, max), { minLength: 2, maxLength: 3 }).map((xs) => xs.join(',')) },
    );
  // Day-of-month and month are where never-firing combinations live: bias them toward 29-31 and short months.
  const dayOfMonth = fc.oneof(field(1, 31), fc.integer({ min: 28, max: 31 }).map(String), fc.constantFrom('30,31', '29-31', '31'));
  const month = fc.oneof(field(1, 12), fc.constantFrom('2', '4', '2,4,6,9,11', '4-6', '*/2'));
  const dayOfWeek = fc.oneof({ weight: 3, arbitrary: fc.constant('*') }, { weight: 1, arbitrary: field(0, 7) });
  const expression = fc.tuple(field(0, 59), field(0, 23), dayOfMonth, month, dayOfWeek).map((f) => f.join(' '));

  it('refuses exactly the expressions for which croner finds no date', () => {
    fc.assert(
      fc.property(expression, (value) => {
        let croner: boolean;
        try {
          croner = new Cron(value, { mode: '5-part', timezone: 'UTC' }).nextRun(new Date(0)) !== null;
        } catch {
          return; // croner refuses it outright: not a never-fires question
        }
        let ours: boolean;
        try {
          parseSchedule(value);
          ours = true;
        } catch (error) {
          expect((error as DeployError).code, value).toBe('SCHEDULE_NEVER_FIRES');
          ours = false;
        }
        expect(ours, value).toBe(croner);
      }),
      { numRuns: 300 },
    );
  });
});
