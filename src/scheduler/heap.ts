/** A binary min-heap: the scheduler's queue of due ticks and run ends, ordered by `before`. */
export class MinHeap<T> {
  readonly #items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < items.length && this.before(items[left]!, items[least]!)) least = left;
        if (right < items.length && this.before(items[right]!, items[least]!)) least = right;
        if (least === i) break;
        [items[i], items[least]] = [items[least]!, items[i]!];
        i = least;
      }
    }
    return top;
  }

  clear(): void {
    this.#items.length = 0;
  }
}

/** Keeps the newest `limit` items; older ones fall off (counters elsewhere stay exact). */
export class Ring<T> {
  readonly #items: T[] = [];

  constructor(private readonly limit: number) {}

  push(item: T): void {
    this.#items.push(item);
    // Trim in batches so a long advance does not shift the array on every push.
    if (this.#items.length >= this.limit * 2) this.#items.splice(0, this.#items.length - this.limit);
  }

  /** Oldest first. */
  toArray(): T[] {
    return this.#items.length > this.limit ? this.#items.slice(-this.limit) : [...this.#items];
  }
}
