/**
 * The kit's own argument parser: one table of flags per command serves parsing, the help text and
 * "did you mean". Every mistake is a UsageError (exit 2) in the kit's words, never Node's parser text.
 */
import { UsageError } from './usage-error.js';

/** One flag of a command: a value (`--port PORT`) or a switch (`--quiet`). */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** How the help writes its value: PORT, FILE... (string flags). */
  readonly placeholder?: string;
  /** The help's description of it (its lines, wrapped as written). */
  readonly help?: string;
  readonly multiple?: boolean;
  /** A one-letter alias: `-q`. */
  readonly short?: string;
  /** Left out of the help (test-only flags). */
  readonly hidden?: boolean;
}

export type FlagTable = Readonly<Record<string, FlagSpec>>;

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export interface ParseContext {
  /** How the command is named in messages: `serve`, `control journal`. */
  readonly command: string;
  /** Printed under the message. */
  readonly usage?: string;
  /** How many positional arguments it takes at most (default none). */
  readonly positionals?: number;
}

/**
 * The flags and positional arguments of `args`, checked against `table`: an unknown flag names the
 * nearest known one, a value flag without a value says which value it wants.
 */
export function parseFlags(args: readonly string[], table: FlagTable, context: ParseContext): Parsed {
  const values: Record<string, string | boolean | string[] | undefined> = {};
  const positionals: string[] = [];
  const shorts = new Map(Object.entries(table).flatMap(([name, spec]) => (spec.short ? [[spec.short, name] as const] : [])));
  const fail = (message: string): never => {
    throw new UsageError(message, context.usage);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      const long = shorts.get(arg.slice(1));
      if (long === undefined) return fail(`${context.command} does not take ${arg}${hint(arg.slice(1), table, true)}`);
      name = long;
    }
    const spec = Object.hasOwn(table, name) ? table[name] : undefined;
    if (spec === undefined) return fail(`${context.command} does not take --${name}${hint(name, table)}`);
    if (spec.type === 'boolean') {
      if (inline !== undefined) fail(`--${name} is a switch and takes no value (got '--${name}=${inline}')`);
      values[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) {
        fail(`--${name} needs a value: ${context.command} --${name} ${spec.placeholder ?? 'VALUE'}`);
      }
      value = next!;
      i += 1;
    }
    // The last of a repeated flag wins: wrappers (the pytest plugin's markers, `serve --port 0 "$@"`)
    // put defaults first and the caller's choice after them.
    if (spec.multiple) values[name] = [...((values[name] as string[] | undefined) ?? []), value];
    else values[name] = value;
  }
  const most = context.positionals ?? 0;
  if (positionals.length > most) {
    const extra = positionals.slice(most);
    fail(`${context.command} takes ${most === 0 ? 'no arguments' : `at most ${most}`}, got ${extra.map((a) => `'${a}'`).join(' ')}`);
  }
  return { values, positionals };
}

/** ` (did you mean --port?)`, when a known flag is near enough; else the empty string. */
function hint(name: string, table: FlagTable, short = false): string {
  const near = nearest(
    name,
    Object.entries(table)
      .filter(([, spec]) => !spec.hidden)
      .flatMap(([flag, spec]) => (short && spec.short ? [spec.short] : [flag])),
  );
  if (near === undefined) return '';
  return ` (did you mean ${short && near.length === 1 ? '-' : '--'}${near}?)`;
}

/** The candidate nearest to `word` by edit distance, if it is near enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // A third of the word may be wrong (at least 1, at most 3 edits); a prefix counts too (`--max-conn`).
  const allowed = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  // One letter is too little to guess from (`-x` is no typo of `-q`).
  if (best !== undefined && word.length > 1 && bestDistance <= allowed) return best;
  const prefixed = word.length >= 3 ? candidates.filter((c) => c.startsWith(word)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit (`--prot` is one from `--port`). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The help's lines for a table: `  --flag VALUE` then its description from `column`, continued lines indented. */
export function flagHelp(table: FlagTable, column: number): string {
  return Object.entries(table)
    .filter(([, spec]) => !spec.hidden && spec.help !== undefined)
    .map(([name, spec]) => {
      const head = `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.placeholder ? ` ${spec.placeholder}` : ''}`;
      const [first, ...more] = spec.help!.split('\n');
      const lead = head.length < column ? head.padEnd(column) + first : `${head}\n${' '.repeat(column)}${first}`;
      return [lead, ...more.map((line) => ' '.repeat(column) + line)].join('\n');
    })
    .join('\n');
}
