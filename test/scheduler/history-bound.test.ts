/**
 * The history's bounds: `historyLimit` entries per log, `maxHistoryEntries` in all. Each log
 * keeps the newest entries of its share (the total over the logs, at most historyLimit); a log
 * over its share drops its oldest when it records next, and one that would grow while the
 * total is reached replaces its own oldest instead. Counters stay exact throughout.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HistoryBudget, RunLog, TickLog } from '../../src/scheduler/history.js';
import { harness } from '../helpers/scheduler-harness.js';
import { readAll } from '../../src/control/paging.js';

describe('HistoryBudget and its logs, against a model', () => {
  const op = fc.oneof(
    { weight: 1, arbitrary: fc.constant({ kind: 'open' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), log: fc.nat(20) }) },
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('push' as const), log: fc.nat(20), times: fc.integer({ min: 1, max: 30 }) }) },
  );

  it('keeps each log the newest entries, in order, within its share, and the total within the bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 60 }),
        fc.array(op, { maxLength: 80 }),
        (perLog, total, ops) => {
          const budget = new HistoryBudget(perLog, total);
          /** Every entry each open log was given, and whether it recorded since the share last changed. */
          const logs: Array<{ log: TickLog; given: number[]; settled: boolean }> = [];
          let next = 1;
          let firstWhileFull = 0;
          for (const o of ops) {
            if (o.kind === 'open') {
              logs.push({ log: new TickLog(budget), given: [], settled: false });
              for (const l of logs) l.settled = false;
            } else if (logs.length > 0 && o.kind === 'close') {
              const [gone] = logs.splice(o.log % logs.length, 1);
              budget.closed(gone!.log);
              for (const l of logs) l.settled = false;
            } else if (logs.length > 0 && o.kind === 'push') {
              const l = logs[o.log % logs.length]!;
              for (let i = 0; i < o.times; i++) {
                if (l.log.size === 0 && budget.full) firstWhileFull += 1;
                l.log.push(next, 'fired', 0);
                l.given.push(next++);
              }
              l.settled = true;
            }
            const sizes = logs.map((l) => l.log.size);
            expect(budget.kept).toBe(sizes.reduce((a, b) => a + b, 0));
            // The total holds, but for a log's first entry, which it always keeps.
            expect(budget.kept).toBeLessThanOrEqual(total + firstWhileFull);
            expect(budget.share).toBe(Math.max(1, Math.min(perLog, Math.floor(total / Math.max(1, logs.length)))));
            for (const l of logs) {
              const kept = l.log.toArray().map((t) => t.at);
              // The newest entries it was given, oldest first.
              expect(kept).toEqual(l.given.slice(l.given.length - kept.length));
              expect(kept.length).toBeLessThanOrEqual(perLog);
              if (l.given.length > 0) expect(kept.length).toBeGreaterThan(0);
              if (l.settled) expect(kept.length).toBeLessThanOrEqual(budget.share);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps every log at its share once each has recorded, when nothing else limits it', () => {
    const budget = new HistoryBudget(1000, 100);
    const logs = Array.from({ length: 4 }, () => new TickLog(budget));
    for (let t = 0; t < 200; t++) for (const log of logs) log.push(t, 'fired', 0);
    expect(logs.map((log) => log.size)).toEqual([25, 25, 25, 25]);
    expect(logs[0]!.toArray().map((e) => e.at)).toEqual(Array.from({ length: 25 }, (_, i) => 175 + i));
    // Four more logs: the share halves; the old logs drop to it as they record.
    const more = Array.from({ length: 4 }, () => new TickLog(budget));
    for (const log of [...logs, ...more]) log.push(200, 'fired', 0);
    expect([...logs, ...more].map((log) => log.size)).toEqual([12, 12, 12, 12, 1, 1, 1, 1]);
    expect(budget.kept).toBe(52);
  });

  it('holds the total while a log is still over a share that fell: a new log replaces its own oldest instead of growing', () => {
    const budget = new HistoryBudget(1000, 10);
    const old = new TickLog(budget);
    for (let t = 0; t < 10; t++) old.push(t, 'fired', 0);
    const young = new TickLog(budget); // the share falls to 5; `old` keeps its 10 until it records
    for (let t = 10; t < 20; t++) young.push(t, 'fired', 0);
    // Its first entry it always keeps; then it is at the total, and keeps only its newest.
    expect(young.toArray().map((e) => e.at)).toEqual([19]);
    expect(budget.kept).toBe(11);
    old.push(20, 'fired', 0); // down to its share
    expect(old.toArray().map((e) => e.at)).toEqual([6, 7, 8, 9, 20]);
    for (let t = 21; t < 30; t++) young.push(t, 'fired', 0);
    expect(young.toArray().map((e) => e.at)).toEqual([25, 26, 27, 28, 29]);
    expect(budget.kept).toBe(10);
  });

  it("keeps a run log's open run the newest, through shrinking, and ends it there", () => {
    const budget = new HistoryBudget(1000, 10);
    const runs = new RunLog(budget);
    for (let n = 1; n <= 8; n++) {
      runs.start(n, 'schedule', n, n);
      runs.endNewest(n + 0.5, 'completed');
    }
    const other = new RunLog(budget); // the share falls to 5
    other.start(100, 'manual', 0, 0);
    runs.start(9, 'manual', 9, 9);
    expect(runs.toArray().map((r) => [r.number, r.outcome])).toEqual([
      [5, 'completed'],
      [6, 'completed'],
      [7, 'completed'],
      [8, 'completed'],
      [9, undefined],
    ]);
    runs.endNewest(10, 'failed');
    expect(runs.newest()).toMatchObject({ number: 9, endedAt: 10, outcome: 'failed' });
  });
});

describe('maxHistoryEntries in a server', () => {
  const total = (h: Awaited<ReturnType<typeof harness>>) =>
    readAll((page) => h.control.ticks(page)).length + readAll((page) => h.control.runs(page)).length;

  it('shares the bound among the deployments, keeps the newest, and keeps the counters exact', async () => {
    const h = await harness({ limits: { maxHistoryEntries: 120 }, runs: { duration: 0 } });
    for (const id of ['a', 'b', 'c']) h.add(id, '* * * * *');
    h.control.advance('1d');
    // 3 deployments, a tick log and a run log each: 20 entries per log.
    for (const id of ['a', 'b', 'c']) {
      expect(h.control.deployment('local', id).counters).toMatchObject({ fired: 1440, completed: 1440 });
      const ticks = readAll((page) => h.control.ticks({ ...page, projectId: id }));
      expect(ticks).toHaveLength(20);
      expect(ticks.at(-1)!.at).toBe('2026-11-27T10:07:00.000Z');
      expect(readAll((page) => h.control.runs({ ...page, projectId: id }))).toHaveLength(20);
    }
    expect(total(h)).toBe(120);

    // Three more: the share halves, and the first three drop to it as they tick on.
    for (const id of ['d', 'e', 'f']) h.add(id, '* * * * *');
    h.control.advance('1h');
    for (const id of ['a', 'd']) expect(readAll((page) => h.control.ticks({ ...page, projectId: id }))).toHaveLength(10);
    expect(total(h)).toBe(120);
    expect(h.control.deployment('local', 'a').counters.fired).toBe(1500);
  });

  it("counts a removed deployment's history until it is let go, and frees all of it on reset", async () => {
    const h = await harness({ limits: { maxHistoryEntries: 40 }, runs: { duration: 0 } });
    h.add('a', '* * * * *');
    h.add('b', '* * * * *');
    h.control.advance('1h');
    h.remove('b'); // its history stays queryable, and counted
    h.control.advance('1h');
    expect(readAll((page) => h.control.ticks({ ...page, projectId: 'a' }))).toHaveLength(10);
    expect(readAll((page) => h.control.ticks({ ...page, projectId: 'b' }))).toHaveLength(10);
    h.control.reset();
    expect(h.core.scheduler.history.kept).toBe(0);
    h.add('c', '* * * * *');
    h.control.advance('1h');
    expect(readAll((page) => h.control.ticks({ ...page, projectId: 'c' }))).toHaveLength(20);
  });

  it('stops counting a removed deployment once its history is let go (past the 100 kept queryable)', async () => {
    const h = await harness({ limits: { maxHistoryEntries: 10_000 }, runs: { duration: 0 } });
    for (let i = 0; i < 150; i++) {
      h.add(`d${i}`, '* * * * *');
      h.control.advance('3m');
      h.remove(`d${i}`);
    }
    // What is counted is what can still be seen: the 100 newest removed, 3 ticks and 3 runs each.
    expect(total(h)).toBe(600);
    expect(h.core.scheduler.history.kept).toBe(600);
    expect(h.core.scheduler.history.share).toBe(50); // 10,000 over 200 logs
  });

  it('applies to a restored history: each log keeps the newest of the share it has among all, the counters whole', async () => {
    const from = await harness({ runs: { duration: 0 } });
    for (const id of ['a', 'b']) from.add(id, '*/5 * * * *');
    from.control.advance('1d');
    const to = await harness({ limits: { maxHistoryEntries: 40 }, runs: { duration: 0 } });
    to.core.deploy.importRecords(from.core.deploy.exportRecords());
    to.core.scheduler.importState(from.core.scheduler.exportState());
    // Four logs: 10 entries each, the newest.
    expect(total(to)).toBe(40);
    for (const id of ['a', 'b']) {
      expect(to.control.deployment('local', id).counters.fired).toBe(288);
      const ticks = readAll((page) => to.control.ticks({ ...page, projectId: id }));
      expect(ticks).toHaveLength(10);
      expect(ticks.map((t) => t.at)).toEqual(
        readAll((page) => from.control.ticks({ ...page, projectId: id }))
          .slice(-ticks.length)
          .map((t) => t.at),
      );
    }
  });
});
