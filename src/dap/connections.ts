/**
 * The open connections of one server, by id: so the journal and injected faults can name a
 * connection, and the control API can list them. Ids start at 1 and are never reused.
 */
import { isoTime } from '../domain/iso-time.js';

/** @since 0.3.0 */
export interface ConnectionView {
  id: number;
  /** Who it is authenticated as, if anyone. */
  userId: string | null;
  /** The server clock's time (ISO) when it opened. */
  openedAt: string;
}

interface Open {
  readonly openedAt: number;
  readonly userId: () => string | undefined;
}

export class ConnectionRegistry {
  readonly #open = new Map<number, Open>();
  #nextId = 1;

  constructor(private readonly now: () => number) {}

  open(userId: () => string | undefined): number {
    const id = this.#nextId++;
    this.#open.set(id, { openedAt: this.now(), userId });
    return id;
  }

  close(id: number): void {
    this.#open.delete(id);
  }

  get size(): number {
    return this.#open.size;
  }

  list(): ConnectionView[] {
    return [...this.#open].map(([id, c]) => ({ id, userId: c.userId() ?? null, openedAt: isoTime(c.openedAt) }));
  }
}
