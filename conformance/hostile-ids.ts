/**
 * Hostile project ids for DEP-ISO-1, by family. A server that uses ids as storage paths, or that
 * decodes, normalises, folds or trims them before using them as keys, turns one of these into
 * another key than the one sent: a traversal into another user's records, or two distinct ids
 * into one. Every family is written once here and tried by the isolation check for read,
 * update, remove, add and list.
 */

/** One way of spelling a path: how it climbs one level and how it separates segments. */
interface Spelling {
  readonly name: string;
  readonly up: string;
  readonly sep: string;
}

/**
 * Each is inert as an opaque key, and becomes `../` (and `/`) for a server that resolves paths
 * after decoding once or twice, mapping backslashes, NFKC-normalising, or stripping `../` once.
 */
export const SPELLINGS: readonly Spelling[] = [
  { name: 'literal', up: '../', sep: '/' },
  { name: 'dot segments', up: './../', sep: '/./' },
  { name: 'percent-encoded slashes', up: '..%2F', sep: '%2F' },
  { name: 'fully percent-encoded', up: '%2E%2E%2F', sep: '%2F' },
  { name: 'fully percent-encoded, lower case', up: '%2e%2e%2f', sep: '%2f' },
  { name: 'doubly percent-encoded', up: '%252E%252E%252F', sep: '%252F' },
  { name: 'backslashes', up: '..\\', sep: '\\' },
  { name: 'percent-encoded backslashes', up: '%2E%2E%5C', sep: '%5C' },
  { name: 'overlong UTF-8', up: '%C0%AE%C0%AE%C0%AF', sep: '%C0%AF' },
  { name: 'fullwidth (NFKC folds it to ../)', up: '\uFF0E\uFF0E\uFF0F', sep: '\uFF0F' },
  { name: 'doubled (stripping ../ once leaves ../)', up: '....//', sep: '/' },
];

/** How many levels a traversal climbs: enough for any layout up to users/<user>/deployments/<id>. */
export const DEPTHS = [1, 2, 3, 4, 5] as const;

export interface Traversal {
  readonly id: string;
  /** What it is, for messages: its spelling, depth and layout. */
  readonly label: string;
}

/**
 * Ids that climb from the caller's own key into the victim's, in every spelling and depth, for
 * the storage layouts a server might use (`<user>/<id>`, `<user>/deployments/<id>`,
 * `users/<user>/deployments/<id>`, with the owner's id as given and in upper case, for a
 * case-insensitive store), plus absolute paths.
 */
export function traversals(base: string, victimOwner: string, victimId: string): Traversal[] {
  const layouts: Array<[string, string[]]> = [
    ['<user>/<id>', [victimOwner, victimId]],
    ['<user>/deployments/<id>', [victimOwner, 'deployments', victimId]],
    ['users/<user>/deployments/<id>', ['users', victimOwner, 'deployments', victimId]],
    ['users/<USER>/deployments/<id>', ['users', victimOwner.toUpperCase(), 'deployments', victimId]],
  ];
  const out = new Map<string, Traversal>();
  const put = (id: string, label: string) => out.has(id) || out.set(id, { id, label });
  for (const spelling of SPELLINGS) {
    for (const [layout, segments] of layouts) {
      for (const depth of DEPTHS)
        put(`${base}${spelling.sep}${spelling.up.repeat(depth)}${segments.join(spelling.sep)}`, `${spelling.name}, ${depth} up, ${layout}`);
      put(`${spelling.sep}${segments.join(spelling.sep)}`, `${spelling.name}, absolute, ${layout}`);
    }
  }
  return [...out.values()];
}

export interface Variant {
  readonly id: string;
  readonly label: string;
}

/**
 * Ids that differ from `id` in at least one character but that a server decoding, normalising
 * (NFC, NFD, NFKC), folding case, trimming or cleaning paths would make equal to it. `id` should
 * hold a composed accent, a ligature, a fullwidth letter, a slash and letters of both cases, so
 * every variant changes something.
 */
export function variantsOf(id: string): Variant[] {
  const candidates: Array<[string, string]> = [
    ['NFD', id.normalize('NFD')],
    ['NFC', id.normalize('NFC')],
    ['NFKC', id.normalize('NFKC')],
    ['NFKD', id.normalize('NFKD')],
    ['upper case', id.toUpperCase()],
    ['lower case', id.toLowerCase()],
    ['leading space', ` ${id}`],
    ['trailing space', `${id} `],
    ['trailing tab', `${id}\t`],
    ['trailing newline', `${id}\n`],
    ['trailing no-break space', `${id}\u00a0`],
    ['trailing ideographic space', `${id}\u3000`],
    ['trailing NUL', `${id}\u0000`],
    ['NUL then more', `${id}\u0000.json`],
    ['zero-width space inside', id.replace('-', '-\u200b')],
    ['a character percent-encoded', id.replace('-', '%2D')],
    ['every slash percent-encoded', id.split('/').join('%2F')],
    ['a trailing slash', `${id}/`],
    ['a leading ./', `./${id}`],
    ['a doubled slash', id.replace('/', '//')],
    ['a /./ segment', id.replace('/', '/./')],
    ['a backslash for the slash', id.replace('/', '\\')],
    ['a segment that climbs back', id.replace('/', '/x/../')],
  ];
  const seen = new Set([id]);
  const out: Variant[] = [];
  for (const [label, variant] of candidates) {
    if (seen.has(variant)) continue;
    seen.add(variant);
    out.push({ id: variant, label });
  }
  return out;
}
