/**
 * The target's clock through the kit's control API (shared by every check file, moved only by
 * runs.check.ts and the modules it imports).
 */
import { expect } from 'vitest';
import type { Target } from '../target.js';
import { isUtc, localTime } from './cron-oracle.js';
import { HOUR, MINUTE, SECOND, iso } from './time.js';

export interface ClockView {
  readonly nowMs: number;
  readonly timezone: string;
  readonly mode: string;
}

export async function clock(t: Target): Promise<ClockView> {
  const reply = await t.control('GET', '/clock');
  expect(reply.status, 'GET /control/clock').toBe(200);
  const body = reply.body as { nowMs: number; timezone?: string; mode?: string };
  return { nowMs: body.nowMs, timezone: body.timezone ?? 'UTC', mode: body.mode ?? 'fake' };
}

/** The zone's offset from UTC at an instant, in minutes. */
export function offsetOf(ms: number, zone: string): number {
  if (isUtc(zone)) return 0;
  const at = Math.floor(ms / MINUTE) * MINUTE;
  const l = localTime(at, zone);
  return (Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute) - at) / MINUTE;
}

/** Every scenario fits in this much clock time from its `align`. */
export const SCENARIO_SPAN = 13 * HOUR;

/**
 * Where in the schedules' period a scenario starts: minute `minute` of the hour or of the day
 * (local time). Properties draw it, so a replay starts where the failing case started even though
 * the clock is elsewhere by then: a schedule's behavior depends on the time of day, not only on
 * the steps a property takes.
 */
export interface Phase {
  readonly minute: number;
  readonly of: 'hour' | 'day';
}

/**
 * Moves the clock (never backwards) to second 30 of a minute, at `phase` when given, and answers
 * the clock. Every scenario starts there, so no add or update coincides with a due tick, and a
 * clock that also moves on its own (a `real` one) stays clear of minute boundaries while a check
 * talks to it.
 *
 * In a zone with daylight saving it also keeps well clear of a change of the zone's offset (in
 * the last two hours, or due within the scenario's span): what a cron expression means in a
 * skipped or repeated local hour is the cron library's choice, which the clauses do not settle.
 */
export async function align(t: Target, phase?: Phase, span = SCENARIO_SPAN): Promise<ClockView> {
  let now = await clock(t);
  for (let round = 0; round < 3; round++) {
    let target = Math.floor(now.nowMs / MINUTE) * MINUTE + 30 * SECOND;
    if (phase) {
      const local = localTime(target, now.timezone);
      const period = phase.of === 'hour' ? 60 : 24 * 60;
      const current = phase.of === 'hour' ? local.minute : local.hour * 60 + local.minute;
      target += ((((phase.minute - current) % period) + period) % period) * MINUTE;
      if (target < now.nowMs) target += period * MINUTE;
    } else if (target < now.nowMs) target += MINUTE;
    if (target > now.nowMs) {
      await t.advance(target - now.nowMs);
      now = await clock(t);
    }
    const change = isUtc(now.timezone) ? undefined : offsetChange(now.nowMs - 2 * HOUR, now.nowMs + span + HOUR, now.timezone);
    if (change === undefined) return now;
    await t.advance(Math.max(change + 2 * HOUR - now.nowMs, 1));
    now = await clock(t);
  }
  return now;
}

/** The first instant (to 15 minutes) in [from, to] where the zone's offset differs from that at `from`. */
function offsetChange(from: number, to: number, zone: string): number | undefined {
  const offset = offsetOf(from, zone);
  for (let at = from; at <= to; at += 15 * MINUTE) if (offsetOf(at, zone) !== offset) return at;
  return undefined;
}

/** Moves the clock to an instant (the control API's `advance {to}`), recorded in the transcript. */
export async function advanceTo(t: Target, ms: number): Promise<void> {
  const reply = await t.control('POST', '/clock/advance', { to: iso(ms) });
  if (reply.status !== 200) throw new Error(`the control API refused to advance the clock to ${iso(ms)}: ${JSON.stringify(reply.body)}`);
}
