/**
 * RUN-1 and SCHED-1 at the calendar's edges: months of 28, 29, 30 and 31 days, leap days, the
 * year's last minute, and the OR rule across a month end. Every other RUN check spans hours, so
 * a server whose cron search gets a month length or a leap year wrong passes all of them.
 *
 * The next due times the control API predicts are compared with this suite's own cron expansion
 * (five of them, which reach years ahead for the rarest); then the clock is moved across two
 * month ends and the runs that actually fired are compared too. Registered by runs.check.ts,
 * the one check file that moves the clock.
 */
import { check, softly } from '../context.js';
import { advanceTo, align } from '../runs/clock.js';
import { type Behavior, deploy, describe, expectLines, remove, runsOf, ticksOf } from '../runs/control-client.js';
import { expand, localTime } from '../runs/cron-oracle.js';
import { DeploymentModel, expectHistory } from '../runs/run-model.js';
import { HOUR, MINUTE, SECOND, iso } from '../runs/time.js';

const DAY = 24 * HOUR;
/** How far the clock moves: from early January at the latest, past the end of February and March. */
const SPAN = 62 * DAY;

/** Each expression with what it exercises. */
const CALENDAR: ReadonlyArray<readonly [string, string]> = [
  ['0 0 31 * *', 'only the months of 31 days'],
  ['0 0 30 * *', 'every month but February'],
  ['0 0 29 2 *', 'leap days only, every fourth year'],
  ['0 0 28-31 2 *', "February's last days, leap year or not"],
  ['59 23 31 12 *', 'the last minute of the year'],
  ['0 0 */10 * *', 'days 1, 11, 21 and 31 of each month'],
  ['30 6 31 */2 *', "the odd months' 31st: no September, no November"],
  ['0 12 29 2 1', 'the OR rule: 29 February, or any Monday of February'],
  ['15 3 1 3 *', 'the day after February, leap year or not'],
  ['0 0 * 2 0', 'the Sundays of February'],
  ['0 12 * * *', 'noon every day, the 31st included'],
  ['0,30 12 * * *', 'twice in one hour, from an earlier hour'],
  ['0 23 * * *', "the day's last hour, from within it"],
];

/**
 * Where the clock stops on its way, to compare the next due times from there: on the first days
 * at other times of day (the hour and minute cycle), and the instants a search from a month's or a
 * day's end gets wrong most easily (the 31st and February's last day, before noon and in the last
 * hour). Few stops, as a paced run against a remote target pays for each request.
 */
function landings(from: number, zone: string): number[] {
  const stops = new Set<number>();
  const dayStart = (ms: number) => {
    const l = localTime(ms, zone);
    return ms - ((l.hour * 60 + l.minute) * 60 + new Date(ms).getUTCSeconds()) * 1000 - (ms % 1000);
  };
  for (let k = 1; k * DAY < SPAN; k++) {
    const day = dayStart(from + k * DAY);
    if (k <= 4) stops.add(day + (((k * 7) % 24) * 60 + ((k * 13) % 60)) * MINUTE + 30 * SECOND);
    const l = localTime(day, zone);
    const last = localTime(day + DAY, zone).day === 1;
    if (l.day === 31 || last) for (const at of [10 * HOUR + 15 * MINUTE, 23 * HOUR + 30 * MINUTE]) stops.add(day + at + 30 * SECOND);
  }
  return [...stops].filter((at) => at > from && at < from + SPAN).sort((a, b) => a - b);
}

const QUICK: Behavior = { durationMs: 1, outcome: 'completed', hold: false };

check(
  ['RUN-1', 'SCHED-1'],
  "month ends and leap days: the next due times and the runs fired follow the calendar (28, 29, 30 and 31-day months, the year's end)",
  async (t) => {
    const start = await align(t, undefined, SPAN);
    const zone = start.timezone;
    const deployed = [];
    for (const [schedule, what] of CALENDAR) deployed.push({ d: await deploy(t, 'calendar', schedule, QUICK), schedule, what });
    for (const { d, schedule, what } of deployed) {
      const expected = expand(schedule, zone, d.addedAt, { count: 5 }).map(iso);
      await softly(async () =>
        expectLines((await describe(t, d)).nextDue, expected, `nextDue of '${schedule}' (${what}) from ${iso(d.addedAt)} (${zone})`),
      );
    }
    // On the way, stop at each landing and compare the next due times from there.
    for (const at of landings(start.nowMs, zone)) {
      await advanceTo(t, at);
      for (const { d, schedule, what } of deployed) {
        const expected = expand(schedule, zone, at, { count: 5 }).map(iso);
        await softly(async () =>
          expectLines((await describe(t, d)).nextDue, expected, `nextDue of '${schedule}' (${what}) at ${iso(at)} (${zone})`),
        );
      }
    }
    await advanceTo(t, start.nowMs + SPAN);
    for (const { d, schedule, what } of deployed) {
      const model = new DeploymentModel(zone, schedule, d.addedAt, QUICK);
      model.advanceTo(start.nowMs + SPAN);
      const history = { ticks: await ticksOf(t, d), runs: await runsOf(t, d) };
      await softly(async () => expectHistory(history, model, `'${schedule}' (${what}) over 62 days from ${iso(d.addedAt)} (${zone})`));
    }
    for (const { d } of deployed) await remove(t, d);
  },
);
