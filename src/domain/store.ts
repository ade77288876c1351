import type { Deployment } from './deployment.js';
import { utf8Length } from './json.js';

/** Each record's stored bytes, counted once per record object (records are immutable). */
const bytesOf = new WeakMap<Deployment, number>();

/**
 * What a deployment holds for the stored-bytes limits (`maxStoredBytesPerUser`,
 * `maxStoredBytes`): its pipeline's JSON text and its project id, in UTF-8 bytes. The rest of a
 * record is small and bounded by the deployment count.
 */
export function storedBytes(record: Deployment): number {
  let bytes = bytesOf.get(record);
  if (bytes === undefined) {
    bytes = utf8Length(record.pipelineJson) + utf8Length(record.projectId);
    bytesOf.set(record, bytes);
  }
  return bytes;
}

/**
 * Per-user deployment storage. Project ids are opaque Map keys, never paths, so no id string
 * (`../x`, `%2e%2e`, unicode, 10 KB) can reach another user's records (DEP-ISO-1).
 * @since 0.1.0
 */
export class DeploymentStore {
  readonly #byUser = new Map<string, Map<string, Deployment>>();
  /** Stored bytes per user (see storedBytes), kept with every change: never counted by a scan. */
  readonly #bytesByUser = new Map<string, number>();
  #bytes = 0;
  #version = 0;

  /**
   * `onChange` is told after every put and delete, with the record's owner and project id, and
   * after a clear, with none (a state file's writer follows it).
   */
  constructor(private readonly onChange: (userId?: string, projectId?: string) => void = () => {}) {}

  /** Bumped by every put, delete and clear: records read at one version are the same until it moves. */
  get version(): number {
    return this.#version;
  }

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
    const previous = mine.get(record.projectId);
    // A new state or schedule keeps the pipeline's text: its count is the previous record's.
    if (previous !== undefined && previous.pipelineJson === record.pipelineJson && !bytesOf.has(record))
      bytesOf.set(record, storedBytes(previous));
    this.#count(record.ownerId, storedBytes(record) - (previous === undefined ? 0 : storedBytes(previous)));
    mine.set(record.projectId, record);
    this.#version += 1;
    this.onChange(record.ownerId, record.projectId);
  }

  delete(userId: string, projectId: string): Deployment | undefined {
    const mine = this.#byUser.get(userId);
    const record = mine?.get(projectId);
    if (!mine || !record) return undefined;
    mine.delete(projectId);
    this.#count(userId, -storedBytes(record));
    if (mine.size === 0) {
      this.#byUser.delete(userId);
      this.#bytesByUser.delete(userId);
    }
    this.#version += 1;
    this.onChange(userId, projectId);
    return record;
  }

  /** The bytes the user's deployments hold (see storedBytes). */
  bytesFor(userId: string): number {
    return this.#bytesByUser.get(userId) ?? 0;
  }

  /** The bytes every user's deployments hold together (see storedBytes). */
  get bytes(): number {
    return this.#bytes;
  }

  #count(userId: string, change: number): void {
    this.#bytesByUser.set(userId, this.bytesFor(userId) + change);
    this.#bytes += change;
  }

  /** The user's records, sorted by project id in code point order, as the real server lists them. */
  listFor(userId: string): Deployment[] {
    const mine = this.#byUser.get(userId);
    if (!mine) return [];
    return [...mine.values()].sort((a, b) => compareCodePoints(a.projectId, b.projectId));
  }

  /** How many deployments the user holds. */
  countFor(userId: string): number {
    return this.#byUser.get(userId)?.size ?? 0;
  }

  /** Every record, of every user (in no particular order). */
  all(): Deployment[] {
    const out: Deployment[] = [];
    for (const mine of this.#byUser.values()) for (const record of mine.values()) out.push(record);
    return out;
  }

  clear(): void {
    this.#byUser.clear();
    this.#bytesByUser.clear();
    this.#bytes = 0;
    this.#version += 1;
    this.onChange();
  }

  get size(): number {
    let n = 0;
    for (const mine of this.#byUser.values()) n += mine.size;
    return n;
  }
}

/**
 * Orders strings by Unicode code point (Python's order), not by UTF-16 unit (JavaScript's):
 * the two differ only where a surrogate pair meets a character from U+E000 up.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  return a.codePointAt(i)! - b.codePointAt(i)!;
}
