/**
 * The frame journal: every frame a server received and sent, per connection, with time,
 * direction and user, so a test can verify what a client sent (as WireMock's request journal
 * does). The journal is bounded by entries and bytes, oldest first out, so it cannot grow
 * without end.
 *
 * Recording keeps no JS object or string per entry (a retained object per frame is what the
 * garbage collector pays for on every scavenge): the frame's text is encoded as UTF-8 into a
 * byte ring, and what else an entry has lives in typed arrays, both rings growing by doubling
 * up to the limits. An entry is decoded only when read.
 *
 * A read shows each frame as its text: nothing a client sent is parsed to be shown and written
 * out again (JSON.stringify recurses, so a frame nested 10,000 deep overflowed the stack, and
 * pretty-printing it grew with the square of its depth). Its top-level `command` and `type` are
 * recorded with it, as the session decoded them (frames.ts FrameHeading), so a read costs the
 * text's decoding and nothing that grows with how a frame nests; in-process, `message` parses
 * an entry when asked for.
 */
import { isoTime } from '../domain/iso-time.js';
import { utf8Length } from '../domain/json.js';
import type { FrameHeading } from './frames.js';

/** How a journal is bounded. @since 0.3.0 */
export interface JournalLimits {
  /** Most entries kept; older ones are dropped first. `0` turns the journal off. */
  readonly entries: number;
  /**
   * Most bytes of frame text kept over all entries: each frame's text as UTF-8, as the frame
   * carried it (a binary frame's JSON header; its payload is not kept and does not count).
   * Older entries are dropped first; a single frame larger than this is not kept (it counts as
   * dropped). Memory is taken as frames come (doubling), never the whole limit up front.
   */
  readonly bytes: number;
}

/**
 * 10,000 entries and 64 MiB of frame text (UTF-8). Besides the text, an entry takes about 72
 * bytes (its numbers and a reference to its user).
 */
export const DEFAULT_JOURNAL_LIMITS: JournalLimits = { entries: 10_000, bytes: 64 * 1024 * 1024 };

/**
 * One journal entry as every door shows it: plain JSON, the same in-process
 * (`server.control.journal()`), over HTTP (`GET /control/journal`), through the typed client and
 * the CLI. The frame is its `text`, as it passed: a reader never gets it parsed and written out
 * again, so no frame, however deeply nested, can make a read fail or swell with its depth.
 * @since 0.3.0
 */
export interface JournalEntry {
  /** Increases by one per entry over the server's life; `after` filters on it. */
  id: number;
  connectionId: number;
  /** The server clock's time (ISO) when the frame passed. */
  at: string;
  /** `in`: the client sent it; `out`: the server sent it. */
  direction: 'in' | 'out';
  /** Who the connection was authenticated as; for an `auth` request, the user it authenticated. */
  userId: string | null;
  /** The frame's `command` when it is a JSON object with a string there (a request's command, or the one a response answers); else null. */
  command: string | null;
  /** The frame's `type` (`request`, `response`, `event`) when it is a JSON object with a string there; else null. */
  type: string | null;
  /**
   * The frame's text exactly as it passed, on every entry: what the client sent or the server
   * wrote, character for character (a binary frame: its JSON header; received bytes that are
   * not UTF-8 read as U+FFFD, as the server read them). Parse it to read the frame's fields.
   * @since 0.3.0 (before 0.5.0 only on frames that were not a JSON object; the others had `message` instead)
   */
  text: string;
  /** For a binary frame: the size of the payload after the header's `\n`. */
  payloadBytes?: number;
}

/**
 * An entry as the in-process `journal.find()` answers it (`server.journal` of createMockServer,
 * `mock.journal` of the msw door): a JournalEntry with `message` besides.
 * @since 0.5.0
 */
export interface JournalEntryWithMessage extends JournalEntry {
  /**
   * The frame's text parsed as JSON (a binary frame's header), or null when it is not a JSON
   * object (or nests deeper than the engine's JSON.parse takes; Node's takes any depth).
   * Parsed when first read, for that entry only; not part of the entry's JSON (it is
   * not an own property: `JSON.stringify(entry)` and `{ ...entry }` leave it out), so it costs
   * nothing to a reader that does not ask for it.
   */
  readonly message: Record<string, unknown> | null;
}

/** What `find` selects; every field given must match. @since 0.3.0 */
export interface JournalFilter {
  connectionId?: number;
  userId?: string;
  command?: string;
  direction?: 'in' | 'out';
  type?: string;
  /** Only entries with a larger `id` (what came after a mark). */
  after?: number;
}

/** A journal page: which entries, how many, and where to start (the entry id the previous page ended at). */
export interface JournalPageRequest {
  readonly order: 'oldest' | 'newest';
  readonly limit: number;
  /** Entries past this id in the page's order (oldest: larger ids; newest: smaller). */
  readonly from?: number | undefined;
  /** Most bytes of frame text in the page, besides its first entry. */
  readonly maxBytes: number;
}

export interface JournalPage {
  readonly items: JournalEntryWithMessage[];
  /** The last entry's id when more matching entries follow, else undefined. */
  readonly last: number | undefined;
}

/**
 * Commands and types are kept as references to one string per distinct name, up to this many
 * names of up to NAME_LENGTH characters (`rrext_deploy_add`, `response`): no string per entry.
 * Any other is kept as the frame carried it (it is part of the frame, so the bytes limit bounds it).
 */
const NAMES = 1024;
const NAME_LENGTH = 64;

/** The byte ring's first size (or the bytes limit, if smaller); it doubles as frames need. */
const INITIAL_BYTES = 64 * 1024;
/** The entry ring's first size (or the entries limit, if smaller). */
const INITIAL_ENTRIES = 256;

// An entry's numbers, side by side in one Float64Array, STRIDE slots apart.
const STRIDE = 8;
const ID = 0;
const AT = 1;
const CONNECTION = 2;
/** A binary frame's payload size; -1 for none. */
const PAYLOAD = 3;
/** Where its text starts in the byte ring, and how many bytes it has. */
const OFFSET = 4;
const LENGTH = 5;
/** 0: in, 1: out. */
const DIRECTION = 6;
const IN = 0;
const OUT = 1;

const EMPTY_BYTES = new Uint8Array(0);
/** Web APIs, not Node's Buffer: the journal runs in browsers too (the msw door). */
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // keep a leading U+FEFF: the journal shows frames as they came
/** The largest byte ring made (typed arrays can be larger, but a journal has no use for it). */
const MAX_RING_BYTES = 2 ** 31 - 1;
const EMPTY_META = new Float64Array(0);

export class FrameJournal {
  readonly #limits: JournalLimits;
  readonly #maxEntries: number;
  /** The byte ring's largest size: the bytes limit (or MAX_RING_BYTES). */
  readonly #maxBytes: number;
  readonly #initialBytes: number;
  readonly #initialEntries: number;
  readonly #now: () => number;

  // The byte ring: the kept entries' text back to back from #byteHead, #bytesUsed long,
  // wrapping at the buffer's end (one entry's bytes may be split across it).
  #buf: Uint8Array = EMPTY_BYTES;
  #byteHead = 0;
  #bytesUsed = 0;

  // The entry ring, #capacity slots: kept entries are slots #first .. #first + #count - 1
  // (mod #capacity), oldest first; ids increase along it. Numbers in #meta, users in #users
  // (references to user ids the server already holds, not new strings).
  #meta: Float64Array = EMPTY_META;
  #users: Array<string | undefined> = [];
  #commands: Array<string | null> = [];
  #types: Array<string | null> = [];
  readonly #names = new Map<string, string>();
  #capacity = 0;
  #first = 0;
  #count = 0;

  #nextId = 1;
  #dropped = 0;

  /** `initial`: the rings' first sizes (tests make them small to watch them grow). */
  constructor(limits: JournalLimits, now: () => number, initial: { bytes?: number; entries?: number } = {}) {
    if (!Number.isInteger(limits.entries) || limits.entries < 0)
      throw new RangeError(`journal entries limit must be a whole number >= 0, got ${limits.entries}`);
    if (!Number.isInteger(limits.bytes) || limits.bytes < 1)
      throw new RangeError(`journal bytes limit must be a positive whole number, got ${limits.bytes}`);
    this.#limits = limits;
    this.#maxEntries = limits.entries;
    this.#maxBytes = Math.min(limits.bytes, MAX_RING_BYTES);
    this.#initialBytes = Math.max(1, Math.min(initial.bytes ?? INITIAL_BYTES, this.#maxBytes));
    this.#initialEntries = Math.max(1, Math.min(initial.entries ?? INITIAL_ENTRIES, limits.entries));
    this.#now = now;
  }

  get enabled(): boolean {
    return this.#limits.entries > 0;
  }

  /** Entries dropped to stay within the limits since the last clear. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Records a frame and returns its id, for `attribute`; 0 when the journal is off. `frame` is
   * the frame's text (for a binary frame: its JSON header), or those bytes as received (UTF-8,
   * copied as they are: no decoding and encoding again); `payloadBytes`, a binary frame's
   * payload size; `heading`, its top-level command and type. A frame larger than the whole
   * bytes limit gets an id but is not kept: it counts as dropped.
   */
  record(
    connectionId: number,
    direction: 'in' | 'out',
    frame: string | Uint8Array,
    payloadBytes: number | undefined,
    userId: string | undefined,
    heading: FrameHeading,
  ): number {
    if (this.#maxEntries === 0) return 0;
    const id = this.#nextId++;
    const isText = typeof frame === 'string';
    // UTF-8 takes 1 to 3 bytes per UTF-16 unit: only a text over a third of the limit can be too large.
    let n = isText ? (frame.length * 3 > this.#maxBytes ? utf8Length(frame) : -1) : frame.length;
    if (n > this.#maxBytes) {
      this.#dropped += 1;
      return id;
    }
    if (this.#count === this.#maxEntries) this.#dropOldest();
    else if (this.#count === this.#capacity) this.#growEntries();
    // The usual case: the frame surely fits where the ring's free space goes on without a break,
    // so it is written at once (and a text's size is the bytes written: no measuring pass).
    const buf = this.#buf;
    const head = this.#byteHead;
    const used = this.#bytesUsed;
    let offset = head + used;
    if (offset >= buf.length) offset -= buf.length;
    const room = used === buf.length ? 0 : offset >= head ? buf.length - offset : head - offset;
    if (isText && frame.length * 3 <= room) n = encoder.encodeInto(frame, buf.subarray(offset)).written;
    else if (!isText && n <= room) buf.set(frame, offset);
    else {
      if (n < 0) n = utf8Length(frame as string);
      offset = this.#writeSlow(frame, n);
    }
    this.#bytesUsed += n;

    let slot = this.#first + this.#count;
    if (slot >= this.#capacity) slot -= this.#capacity;
    const meta = this.#meta;
    const at = slot * STRIDE;
    meta[at + ID] = id;
    meta[at + AT] = this.#now();
    meta[at + CONNECTION] = connectionId;
    meta[at + PAYLOAD] = payloadBytes ?? -1;
    meta[at + OFFSET] = offset;
    meta[at + LENGTH] = n;
    meta[at + DIRECTION] = direction === 'in' ? IN : OUT;
    this.#users[slot] = userId;
    this.#commands[slot] = this.#name(heading.command);
    this.#types[slot] = this.#name(heading.type);
    this.#count += 1;
    return id;
  }

  /** The one string kept for a command or type name (see NAMES). */
  #name(name: string | null): string | null {
    if (name === null) return null;
    const known = this.#names.get(name);
    if (known !== undefined) return known;
    if (name.length <= NAME_LENGTH && this.#names.size < NAMES) this.#names.set(name, name);
    return name;
  }

  /**
   * Sets the user of entry `id` (an `auth` request is attributed to the user it authenticated,
   * known only after it is served). Nothing happens when that entry is no longer kept.
   */
  attribute(id: number, userId: string | undefined): void {
    const k = this.#indexAfter(id - 1);
    if (k === this.#count) return;
    const slot = this.#slot(k);
    if (this.#meta[slot * STRIDE + ID] === id) this.#users[slot] = userId;
  }

  /** The entries that match every field of `filter`, oldest first: fresh views, each with `message` parsed when first read. */
  find(filter: JournalFilter = {}): JournalEntryWithMessage[] {
    return this.page(filter, { order: 'oldest', limit: Infinity, maxBytes: Infinity }).items;
  }

  /**
   * A page of the entries that match every field of `filter`: at most `limit`, and no more frame
   * text than `maxBytes` past the first. Reads only the entries it skips or shows (and, to know
   * whether more follow, the ones up to the next match).
   */
  page(filter: JournalFilter, request: JournalPageRequest): JournalPage {
    const items: JournalEntryWithMessage[] = [];
    const newest = request.order === 'newest';
    // Positions (0 = oldest) the page may read: past `after`, and past the previous page's last entry.
    let lo = filter.after === undefined ? 0 : this.#indexAfter(filter.after);
    let hi = this.#count;
    if (request.from !== undefined) {
      if (newest) hi = Math.min(hi, this.#indexAfter(request.from - 1));
      else lo = Math.max(lo, this.#indexAfter(request.from));
    }
    let bytes = 0;
    let last: number | undefined;
    for (let n = 0; n < hi - lo; n++) {
      const slot = this.#slot(newest ? hi - 1 - n : lo + n);
      if (!this.#matches(slot, filter)) continue;
      const length = this.#meta[slot * STRIDE + LENGTH]!;
      if (items.length >= request.limit || (items.length > 0 && bytes + length > request.maxBytes)) {
        last = items[items.length - 1]!.id;
        break;
      }
      bytes += length;
      items.push(this.#view(slot));
    }
    return { items, last };
  }

  #matches(slot: number, { connectionId, userId, command, type, direction }: JournalFilter): boolean {
    const at = slot * STRIDE;
    if (connectionId !== undefined && this.#meta[at + CONNECTION] !== connectionId) return false;
    if (direction !== undefined && this.#meta[at + DIRECTION] !== (direction === 'in' ? IN : OUT)) return false;
    if (userId !== undefined && this.#users[slot] !== userId) return false;
    if (command !== undefined && this.#commands[slot] !== command) return false;
    return type === undefined || this.#types[slot] === type;
  }

  /** Forgets every entry (and the memory they took); ids keep increasing, so a mark taken before stays meaningful. */
  clear(): number {
    const cleared = this.#count;
    this.#buf = EMPTY_BYTES;
    this.#byteHead = 0;
    this.#bytesUsed = 0;
    this.#meta = EMPTY_META;
    this.#users = [];
    this.#commands = [];
    this.#types = [];
    this.#names.clear();
    this.#capacity = 0;
    this.#first = 0;
    this.#count = 0;
    this.#dropped = 0;
    return cleared;
  }

  /**
   * Makes room for `n` bytes (growing the ring up to the bytes limit, then dropping the oldest
   * entries) and writes the frame there; returns where it starts.
   */
  #writeSlow(frame: string | Uint8Array, n: number): number {
    if (this.#bytesUsed + n > this.#buf.length) {
      if (this.#buf.length < this.#maxBytes) this.#growBytes(this.#bytesUsed + n);
      while (this.#bytesUsed + n > this.#buf.length) this.#dropOldest();
    }
    const buf = this.#buf;
    const cap = buf.length;
    let offset = this.#byteHead + this.#bytesUsed;
    if (offset >= cap) offset -= cap;
    const bytes = typeof frame === 'string' ? (offset + n <= cap ? undefined : encoder.encode(frame)) : frame;
    if (bytes === undefined) {
      if (n > 0) encoder.encodeInto(frame as string, buf.subarray(offset, offset + n));
    } else if (offset + n <= cap) buf.set(bytes, offset);
    else {
      // Split across the ring's end (at most once a lap): copied in two parts.
      buf.set(bytes.subarray(0, cap - offset), offset);
      buf.set(bytes.subarray(cap - offset), 0);
    }
    return offset;
  }

  #slot(k: number): number {
    const slot = this.#first + k;
    return slot >= this.#capacity ? slot - this.#capacity : slot;
  }

  /** The position (0 = oldest) of the first kept entry whose id is larger than `id`. */
  #indexAfter(id: number): number {
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#meta[this.#slot(mid) * STRIDE + ID]! <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #dropOldest(): void {
    const slot = this.#first;
    const n = this.#meta[slot * STRIDE + LENGTH]!;
    this.#users[slot] = undefined;
    this.#commands[slot] = null;
    this.#types[slot] = null;
    this.#byteHead += n;
    if (this.#byteHead >= this.#buf.length) this.#byteHead -= this.#buf.length;
    this.#bytesUsed -= n;
    if (this.#bytesUsed === 0) this.#byteHead = 0;
    this.#first = slot + 1 === this.#capacity ? 0 : slot + 1;
    this.#count -= 1;
    this.#dropped += 1;
  }

  /** Doubles the entry ring (up to the entries limit), oldest entry first in the new one. */
  #growEntries(): void {
    const capacity = Math.min(this.#capacity === 0 ? this.#initialEntries : this.#capacity * 2, this.#maxEntries);
    const meta = new Float64Array(capacity * STRIDE);
    const users = new Array<string | undefined>(capacity).fill(undefined);
    const commands = new Array<string | null>(capacity).fill(null);
    const types = new Array<string | null>(capacity).fill(null);
    for (let k = 0; k < this.#count; k++) {
      const slot = this.#slot(k);
      meta.set(this.#meta.subarray(slot * STRIDE, (slot + 1) * STRIDE), k * STRIDE);
      users[k] = this.#users[slot];
      commands[k] = this.#commands[slot]!;
      types[k] = this.#types[slot]!;
    }
    this.#meta = meta;
    this.#users = users;
    this.#commands = commands;
    this.#types = types;
    this.#capacity = capacity;
    this.#first = 0;
  }

  /** Doubles the byte ring until `need` bytes fit (up to the bytes limit), unwrapped in the new one. */
  #growBytes(need: number): void {
    const old = this.#buf;
    let capacity = old.length === 0 ? this.#initialBytes : old.length;
    while (capacity < need && capacity < this.#maxBytes) capacity *= 2;
    capacity = Math.min(capacity, this.#maxBytes);
    const buf = new Uint8Array(capacity);
    const head = this.#byteHead;
    const tail = Math.min(old.length - head, this.#bytesUsed);
    buf.set(old.subarray(head, head + tail), 0);
    buf.set(old.subarray(0, this.#bytesUsed - tail), tail);
    for (let k = 0; k < this.#count; k++) {
      const at = this.#slot(k) * STRIDE + OFFSET;
      const offset = this.#meta[at]! - head;
      this.#meta[at] = offset < 0 ? offset + old.length : offset;
    }
    this.#buf = buf;
    this.#byteHead = 0;
  }

  #text(slot: number): string {
    const buf = this.#buf;
    const offset = this.#meta[slot * STRIDE + OFFSET]!;
    const end = offset + this.#meta[slot * STRIDE + LENGTH]!;
    if (end <= buf.length) return decoder.decode(buf.subarray(offset, end));
    const joined = new Uint8Array(end - offset);
    joined.set(buf.subarray(offset), 0);
    joined.set(buf.subarray(0, end - buf.length), buf.length - offset);
    return decoder.decode(joined);
  }

  /** A fresh view of the entry in `slot`: the caller may change it freely. */
  #view(slot: number): Entry {
    const meta = this.#meta;
    const at = slot * STRIDE;
    return new Entry(
      meta[at + ID]!,
      meta[at + CONNECTION]!,
      isoTime(meta[at + AT]!),
      meta[at + DIRECTION] === IN ? 'in' : 'out',
      this.#users[slot] ?? null,
      this.#commands[slot]!,
      this.#types[slot]!,
      this.#text(slot),
      meta[at + PAYLOAD]!,
    );
  }
}

/** JSON text parsed, if it is an object; null for anything else (or what this engine's JSON.parse cannot take). */
function parseObject(text: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null; // not JSON: the text shows what it was
  }
}

/**
 * A journal entry as find() answers it: its fields are own properties (what JSON.stringify and
 * every door show), `message` an accessor on the prototype, parsed on first read.
 */
class Entry implements JournalEntryWithMessage {
  id: number;
  connectionId: number;
  at: string;
  direction: 'in' | 'out';
  userId: string | null;
  command: string | null;
  type: string | null;
  text: string;
  declare payloadBytes?: number;
  /** undefined until `message` is first read. */
  #message: Record<string, unknown> | null | undefined;

  constructor(
    id: number,
    connectionId: number,
    at: string,
    direction: 'in' | 'out',
    userId: string | null,
    command: string | null,
    type: string | null,
    text: string,
    payloadBytes: number,
  ) {
    this.id = id;
    this.connectionId = connectionId;
    this.at = at;
    this.direction = direction;
    this.userId = userId;
    this.command = command;
    this.type = type;
    this.text = text;
    // Only a binary frame has one: an own property then, absent otherwise (as in its JSON).
    if (payloadBytes >= 0) this.payloadBytes = payloadBytes;
  }

  get message(): Record<string, unknown> | null {
    if (this.#message === undefined) this.#message = parseObject(this.text);
    return this.#message;
  }
}
