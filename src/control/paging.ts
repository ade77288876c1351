/**
 * Paged control reads (runs, ticks, journal, deployments): their numbers, their cursors and the
 * parsing of the inputs that choose a page. Every door reads pages the same way: the in-process
 * API, HTTP (query parameters), the typed client and the CLI (flags).
 *
 * A cursor is an opaque string naming a place in a list's order (the last item of the page it
 * came with), not an index: items added or removed since do not shift the next page, which
 * starts right after that place. Browser-safe: no Node imports.
 */
import type { PageOrder, SortKey } from '../scheduler/pages.js';
import { badInput, parseChoice, parseText, wholeNumber } from './inputs.js';

export type { PageOrder } from '../scheduler/pages.js';

/** A page: its items, and the cursor of the next page (null when this one is the last). @since 0.5.0 */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** What chooses a page. @since 0.5.0 */
export interface PageOptions {
  /** Most items (default PAGE_LIMITS.default, at most PAGE_LIMITS.max). */
  limit?: number;
  /** The `next` of the previous page: this page starts after its last item. */
  cursor?: string;
  /** `oldest` (the default) or `newest` first; a cursor keeps the order of its pages. */
  order?: PageOrder;
}

/** Items per page: what a page holds unless `limit` says, and the most it may ask. @since 0.5.0 */
export const PAGE_LIMITS = { default: 100, max: 1000 } as const;

/**
 * The most frame text one journal page carries (UTF-8 bytes), besides the first entry, which is
 * always carried: a page of large frames ends early (its `next` goes on from there).
 * @since 0.5.0
 */
export const JOURNAL_PAGE_BYTES = 1024 * 1024;

export const PAGE_ORDERS: readonly PageOrder[] = ['oldest', 'newest'];

/** The page inputs' names, in every paged operation. */
export const PAGE_FIELDS = ['limit', 'cursor', 'order'] as const;

/** The paged lists; a cursor names the one it came from. */
export type PagedList = (typeof PAGED_LISTS)[number];
const PAGED_LISTS = ['runs', 'ticks', 'journal', 'deployments'] as const;

/** A page request in the lists' own terms: the order, how many, and the place to start after. */
export interface PageChoice {
  readonly order: PageOrder;
  readonly limit: number;
  readonly after: SortKey | undefined;
}

/** The page chosen by `input`'s limit, cursor and order (absent ones take their defaults) for `list`. */
export function parsePageChoice(list: PagedList, input: Readonly<Record<string, unknown>>): PageChoice {
  const limit = input['limit'] === undefined ? PAGE_LIMITS.default : wholeNumber(input['limit'], 'limit', 1);
  if (limit > PAGE_LIMITS.max)
    throw badInput(`limit must be at most ${PAGE_LIMITS.max} (got ${limit}); read further pages with the cursor each page returns as next`);
  const order = input['order'] === undefined ? undefined : parseChoice(input['order'], 'order', PAGE_ORDERS);
  if (input['cursor'] === undefined) return { order: order ?? 'oldest', limit, after: undefined };
  const cursor = decodeCursor(list, parseText(input['cursor'], 'cursor'));
  if (order !== undefined && order !== cursor.order)
    throw badInput(`This cursor goes on a list read ${cursor.order} first; leave order out or give order=${cursor.order}`);
  return { order: cursor.order, limit, after: cursor.after };
}

/** The page's `next`: the cursor after `last` (the page's last item), or null when nothing follows. */
export function nextCursor(list: PagedList, order: PageOrder, last: SortKey | undefined): string | null {
  if (last === undefined) return null;
  return toBase64Url(`${list}:${order}:${last.primary}:${last.secondary}`);
}

function decodeCursor(list: PagedList, cursor: string): { order: PageOrder; after: SortKey } {
  const invalid = () =>
    badInput(`cursor is not one this server gave (got ${JSON.stringify(cursor.slice(0, 60))}); pass a page's next as it came`);
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
  const parts = fromBase64Url(cursor)?.split(':') ?? [];
  const [from, order, primary, secondary] = parts;
  if (parts.length !== 4 || !PAGED_LISTS.includes(from as PagedList) || !PAGE_ORDERS.includes(order as PageOrder)) throw invalid();
  const key = { primary: Number(primary), secondary: Number(secondary) };
  if (!/^-?\d+$/.test(primary!) || !/^\d+$/.test(secondary!) || !Number.isSafeInteger(key.primary) || !Number.isSafeInteger(key.secondary))
    throw invalid();
  if (from !== list) throw badInput(`This cursor is from a page of ${from}, not of ${list}`);
  return { order: order as PageOrder, after: key };
}

function toBase64Url(text: string): string {
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string | undefined {
  try {
    return atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return undefined;
  }
}

/** What readAll hands its reader: the largest page, and where it starts. */
export interface NextPage {
  readonly limit: number;
  readonly cursor?: string;
}

/**
 * Every item of a paged list, read page after page (largest pages) until the last: for an
 * in-process caller that wants them all, like `readAll((page) => server.control.runs({ ...page, userId: 'local' }))`.
 * @since 0.5.0
 */
export function readAll<T>(read: (page: NextPage) => Page<T>): T[] {
  const items: T[] = [];
  let page = read({ limit: PAGE_LIMITS.max });
  items.push(...page.items);
  while (page.next !== null) {
    page = read({ limit: PAGE_LIMITS.max, cursor: page.next });
    items.push(...page.items);
  }
  return items;
}
