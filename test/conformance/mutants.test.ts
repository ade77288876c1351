/**
 * Mutation testing of the conformance suite: the suite is run, through the built CLI, against the
 * in-process mock built with each deliberate fault of src/testing/mutants.ts (the hidden
 * `--mutant` flag), and must catch every one by a clause the catalogue expects: the report is
 * not ok, and an expected clause fails (or warns, for a SHOULD clause). The mutation score is
 * printed at the end.
 *
 * Runs two mutants at a time in child processes (RRDK_MUTANT_CONCURRENCY to change that);
 * RRDK_MUTANTS=name,name runs only those. Needs the build (`npm run build`).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUSES } from '../../conformance/clauses.js';
import { createMockServer } from '../../src/index.js';
import { MUTANTS, type MutantInfo } from '../../src/testing/mutants.js';
import { CLI } from '../helpers/cli.js';

/** One conformance run takes seconds to a minute or two; a mutant that makes checks time out takes longer. */
const RUN_TIMEOUT_MS = 15 * 60_000;
const CONCURRENCY = Math.max(1, Number(process.env['RRDK_MUTANT_CONCURRENCY'] ?? 2) || 2);
const selected = process.env['RRDK_MUTANTS']?.split(',').map((s) => s.trim()).filter(Boolean);
const mutants = selected ? MUTANTS.filter((m) => selected.includes(m.name)) : MUTANTS;

interface ClauseVerdict {
  id: string;
  level: string;
  verdict: string;
  /** For a failed clause: the first failing check's name. */
  note: string | null;
}
interface Outcome {
  code: number | null;
  seconds: number;
  report?: { ok: boolean; clauses: ClauseVerdict[] };
  /** The end of what the run printed, for a failure message. */
  tail: string;
}

// ---- a pool of child processes, CONCURRENCY at a time, started by the first test that needs one ----

let dir: string;
let started = 0;
const outcomes = new Map<string, Promise<Outcome>>();
const queue: Array<() => void> = [];
let running = 0;

function outcomeOf(mutant: MutantInfo): Promise<Outcome> {
  if (outcomes.size === 0) {
    started = Date.now();
    // Queue every selected mutant now, in catalogue order, so the pool stays busy while tests wait.
    for (const m of mutants) outcomes.set(m.name, pooled(() => runSuite(m.name)));
  }
  return outcomes.get(mutant.name)!;
}

function pooled<T>(task: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const go = () => {
      running += 1;
      task()
        .then(resolve, reject)
        .finally(() => {
          running -= 1;
          queue.shift()?.();
        });
    };
    if (running < CONCURRENCY) go();
    else queue.push(go);
  });
}

async function runSuite(name: string): Promise<Outcome> {
  const file = join(dir, `${name}.json`);
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, 'conformance', '--mutant', name, '--json', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  }, RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const report = await readFile(file, 'utf8').then((text) => JSON.parse(text) as Outcome['report'], () => undefined);
  return { code, seconds: (Date.now() - t0) / 1000, ...(report && { report }), tail: output.slice(-3000) };
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

/** An expected clause catches the mutant when it fails, or (SHOULD/NOTE clauses) warns. */
function catching(report: NonNullable<Outcome['report']>, expected: readonly string[]): ClauseVerdict[] {
  return report.clauses.filter((c) => expected.includes(c.id) && (c.verdict === 'fail' || (c.level !== 'MUST' && c.verdict === 'warn')));
}

function failing(report: NonNullable<Outcome['report']>): string[] {
  return report.clauses.filter((c) => c.verdict === 'fail' || c.verdict === 'warn').map((c) => c.id);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rrdk-mutants-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
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
    await expect(createMockServer({ mutants: ['no-such-mutant'] })).rejects.toThrow(/Unknown mutant 'no-such-mutant'\. Known mutants: request-seq-as-string, /);
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
