/**
 * The frame journal: every frame a server received and sent, per connection, with time,
 * direction and user, so a test can verify what a client sent (as WireMock's request journal
 * does). Recording is cheap (the frame is kept as it came; it is decoded only when read), and
 * the journal is bounded by entries and bytes, oldest first out, so it cannot grow without end.
 */

/** How a journal is bounded. @since 0.3.0 */
export interface JournalLimits {
  /** Most entries kept; older ones are dropped first. `0` turns the journal off. */
  readonly entries: number;
  /** Most frame bytes kept over all entries. */
  readonly bytes: number;
}

export const DEFAULT_JOURNAL_LIMITS: JournalLimits = { entries: 10_000, bytes: 64 * 1024 * 1024 };

/** One journal entry as every door shows it (plain JSON). @since 0.3.0 */
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
  /** The request's command, or the command a response answers; null for a frame that has none. */
  command: string | null;
  /** `request`, `response`, `event`, or null for a frame that is not a JSON object. */
  type: string | null;
  /** The frame parsed as JSON; null when it is not JSON. A binary frame's header only. */
  message: Record<string, unknown> | null;
  /** The frame's text, present only when it is not a JSON object (so it can still be seen). */
  text?: string;
  /** For a binary frame: the size of the payload after the header's `\n`. */
  payloadBytes?: number;
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

/** A recorded frame: kept as text until someone reads it. */
interface Recorded {
  readonly id: number;
  readonly connectionId: number;
  readonly at: number;
  readonly direction: 'in' | 'out';
  userId: string | undefined;
  /** The frame's text (a binary frame's JSON header); never a Buffer, which could pin a socket chunk. */
  readonly text: string;
  readonly payloadBytes: number | undefined;
  /** Decoded on first read. */
  view?: JournalEntry;
}

export class FrameJournal {
  readonly #limits: JournalLimits;
  readonly #now: () => number;
  /** A ring: entries live in #entries[#head ..]; dropped ones are cut off the front in batches. */
  #entries: Recorded[] = [];
  #head = 0;
  #bytes = 0;
  #nextId = 1;
  #dropped = 0;

  constructor(limits: JournalLimits, now: () => number) {
    if (!Number.isInteger(limits.entries) || limits.entries < 0) throw new RangeError(`journal entries limit must be a whole number >= 0, got ${limits.entries}`);
    if (!Number.isInteger(limits.bytes) || limits.bytes < 1) throw new RangeError(`journal bytes limit must be a positive whole number, got ${limits.bytes}`);
    this.#limits = limits;
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
   * Records a frame; returns a handle whose user can still be set (an `auth` request is
   * attributed to the user it authenticated, which is known only after it is served).
   */
  record(connectionId: number, direction: 'in' | 'out', text: string, payloadBytes: number | undefined, userId: string | undefined): { userId: string | undefined } | undefined {
    if (!this.enabled) return undefined;
    const entry: Recorded = { id: this.#nextId++, connectionId, at: this.#now(), direction, userId, text, payloadBytes };
    this.#entries.push(entry);
    this.#bytes += sizeOf(entry);
    this.#trim();
    return entry;
  }

  find(filter: JournalFilter = {}): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (let i = this.#head; i < this.#entries.length; i++) {
      const e = this.#entries[i]!;
      if (filter.after !== undefined && e.id <= filter.after) continue;
      if (filter.connectionId !== undefined && e.connectionId !== filter.connectionId) continue;
      if (filter.direction !== undefined && e.direction !== filter.direction) continue;
      if (filter.userId !== undefined && e.userId !== filter.userId) continue;
      const view = viewOf(e);
      if (filter.command !== undefined && view.command !== filter.command) continue;
      if (filter.type !== undefined && view.type !== filter.type) continue;
      out.push(view);
    }
    return out;
  }

  /** Forgets every entry; ids keep increasing, so a mark taken before stays meaningful. */
  clear(): number {
    const cleared = this.#entries.length - this.#head;
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#dropped = 0;
    return cleared;
  }

  #trim(): void {
    while (this.#entries.length - this.#head > this.#limits.entries || (this.#bytes > this.#limits.bytes && this.#entries.length - this.#head > 1)) {
      this.#bytes -= sizeOf(this.#entries[this.#head]!);
      this.#head += 1;
      this.#dropped += 1;
    }
    // Cut the dropped front off once it is as long as what is kept: amortized O(1) per entry.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** What an entry keeps: its text (UTF-16, so two bytes a unit) and a little for the entry. */
function sizeOf(e: Recorded): number {
  return 2 * e.text.length + 64;
}

function viewOf(e: Recorded): JournalEntry {
  if (e.view) {
    e.view.userId = e.userId ?? null; // the user may have been set after the first read
    return structuredClone(e.view);
  }
  const { text, payloadBytes } = e;
  let message: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) message = parsed as Record<string, unknown>;
  } catch {
    // not JSON: the text is shown instead
  }
  const command = typeof message?.['command'] === 'string' ? message['command'] : null;
  const type = typeof message?.['type'] === 'string' ? message['type'] : null;
  e.view = {
    id: e.id,
    connectionId: e.connectionId,
    at: new Date(e.at).toISOString(),
    direction: e.direction,
    userId: e.userId ?? null,
    command,
    type,
    message,
    ...(message === null && { text }),
    ...(payloadBytes !== undefined && { payloadBytes }),
  };
  return structuredClone(e.view);
}
