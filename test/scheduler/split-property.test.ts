/**
 * RUN-8 with control operations between clock moves: two servers get the same operations at
 * the same instants; one moves the clock in whole segments, the other in random pieces. Their
 * histories must be identical. (fast-check prints the seed and path of any failure.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ControlError } from '../../src/control/errors.js';
import { harness } from '../helpers/scheduler-harness.js';
import { readAll } from '../../src/control/paging.js';

const MINUTE = 60_000;
const SCHEDULES = ['* * * * *', '*/5 * * * *', '*/15 * * * *', '0 * * * *', '30 10-12 * * *', 'manual'];

type Op =
  | { kind: 'add' | 'remove' | 'pause' | 'resume' | 'trigger' | 'endRun'; id: number; schedule: string }
  | { kind: 'revoke' | 'restore' }
  | { kind: 'update'; id: number; schedule: string }
  | { kind: 'behavior'; id: number; duration: number; hold: boolean };

const id = fc.nat(2);
const schedule = fc.constantFrom(...SCHEDULES);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('add' as const, 'remove' as const, 'pause' as const, 'resume' as const, 'trigger' as const, 'endRun' as const),
    id,
    schedule,
  }),
  fc.record({ kind: fc.constantFrom('revoke' as const, 'restore' as const) }),
  fc.record({ kind: fc.constant('update' as const), id, schedule }),
  fc.record({ kind: fc.constant('behavior' as const), id, duration: fc.integer({ min: 0, max: 40 * MINUTE }), hold: fc.boolean() }),
);
const segment = fc.record({
  ops: fc.array(op, { maxLength: 4 }),
  span: fc.integer({ min: 0, max: 3 * 60 * MINUTE }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
});

function apply(h: Awaited<ReturnType<typeof harness>>, o: Op): void {
  const projectId = 'id' in o ? `p${o.id}` : '';
  try {
    switch (o.kind) {
      case 'add':
        return h.add(projectId, o.schedule);
      case 'remove':
        return h.remove(projectId);
      case 'update':
        return h.update(projectId, { schedule: o.schedule });
      case 'pause':
        return void h.control.pause('local', projectId);
      case 'resume':
        return void h.control.resume('local', projectId);
      case 'trigger':
        return void h.control.trigger('local', projectId);
      case 'revoke':
        return void h.control.revokeKey('MYAPIKEY');
      case 'restore':
        return void h.control.restoreKey('MYAPIKEY');
      case 'behavior':
        return void h.control.setRunBehavior({ duration: o.duration, hold: o.hold }, { userId: 'local', projectId });
      case 'endRun': {
        const current = h.control.deployment('local', projectId).runInProgress;
        if (current) h.control.endRun(current.id);
        return;
      }
    }
  } catch (error) {
    // Refusals are expected (unknown id, duplicate add, run in progress, errored, revoked key);
    // both servers must refuse alike, which the comparison below checks through the histories.
    if (!(error instanceof ControlError) && !/not found|already exists|invalid/i.test((error as Error).message)) throw error;
  }
}

describe('RUN-8 with operations between moves', () => {
  it('gives identical histories whether each segment is advanced at once or in pieces', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 6 }), async (segments) => {
        const whole = await harness();
        const pieces = await harness();
        for (const { ops, span, cuts } of segments) {
          for (const o of ops) {
            apply(whole, o);
            apply(pieces, o);
          }
          whole.control.advance(span);
          const points = [...new Set(cuts.map((c) => Math.floor(c * span)))].sort((a, b) => a - b);
          let done = 0;
          for (const p of [...points, span]) {
            pieces.control.advance(p - done);
            done = p;
          }
        }
        expect(readAll((page) => pieces.control.runs(page))).toEqual(readAll((page) => whole.control.runs(page)));
        expect(readAll((page) => pieces.control.ticks(page))).toEqual(readAll((page) => whole.control.ticks(page)));
        expect(readAll((page) => pieces.control.deployments(page))).toEqual(readAll((page) => whole.control.deployments(page)));
        expect(pieces.control.clock()).toEqual(whole.control.clock());
      }),
      { numRuns: 200 },
    );
  });
});
