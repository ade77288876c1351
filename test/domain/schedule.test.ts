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
