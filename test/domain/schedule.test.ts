import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cron } from 'croner';
import { DeployError, parseSchedule, PRESETS } from '../../src/index.js';
import { scheduleCorpus } from '../helpers/fixtures.js';

function errorOf(call: () => unknown): Error {
  try {
    call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('it did not throw');
}

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

  it.each(scheduleCorpus.invalid)("says what is wrong with $value between the real server's two sentences", ({ value }) => {
    const message = errorOf(() => parseSchedule(value)).message;
    const reason = message.slice(`Invalid schedule '${value}'. `.length, -EXPECTED.length);
    expect(reason, 'a reason of its own, ending a sentence').toMatch(/^[A-Z'].*\. $/s);
  });

  it.each([
    ['61 * * * *', "Minute '61' is out of range 0-59"],
    ['1-60/5 * * * *', "Minute '60' is out of range 0-59"],
    ['* * * * 8', "Day-of-week '8' is out of range 0-7"],
    ['0 * * * * *', 'It has 6 fields (seconds and years are not supported); cron has 5: minute hour day-of-month month day-of-week'],
    ['@HOURLY', "Presets are lower case: '@hourly'"],
    ['@reboot', "'@reboot' is not a preset; the presets are @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually"],
    ['Manual', "Write 'manual' in lower case"],
    ['007 * * * *', "Minute '007' has more than two digits"],
    ['*/1000 * * * *', "The step of '*/1000' in the minute field must be a whole number from 1 to 999"],
    ['tomorrow', 'It has 1 field; cron has 5: minute hour day-of-month month day-of-week'],
    ['   ', 'It is empty'],
    ['*/0 * * * *', "The step of '*/0' in the minute field must be a whole number from 1 to 999"],
    ['5/15 * * * *', "'5/15' in the minute field: a step needs * or a range before it, like */15 or 0-30/15"],
    ['10-5 * * * *', "The range '10-5' in the minute field runs backwards"],
    ['1,,2 * * * *', "The minute field '1,,2' has an empty list item"],
    ['0 0 L * *', "'L' in the day-of-month field uses L (last), which is not portable 5-field cron"],
    ['0 0 * * MON#2', "'MON#2' in the day-of-week field uses # (nth weekday), which is not portable 5-field cron"],
    ['0 0 * * JUL', "'JUL' is not a day-of-week: give 0-7 or a name SUN-SAT"],
    ['0 0 JAN * *', "The day-of-month field takes numbers 1-31, not 'JAN'"],
    ['0 0 * * *\n', 'It holds a line break or other whitespace: fields are separated by spaces or tabs'],
    [`${'9'.repeat(100)} * * * *`, `Minute '${'9'.repeat(40)}...' has more than two digits`],
  ])('names the fault in %j', (value, reason) => {
    expect(() => parseSchedule(value)).toThrow(`Invalid schedule '${value}'. ${reason}. ${EXPECTED}`);
  });

  it('names never-firing expressions as such (SCHED-3)', () => {
    expect(() => parseSchedule('0 0 30 2 *')).toThrowError(expect.objectContaining({ code: 'SCHEDULE_NEVER_FIRES' }));
    expect(() => parseSchedule('0 0 30 2 *')).toThrow(/never fires/);
  });

  it.each([
    [null, 'null'],
    [5, 'a number'],
    [true, 'a boolean'],
    [{}, 'an object'],
    [['* * * * *'], 'an array'],
  ])('refuses the non-string %j', (value, kind) => {
    expect(() => parseSchedule(value)).toThrowError(expect.objectContaining({ code: 'INVALID_SCHEDULE' }));
    expect(() => parseSchedule(value)).toThrow(`'. A schedule is a string, not ${kind}. ${EXPECTED}`);
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
