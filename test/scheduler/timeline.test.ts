/**
 * The timelines (scheduler/timeline.ts): pages of every deployment's ticks or runs read in one
 * order instead of merging every log per page. The oracle is the merge (pages.ts) over the same
 * logs: for any history (logs trimmed by their share or the shared total, deployments removed and
 * forgotten, a reset, a restore from the saved state), any filter, order, size and cursor, the
 * pages must be the same. Failures print fast-check's seed and replay path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MergedPage, PageRequest } from '../../src/scheduler/pages.js';
import { Timeline } from '../../src/scheduler/timeline.js';
import { runPage, tickPage, type HistoryFilter } from '../../src/scheduler/views.js';
import { harness, type Harness } from '../helpers/scheduler-harness.js';

const SCHEDULES = ['*/5 * * * *', '*/15 * * * *', '@hourly', '7 * * * *'];
const KEYS = ['MYAPIKEY', 'ALICEKEY'] as const;

const step = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      id: fc.integer({ min: 0, max: 7 }),
      key: fc.constantFrom(...KEYS),
      schedule: fc.constantFrom(...SCHEDULES),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 7 }), key: fc.constantFrom(...KEYS) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 120 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('trigger' as const),
      id: fc.integer({ min: 0, max: 7 }),
      userId: fc.constantFrom('local', 'alice'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restore' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const) }) },
);
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

function apply(h: Harness, s: Step): void {
  const { scheduler } = h.core;
  try {
    if (s.kind === 'add') h.add(`p${s.id}`, s.schedule, s.key);
    else if (s.kind === 'remove') h.remove(`p${s.id}`, s.key);
    else if (s.kind === 'advance') h.control.advance(s.minutes * 60_000);
    else if (s.kind === 'trigger') h.control.trigger(s.userId, `p${s.id}`);
    else if (s.kind === 'restore') scheduler.importState(structuredClone(scheduler.exportState()));
    else h.control.reset();
  } catch {
    // a duplicate add, an unknown id, a run in progress: the history is what it is
  }
}

const FILTERS: HistoryFilter[] = [{}, { userId: 'local' }, { userId: 'alice' }, { projectId: 'p1' }, { userId: 'local', projectId: 'p2' }];

/** Every page of a list, following the cursors (`last`), concatenated. */
function allPages<T>(read: (request: PageRequest) => MergedPage<T>, limit: number, order: 'oldest' | 'newest'): T[] {
  const items: T[] = [];
  let page = read({ order, limit });
  items.push(...page.items);
  for (let pages = 1; page.last !== undefined; pages++) {
    expect(pages, 'pages that never end').toBeLessThan(10_000);
    page = read({ order, limit, after: page.last });
    items.push(...page.items);
  }
  return items;
}

describe('timelines', () => {
  it('page exactly as merging every log does, after any history, for any filter, order, size and cursor', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }), // historyLimit: logs drop their oldest entries
        fc.integer({ min: 4, max: 40 }), // maxHistoryEntries: shares fall as logs are made
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        async (steps, historyLimit, maxHistoryEntries, limit, crowd) => {
          const h = await harness({ runs: { duration: 7 * 60_000 }, historyLimit, limits: { maxHistoryEntries } });
          const { scheduler } = h.core;
          // A user with more deployments than a filtered page merges: its pages read the timeline too.
          if (crowd) for (let i = 0; i < 70; i++) h.add(`crowd-${i}`, i % 2 === 0 ? '@hourly' : '*/30 * * * *');
          for (const s of steps) {
            apply(h, s);
            const everyone = () => [...scheduler.retired, ...scheduler.entries.values()];
            for (const filter of FILTERS)
              for (const order of ['oldest', 'newest'] as const) {
                const context = `${JSON.stringify(filter)} ${order} after ${s.kind}`;
                expect(
                  allPages((r) => scheduler.tickPage(filter, r), limit, order),
                  `ticks ${context}`,
                ).toEqual(allPages((r) => tickPage(everyone(), filter, r), limit, order));
                expect(
                  allPages((r) => scheduler.runPage(filter, r), limit, order),
                  `runs ${context}`,
                ).toEqual(allPages((r) => runPage(everyone(), filter, r), limit, order));
              }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('skip the history of deployments removed long ago (forgotten), and sweep their places out', async () => {
    const h = await harness({ runs: { duration: 0 } });
    const { scheduler } = h.core;
    for (let i = 0; i < 150; i++) {
      h.add(`gone-${i}`);
      h.control.trigger('local', `gone-${i}`);
      h.remove(`gone-${i}`);
    }
    h.add('kept', '* * * * *');
    h.control.advance(1500 * 60_000); // past the first sweep: 1,024 places
    const runs = allPages((r) => scheduler.runPage({}, r), 100, 'oldest') as Array<{ projectId: string }>;
    const everyone = [...scheduler.retired, ...scheduler.entries.values()];
    expect(runs).toEqual(runPage(everyone, {}, { order: 'oldest', limit: Infinity }).items);
    // The oldest 50 removed deployments were forgotten: none of their runs is shown.
    expect(runs.filter((run) => /^gone-([0-9]|[1-4][0-9])$/.test(run.projectId))).toEqual([]);
    expect(runs.filter((run) => run.projectId.startsWith('gone-'))).toHaveLength(100);
    expect(scheduler.runTimeline.size).toBeLessThan(2 * (100 + 1000) + 1); // swept: about the entries kept, not all ever made
  });
});

describe('Timeline', () => {
  // Owners whose logs drop their oldest entries: a place is alive while its seq is at least `dropped`.
  interface Owner {
    readonly name: number;
    dropped: number;
    size: number;
  }
  const logOf = (owner: Owner) => ({
    positionOf: (seq: number) => (seq >= owner.dropped && seq < owner.dropped + owner.size ? seq - owner.dropped : -1),
  });

  it('puts entries recorded out of order in their place, skips dropped ones, and sweeps them out as it grows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ owner: fc.integer({ min: 0, max: 4 }), primary: fc.integer({ min: 0, max: 60 }), drop: fc.nat(3) }), {
          maxLength: 3000,
        }),
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom('oldest' as const, 'newest' as const),
        (events, limit, order) => {
          const owners: Owner[] = Array.from({ length: 5 }, (_, name) => ({ name, dropped: 0, size: 0 }));
          const timeline = new Timeline<Owner, string>(logOf, (owner, position) => `${owner.name}:${owner.dropped + position}`);
          const placed: Array<{ owner: Owner; seq: number; primary: number; secondary: number }> = [];
          let secondary = 0;
          let mostAlive = 0;
          for (const { owner: o, primary, drop } of events) {
            const owner = owners[o]!;
            const seq = owner.dropped + owner.size;
            owner.size += 1;
            timeline.append(owner, seq, primary, ++secondary);
            placed.push({ owner, seq, primary, secondary });
            const dropped = Math.min(drop, owner.size - 1);
            owner.dropped += dropped;
            owner.size -= dropped;
            mostAlive = Math.max(
              mostAlive,
              owners.reduce((sum, each) => sum + each.size, 0),
            );
          }
          const alive = placed
            .filter(({ owner, seq }) => logOf(owner).positionOf(seq) >= 0)
            .sort((a, b) => a.primary - b.primary || a.secondary - b.secondary)
            .map(({ owner, seq }) => `${owner.name}:${seq}`);
          const items = allPages((r) => timeline.page(r, () => true), limit, order);
          expect(items).toEqual(order === 'oldest' ? alive : alive.reverse());
          // Swept when it doubles: never more than twice the most entries alive at once (or the first capacity).
          expect(timeline.size).toBeLessThanOrEqual(Math.max(1024, 2 * mostAlive) + 1);
        },
      ),
      { numRuns: 80 },
    );
  });
});
