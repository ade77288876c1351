/**
 * TickBuckets against a model: after any sequence of adds (to an instant, moving an item that
 * is queued already), removes and takes, each take answers the earliest instant's items in
 * serial order, exactly those the model holds there, and every item's `tickAt` says whether
 * and when it is queued.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TickBuckets, type BucketItem } from '../../src/scheduler/heap.js';

type Op = { kind: 'add'; item: number; at: number } | { kind: 'remove'; item: number } | { kind: 'take' };

const ITEMS = 12;
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('add' as const), item: fc.nat(ITEMS - 1), at: fc.nat(5) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('remove' as const), item: fc.nat(ITEMS - 1) }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'take' as const }), weight: 1 },
);

describe('TickBuckets', () => {
  it('takes the earliest instant with its live items in serial order, as a model does', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const items: BucketItem[] = Array.from({ length: ITEMS }, (_, serial) => ({ serial, tickAt: undefined, bucketIndex: -1 }));
        const buckets = new TickBuckets<BucketItem>();
        const model = new Map<number, number>(); // item -> instant
        for (const o of ops) {
          if (o.kind === 'add') {
            // The engine takes an item out before queueing it again.
            buckets.remove(items[o.item]!);
            buckets.add(items[o.item]!, o.at);
            model.set(o.item, o.at);
          } else if (o.kind === 'remove') {
            buckets.remove(items[o.item]!);
            model.delete(o.item);
          } else {
            const earliest = Math.min(...model.values());
            const expected = [...model].filter(([, at]) => at === earliest).map(([item]) => item);
            // Instants left empty by removals come first, with no items: take on to the live one.
            let taken = buckets.take();
            while (taken && taken.items.length === 0 && expected.length > 0) taken = buckets.take();
            if (expected.length === 0) {
              expect(taken?.items ?? []).toEqual([]);
              continue;
            }
            expect(taken!.at).toBe(earliest);
            expect(taken!.items.map((item) => item.serial)).toEqual(expected.sort((a, b) => a - b));
            for (const item of expected) model.delete(item);
          }
          items.forEach((item, i) => expect(item.tickAt).toBe(model.get(i)));
        }
      }),
      {
        numRuns: 300,
        // The last item of a bucket moves into a removed one's place: taken out and queued again
        // at the same instant, it must be there once.
        examples: [
          [
            [
              { kind: 'add', item: 0, at: 1 },
              { kind: 'add', item: 1, at: 1 },
              { kind: 'add', item: 2, at: 1 },
              { kind: 'remove', item: 0 },
              { kind: 'remove', item: 2 },
              { kind: 'add', item: 2, at: 1 },
              { kind: 'take' },
            ],
          ],
        ],
      },
    );
  });
});
