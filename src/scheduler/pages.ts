/**
 * Pages of runs and ticks, merged from the per-deployment logs without gathering or sorting
 * them all. Each log is already in order, so a page is a k-way merge: one binary search per
 * log finds where the cursor points, then a heap of the logs' heads gives the next item until
 * the page is full. A page of 100 over 10,000 deployments with a day of history reads each log's
 * head and 100 entries, where sorting everything read millions.
 */

/** Oldest first, or newest first. */
export type PageOrder = 'oldest' | 'newest';

/** A place in a history's order: compared by `primary`, then by `secondary`. */
export interface SortKey {
  readonly primary: number;
  readonly secondary: number;
}

/** One ordered log, read by position (0 = oldest), its keys increasing with the position. */
export interface OrderedSource<T> {
  readonly size: number;
  primary(i: number): number;
  secondary(i: number): number;
  item(i: number): T;
}

export interface PageRequest {
  readonly order: PageOrder;
  /** Only items past this key in the order (the previous page's last item). */
  readonly after?: SortKey | undefined;
  /** Most items; Infinity for every one. */
  readonly limit: number;
}

export interface MergedPage<T> {
  readonly items: T[];
  /** The last item's key when more items follow it, else undefined. */
  readonly last: SortKey | undefined;
}

/** The page of `request` over `sources` together. */
export function mergePage<T>(sources: Iterable<OrderedSource<T>>, request: PageRequest): MergedPage<T> {
  const newest = request.order === 'newest';
  const step = newest ? -1 : 1;
  // The logs' heads, side by side in typed arrays (a page over 10,000 logs makes no object per log).
  const logs: OrderedSource<T>[] = [];
  const positions: number[] = [];
  for (const source of sources) {
    if (source.size === 0) continue;
    const position = startOf(source, request);
    if (position < 0 || position >= source.size) continue;
    logs.push(source);
    positions.push(position);
  }
  const n = logs.length;
  const primary = new Float64Array(n);
  const secondary = new Float64Array(n);
  const heap = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    primary[k] = logs[k]!.primary(positions[k]!);
    secondary[k] = logs[k]!.secondary(positions[k]!);
    heap[k] = k;
  }
  // Whether head a comes before head b: the smaller key oldest first, the larger newest first.
  const before = (a: number, b: number): boolean => {
    const d = primary[a] !== primary[b] ? primary[a]! - primary[b]! : secondary[a]! - secondary[b]!;
    return newest ? d > 0 : d < 0;
  };
  let size = n;
  const siftDown = (at: number): void => {
    let i = at;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) return;
      const right = left + 1;
      const child = right < size && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, heap[i]!)) return;
      const swap = heap[i]!;
      heap[i] = heap[child]!;
      heap[child] = swap;
      i = child;
    }
  };
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);

  const items: T[] = [];
  let last: SortKey | undefined;
  while (size > 0 && items.length < request.limit) {
    const k = heap[0]!;
    const log = logs[k]!;
    items.push(log.item(positions[k]!));
    last = { primary: primary[k]!, secondary: secondary[k]! };
    const next = positions[k]! + step;
    if (next >= 0 && next < log.size) {
      positions[k] = next;
      primary[k] = log.primary(next);
      secondary[k] = log.secondary(next);
    } else heap[0] = heap[--size]!;
    if (size > 0) siftDown(0);
  }
  return { items, last: size > 0 ? last : undefined };
}

/** The first position of `source` the page reads: past `after` in the page's order. */
function startOf<T>(source: OrderedSource<T>, { order, after }: PageRequest): number {
  if (after === undefined) return order === 'oldest' ? 0 : source.size - 1;
  // The number of positions whose key is at most `after`.
  let lo = 0;
  let hi = source.size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = source.primary(mid);
    if (p < after.primary || (p === after.primary && source.secondary(mid) <= after.secondary)) lo = mid + 1;
    else hi = mid;
  }
  if (order === 'oldest') return lo;
  // Newest first: the last position whose key is below `after`.
  let i = lo - 1;
  while (i >= 0 && source.primary(i) === after.primary && source.secondary(i) === after.secondary) i--;
  return i;
}
