/**
 * What changed since the last write, as the core tells it (StateListener): the deployments
 * whose record or scheduling changed and the retired entries that came and went (the users and
 * run behaviors are written when their versions moved, change-log.ts). A change that does not say what it changed makes the next write
 * whole, so a part that forgets to tell costs a whole write, never a lost change.
 */
import type { StateListener } from '../core-build.js';
import { keyOf, type Entry } from '../scheduler/entry.js';

/** What one write takes (see ChangeTracker.take). */
export interface TakenChanges {
  /** Write the whole state: the changes are not known. */
  readonly whole: boolean;
  /** Deployments (keyOf owner and project id) whose record or scheduling changed. */
  readonly deployments: ReadonlyMap<string, { readonly userId: string; readonly projectId: string }>;
  /** The retired list's changes, in order. */
  readonly retired: ReadonlyArray<{ readonly retired: Entry } | { readonly forgotten: Entry }>;
}

export class ChangeTracker implements StateListener {
  #whole = false;
  #deployments = new Map<string, { readonly userId: string; readonly projectId: string }>();
  /** Entries told of since the last take: turned into deployments then (a tick must cost little). */
  #entries = new Set<Entry>();
  #retired: Array<{ readonly retired: Entry } | { readonly forgotten: Entry }> = [];

  /** `changed` is told after each change (the committer schedules a write). */
  constructor(private readonly changed: () => void) {}

  recordChanged(userId: string, projectId: string): void {
    this.#deployments.set(keyOf(userId, projectId), { userId, projectId });
    this.changed();
  }

  entryChanged(entry: Entry): void {
    this.#entries.add(entry);
    this.changed();
  }

  entryRetired(entry: Entry): void {
    this.#retired.push({ retired: entry });
    this.changed();
  }

  entryForgotten(entry: Entry): void {
    this.#retired.push({ forgotten: entry });
    this.changed();
  }

  /** Users, keys, run behaviors or the clock may have changed: the commit writes what moved (change-log.ts compares versions). */
  controlChanged(): void {
    this.changed();
  }

  anythingChanged(): void {
    this.#whole = true;
    this.changed();
  }

  /** The next write is whole (the last one failed, or the file must be rewritten). */
  needWhole(): void {
    this.#whole = true;
  }

  /** What changed since the last take, and starts afresh. */
  take(): TakenChanges {
    for (const entry of this.#entries) {
      const { userId, projectId } = entry;
      this.#deployments.set(keyOf(userId, projectId), { userId, projectId });
    }
    const taken: TakenChanges = { whole: this.#whole, deployments: this.#deployments, retired: this.#retired };
    this.#whole = false;
    this.#deployments = new Map();
    this.#entries = new Set();
    this.#retired = [];
    return taken;
  }
}
