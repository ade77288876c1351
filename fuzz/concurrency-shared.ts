/**
 * The oracle for contended ids. Several clients of one user add, remove and read one project
 * id at the same time, so no single client can predict its answers. What must still hold: the
 * server ran the requests in some serial order that keeps each connection's order, in which
 * every answer is right (an add succeeds only when the id is absent, a remove only when it is
 * present, an add fails only when present, a remove only when absent, a read shows the record
 * of the last successful add or nothing), ending in what the final list shows.
 *
 * The check searches for such an order. Reads are placed greedily (a read that fits the
 * current state can always go now: it changes nothing), so only adds and removes branch, and
 * visited states are remembered; with a few clients per id the search stays small.
 */
import { ConcurrencyError } from './concurrency-errors.js';

export type SharedEvent =
  /** An add that succeeded (the id becomes `tag`'s record) or failed (the id was present). */
  | { readonly kind: 'add'; readonly tag: string; readonly ok: boolean; readonly index: number }
  /** A remove that succeeded (the id becomes absent) or failed (the id was absent). */
  | { readonly kind: 'remove'; readonly ok: boolean; readonly index: number }
  /** A status or list: the record of `tag`'s add, or absent (null). */
  | { readonly kind: 'read'; readonly tag: string | null; readonly index: number };

/** States searched per contended id before giving up without a verdict. */
const SEARCH_BUDGET = 2_000_000;

/**
 * True when some interleaving of `chains` (each one connection's events, in order) is a valid
 * serial history from an absent id to `final`. Throws UNDECIDED past the search budget.
 */
export function hasSerialOrder(chains: readonly (readonly SharedEvent[])[], final: string | null): boolean {
  const dead = new Set<string>();
  let visited = 0;
  const positions = chains.map(() => 0);

  const search = (state: string | null): boolean => {
    // Place every read (and every failed add/remove) that fits the current state.
    const start = positions.slice();
    for (let moved = true; moved;) {
      moved = false;
      chains.forEach((chain, c) => {
        for (let event = chain[positions[c]!]; event && fitsWithoutChange(event, state); event = chain[positions[c]!]) {
          positions[c]! += 1;
          moved = true;
        }
      });
    }
    const key = `${positions.join(',')}|${state ?? ''}`;
    let found = false;
    if (!dead.has(key)) {
      if (++visited > SEARCH_BUDGET) {
        throw new ConcurrencyError(
          'UNDECIDED',
          `the serial-order search on a contended id passed ${SEARCH_BUDGET} states without a verdict`,
        );
      }
      if (chains.every((chain, c) => positions[c] === chain.length)) found = state === final;
      else {
        for (let c = 0; c < chains.length && !found; c++) {
          const event = chains[c]![positions[c]!];
          if (!event) continue;
          let next: string | null | undefined;
          if (event.kind === 'add' && event.ok && state === null) next = event.tag;
          else if (event.kind === 'remove' && event.ok && state !== null) next = null;
          else continue;
          positions[c]! += 1;
          found = search(next);
          positions[c]! -= 1;
        }
        if (!found) dead.add(key);
      }
    }
    if (!found) start.forEach((p, c) => (positions[c] = p));
    return found;
  };
  return search(null);
}

/** An event that needs a state and leaves it as it is. */
function fitsWithoutChange(event: SharedEvent, state: string | null): boolean {
  switch (event.kind) {
    case 'read':
      return event.tag === state;
    case 'add':
      return !event.ok && state !== null;
    case 'remove':
      return !event.ok && state === null;
  }
}

/** One chain for an error message: `+a` add ok, `-a` add refused, `+r`/`-r` remove, `=tag` read. */
export function describeChain(chain: readonly SharedEvent[], max = 60): string {
  const shown = chain
    .slice(0, max)
    .map((e) =>
      e.kind === 'add'
        ? `#${e.index} ${e.ok ? `+add(${e.tag})` : '-add'}`
        : e.kind === 'remove'
          ? `#${e.index} ${e.ok ? '+remove' : '-remove'}`
          : `#${e.index} read=${e.tag ?? 'absent'}`,
    );
  return shown.join(', ') + (chain.length > max ? `, … (${chain.length} events)` : '');
}
