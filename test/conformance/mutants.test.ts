/**
 * Mutation testing of the conformance suite: the suite is run, through the built CLI, against the
 * in-process mock built with each deliberate fault of src/testing/mutants/ (the hidden
 * `--mutant` flag), and must catch every one by a clause the catalogue expects: the report is
 * not ok, and an expected clause fails (or warns, for a SHOULD clause). The mutation score is
 * printed at the end.
 *
 * Runs two mutants at a time in child processes (RRDK_MUTANT_CONCURRENCY to change that);
 * RRDK_MUTANTS=name,name runs only those. Needs the build (`npm run build`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CLAUSES } from '../../conformance/clauses.js';
import { createMutantServer, MUTANTS, type MutantInfo } from '../../src/testing/mutants/index.js';
import { catching, ConformanceRuns, failing, type RunOutcome } from '../helpers/conformance-runs.js';

/** One conformance run takes seconds to a minute or two; a mutant that makes checks time out takes longer. */
const RUN_TIMEOUT_MS = 15 * 60_000;
const CONCURRENCY = Math.max(1, Number(process.env['RRDK_MUTANT_CONCURRENCY'] ?? 2) || 2);
const selected = process.env['RRDK_MUTANTS']
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const mutants = selected ? MUTANTS.filter((m) => selected.includes(m.name)) : MUTANTS;

const runs = new ConformanceRuns(CONCURRENCY, RUN_TIMEOUT_MS);
let started = 0;

function outcomeOf(mutant: MutantInfo): Promise<RunOutcome> {
  if (started === 0) {
    started = Date.now();
    // Queue every selected mutant now, in catalogue order, so the pool stays busy while tests wait.
    for (const m of mutants) void runs.run(m.name, ['--mutant', m.name]);
  }
  return runs.run(mutant.name, ['--mutant', mutant.name]);
}

// ---- the verdicts, collected for the score ----

interface Scored {
  name: string;
  caughtBy: string[];
  /** The check that failed for the first catching clause. */
  check: string | undefined;
  otherFailures: string[];
  seconds: number;
}
const scored: Scored[] = [];

afterAll(async () => {
  await runs.close();
  if (scored.length === 0) return;
  const caught = scored.filter((s) => s.caughtBy.length > 0);
  const lines = scored.map(
    (s) =>
      `  ${s.caughtBy.length > 0 ? 'caught' : 'MISSED'}  ${s.name.padEnd(30)} ${(s.caughtBy.join(', ') || '-').padEnd(36)} ` +
      `${`${s.seconds.toFixed(0)} s`.padStart(5)}  ${s.check ? `by "${s.check}"` : ''}\n` +
      `${' '.repeat(40)}other clauses failing: ${s.otherFailures.join(', ') || '-'}`,
  );
  console.log(
    [
      'Mutants against the conformance suite (the expected clauses that caught each, and the check that did):',
      ...lines,
      `mutation score: ${caught.length}/${scored.length} mutants caught by an expected clause (${((100 * caught.length) / scored.length).toFixed(0)} %), ` +
        `in ${((Date.now() - started) / 1000).toFixed(0)} s wall time`,
    ].join('\n'),
  );
});

describe('the mutant catalogue', () => {
  it('has at least 22 mutants with unique names, one or more per clause family, each expecting known clauses', () => {
    expect(MUTANTS.length).toBeGreaterThanOrEqual(22);
    expect(new Set(MUTANTS.map((m) => m.name)).size).toBe(MUTANTS.length);
    expect(new Set(MUTANTS.map((m) => m.family))).toEqual(new Set(['WIRE', 'REC', 'DEP', 'SCHED', 'RUN']));
    const known = new Set(CLAUSES.map((c) => c.id));
    for (const m of MUTANTS) {
      expect(m.expectedClauses.length, m.name).toBeGreaterThan(0);
      for (const id of m.expectedClauses) expect(known.has(id), `${m.name} expects unknown clause ${id}`).toBe(true);
      expect(m.description.length, m.name).toBeGreaterThan(10);
    }
  });

  it('refuses an unknown mutant name, listing the known ones', async () => {
    await expect(createMutantServer(['no-such-mutant'])).rejects.toThrow(
      /Unknown mutant 'no-such-mutant'\. Known mutants: request-seq-as-string, /,
    );
  });
});

describe('the conformance suite catches every mutant', () => {
  for (const mutant of mutants) {
    it(
      `${mutant.name} (expected: ${mutant.expectedClauses.join(' or ')})`,
      async () => {
        const outcome = await outcomeOf(mutant);
        const report = outcome.report;
        if (!report) throw new Error(`the run wrote no report (exit code ${outcome.code}):\n${outcome.tail}`);
        const catchers = catching(report, mutant.expectedClauses);
        const caughtBy = catchers.map((c) => `${c.id} (${c.verdict})`);
        const otherFailures = failing(report).filter((id) => !mutant.expectedClauses.includes(id));
        scored.push({ name: mutant.name, caughtBy, check: catchers[0]?.note ?? undefined, otherFailures, seconds: outcome.seconds });

        const why = `${mutant.name}: ${mutant.description}\nnot caught by ${mutant.expectedClauses.join(' or ')}; clauses that failed instead: ${otherFailures.join(', ') || 'none'}`;
        expect(caughtBy, why).not.toEqual([]);
        // A MUST clause caught it, so the run as a whole must fail (exit code 1).
        if (caughtBy.some((c) => c.endsWith('(fail)'))) {
          expect(report.ok, `${mutant.name}: report.ok`).toBe(false);
          expect(outcome.code, `${mutant.name}: exit code`).toBe(1);
        }
      },
      RUN_TIMEOUT_MS + 60_000,
    );
  }
});
