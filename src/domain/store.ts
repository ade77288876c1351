import type { Deployment } from './deployment.js';

/**
 * Per-user deployment storage. Project ids are opaque Map keys, never paths, so no id string
 * (`../x`, `%2e%2e`, unicode, 10 KB) can reach another user's records (DEP-ISO-1).
 * @since 0.1.0
 */
export class DeploymentStore {
  readonly #byUser = new Map<string, Map<string, Deployment>>();

  get(userId: string, projectId: string): Deployment | undefined {
    return this.#byUser.get(userId)?.get(projectId);
  }

  has(userId: string, projectId: string): boolean {
    return this.#byUser.get(userId)?.has(projectId) ?? false;
  }

  /** Stores (or replaces) a record under its owner and project id. */
  put(record: Deployment): void {
    let mine = this.#byUser.get(record.ownerId);
    if (!mine) this.#byUser.set(record.ownerId, (mine = new Map()));
    mine.set(record.projectId, record);
  }

  delete(userId: string, projectId: string): Deployment | undefined {
    const mine = this.#byUser.get(userId);
    const record = mine?.get(projectId);
    if (!mine || !record) return undefined;
    mine.delete(projectId);
    if (mine.size === 0) this.#byUser.delete(userId);
    return record;
  }

  /** The user's records, sorted by project id as the real server lists them. */
  listFor(userId: string): Deployment[] {
    const mine = this.#byUser.get(userId);
    if (!mine) return [];
    return [...mine.values()].sort((a, b) => (a.projectId < b.projectId ? -1 : a.projectId > b.projectId ? 1 : 0));
  }

  /** Every record of every user (for the scheduler and control API). */
  *all(): IterableIterator<Deployment> {
    for (const mine of this.#byUser.values()) yield* mine.values();
  }

  get size(): number {
    let n = 0;
    for (const mine of this.#byUser.values()) n += mine.size;
    return n;
  }

  clear(): void {
    this.#byUser.clear();
  }
}
