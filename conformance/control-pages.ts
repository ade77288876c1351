/**
 * Reading a paged control list (runs, ticks, journal, deployments) whole: the mock answers a
 * page `{ items, next }`, and the next page is asked with `cursor=<next>` until `next` is null.
 * A target whose control API answers the list as one array (the mock before 0.5.0) is read as it is.
 */

/** One GET of the control API: its status and JSON body. */
export type ControlGet = (path: string) => Promise<{ readonly status: number; readonly body: unknown }>;

/** The most pages followed, so a target whose `next` never ends cannot hold a check for ever. */
const MAX_PAGES = 10_000;

/** Every item of the list at `path` (which may carry a query), or the status of the first page that failed. */
export async function readPages(get: ControlGet, path: string): Promise<{ status: number; items: unknown[] }> {
  const items: unknown[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const reply = await get(cursor === null ? path : `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`);
    if (reply.status !== 200) return { status: reply.status, items };
    const body = reply.body;
    if (Array.isArray(body)) return { status: 200, items: [...items, ...body] };
    const { items: pageItems, next } = (body ?? {}) as { items?: unknown; next?: unknown };
    if (!Array.isArray(pageItems)) throw new Error(`GET /control${path} answered neither a page ({ items, next }) nor an array`);
    items.push(...pageItems);
    if (typeof next !== 'string') return { status: 200, items };
    cursor = next;
  }
  throw new Error(`GET /control${path}: more than ${MAX_PAGES} pages (does next ever end?)`);
}
