/**
 * The scheduler's containers, built for long fake-clock advances: no allocation per tick.
 */

/** What waits in a TickBuckets queue: a deployment for its next tick, or its run's end. */
export interface BucketItem {
  /** The instant it is queued for (its tick's, or its run's end), or undefined when not queued. */
  tickAt: number | undefined;
  /** Where it sits in its instant's bucket while queued, so that taking it out costs no search. */
  bucketIndex: number;
  /** Orders items due at the same instant (older deployments first). */
  readonly serial: number;
}

/**
 * Due ticks (or run ends) grouped by instant. Ticks fall on whole minutes, so thousands of
 * deployments share few distinct instants, and the runs one tick starts end together: a small
 * heap of instants plus one array per instant makes the cost per tick nearly independent of how
 * many deployments there are. A removed item leaves its bucket
 * at once; a bucket left empty is dropped when its instant comes.
 */
export class TickBuckets<T extends BucketItem> {
  readonly #buckets = new Map<number, T[]>();
  readonly #instants: number[] = [];
  #version = 0;

  /** Bumped by every change to any item's `tickAt` (the only place it is set). */
  get version(): number {
    return this.#version;
  }

  add(item: T, at: number): void {
    this.#version += 1;
    item.tickAt = at;
    let bucket = this.#buckets.get(at);
    if (!bucket) {
      this.#buckets.set(at, (bucket = []));
      pushInstant(this.#instants, at);
    }
    item.bucketIndex = bucket.length;
    bucket.push(item);
  }

  /** Takes the item out of its bucket (so removed deployments are not kept alive). */
  remove(item: T): void {
    const at = item.tickAt;
    if (at === undefined) return;
    this.#version += 1;
    item.tickAt = undefined;
    const bucket = this.#buckets.get(at);
    const i = item.bucketIndex;
    if (!bucket || bucket[i] !== item) return;
    // The last takes its place (order is restored by serial when the bucket is taken).
    const last = bucket.pop()!;
    if (last !== item) {
      bucket[i] = last;
      last.bucketIndex = i;
    }
  }

  /** The earliest instant with a bucket (it may hold only removed items). */
  peek(): number | undefined {
    return this.#instants[0];
  }

  /** Takes the earliest bucket's live items, in serial order, and unqueues them. */
  take(): { at: number; items: T[] } | undefined {
    const at = popInstant(this.#instants);
    if (at === undefined) return undefined;
    this.#version += 1;
    const bucket = this.#buckets.get(at)!;
    this.#buckets.delete(at);
    // Defensive: take each live item once, even if it was queued here twice.
    const items: T[] = [];
    for (const item of bucket) {
      if (item.tickAt !== at) continue;
      item.tickAt = undefined;
      items.push(item);
    }
    if (!isSortedBySerial(items)) items.sort((a, b) => a.serial - b.serial);
    return { at, items };
  }

  clear(): void {
    this.#version += 1;
    for (const bucket of this.#buckets.values()) for (const item of bucket) item.tickAt = undefined;
    this.#buckets.clear();
    this.#instants.length = 0;
  }
}

function isSortedBySerial(items: readonly BucketItem[]): boolean {
  for (let i = 1; i < items.length; i++) if (items[i - 1]!.serial > items[i]!.serial) return false;
  return true;
}

/** Binary min-heap of numbers, on a plain array. */
function pushInstant(heap: number[], value: number): void {
  let i = heap.length;
  heap.push(value);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! <= value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = value;
}

function popInstant(heap: number[]): number | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0 && last !== undefined) {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]! < heap[left]! ? right : left;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
  return top;
}
