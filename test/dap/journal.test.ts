/**
 * The frame journal's storage: a byte ring of UTF-8 text and typed arrays of numbers, bounded by
 * entries and bytes. Checked against a plain array model with the same limits, and on the edges
 * of the rings (wrap-around, growth, multi-byte text, attribution of dropped entries).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordFrame } from '../helpers/record-frame.js';
import { FrameJournal, type JournalEntry, type JournalFilter, type JournalLimits } from '../../src/dap/journal.js';

type Direction = 'in' | 'out';

/** JSON text parsed, when it is an object: what an entry's `message` is. */
function parsedObject(text: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** What the journal should hold: an array, oldest first, trimmed after each push. */
class Model {
  entries: Array<{
    id: number;
    connectionId: number;
    at: number;
    direction: Direction;
    userId: string | undefined;
    text: string;
    size: number;
    payloadBytes: number | undefined;
  }> = [];
  nextId = 1;
  dropped = 0;
  constructor(readonly limits: JournalLimits) {}

  record(
    connectionId: number,
    direction: Direction,
    frame: string | Uint8Array,
    payloadBytes: number | undefined,
    userId: string | undefined,
    at: number,
  ): number {
    if (this.limits.entries === 0) return 0;
    const id = this.nextId++;
    const bytes = typeof frame === 'string' ? Buffer.from(frame, 'utf8') : Buffer.from(frame);
    if (bytes.length > this.limits.bytes) {
      this.dropped += 1;
      return id;
    }
    this.entries.push({ id, connectionId, at, direction, userId, text: bytes.toString('utf8'), size: bytes.length, payloadBytes });
    const total = () => this.entries.reduce((sum, e) => sum + e.size, 0);
    while (this.entries.length > this.limits.entries || total() > this.limits.bytes) {
      this.entries.shift();
      this.dropped += 1;
    }
    return id;
  }

  attribute(id: number, userId: string | undefined): void {
    const entry = this.entries.find((e) => e.id === id);
    if (entry) entry.userId = userId;
  }

  clear(): number {
    const cleared = this.entries.length;
    this.entries = [];
    this.dropped = 0;
    return cleared;
  }

  find(filter: JournalFilter = {}): JournalEntry[] {
    return this.entries
      .map((e): JournalEntry => {
        const message = parsedObject(e.text);
        return {
          id: e.id,
          connectionId: e.connectionId,
          at: new Date(e.at).toISOString(),
          direction: e.direction,
          userId: e.userId ?? null,
          command: typeof message?.['command'] === 'string' ? message['command'] : null,
          type: typeof message?.['type'] === 'string' ? message['type'] : null,
          text: e.text,
          ...(e.payloadBytes !== undefined && { payloadBytes: e.payloadBytes }),
        };
      })
      .filter(
        (e) =>
          (filter.after === undefined || e.id > filter.after) &&
          (filter.connectionId === undefined || e.connectionId === filter.connectionId) &&
          (filter.direction === undefined || e.direction === filter.direction) &&
          (filter.userId === undefined || e.userId === filter.userId) &&
          (filter.command === undefined || e.command === filter.command) &&
          (filter.type === undefined || e.type === filter.type),
      );
  }
}

const frameText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }), // any UTF-16, lone surrogates too
  fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀'), maxLength: 30 }), // 1, 2, 3 and 4 bytes a character
  fc
    .record({
      type: fc.constantFrom('request', 'response', 'event'),
      seq: fc.nat(),
      command: fc.constantFrom('auth', 'rrext_ping', 'rrext_deploy_add'),
      note: fc.string({ unit: 'grapheme', maxLength: 12 }),
    })
    .map((m) => JSON.stringify(m)),
  // Nested past what is parsed whole (64 brackets), valid or cut short, brackets inside strings too.
  fc
    .record({
      depth: fc.integer({ min: 0, max: 140 }),
      command: fc.constantFrom('"auth"', '"rrext_ping"', '["auth"]', '{"c":"auth"}'),
      inString: fc.boolean(),
      broken: fc.constantFrom('', 'unclosed', 'trailing'),
    })
    .map(({ depth, command, inString, broken }) => {
      const nest = inString
        ? `"${'['.repeat(depth)}"`
        : `${'['.repeat(depth)}${']'.repeat(broken === 'unclosed' ? Math.max(0, depth - 1) : depth)}`;
      return `{"type":"request","deep":${nest},"command":${command}}${broken === 'trailing' ? ' x' : ''}`;
    }),
);
const user = fc.option(fc.constantFrom('alice', 'local'), { nil: undefined });
const filter: fc.Arbitrary<JournalFilter> = fc.record(
  {
    after: fc.integer({ min: -1, max: 120 }),
    connectionId: fc.integer({ min: 0, max: 2 }),
    direction: fc.constantFrom<Direction>('in', 'out'),
    userId: fc.constantFrom('alice', 'local'),
    command: fc.constantFrom('auth', 'rrext_ping', 'rrext_deploy_add'),
    type: fc.constantFrom('request', 'response', 'event'),
  },
  { requiredKeys: [] },
);
const command = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('record' as const),
      connectionId: fc.integer({ min: 0, max: 2 }),
      direction: fc.constantFrom<Direction>('in', 'out'),
      text: frameText,
      asBytes: fc.boolean(),
      payloadBytes: fc.option(fc.nat(99), { nil: undefined }),
      userId: user,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('attribute' as const), back: fc.nat(12), userId: user }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('find' as const), filter }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
);

describe('FrameJournal', () => {
  it('holds what a plain array with the same limits holds, through any records, attributions, finds and clears', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 300 }),
        fc.record({ bytes: fc.integer({ min: 1, max: 64 }), entries: fc.integer({ min: 1, max: 4 }) }),
        fc.array(command, { maxLength: 150 }),
        (entries, bytes, initial, commands) => {
          let now = Date.UTC(2026, 0, 5);
          const journal = new FrameJournal({ entries, bytes }, () => now, initial);
          const model = new Model({ entries, bytes });
          let lastId = 0;
          for (const c of commands) {
            if (c.kind === 'record') {
              now += 1000;
              const frame = c.asBytes ? Buffer.from(c.text, 'utf8') : c.text;
              const id = recordFrame(journal, c.connectionId, c.direction, frame, c.payloadBytes, c.userId);
              expect(id).toBe(model.record(c.connectionId, c.direction, frame, c.payloadBytes, c.userId, now));
              lastId = id;
            } else if (c.kind === 'attribute') {
              journal.attribute(lastId - c.back, c.userId);
              model.attribute(lastId - c.back, c.userId);
            } else if (c.kind === 'find') {
              const found = journal.find(c.filter);
              // Exactly the model's plain JSON, and `message` is the text parsed.
              expect(JSON.parse(JSON.stringify(found))).toStrictEqual(model.find(c.filter));
              expect(found.map((e) => e.message)).toEqual(found.map((e) => parsedObject(e.text)));
            } else {
              expect(journal.clear()).toBe(model.clear());
            }
            expect(journal.find()).toEqual(model.find());
            expect(journal.dropped).toBe(model.dropped);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("shows each frame as its text; `message` is parsed when first read and is no part of the entry's JSON", () => {
    const journal = new FrameJournal({ entries: 10, bytes: 1 << 20 }, () => Date.UTC(2026, 0, 5));
    const request = '{"type":"request","seq":4,"command":"rrext_deploy_add","arguments":{"pipeline":{"project_id":"p"}}}';
    recordFrame(journal, 3, 'in', request, undefined, 'local');
    recordFrame(journal, 3, 'in', Buffer.from('{"type":"request","seq":5,"command":"rrext_ping"}'), 7, 'local');
    const [entry, binary] = journal.find();
    const shown = {
      id: 1,
      connectionId: 3,
      at: '2026-01-05T00:00:00.000Z',
      direction: 'in',
      userId: 'local',
      command: 'rrext_deploy_add',
      type: 'request',
      text: request,
    };
    expect(Object.keys(entry!)).toEqual(Object.keys(shown));
    expect(JSON.stringify(entry)).toBe(JSON.stringify(shown));
    expect({ ...entry }).toStrictEqual(shown);
    expect(JSON.parse(JSON.stringify(binary))).toMatchObject({ id: 2, command: 'rrext_ping', payloadBytes: 7 });
    expect(entry!.message).toEqual(JSON.parse(request));
    expect(entry!.message).toBe(entry!.message); // parsed once per view
    (entry!.message!['arguments'] as Record<string, unknown>)['pipeline'] = 'changed';
    expect(journal.find()[0]!.message).toEqual(JSON.parse(request)); // each find makes fresh views
  });

  it('reads the command and type of frames nested any depth, and shows them as they came', () => {
    const journal = new FrameJournal({ entries: 10, bytes: 1 << 24 }, () => 0);
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const frames = [
      `{"type":"request","seq":1,"command":"rrext_ping","arguments":{"deep":${deep(1_000_000)}}}`, // far past any stack
      `{"deep":${deep(5000)},"type":"response","command":"rrext_deploy_add","success":true}`,
      `{"type":"request","command":"rrext_ping","arguments":${deep(5000).slice(0, -1)}}`, // one bracket short: not JSON
      `{"type":"request","command":{"nested":${deep(100)}},"note":"${'{'.repeat(100)}"}`, // a command that is no string
      `${deep(100_000)}`,
    ];
    for (const frame of frames) recordFrame(journal, 1, 'in', frame, undefined, undefined);
    const entries = journal.find();
    expect(entries.map((e) => e.text)).toEqual(frames);
    expect(entries.map((e) => [e.command, e.type])).toEqual([
      ['rrext_ping', 'request'],
      ['rrext_deploy_add', 'response'],
      [null, null],
      [null, 'request'],
      [null, null],
    ]);
    expect(journal.find({ command: 'rrext_ping' }).map((e) => e.id)).toEqual([1]);
    expect(journal.find({ type: 'response' }).map((e) => e.id)).toEqual([2]);
    expect(entries[0]!.message).toMatchObject({ seq: 1, command: 'rrext_ping' }); // in-process, on request
    expect(entries.slice(2).map((e) => e.message === null)).toEqual([true, false, true]);
  });

  it('keeps ids, order and text right after the byte ring wrapped many times', () => {
    const limits = { entries: 50, bytes: 1000 };
    const journal = new FrameJournal(limits, () => 0);
    const texts: string[] = [];
    for (let i = 0; i < 5000; i++) {
      // 10 to ~90 bytes, some of it multi-byte, so entries end anywhere in the ring.
      const text = JSON.stringify({ seq: i, pad: 'aé€😀'.repeat(i % 7).slice(0, (i * 7) % 23) });
      texts.push(text);
      expect(recordFrame(journal, 1, i % 2 ? 'out' : 'in', text, undefined, undefined)).toBe(i + 1);
      if (i % 250 !== 249) continue;
      const kept = journal.find();
      const first = texts.length - kept.length;
      expect(kept.map((e) => e.id)).toEqual(kept.map((_, k) => first + k + 1));
      expect(kept.map((e) => JSON.stringify(e.message))).toEqual(texts.slice(first));
      // Bounded, and as many as fit: one more (the newest dropped) would break a limit.
      const size = (k: number) => Buffer.byteLength(texts[k]!);
      const used = texts.slice(first).reduce((sum, _, k) => sum + size(first + k), 0);
      expect(kept.length).toBeLessThanOrEqual(limits.entries);
      expect(used).toBeLessThanOrEqual(limits.bytes);
      expect(kept.length === limits.entries || used + size(first - 1) > limits.bytes).toBe(true);
      expect(journal.dropped).toBe(first);
    }
  });

  it('grows from a small buffer, also while its content wraps around the end', () => {
    const journal = new FrameJournal({ entries: 3, bytes: 1 << 20 }, () => 0, { bytes: 64 });
    const frame = (c: string, n: number) => `"${c.repeat(n - 2)}"`; // a JSON string of n bytes: shown as text
    const texts = () => journal.find().map((e) => e.text);
    for (const c of 'abc') recordFrame(journal, 1, 'in', frame(c, 20), undefined, undefined); // 60 of 64 bytes
    recordFrame(journal, 1, 'in', frame('d', 20), undefined, undefined); // drops a: d goes from byte 60 over the end to byte 16
    expect(texts()).toEqual([frame('b', 20), frame('c', 20), frame('d', 20)]);
    recordFrame(journal, 1, 'in', frame('e', 50), undefined, undefined); // drops b: 40 + 50 > 64, grows to 128 while wrapped
    expect(texts()).toEqual([frame('c', 20), frame('d', 20), frame('e', 50)]);
    recordFrame(journal, 1, 'in', frame('f', 300), undefined, undefined); // drops c: grows to 512 at once
    expect(texts()).toEqual([frame('d', 20), frame('e', 50), frame('f', 300)]);
    expect(journal.dropped).toBe(3);

    // Wrapped, with 23 bytes free before the oldest entry: 8 characters of 3 bytes do not fit there.
    const tight = new FrameJournal({ entries: 3, bytes: 1 << 20 }, () => 0, { bytes: 64 });
    for (const [c, n] of [
      ['a', 20],
      ['b', 20],
      ['c', 21],
      ['d', 20],
    ] as const)
      recordFrame(tight, 1, 'in', frame(c, n), undefined, undefined);
    recordFrame(tight, 1, 'in', '€'.repeat(8), undefined, undefined);
    expect(tight.find().map((e) => e.text)).toEqual([frame('c', 21), frame('d', 20), '€'.repeat(8)]);

    // A large limit is a bound, not an allocation: many journals with the default may exist.
    const huge = new FrameJournal({ entries: 10, bytes: Number.MAX_SAFE_INTEGER }, () => 0);
    recordFrame(huge, 1, 'out', '{"seq":1}', undefined, undefined);
    expect(huge.find().map((e) => e.message)).toEqual([{ seq: 1 }]);

    // From the default first size to well past it, nothing lost.
    const growing = new FrameJournal({ entries: 5000, bytes: 1 << 20 }, () => 0);
    const long = (i: number) => JSON.stringify({ seq: i, pad: 'x'.repeat(200) });
    for (let i = 0; i < 2000; i++) recordFrame(growing, 1, 'out', long(i), undefined, undefined); // ~420 KB
    expect(growing.find().map((e) => JSON.stringify(e.message))).toEqual(Array.from({ length: 2000 }, (_, i) => long(i)));
    expect(growing.dropped).toBe(0);
  });

  it('keeps multi-byte UTF-8 text exactly, and counts its bytes as UTF-8', () => {
    const text = '{"command":"rrext_ping","note":"é € 😀"}';
    const size = Buffer.byteLength(text); // é 2 bytes, € 3, 😀 4
    expect(size).toBe(text.length + 1 + 2 + 2);
    const exact = new FrameJournal({ entries: 10, bytes: size }, () => 0);
    recordFrame(exact, 1, 'in', text, undefined, undefined);
    expect(exact.find()).toMatchObject([{ command: 'rrext_ping', message: { note: 'é € 😀' } }]);
    recordFrame(exact, 1, 'in', 'é', undefined, undefined); // 2 more bytes: the first must go
    expect(exact.find().map((e) => e.text ?? e.command)).toEqual(['é']);

    const short = new FrameJournal({ entries: 10, bytes: size - 1 }, () => 0);
    expect(recordFrame(short, 1, 'in', text, undefined, undefined)).toBe(1); // too large: an id, not kept
    expect(short.find()).toEqual([]);
    expect(short.dropped).toBe(1);
    expect(recordFrame(short, 1, 'in', '😀', undefined, undefined)).toBe(2);
    expect(short.find().map((e) => e.text)).toEqual(['😀']);

    // Received bytes are kept as they came, and read as the server read them (lenient UTF-8).
    const raw = new FrameJournal({ entries: 10, bytes: 100 }, () => 0);
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d, 0xe2, 0x82]);
    recordFrame(raw, 2, 'in', bytes, 5, undefined);
    recordFrame(raw, 2, 'out', 'lone \ud800 surrogate', undefined, undefined);
    expect(raw.find()).toMatchObject([{ text: bytes.toString('utf8'), payloadBytes: 5, message: null }, { text: 'lone \ufffd surrogate' }]);
  });

  it('attributes an entry it keeps, and ignores one it dropped (or never had)', () => {
    const journal = new FrameJournal({ entries: 2, bytes: 1000 }, () => 0);
    const a = recordFrame(journal, 1, 'in', '{"command":"auth"}', undefined, undefined);
    const b = recordFrame(journal, 1, 'in', '{"command":"rrext_ping"}', undefined, 'local');
    journal.attribute(a, 'alice');
    expect(journal.find().map((e) => e.userId)).toEqual(['alice', 'local']);
    recordFrame(journal, 1, 'out', '{"command":"rrext_ping"}', undefined, 'local'); // a is dropped
    journal.attribute(a, 'bob');
    journal.attribute(0, 'bob');
    journal.attribute(b + 99, 'bob');
    expect(journal.find().map((e) => e.userId)).toEqual(['local', 'local']);
    journal.attribute(b, undefined);
    expect(journal.find().map((e) => e.userId)).toEqual([null, 'local']);
    expect(journal.find({ userId: 'bob' })).toEqual([]);
  });

  it('finds after a mark anywhere in the ring, clears with a count, and goes on numbering', () => {
    const journal = new FrameJournal({ entries: 4, bytes: 1000 }, () => 0);
    for (let i = 1; i <= 7; i++) recordFrame(journal, i % 2, 'in', `{"seq":${i}}`, undefined, undefined);
    const seqs = (f?: JournalFilter) => journal.find(f).map((e) => e.message!['seq']);
    expect(seqs()).toEqual([4, 5, 6, 7]);
    expect(seqs({ after: 0 })).toEqual([4, 5, 6, 7]);
    expect(seqs({ after: 5 })).toEqual([6, 7]);
    expect(seqs({ after: 7 })).toEqual([]);
    expect(seqs({ after: 4, connectionId: 1 })).toEqual([5, 7]);
    expect(journal.dropped).toBe(3);
    expect(journal.clear()).toBe(4);
    expect(journal.dropped).toBe(0);
    expect(journal.find()).toEqual([]);
    expect(recordFrame(journal, 1, 'out', '{}', undefined, undefined)).toBe(8);
    expect(journal.find().map((e) => e.id)).toEqual([8]);

    const off = new FrameJournal({ entries: 0, bytes: 1 }, () => 0);
    expect(off.enabled).toBe(false);
    expect(recordFrame(off, 1, 'in', '{}', undefined, undefined)).toBe(0);
    off.attribute(0, 'alice');
    expect(off.find()).toEqual([]);
    expect(off.clear()).toBe(0);
  });
});
