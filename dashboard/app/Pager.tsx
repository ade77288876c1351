/**
 * Paging through a control API list by its cursors: the cursors of the pages read so far (the
 * API pages forward only, so going back is popping one), and the buttons that move along them.
 */
import { useState } from 'preact/hooks';

export interface CursorPages {
  /** The cursor of the page shown (undefined for the first). */
  readonly cursor: string | undefined;
  /** Which page it is, from 1. */
  readonly number: number;
  readonly back: () => void;
  readonly forward: (next: string) => void;
  /** Back to the first page (a filter changed). */
  readonly reset: () => void;
}

export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<readonly (string | undefined)[]>([undefined]);
  return {
    cursor: cursors.at(-1),
    number: cursors.length,
    back: () => setCursors(cursors.slice(0, -1)),
    forward: (next) => setCursors([...cursors, next]),
    reset: () => setCursors([undefined]),
  };
}

export interface PagerProps {
  readonly pages: CursorPages;
  /** The page's `next` cursor: null or undefined when it is the last (or not read yet). */
  readonly next: string | null | undefined;
  /** The two buttons' words, in the list's order (`◀ Newer`, `Older ▶`). */
  readonly labels: readonly [back: string, forward: string];
}

export function Pager({ pages, next, labels: [back, forward] }: PagerProps) {
  return (
    <span class="pager">
      page {pages.number}
      <button type="button" disabled={pages.number === 1} onClick={pages.back}>
        {back}
      </button>
      <button type="button" disabled={!next} onClick={() => next && pages.forward(next)}>
        {forward}
      </button>
    </span>
  );
}
