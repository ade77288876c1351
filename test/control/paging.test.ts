/**
 * Paged control reads: runs, ticks, journal and deployments read page by page, any page size,
 * oldest or newest first, give exactly the list read whole; a cursor is a place in the order,
 * not an index, so adds and removes between pages neither skip nor repeat an item; bad page
 * inputs are refused with BAD_INPUT. Failures print fast-check's seed and replay path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOURNAL_PAGE_BYTES, PAGE_LIMITS, type Page, type PageOptions } from '../../src/control/paging.js';
import { ControlError } from '../../src/control/errors.js';
import { recordFrame } from '../helpers/record-frame.js';
import { harness, type Harness } from '../helpers/scheduler-harness.js';
import { FrameJournal } from '../../src/dap/journal.js';

type Lists = 'runs' | 'ticks' | 'deployments' | 'journal';

/** Every page of one list, read with `limit` and `order`, concatenated. */
function pagesOf<T>(read: (options: PageOptions) => Page<T>, limit: number, order: 'oldest' | 'newest'): { items: T[]; pages: number } {
  const items: T[] = [];
  let page = read({ limit, order });
  let pages = 1;
  items.push(...page.items);
  while (page.next !== null) {
    expect(page.items.length, 'a page with a next is full').toBe(limit);
    expect(pages, 'pages that never end').toBeLessThan(10_000);
    page = read({ limit, cursor: page.next });
    pages += 1;
    items.push(...page.items);
  }
  return { items, pages };
}

const read = (h: Harness, list: Lists, filter: Record<string, unknown>) => (options: PageOptions) =>
  h.control[list]({ ...filter, ...options } as never) as Page<unknown>;

/** The whole list: one page as large as it gets (none of these lists is longer). */
const whole = (h: Harness, list: Lists, filter: Record<string, unknown>) => {
  const page = read(h, list, filter)({ limit: PAGE_LIMITS.max });
  expect(page.next).toBeNull();
  return page.items;
};

const SCHEDULES = ['*/5 * * * *', '*/15 * * * *', '@hourly', '7 * * * *', 'manual'];

/** A history built from steps: deployments of two users added, removed, triggered; the clock moved. */
const step = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    id: fc.integer({ min: 0, max: 5 }),
    key: fc.constantFrom('MYAPIKEY', 'ALICEKEY'),
    schedule: fc.constantFrom(...SCHEDULES),
  }),
  fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 5 }), key: fc.constantFrom('MYAPIKEY', 'ALICEKEY') }),
  fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 90 }) }),
  fc.record({ kind: fc.constant('trigger' as const), id: fc.integer({ min: 0, max: 5 }) }),
);

async function built(steps: ReadonlyArray<typeof step extends fc.Arbitrary<infer S> ? S : never>): Promise<Harness> {
  const h = await harness({ runs: { duration: 7 * 60_000 } }); // runs overlap ticks: some are skipped
  for (const s of steps) {
    try {
      if (s.kind === 'add') h.add(`p${s.id}`, s.schedule, s.key);
      else if (s.kind === 'remove') h.remove(`p${s.id}`, s.key);
      else if (s.kind === 'advance') h.control.advance(s.minutes * 60_000);
      else h.control.trigger('local', `p${s.id}`);
    } catch {
      // a duplicate add, an unknown id, a run in progress: the history is what it is
    }
  }
  return h;
}

describe('paged control reads', () => {
  it('give, page by page in either order and any page size, exactly the list read whole', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.constantFrom<Lists>('runs', 'ticks', 'deployments', 'journal'),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom('oldest' as const, 'newest' as const),
        fc.constantFrom({}, { userId: 'local' }, { userId: 'alice' }, { projectId: 'p1' }),
        async (steps, list, limit, order, filter) => {
          const h = await built(steps);
          const f = list === 'deployments' ? ('userId' in filter ? filter : {}) : list === 'journal' ? {} : filter;
          const all = whole(h, list, f);
          const { items, pages } = pagesOf(read(h, list, f), limit, order);
          expect(items).toEqual(order === 'oldest' ? all : [...all].reverse());
          expect(pages).toBe(Math.max(1, Math.ceil(all.length / limit)));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('runs come by start then run number, ticks by time then by deployment, both as the unpaged scheduler lists them', async () => {
    const h = await built([
      { kind: 'add', id: 1, key: 'MYAPIKEY', schedule: '*/15 * * * *' },
      { kind: 'add', id: 2, key: 'ALICEKEY', schedule: '*/15 * * * *' },
      { kind: 'add', id: 3, key: 'MYAPIKEY', schedule: '@hourly' },
      { kind: 'advance', minutes: 120 },
    ]);
    const ticks = whole(h, 'ticks', {}) as Array<{ at: string; userId: string; projectId: string }>;
    expect(ticks.slice(0, 3).map((t) => `${t.at.slice(11, 16)} ${t.userId}/${t.projectId}`)).toEqual([
      '10:15 local/p1',
      '10:15 alice/p2',
      '10:30 local/p1',
    ]);
    const runs = whole(h, 'runs', {}) as Array<{ id: string; startedAt: string }>;
    const keys = runs.map((r) => [Date.parse(r.startedAt), Number(r.id.slice(4))] as const);
    expect(keys).toEqual([...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
    expect(runs).toHaveLength(h.core.scheduler.runs({}).length);
  });

  it('a cursor is a place, not an index: removes and adds between pages neither skip nor repeat an item', async () => {
    const h = await harness();
    for (const id of ['a', 'b', 'c', 'd', 'e']) h.add(id, '*/15 * * * *');
    const first = h.control.deployments({ limit: 2 });
    expect(first.items.map((d) => d.projectId)).toEqual(['a', 'b']);
    h.remove('a'); // an index would now point past c
    h.add('f', '@hourly');
    const second = h.control.deployments({ limit: 2, cursor: first.next! });
    expect(second.items.map((d) => d.projectId)).toEqual(['c', 'd']);
    const third = h.control.deployments({ limit: 2, cursor: second.next! });
    expect(third).toEqual({
      items: [expect.objectContaining({ projectId: 'e' }), expect.objectContaining({ projectId: 'f' })],
      next: null,
    });

    // Newest first, runs that start while a reader pages come in ahead of its cursor: its next
    // pages hold exactly the runs older than what it read, none new, none twice.
    h.control.advance('1h'); // 4 runs of each of b..e, 1 of f
    const before = whole(h, 'runs', {});
    expect(before).toHaveLength(17);
    const newest = h.control.runs({ order: 'newest', limit: 3 });
    h.control.advance('30m'); // 8 more
    const older: unknown[] = [];
    for (let next = newest.next; next !== null;) {
      const page = h.control.runs({ limit: 3, cursor: next });
      older.push(...page.items);
      next = page.next;
    }
    expect([...newest.items, ...older]).toEqual([...before].reverse());
    expect(whole(h, 'runs', {})).toHaveLength(25);
  });

  it('refuses a page input it cannot use with BAD_INPUT, saying what to give', async () => {
    const h = await harness();
    h.add('a', '*/15 * * * *');
    h.add('b', '*/15 * * * *');
    h.control.advance('1h');
    const runsCursor = h.control.runs({ limit: 1 }).next!;
    const refusal = (fn: () => unknown): ControlError => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(ControlError);
        expect((error as ControlError).code).toBe('BAD_INPUT');
        return error as ControlError;
      }
      throw new Error('not refused');
    };
    expect(refusal(() => h.control.runs({ limit: 0 })).message).toMatch(/limit must be a whole number of at least 1/);
    expect(refusal(() => h.control.runs({ limit: PAGE_LIMITS.max + 1 })).message).toMatch(/limit must be at most 1000.*cursor/);
    expect(refusal(() => h.control.runs({ limit: 2.5 })).message).toMatch(/limit/);
    expect(refusal(() => h.control.runs({ order: 'sideways' as never })).message).toMatch(/order must be one of "oldest", "newest"/);
    expect(refusal(() => h.control.runs({ cursor: 'not a cursor' })).message).toMatch(/cursor is not one this server gave/);
    expect(refusal(() => h.control.runs({ cursor: btoa('runs:oldest:x:1') })).message).toMatch(/cursor is not one/);
    expect(refusal(() => h.control.ticks({ cursor: runsCursor })).message).toBe('This cursor is from a page of runs, not of ticks');
    expect(refusal(() => h.control.runs({ cursor: runsCursor, order: 'newest' })).message).toMatch(/read oldest first/);
    expect(h.control.runs({ cursor: runsCursor, order: 'oldest' }).items).toHaveLength(7);
  });
});

describe('journal pages', () => {
  const frame = (seq: number, size: number) => `{"type":"request","seq":${seq},"command":"rrext_ping","pad":"${'x'.repeat(size)}"}`;

  it('carry at most JOURNAL_PAGE_BYTES of frame text besides the first entry, and go on where they stopped', () => {
    const journal = new FrameJournal({ entries: 100, bytes: 64 * 1024 * 1024 }, () => 0);
    const sizes = [300_000, 300_000, 300_000, 300_000, 2_000_000, 10, 10];
    sizes.forEach((size, i) => recordFrame(journal, 1, 'in', frame(i + 1, size), undefined, undefined));
    const pages: number[][] = [];
    let from: number | undefined;
    for (;;) {
      const page = journal.page({}, { order: 'oldest', limit: 100, from, maxBytes: JOURNAL_PAGE_BYTES });
      pages.push(page.items.map((e) => e.id));
      for (const e of page.items.slice(1)) expect(e.text.length).toBeLessThan(JOURNAL_PAGE_BYTES);
      const bytes = page.items.slice(1).reduce((n, e) => n + e.text.length, 0);
      expect(bytes).toBeLessThanOrEqual(JOURNAL_PAGE_BYTES);
      if (page.last === undefined) break;
      from = page.last;
    }
    // Three 300 KB frames fit in 1 MiB, the fourth does not; the 2 MB frame comes alone, as a page's first.
    expect(pages).toEqual([[1, 2, 3], [4], [5], [6, 7]]);
  });

  it('filter on the command and type recorded with each frame, so a filtered page reads no frame text', () => {
    const journal = new FrameJournal({ entries: 100, bytes: 1024 * 1024 }, () => 0);
    recordFrame(journal, 1, 'in', '{"type":"request","seq":1,"command":"auth"}', undefined, undefined);
    recordFrame(
      journal,
      1,
      'in',
      `{"type":"request","seq":2,"command":"rrext_deploy_list","x":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      undefined,
      undefined,
    );
    recordFrame(journal, 1, 'in', 'not json', undefined, undefined);
    journal.record(1, 'out', '{"whatever":1}', undefined, undefined, { command: 'rrext_deploy_list', type: 'response' });
    const page = (filter: object) =>
      journal.page(filter, { order: 'newest', limit: 10, maxBytes: JOURNAL_PAGE_BYTES }).items.map((e) => e.id);
    expect(page({ command: 'rrext_deploy_list' })).toEqual([4, 2]);
    expect(page({ type: 'response' })).toEqual([4]);
    expect(journal.find().map((e) => [e.command, e.type])).toEqual([
      ['auth', 'request'],
      ['rrext_deploy_list', 'request'],
      [null, null],
      ['rrext_deploy_list', 'response'],
    ]);
  });
});
