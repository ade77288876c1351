/**
 * Reads the two mutation reports (reports/mutation/{conformance,unit}/mutation.json, written by
 * `npm run mutation`) and prints, for each mode, the counts, Stryker's score and the score without
 * the mutants docs/mutation.md lists as equivalent; then every surviving or uncovered mutant of the
 * conformance run, one a line, each with the reason the doc gives for it.
 *
 * A survivor the doc does not explain is listed as UNEXPLAINED (with a table row to paste into the
 * doc) and makes the script exit 1. A doc row that matches no mutant any more is listed as stale.
 *
 * A run that has not finished (or was stopped) has no mutation.json yet: the report is then rebuilt
 * from the plan reporter's plan.json and progress.jsonl beside it, with the mutants not yet decided
 * counted as pending, and the figures are marked partial.
 *
 *   npx tsx mutation/summary.ts [--unit-survivors] [--conformance FILE] [--source-rev REV] [--also FILE]... [--unit FILE] [--doc FILE] [--fix-lines]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The parts of Stryker's mutation.json (mutation-testing-report-schema) read here. */
interface Position {
  readonly line: number;
  readonly column: number;
}
export interface ReportMutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly static?: boolean;
  readonly location: { readonly start: Position; readonly end: Position };
}
export interface Report {
  readonly files: Record<string, { readonly source: string; readonly mutants: readonly ReportMutant[] }>;
}

/** A mutant with what identifies it across runs (Stryker's numeric id does not). */
export interface Mutant {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly mutator: string;
  readonly original: string;
  readonly replacement: string;
  readonly status: string;
}

export type Reason = 'equivalent' | 'not observable over the wire' | 'outside the spec';
export const REASONS: readonly Reason[] = ['equivalent', 'not observable over the wire', 'outside the spec'];

/**
 * One row of docs/mutation.md's survivors table. A row names one mutant, or a region: a line
 * range (`120-180`) with `*` for mutator, original and replacement, for code whose every mutant
 * survives for one reason (a function only the state file calls, say).
 */
export interface Explanation {
  readonly file: string;
  /**
   * What the line cell named instead of numbers: a declaration (`exportState`, `Scheduler.clear`)
   * or `*` (the whole file). Its lines are filled in from the mutated source (resolveRegions).
   */
  readonly symbol?: string;
  readonly line: number;
  /** The region's last line (= line for a row of one mutant). */
  readonly lastLine: number;
  readonly mutator: string;
  readonly original: string;
  readonly replacement: string;
  readonly reason: Reason;
  readonly why: string;
  /** Line of the doc, for messages. */
  readonly docLine: number;
}

const SHOWN = 60;

/** Whitespace runs become one space: the key survives re-indentation and multi-line replacements. */
export function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** What a listing shows of a snippet: normalized, cut at SHOWN characters with `…`. */
export function shorten(text: string): string {
  const t = normalize(text);
  return t.length > SHOWN ? `${t.slice(0, SHOWN - 1)}…` : t;
}

/** The source text between two 1-based positions (Stryker's locations). */
export function sliceSource(source: string, start: Position, end: Position): string {
  const lines = source.split('\n');
  const offset = (p: Position) => lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
  return source.slice(offset(start), offset(end));
}

export function readReport(path: string): Mutant[] {
  return mutantsOf(JSON.parse(readFileSync(path, 'utf8')) as Report);
}

/** The plan reporter's files (mutation/plan-reporter.mjs): every planned mutant, and one line per decided one. */
export interface Plan {
  readonly mutants: ReadonlyArray<Omit<ReportMutant, 'status'> & { readonly file: string; readonly status?: string }>;
}

/**
 * A report of a run in progress or stopped, from plan.json and progress.jsonl: undecided mutants
 * are `Pending`. The mutated sources are read from the working tree, so read it before editing them.
 */
export function reportFromProgress(plan: Plan, progress: string, readSource: (file: string) => string): Report {
  const decided = new Map<string, string>();
  for (const line of progress.split('\n')) {
    if (line.trim() === '') continue;
    const { id, status } = JSON.parse(line) as { id: string; status: string };
    decided.set(id, status);
  }
  const files: Record<string, { source: string; mutants: ReportMutant[] }> = {};
  for (const m of plan.mutants) {
    const entry = (files[m.file] ??= { source: readSource(m.file), mutants: [] });
    // Static mutants are ignored, as both configs' ignoreStatic makes a finished run do (docs/mutation.md: why).
    entry.mutants.push({ ...m, status: m.static ? 'Ignored' : (decided.get(m.id) ?? m.status ?? 'Pending') });
  }
  return { files };
}

/**
 * A full run's report with the results of a later, narrower run laid over it (one made with
 * `--mutate` on a few files or line ranges after the checks changed). Where a file's source is the
 * same in both, each mutant the later run tested replaces the one at the same place (location,
 * mutator, replacement); where the source changed, the later run's file replaces the whole file,
 * so a later run must mutate a changed file whole.
 */
export function overlay(base: Report, later: Report): Report {
  const files: Record<string, Report['files'][string]> = { ...base.files };
  const key = (m: ReportMutant) =>
    `${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column} ${m.mutatorName} ${m.replacement ?? ''}`;
  for (const [name, file] of Object.entries(later.files)) {
    const before = files[name];
    if (!before || before.source !== file.source) {
      files[name] = file;
      continue;
    }
    // A mutant the later run has not decided yet (it was stopped) keeps the earlier result.
    const retested = new Map(file.mutants.filter((m) => m.status !== 'Pending').map((m) => [key(m), m]));
    files[name] = { source: file.source, mutants: before.mutants.map((m) => retested.get(key(m)) ?? m) };
  }
  return { files };
}

/** A report's file name as the doc writes it: relative to the root, with forward slashes. */
function relativeName(name: string): string {
  return relative(ROOT, resolve(ROOT, name)).split('\\').join('/');
}

function mutantsOf(report: Report): Mutant[] {
  const mutants: Mutant[] = [];
  for (const [name, file] of Object.entries(report.files)) {
    const rel = relativeName(name);
    for (const m of file.mutants) {
      mutants.push({
        file: rel,
        line: m.location.start.line,
        column: m.location.start.column,
        mutator: m.mutatorName,
        original: sliceSource(file.source, m.location.start, m.location.end),
        replacement: m.replacement ?? '',
        status: m.status,
      });
    }
  }
  return mutants.sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.mutator.localeCompare(b.mutator),
  );
}

/** Splits a markdown table row on unescaped `|`, unescaping `\|` and stripping code spans. */
export function cells(row: string): string[] {
  const out: string[] = [];
  let cell = '';
  const body = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && body[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (body[i] === '|') {
      out.push(cell);
      cell = '';
    } else cell += body[i];
  }
  out.push(cell);
  return out.map(unCode);
}

function unCode(cell: string): string {
  const t = cell.trim();
  const fence = /^`+/.exec(t)?.[0];
  if (!fence || !t.endsWith(fence) || t.length < 2 * fence.length) return t;
  const inner = t.slice(fence.length, t.length - fence.length);
  // CommonMark: one space each side is stripped when both are there (lets a span start with a backtick).
  return inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '' ? inner.slice(1, -1) : inner;
}

/** A code span holding `text` whatever backticks it contains, `|` escaped for a table cell. */
export function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || text.startsWith(' ') || text.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

const HEADER = ['file', 'line', 'mutator', 'original', 'replacement', 'reason', 'why'];

/** The rows of the doc's survivors table (the table whose header is HEADER). */
export function readExplanations(doc: string): { rows: Explanation[]; errors: string[] } {
  const rows: Explanation[] = [];
  const errors: string[] = [];
  const lines = doc.split('\n');
  let inTable = false;
  lines.forEach((text, index) => {
    if (!text.trim().startsWith('|')) {
      inTable = false;
      return;
    }
    const c = cells(text);
    if (c.map((x) => x.toLowerCase()).join(',') === HEADER.join(',')) {
      inTable = true;
      return;
    }
    if (!inTable || c.every((x) => /^:?-+:?$/.test(x))) return;
    const [file = '', line = '', mutator = '', original = '', replacement = '', reason = '', why = ''] = c;
    const where = `docs/mutation.md:${index + 1}`;
    if (c.length !== HEADER.length)
      errors.push(`${where}: expected ${HEADER.length} cells, found ${c.length} (escape a | inside a cell as \\|)`);
    else if (!/^[1-9][0-9]*(?:-[1-9][0-9]*)?$/.test(line) && !SYMBOL.test(line))
      errors.push(
        `${where}: line must be a number, a range (12-30), a declaration's name (exportState, Scheduler.clear) or *, found "${line}"`,
      );
    else if (!REASONS.includes(reason as Reason))
      errors.push(`${where}: reason must be one of ${REASONS.map((r) => `"${r}"`).join(', ')}, found "${reason}"`);
    else {
      const symbolic = SYMBOL.test(line);
      const [first, last = first] = symbolic ? [0, 0] : (line.split('-').map(Number) as [number, number?]);
      rows.push({
        file,
        ...(symbolic ? { symbol: line } : {}),
        line: first,
        lastLine: last!,
        mutator,
        original: normalize(original),
        replacement: normalize(replacement),
        reason: reason as Reason,
        why,
        docLine: index + 1,
      });
    }
  });
  return { rows, errors };
}

/** A declaration's name, `Class.member`, or `*` for the whole file. */
const SYMBOL = /^(?:\*|[A-Za-z_$][\w$]*(?:\.#?[A-Za-z_$][\w$]*)?)$/;

/**
 * The line ranges of a TypeScript source's named declarations: functions, classes, methods and
 * accessors (also as `Class.member`), variables (`const x = ...`, the whole statement) and the
 * properties of an object literal they hold (also as `variable.property`).
 */
export function declarations(source: string): Map<string, Array<{ first: number; last: number }>> {
  const file = ts.createSourceFile('x.ts', source, ts.ScriptTarget.Latest, true);
  const found = new Map<string, Array<{ first: number; last: number }>>();
  const lineOf = (pos: number) => file.getLineAndCharacterOfPosition(pos).line + 1;
  const add = (name: string, node: ts.Node) => {
    const list = found.get(name) ?? [];
    list.push({ first: lineOf(node.getStart(file)), last: lineOf(node.getEnd()) });
    found.set(name, list);
  };
  const visit = (node: ts.Node, owner: string | undefined) => {
    let inner = owner;
    const name =
      (ts.isFunctionDeclaration(node) ||
        ts.isClassDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isGetAccessorDeclaration(node) ||
        ts.isSetAccessorDeclaration(node) ||
        ts.isPropertyDeclaration(node)) &&
      node.name
        ? node.name.getText(file)
        : (ts.isVariableDeclaration(node) || ts.isPropertyAssignment(node)) && ts.isIdentifier(node.name)
          ? node.name.text
          : undefined;
    if (name !== undefined) {
      // A variable's range is its whole statement (a multi-line initialiser included).
      const span = ts.isVariableDeclaration(node) ? node.parent.parent : node;
      // Members are also named through their class, and an object literal's properties through its variable.
      if (ts.isClassDeclaration(node) || ts.isVariableDeclaration(node)) inner = name;
      add(name, span);
      if (owner !== undefined && !ts.isClassDeclaration(node)) add(`${owner}.${name}`, span);
    }
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(file, undefined);
  return found;
}

/**
 * Gives each symbolic row (a declaration's name, or `*`) the lines it covers in the mutated
 * source. A name the source no longer declares leaves the row matching nothing (listed as stale);
 * a name declared twice is an error: qualify it (`Class.member`).
 */
export function resolveRegions(
  rows: readonly Explanation[],
  sourceOf: (file: string) => string | undefined,
): { rows: Explanation[]; errors: string[] } {
  const errors: string[] = [];
  const cache = new Map<string, ReturnType<typeof declarations>>();
  const resolved = rows.map((row) => {
    if (row.symbol === undefined) return row;
    const source = sourceOf(row.file);
    if (source === undefined) return row;
    if (row.symbol === '*') return { ...row, line: 1, lastLine: source.split('\n').length };
    let decls = cache.get(row.file);
    if (!decls) cache.set(row.file, (decls = declarations(source)));
    const spans = decls.get(row.symbol) ?? [];
    if (spans.length > 1) {
      errors.push(`docs/mutation.md:${row.docLine}: ${row.file} declares ${row.symbol} ${spans.length} times: name it as Class.member`);
      return row;
    }
    return spans[0] ? { ...row, line: spans[0].first, lastLine: spans[0].last } : row;
  });
  return { rows: resolved, errors };
}

/**
 * Stale one-mutant rows whose mutant moved: the row's file holds exactly one mutant with its
 * mutator, original and replacement, at another line. Gives the doc line and the new line.
 */
export function movedRows(rows: readonly Explanation[], mutants: readonly Mutant[]): Array<{ row: Explanation; line: number }> {
  const moved: Array<{ row: Explanation; line: number }> = [];
  for (const row of rows) {
    if (row.symbol !== undefined || row.line !== row.lastLine || mutants.some((m) => explain(m, [row]))) continue;
    const same = mutants.filter(
      (m) =>
        m.file === row.file && m.mutator === row.mutator && sameText(row.original, m.original) && sameText(row.replacement, m.replacement),
    );
    const lines = [...new Set(same.map((m) => m.line))];
    if (lines.length === 1) moved.push({ row, line: lines[0]! });
  }
  return moved;
}

/** The doc with each moved row's line cell rewritten. */
export function fixLines(doc: string, moved: ReadonlyArray<{ row: Explanation; line: number }>): string {
  const lines = doc.split('\n');
  for (const { row, line } of moved) {
    const at = row.docLine - 1;
    lines[at] = lines[at]!.replace(/^(\s*\|[^|]*\|\s*)[0-9]+(\s*\|)/, `$1${line}$2`);
  }
  return lines.join('\n');
}

/** A doc snippet matches when equal after normalizing, or, when it ends with `…`, as a prefix; `*` matches anything. */
function sameText(doc: string, actual: string): boolean {
  if (doc === '*') return true;
  const a = normalize(actual);
  return doc.endsWith('…') ? a.startsWith(doc.slice(0, -1)) : a === doc;
}

/** The doc row for a mutant: file, line, mutator, original and replacement all agree. */
export function explain(m: Mutant, rows: readonly Explanation[]): Explanation | undefined {
  return rows.find(
    (r) =>
      r.file === m.file &&
      m.line >= r.line &&
      m.line <= r.lastLine &&
      (r.mutator === '*' || r.mutator === m.mutator) &&
      sameText(r.original, m.original) &&
      sameText(r.replacement, m.replacement),
  );
}

const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const DETECTED = new Set(['Killed', 'Timeout']);
/** Not in the score: errors (the mutant broke the run, or did not compile) and ignored mutants. */
const ERRORS = new Set(['RuntimeError', 'CompileError']);

export interface Figures {
  readonly total: number;
  readonly killed: number;
  readonly timeout: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly errors: number;
  readonly ignored: number;
  readonly pending: number;
  readonly equivalent: number;
  /** Stryker's mutation score: detected / (detected + undetected), in %. */
  readonly score: number;
  /** The same without the undetected mutants the doc lists as equivalent. */
  readonly scoreWithoutEquivalent: number;
  /** Mutants in the doc's out-of-scope regions, killed or not (see `inOutOfScopeRegion`). */
  readonly outOfScope: number;
  /** The score without equivalent, over the code outside those regions. */
  readonly scoreInScope: number;
}

/**
 * Whether a mutant lies in a region row (a line range with `*`) whose reason is not
 * `equivalent`: code the doc says is outside the spec or out of the wire's sight as a whole (the
 * state file's functions, the control API's own commands). The third score leaves out every
 * mutant there, killed ones too, so it measures the code a conformance check could reach.
 */
export function inOutOfScopeRegion(m: Mutant, rows: readonly Explanation[]): boolean {
  return rows.some(
    (r) =>
      r.mutator === '*' && r.original === '*' && r.reason !== 'equivalent' && r.file === m.file && m.line >= r.line && m.line <= r.lastLine,
  );
}

export function figures(mutants: readonly Mutant[], rows: readonly Explanation[]): Figures {
  const count = (status: string) => mutants.filter((m) => m.status === status).length;
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const undetected = mutants.filter((m) => UNDETECTED.has(m.status));
  const equivalent = undetected.filter((m) => explain(m, rows)?.reason === 'equivalent').length;
  const pct = (n: number, d: number) => (d === 0 ? NaN : (100 * n) / d);
  const scoped = mutants.filter((m) => !inOutOfScopeRegion(m, rows));
  const scopedDetected = scoped.filter((m) => DETECTED.has(m.status)).length;
  const scopedUndetected = scoped.filter((m) => UNDETECTED.has(m.status) && explain(m, rows)?.reason !== 'equivalent').length;
  return {
    total: mutants.length,
    killed: count('Killed'),
    timeout: count('Timeout'),
    survived: count('Survived'),
    noCoverage: count('NoCoverage'),
    errors: mutants.filter((m) => ERRORS.has(m.status)).length,
    ignored: count('Ignored'),
    pending: count('Pending'),
    equivalent,
    score: pct(detected, detected + undetected.length),
    scoreWithoutEquivalent: pct(detected, detected + undetected.length - equivalent),
    outOfScope: mutants.length - scoped.length,
    scoreInScope: pct(scopedDetected, scopedDetected + scopedUndetected),
  };
}

function formatFigures(mode: string, f: Figures): string {
  const pct = (n: number) => (Number.isNaN(n) ? 'n/a' : `${n.toFixed(2)} %`);
  return [
    `${mode}:`,
    `  total ${f.total}, killed ${f.killed}, timeout ${f.timeout}, survived ${f.survived}, no coverage ${f.noCoverage}, errors ${f.errors}` +
      (f.ignored ? `, ignored ${f.ignored}` : '') +
      (f.pending ? `, pending ${f.pending}` : ''),
    `  score ${pct(f.score)}; without the ${f.equivalent} equivalent mutant(s) of docs/mutation.md: ${pct(f.scoreWithoutEquivalent)}`,
    `  without also the ${f.outOfScope} mutant(s) in its out-of-scope regions (killed or not): ${pct(f.scoreInScope)}`,
  ].join('\n');
}

/** `file:line:col Mutator "original" -> "replacement"`. */
export function describe(m: Mutant): string {
  return `${m.file}:${m.line}:${m.column} ${m.mutator} ${JSON.stringify(shorten(m.original))} -> ${JSON.stringify(shorten(m.replacement))}`;
}

/** A table row for the doc, reason and why to fill in. */
export function docRow(m: Mutant): string {
  return `| ${m.file} | ${m.line} | ${m.mutator} | ${code(shorten(m.original))} | ${code(shorten(m.replacement))} | ? | ? |`;
}

function perFile(mutants: readonly Mutant[]): string[] {
  const files = [...new Set(mutants.map((m) => m.file))];
  const width = Math.max(...files.map((f) => f.length));
  return files.map((file) => {
    const of = mutants.filter((m) => m.file === file);
    const n = (s: string) => of.filter((m) => m.status === s).length;
    const detected = of.filter((m) => DETECTED.has(m.status)).length;
    const undetected = of.filter((m) => UNDETECTED.has(m.status)).length;
    const score = detected + undetected === 0 ? 'n/a' : `${((100 * detected) / (detected + undetected)).toFixed(1)} %`;
    const pending = n('Pending') > 0 ? `, ${n('Pending')} not run` : '';
    return `  ${file.padEnd(width)}  ${String(of.length).padStart(4)} mutants, ${String(n('Survived')).padStart(3)} survived, ${String(n('NoCoverage')).padStart(3)} no coverage, score ${score}${pending}`;
  });
}

function main(): number {
  const { values } = parseArgs({
    options: {
      conformance: { type: 'string', default: resolve(ROOT, 'reports/mutation/conformance/mutation.json') },
      unit: { type: 'string', default: resolve(ROOT, 'reports/mutation/unit/mutation.json') },
      doc: { type: 'string', default: resolve(ROOT, 'docs/mutation.md') },
      'unit-survivors': { type: 'boolean', default: false },
      // A later, narrower conformance run (--mutate) whose results replace the full run's (see overlay).
      also: { type: 'string', multiple: true, default: [] },
      // The commit a stopped run was made at: its sources, for a report rebuilt from its progress.
      'source-rev': { type: 'string' },
      // Rewrites the line of each stale row whose mutant only moved (one mutant alike in its file).
      'fix-lines': { type: 'boolean', default: false },
    },
  });
  const docText = readFileSync(values.doc, 'utf8');
  const read0 = readExplanations(docText);
  const errors = [...read0.errors];
  let rows = read0.rows;
  // The mutated sources, by file: symbolic rows are resolved against them.
  const sources = new Map<string, string>();

  const modes: Array<[string, string]> = [
    ['conformance checks as the tests', values.conformance],
    ['unit tests as the tests', values.unit],
  ];
  const reports = new Map<string, Mutant[]>();
  const labels = new Map<string, string>();
  let missing = false;
  for (const [mode, path] of modes) {
    let mutants: Mutant[];
    let label = relative(ROOT, path);
    const later = mode.startsWith('conformance') ? values.also : [];
    // A finished run's report, or one rebuilt from a run still going or stopped.
    const read = (file: string, rev?: string): Report | undefined => {
      if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Report;
      const [planFile, progressFile] = [resolve(dirname(file), 'plan.json'), resolve(dirname(file), 'progress.jsonl')];
      if (!existsSync(planFile) || !existsSync(progressFile)) return undefined;
      label = `${label} (PARTIAL: ${relative(ROOT, file)} rebuilt from ${relative(ROOT, progressFile)})`;
      const source = (f: string) =>
        rev
          ? execFileSync('git', ['show', `${rev}:${relative(ROOT, f).split('\\').join('/')}`], { cwd: ROOT, encoding: 'utf8' })
          : readFileSync(f, 'utf8');
      return reportFromProgress(JSON.parse(readFileSync(planFile, 'utf8')) as Plan, readFileSync(progressFile, 'utf8'), source);
    };
    const report = read(path, mode.startsWith('conformance') ? values['source-rev'] : undefined);
    if (report) {
      if (later.length > 0) label = `${label}, with ${later.map((file) => relative(ROOT, file)).join(', ')} laid over it`;
      const merged = later.reduce((base, file) => {
        const over = read(file);
        if (!over) throw new Error(`--also ${file}: no report there, nor a plan.json and progress.jsonl beside it`);
        return overlay(base, over);
      }, report);
      mutants = mutantsOf(merged);
      for (const [name, file] of Object.entries(merged.files)) sources.set(relativeName(name), file.source);
    } else {
      console.error(
        `ERROR no report at ${path}: run npm run mutation (or npm run mutation:${mode.startsWith('unit') ? 'unit' : 'conformance'})`,
      );
      missing = true;
      continue;
    }
    reports.set(mode, mutants);
    labels.set(mode, label);
  }
  const resolved = resolveRegions(rows, (file) => sources.get(file));
  rows = resolved.rows;
  errors.push(...resolved.errors);
  for (const error of errors) console.error(`ERROR ${error}`);
  for (const [mode, mutants] of reports) console.log(formatFigures(`${mode} (${labels.get(mode)})`, figures(mutants, rows)));

  const conformance = reports.get(modes[0]![0]);
  if (!conformance) return 1;
  const undetected = conformance.filter((m) => UNDETECTED.has(m.status));
  console.log(`\nconformance run, per file:`);
  for (const line of perFile(conformance)) console.log(line);

  console.log(`\nconformance run: ${undetected.length} surviving or uncovered mutant(s):`);
  const unexplained: Mutant[] = [];
  for (const m of undetected) {
    const row = explain(m, rows);
    if (!row) unexplained.push(m);
    const tag = m.status === 'NoCoverage' ? 'no coverage' : 'survived';
    console.log(`${describe(m)}  [${tag}; ${row ? row.reason : 'UNEXPLAINED'}]`);
  }

  if (values['unit-survivors'] && reports.has(modes[1]![0])) {
    const unit = reports.get(modes[1]![0])!.filter((m) => UNDETECTED.has(m.status));
    console.log(`\nunit run: ${unit.length} surviving or uncovered mutant(s):`);
    for (const m of unit)
      console.log(
        `${describe(m)}  [${m.status === 'NoCoverage' ? 'no coverage' : 'survived'}${explain(m, rows)?.reason === 'equivalent' ? '; equivalent' : ''}]`,
      );
  }

  // Doc rows no mutant of either run matches (the code moved or changed): to update or delete.
  const all = [...reports.values()].flat();
  const stale = rows.filter((r) => !all.some((m) => explain(m, [r])));
  const moved = movedRows(stale, all);
  if (values['fix-lines'] && moved.length > 0) {
    writeFileSync(values.doc, fixLines(docText, moved));
    console.log(`\n--fix-lines: ${moved.length} row(s) of docs/mutation.md given their mutant's new line; run again to see the rest`);
  } else if (moved.length > 0) console.log(`\n${moved.length} stale row(s) name a mutant that moved: --fix-lines rewrites their line`);
  if (stale.length > 0) {
    console.log(`\n${stale.length} row(s) of docs/mutation.md match no mutant any more (line moved or code changed):`);
    for (const r of stale)
      console.log(
        `  docs/mutation.md:${r.docLine}: ${r.file}:${r.line} ${r.mutator} ${JSON.stringify(r.original)} -> ${JSON.stringify(r.replacement)}`,
      );
  }
  // An "equivalent" mutant some test killed is not equivalent.
  const contradicted = all.filter((m) => DETECTED.has(m.status) && explain(m, rows)?.reason === 'equivalent');
  for (const m of contradicted) console.log(`WARNING listed as equivalent but killed in a run: ${describe(m)}`);

  if (unexplained.length > 0) {
    console.error(
      `\nUNEXPLAINED: ${unexplained.length} surviving or uncovered mutant(s) of the conformance run are not in docs/mutation.md. Rows to fill in and add:`,
    );
    for (const m of unexplained) console.error(docRow(m));
    return 1;
  }
  return errors.length > 0 || missing ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
