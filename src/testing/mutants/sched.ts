/** The SCHED mutants: what schedules are accepted (SCHED-*). */
import type { ScheduleParser } from '../../domain/deploy-service.js';
import { deployErrors } from '../../domain/errors.js';
import { MANUAL, PRESETS } from '../../domain/schedule.js';
import type { FamilyMutants } from './definition.js';
import { hasCode } from './shared.js';

export const SCHED_MUTANTS: FamilyMutants = {
  withChecks: [
    {
      name: 'six-field-cron-accepted',
      family: 'SCHED',
      description: "A 6-field cron expression (seconds first, e.g. '0 */5 * * * *') is accepted.",
      expectedClauses: ['SCHED-2'],
      deviations: () => ({
        wrapParser: (parse) => (value) => {
          if (typeof value !== 'string') return parse(value);
          const fields = value.trim().split(/[ \t]+/);
          if (fields.length !== 6) return parse(value);
          try {
            return { source: value, expression: parse(fields.slice(1).join(' ')).expression };
          } catch {
            throw deployErrors.invalidSchedule(value);
          }
        },
      }),
    },
    {
      name: 'uppercase-presets-accepted',
      family: 'SCHED',
      description: "Presets are matched case-insensitively: '@HOURLY', '@Daily' are accepted.",
      expectedClauses: ['SCHED-2'],
      deviations: () => ({
        wrapParser: (parse) => (value) => {
          const expression = typeof value === 'string' && value.startsWith('@') ? PRESETS[value.toLowerCase()] : undefined;
          return expression !== undefined && value !== (value as string).toLowerCase()
            ? { source: value as string, expression }
            : parse(value);
        },
      }),
    },
    {
      name: 'never-firing-accepted',
      family: 'SCHED',
      description: "An expression no date matches ('0 0 30 2 *') is accepted (it simply never fires).",
      expectedClauses: ['SCHED-3'],
      deviations: () => ({
        wrapParser: (parse) => (value) => {
          try {
            return parse(value);
          } catch (error) {
            if (!hasCode(error, 'SCHEDULE_NEVER_FIRES') || typeof value !== 'string') throw error;
            return {
              source: value,
              expression: value
                .trim()
                .split(/[ \t]+/)
                .join(' '),
            };
          }
        },
      }),
    },
    {
      name: 'cron-names-rejected',
      family: 'SCHED',
      description: "Month and weekday names in cron fields ('0 9 * JAN MON-FRI') are refused.",
      expectedClauses: ['SCHED-1'],
      deviations: () => ({
        wrapParser: (parse) => (value) => {
          if (typeof value === 'string' && value !== MANUAL && !value.startsWith('@') && /[a-z]/i.test(value))
            throw deployErrors.invalidSchedule(value);
          return parse(value);
        },
      }),
    },
  ],
  independent: [
    // ---- SCHED-4: what the presets mean ----
    {
      name: 'weekly-preset-on-monday',
      family: 'SCHED',
      description: "@weekly is accepted but runs as '0 0 * * 1' (Mondays, the ISO week start) instead of '0 0 * * 0' (Sundays).",
      expectedClauses: ['SCHED-4'],
      deviations: () => ({ wrapParser: presetMeaning('@weekly', '0 0 * * 1') }),
    },
    {
      name: 'midnight-preset-at-noon',
      family: 'SCHED',
      description: "@midnight is accepted but runs as '0 12 * * *' (12 read as 12 a.m. on a 12-hour clock) instead of '0 0 * * *'.",
      expectedClauses: ['SCHED-4'],
      deviations: () => ({ wrapParser: presetMeaning('@midnight', '0 12 * * *') }),
    },
    {
      name: 'monthly-preset-every-other-month',
      family: 'SCHED',
      description: "@monthly is accepted but runs as '0 0 1 */2 *' (every other month) instead of '0 0 1 * *'.",
      expectedClauses: ['SCHED-4'],
      deviations: () => ({ wrapParser: presetMeaning('@monthly', '0 0 1 */2 *') }),
    },
    {
      name: 'annually-preset-in-december',
      family: 'SCHED',
      description: "@annually is accepted but runs as '0 0 1 12 *' (December 1st), so it differs from @yearly ('0 0 1 1 *').",
      expectedClauses: ['SCHED-4'],
      deviations: () => ({ wrapParser: presetMeaning('@annually', '0 0 1 12 *') }),
    },
  ],
};

/** A schedule parser under which `preset` is accepted as always but runs as `expression`. */
function presetMeaning(preset: string, expression: string): (parse: ScheduleParser) => ScheduleParser {
  return (parse) => (value) => {
    const schedule = parse(value);
    return schedule.source === preset ? { source: schedule.source, expression } : schedule;
  };
}
