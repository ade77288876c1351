/**
 * Folding check results into clause verdicts, and the report's forms.
 */
import { describe, expect, it } from 'vitest';
import { CLAUSES } from '../../conformance/clauses.js';
import { buildReport, clausesOf, formatReport, reportJson, reportJunit, type CheckResult } from '../../conformance/report.js';
import { parseReplayToken, replayToken } from '../../conformance/replay.js';

const meta = { target: 'ws://t', profile: 'spec', seed: 1, runs: 5, durationMs: 1234 };
const result = (name: string, state: CheckResult['state'], detail?: string): CheckResult => ({
  name,
  file: 'x.check.js',
  clauses: clausesOf(name),
  state,
  durationMs: 1,
  ...(detail !== undefined && { detail }),
});
/** A passing check for every clause except the ones given. */
const allPassBut = (...except: string[]) =>
  CLAUSES.filter((c) => !except.includes(c.id) && !c.id.startsWith('SDK-')).map((c) => result(`${c.id}: ok`, 'pass'));
const sdkOut = { sdk: 'the SDK runner checks these' };

describe('clausesOf', () => {
  it('reads the clause IDs off a check name', () => {
    expect(clausesOf('DEP-ADD-4, DEP-ADD-1: duplicate add fails')).toEqual(['DEP-ADD-4', 'DEP-ADD-1']);
    expect(clausesOf('WIRE-9: frames')).toEqual(['WIRE-9']);
    expect(clausesOf('no clause here')).toEqual([]);
  });
});

describe('buildReport', () => {
  it('is ok when every MUST clause in scope passes; SDK clauses are out of scope', () => {
    const report = buildReport(meta, allPassBut(), sdkOut);
    expect(report.ok).toBe(true);
    expect(report.clauses.find((c) => c.clause.id === 'SDK-1')).toMatchObject({ verdict: 'skip', note: 'the SDK runner checks these' });
    expect(report.coverage).toEqual({ exercised: CLAUSES.length - 8, total: CLAUSES.length });
    expect(report.conformance.passed).toBe(report.conformance.exercised);
  });

  it('fails on a failed MUST clause, warns on a failed SHOULD clause', () => {
    const report = buildReport(meta, [...allPassBut(), result('DEP-ADD-4: dup', 'fail', 'boom'), result('DEP-MSG-1: words', 'fail', 'x')], sdkOut);
    expect(report.ok).toBe(false);
    expect(report.clauses.find((c) => c.clause.id === 'DEP-ADD-4')).toMatchObject({ verdict: 'fail', note: 'DEP-ADD-4: dup' });
    const should = buildReport(meta, [...allPassBut('DEP-MSG-1'), result('DEP-MSG-1: words', 'fail', 'x')], sdkOut);
    expect(should.ok).toBe(true);
    expect(should.clauses.find((c) => c.clause.id === 'DEP-MSG-1')!.verdict).toBe('warn');
  });

  it('counts a failed check only against the clauses it found broken', () => {
    const wide = { ...result('DEP-ADD-4, DEP-ISO-1, SCHED-1: model', 'fail', 'DEP-ADD-4: expected a failure'), violated: ['DEP-ADD-4'] };
    const report = buildReport(meta, [...allPassBut(), wide], sdkOut);
    expect(report.clauses.find((c) => c.clause.id === 'DEP-ADD-4')!.verdict).toBe('fail');
    expect(report.clauses.find((c) => c.clause.id === 'DEP-ISO-1')!.verdict).toBe('pass');
    expect(report.clauses.find((c) => c.clause.id === 'SCHED-1')!.verdict).toBe('pass');
  });

  it('reports a clause whose checks were all skipped as skipped with the reason, never as passed', () => {
    const report = buildReport(meta, [...allPassBut('RUN-1'), result('RUN-1: ticks', 'skip', 'needs clock control')], sdkOut);
    expect(report.clauses.find((c) => c.clause.id === 'RUN-1')).toMatchObject({ verdict: 'skip', note: 'needs clock control' });
    expect(report.ok).toBe(true);
  });

  it('reports a MUST clause no check covers as uncovered, which fails the run', () => {
    const report = buildReport(meta, allPassBut('REC-1'), sdkOut);
    expect(report.clauses.find((c) => c.clause.id === 'REC-1')!.verdict).toBe('uncovered');
    expect(report.ok).toBe(false);
  });
});

describe('report forms', () => {
  const report = buildReport(meta, [...allPassBut('DEP-ADD-4'), result('DEP-ADD-4: dup <&>', 'fail', 'a "quoted" failure\nTranscript:\nc1 > {}')], sdkOut);

  it('prints failures in full, then the clause table and the figures', () => {
    const text = formatReport(report);
    expect(text).toContain('✗ DEP-ADD-4: dup <&>');
    expect(text).toContain('    Transcript:');
    expect(text).toMatch(/^DEP-ADD-4 +MUST +FAIL +0\/1 +DEP-ADD-4: dup <&>$/m);
    expect(text).toMatch(/^coverage: \d+\/49 clauses exercised/m);
    expect(text).toContain('RESULT: FAILED');
  });

  it('writes JSON with one entry per clause', () => {
    const json = JSON.parse(reportJson(report));
    expect(json.clauses).toHaveLength(CLAUSES.length);
    expect(json.clauses.find((c: { id: string }) => c.id === 'DEP-ADD-4')).toMatchObject({ verdict: 'fail', level: 'MUST' });
    expect(json.ok).toBe(false);
  });

  it('writes JUnit XML with one escaped test case per clause', () => {
    const xml = reportJunit(report);
    expect(xml.match(/<testcase /g)).toHaveLength(CLAUSES.length);
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('DEP-ADD-4: dup &lt;&amp;&gt;');
    expect(xml).toContain('a &quot;quoted&quot; failure');
  });
});

describe('replay tokens', () => {
  it('carry the check, seed, path and replay path, and refuse damaged input', () => {
    const spec = { check: 'DEP-ADD-4: x', seed: -42, path: '3:1:0', replayPath: 'AAE' };
    expect(parseReplayToken(replayToken(spec))).toEqual(spec);
    expect(() => parseReplayToken('nope')).toThrow('Not a replay token');
    expect(() => parseReplayToken(`${replayToken(spec).slice(0, 12)}!!`)).toThrow('damaged');
  });
});
