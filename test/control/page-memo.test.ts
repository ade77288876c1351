/**
 * Remembered pages (control/page-memo.ts): a page of deployments, runs or ticks read again is
 * answered from memory until something it shows changes. The oracle is a page under a key never
 * read before (its limit is new), so it is read fresh: after any change a server can go through
 * (adds, updates, removes, pause, resume, triggers, held runs ended, behaviors, revoked keys,
 * clock moves, a reset), the remembered page must equal it. Failures print fast-check's seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAGE_LIMITS, type Page } from '../../src/control/paging.js';
import { harness, type Harness } from '../helpers/scheduler-harness.js';

const SCHEDULES = ['*/5 * * * *', '*/15 * * * *', '@hourly', 'manual'];
const KEYS = ['MYAPIKEY', 'ALICEKEY'] as const;
const id = fc.integer({ min: 0, max: 3 });
const key = fc.constantFrom(...KEYS);

const step = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), id, key, schedule: fc.constantFrom(...SCHEDULES) }),
  fc.record({ kind: fc.constant('update' as const), id, key, schedule: fc.constantFrom(...SCHEDULES) }),
  fc.record({ kind: fc.constant('remove' as const), id, key }),
  fc.record({ kind: fc.constant('pause' as const), id, userId: fc.constantFrom('local', 'alice') }),
  fc.record({ kind: fc.constant('resume' as const), id, userId: fc.constantFrom('local', 'alice') }),
  fc.record({ kind: fc.constant('trigger' as const), id, userId: fc.constantFrom('local', 'alice') }),
  fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('hold' as const), hold: fc.boolean() }),
  fc.record({ kind: fc.constant('end-runs' as const) }),
  fc.record({ kind: fc.constant('revoke' as const), key, restore: fc.boolean() }),
  fc.record({ kind: fc.constant('reset' as const) }),
);
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

function apply(h: Harness, s: Step): void {
  try {
    if (s.kind === 'add') h.add(`p${s.id}`, s.schedule === 'manual' ? undefined : s.schedule, s.key);
    else if (s.kind === 'update') h.update(`p${s.id}`, { schedule: s.schedule }, s.key);
    else if (s.kind === 'remove') h.remove(`p${s.id}`, s.key);
    else if (s.kind === 'pause') h.control.pause(s.userId, `p${s.id}`);
    else if (s.kind === 'resume') h.control.resume(s.userId, `p${s.id}`);
    else if (s.kind === 'trigger') h.control.trigger(s.userId, `p${s.id}`);
    else if (s.kind === 'advance') h.control.advance(s.minutes * 60_000);
    else if (s.kind === 'hold') h.control.setRunBehavior({ hold: s.hold });
    else if (s.kind === 'end-runs') {
      for (const run of h.control.runs({ limit: PAGE_LIMITS.max }).items) if (!run.endedAt) h.control.endRun(run.id);
    } else if (s.kind === 'revoke') (s.restore ? h.control.restoreKey : h.control.revokeKey)(s.key);
    else h.control.reset();
  } catch {
    // an unknown id, a duplicate, a run in progress, an errored deployment: the server is what it is
  }
}

type List = 'deployments' | 'runs' | 'ticks';
const LISTS: readonly List[] = ['deployments', 'runs', 'ticks'];
const read = (h: Harness, list: List, limit: number, order: 'oldest' | 'newest') =>
  h.control[list]({ limit, order } as never) as Page<unknown>;

describe('remembered pages', () => {
  it('equal a page read fresh after any change, in every list and both orders', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const h = await harness({ runs: { duration: 7 * 60_000 } });
        let fresh = PAGE_LIMITS.max; // each oracle read takes a limit never used before
        for (const s of steps) {
          apply(h, s);
          for (const list of LISTS)
            for (const order of ['oldest', 'newest'] as const) {
              const remembered = read(h, list, PAGE_LIMITS.max, order);
              const oracle = read(h, list, --fresh, order);
              expect(oracle.next, 'the oracle page holds the whole list').toBeNull();
              expect(remembered.items, `${list} ${order} after ${s.kind}`).toEqual(oracle.items);
            }
        }
      }),
      { numRuns: 120 },
    );
  });

  it("are one frozen answer in the door's face while nothing changes, a copy of their own for in-process callers", async () => {
    const h = await harness();
    h.add('p1', '*/5 * * * *');
    h.control.advance(30 * 60_000);
    for (const list of LISTS) {
      const door = (limit: number) => h.core.controlDoor[list]({ limit, order: 'newest' } as never) as Page<unknown>;
      const first = door(10);
      expect(door(10), list).toBe(first);
      expect(Object.isFrozen(first.items[0]), list).toBe(true);
      expect(() => (first.items as unknown[]).push(1), list).toThrow(TypeError);
      // In process, each answer is the caller's: changing it changes no later answer.
      const mine = read(h, list, 10, 'newest');
      expect(mine, list).toEqual(first);
      expect(Object.isFrozen(mine.items), list).toBe(false);
      (mine.items as unknown[]).reverse();
      expect(read(h, list, 10, 'newest'), list).toEqual(first);
    }
    const before = LISTS.map((list) => read(h, list, 10, 'newest'));
    h.control.advance(5 * 60_000); // one more tick and run: every list shows it
    LISTS.forEach((list, i) => {
      const after = read(h, list, 10, 'newest');
      expect(after.items, list).not.toEqual(before[i]!.items);
      expect(after.items, list).toEqual(read(h, list, 11, 'newest').items.slice(0, 10));
    });
  });
});
