import { describe, expect, it } from 'vitest';
import {
  cells,
  code,
  explain,
  figures,
  fixLines,
  movedRows,
  resolveRegions,
  overlay,
  readExplanations,
  reportFromProgress,
  shorten,
  sliceSource,
  type Mutant,
} from '../../mutation/summary.js';

const mutant = (over: Partial<Mutant> = {}): Mutant => ({
  file: 'src/domain/schedule.ts',
  line: 100,
  column: 7,
  mutator: 'LogicalOperator',
  original: 'extra !== undefined || range === undefined',
  replacement: 'extra !== undefined && range === undefined',
  status: 'Survived',
  ...over,
});

const doc = (...rows: string[]) =>
  [
    '# x',
    '',
    '| file | line | mutator | original | replacement | reason | why |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'after',
  ].join('\n');

describe('mutation summary', () => {
  it('round-trips any snippet through a table cell (pipes, backticks)', () => {
    for (const text of ['a || b', '`${a}`', '``', 'x', ' lead', 'a\\b']) {
      expect(cells(`| ${code(text)} | z |`)).toEqual([text, 'z']);
    }
  });

  it('finds a survivor by file, line, mutator, original and replacement; folds whitespace; `…` is a prefix', () => {
    const { rows, errors } = readExplanations(
      doc(
        '| src/domain/schedule.ts | 100 | LogicalOperator | `extra !== undefined \\|\\| range === undefined` | `extra !== undefined && range === undefined` | equivalent | why |',
        `| src/domain/schedule.ts | 66 | BlockStatement | ${code(shorten('{\n    throw deployErrors.invalidSchedule(value); // croner disagrees with the grammar gate: refuse\n  }'))} | \`{}\` | not observable over the wire | why |`,
      ),
    );
    expect(errors).toEqual([]);
    expect(explain(mutant(), rows)?.reason).toBe('equivalent');
    expect(explain(mutant({ line: 101 }), rows)).toBeUndefined();
    expect(explain(mutant({ replacement: 'true' }), rows)).toBeUndefined();
    const block = mutant({
      line: 66,
      mutator: 'BlockStatement',
      original: '{\n    throw deployErrors.invalidSchedule(value); // croner disagrees with the grammar gate: refuse\n  }',
      replacement: '{}',
    });
    expect(explain(block, rows)?.reason).toBe('not observable over the wire');
  });

  it('a region row (a line range, * for mutator, original and replacement) explains every mutant in it', () => {
    const { rows, errors } = readExplanations(
      doc('| src/domain/schedule.ts | 90-110 | * | * | * | outside the spec | a mock-only feature |'),
    );
    expect(errors).toEqual([]);
    expect(explain(mutant(), rows)?.reason).toBe('outside the spec');
    expect(explain(mutant({ line: 110, mutator: 'BlockStatement' }), rows)?.reason).toBe('outside the spec');
    expect(explain(mutant({ line: 111 }), rows)).toBeUndefined();
    expect(explain(mutant({ file: 'src/domain/store.ts' }), rows)).toBeUndefined();
  });

  it('a region may be a declaration (function, method as Class.member, variable) or * for the whole file', () => {
    const source = [
      'export class Scheduler {', // 1
      '  clear(): void {', // 2
      '    this.x = 1;', // 3
      '  }', // 4
      '  exportState() {', // 5
      '    return 1;', // 6
      '  }', // 7
      '}', // 8
      'const LIMITS = {', // 9
      '  a: 1,', // 10
      '};', // 11
      'function clear() {}', // 12
      'export const deployErrors = {', // 13
      '  tooLarge: (limit: number) =>', // 14
      '    new Error(`over ${limit}`),', // 15
      '};', // 16
    ].join('\n');
    const file = 'src/scheduler/scheduler.ts';
    const read = readExplanations(
      doc(
        `| ${file} | exportState | * | * | * | not observable over the wire | state file |`,
        `| ${file} | LIMITS | * | * | * | outside the spec | limits |`,
        `| ${file} | Scheduler.clear | * | * | * | outside the spec | reset |`,
        `| ${file} | clear | * | * | * | outside the spec | twice |`,
        `| ${file} | gone | * | * | * | outside the spec | moved away |`,
        '| src/domain/store.ts | * | * | * | * | outside the spec | all of it |',
        `| ${file} | deployErrors.tooLarge | * | * | * | outside the spec | a limit's words |`,
      ),
    );
    expect(read.errors).toEqual([]);
    const { rows, errors } = resolveRegions(read.rows, (f) => (f === file ? source : f === 'src/domain/store.ts' ? 'a\nb\nc' : undefined));
    expect(rows.map((r) => [r.line, r.lastLine])).toEqual([
      [5, 7],
      [9, 11],
      [2, 4],
      [0, 0],
      [0, 0],
      [1, 3],
      [14, 15],
    ]);
    expect(errors).toEqual([expect.stringContaining('declares clear 2 times')]);
    expect(explain(mutant({ file, line: 6 }), rows)?.why).toBe('state file');
    expect(explain(mutant({ file, line: 8 }), rows)).toBeUndefined();
    expect(explain(mutant({ file: 'src/domain/store.ts', line: 3 }), rows)?.why).toBe('all of it');
  });

  it('finds the rows whose one mutant moved, and rewrites only their line cell', () => {
    const text = doc(
      `| src/domain/schedule.ts | 90 | LogicalOperator | ${code(mutant().original)} | ${code(mutant().replacement)} | equivalent | moved |`,
      `| src/domain/schedule.ts | 91 | BlockStatement | \`{}\` | \`{}\` | equivalent | two alike: left |`,
      `| src/domain/schedule.ts | 100 | LogicalOperator | ${code(mutant().original)} | ${code(mutant().replacement)} | equivalent | in place |`,
    );
    const { rows } = readExplanations(text);
    const block = { mutator: 'BlockStatement', original: '{}', replacement: '{}' };
    const mutants = [mutant(), mutant({ line: 200, ...block }), mutant({ line: 300, ...block })];
    const stale = rows.filter((r) => !mutants.some((m) => explain(m, [r])));
    const moved = movedRows(stale, mutants);
    expect(moved.map((x) => [x.row.why, x.line])).toEqual([['moved', 100]]);
    const fixed = fixLines(text, moved);
    expect(fixed.split('\n')[4]).toBe(text.split('\n')[4]!.replace('| 90 |', '| 100 |'));
    expect(fixed.split('\n').filter((l, i) => l !== text.split('\n')[i])).toHaveLength(1);
  });

  it('refuses rows with an unknown reason or a broken cell count', () => {
    const { rows, errors } = readExplanations(
      doc('| a.ts | 1 | M | `x` | `y` | boring | z |', '| a.ts | 1 | M | `x || y` | `y` | equivalent | z |'),
    );
    expect(rows).toEqual([]);
    expect(errors).toHaveLength(2);
  });

  it('leaves equivalent survivors out of the second score only', () => {
    const { rows } = readExplanations(
      doc(
        `| src/domain/schedule.ts | 100 | LogicalOperator | ${code(mutant().original)} | ${code(mutant().replacement)} | equivalent | - |`,
      ),
    );
    const f = figures(
      [mutant(), mutant({ line: 5 }), mutant({ line: 6, status: 'Killed' }), mutant({ line: 7, status: 'CompileError' })],
      rows,
    );
    expect(f).toMatchObject({ total: 4, killed: 1, survived: 2, errors: 1, equivalent: 1 });
    expect(f.score).toBeCloseTo(100 / 3);
    expect(f.scoreWithoutEquivalent).toBeCloseTo(50);
  });

  it('the third score leaves out every mutant of an out-of-scope region, killed or not, and the equivalent ones', () => {
    const { rows } = readExplanations(
      doc(
        '| src/domain/schedule.ts | 10-20 | * | * | * | not observable over the wire | the state file |',
        `| src/domain/schedule.ts | 100 | LogicalOperator | ${code(mutant().original)} | ${code(mutant().replacement)} | equivalent | - |`,
      ),
    );
    const f = figures(
      [
        mutant(),
        mutant({ line: 5 }),
        mutant({ line: 6, status: 'Killed' }),
        mutant({ line: 12 }),
        mutant({ line: 15, status: 'Killed' }),
        mutant({ line: 16, status: 'Timeout' }),
      ],
      rows,
    );
    expect(f.outOfScope).toBe(3);
    // In scope: line 5 (survived), line 6 (killed); line 100 is equivalent.
    expect(f.scoreInScope).toBeCloseTo(50);
    expect(f.scoreWithoutEquivalent).toBeCloseTo(60);
  });

  it('rebuilds a report of an unfinished run from the plan and the progress lines: undecided mutants are pending, static ones ignored', () => {
    const location = (line: number) => ({ start: { line, column: 1 }, end: { line, column: 2 } });
    const plan = {
      mutants: [
        { id: '1', file: 'a.ts', location: location(1), mutatorName: 'M', replacement: 'y' },
        { id: '2', file: 'a.ts', location: location(2), mutatorName: 'M', replacement: 'y' },
        { id: '3', file: 'a.ts', location: location(2), mutatorName: 'N', replacement: 'z', status: 'NoCoverage' },
        { id: '4', file: 'a.ts', location: location(3), mutatorName: 'N', replacement: 'z', static: true },
      ],
    };
    const report = reportFromProgress(plan, '{"id":"1","status":"Killed"}\n{"id":"4","status":"Survived"}\n', () => 'x\nw\n');
    expect(report.files['a.ts']!.source).toBe('x\nw\n');
    expect(report.files['a.ts']!.mutants.map((m) => [m.id, m.status])).toEqual([
      ['1', 'Killed'],
      ['2', 'Pending'],
      ['3', 'NoCoverage'],
      ['4', 'Ignored'],
    ]);
  });

  it('lays a later, narrower run over a full one: same source, mutant by mutant; a changed source, the whole file', () => {
    const at = (line: number) => ({ start: { line, column: 1 }, end: { line, column: 2 } });
    const m = (id: string, line: number, status: string) => ({ id, mutatorName: 'M', replacement: 'y', status, location: at(line) });
    const base = {
      files: {
        'a.ts': { source: 'a', mutants: [m('1', 1, 'Survived'), m('2', 2, 'Survived')] },
        'b.ts': { source: 'b', mutants: [m('3', 1, 'Survived'), m('4', 9, 'Killed')] },
        'c.ts': { source: 'c', mutants: [m('5', 1, 'Killed')] },
      },
    };
    const later = {
      files: { 'a.ts': { source: 'a', mutants: [m('9', 2, 'Killed')] }, 'b.ts': { source: 'b2', mutants: [m('7', 1, 'Killed')] } },
    };
    const merged = overlay(base, later);
    expect(merged.files['a.ts']!.mutants.map((x) => x.status)).toEqual(['Survived', 'Killed']);
    expect(merged.files['b.ts']).toEqual(later.files['b.ts']);
    expect(merged.files['c.ts']).toEqual(base.files['c.ts']);
  });

  it('slices the original text by 1-based line and column', () => {
    expect(sliceSource('ab\n  if (x) y\n', { line: 2, column: 7 }, { line: 2, column: 8 })).toBe('x');
  });
});
