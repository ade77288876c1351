/**
 * Folding check results into clause verdicts, and the report's forms.
 */
import { describe, expect, it } from 'vitest';
import { CLAUSES } from '../../conformance/clauses.js';
import {
  buildReport,
  clausesOf,
  formatReport,
  reportJson,
  reportJunit,
  reportMarkdown,
  rootCauses,
  type CheckResult,
} from '../../conformance/report.js';
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
    const report = buildReport(
      meta,
      [...allPassBut(), result('DEP-ADD-4: dup', 'fail', 'boom'), result('DEP-MSG-1: words', 'fail', 'x')],
      sdkOut,
    );
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
  const report = buildReport(
    meta,
    [...allPassBut('DEP-ADD-4'), result('DEP-ADD-4: dup <&>', 'fail', 'a "quoted" failure\nTranscript:\nc1 > {}')],
    sdkOut,
  );

  it('prints failures in full, then the clause table and the figures', () => {
    const text = formatReport(report);
    expect(text).toContain('✗ DEP-ADD-4: dup <&>');
    expect(text).toContain('    Transcript:');
    expect(text).toMatch(/^DEP-ADD-4 +MUST +FAIL +0\/1 +finding 1 above$/m);
    expect(text).toMatch(/^1\. DEP-ADD-4 \(MUST\): 1 finding\n {5}- a "quoted" failure\n {5}seen in: DEP-ADD-4: dup <&>$/m);
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

describe('attribution: one fault, once, under the clause it breaks', () => {
  const finding = (clause: string, message: string, severity: 'breach' | 'violation' = 'violation') => ({ clause, message, severity });
  // A lax cron validator seen by its own check, by an update check and by the wording check.
  const sched = {
    ...result('SCHED-2: invalid schedules', 'fail', 'x'),
    violated: ['SCHED-2'],
    findings: [finding('SCHED-2', 'add accepted "0 * * * * *"')],
  };
  const upd = {
    ...result('DEP-UPD-3: failed updates change nothing', 'fail', 'y'),
    violated: ['SCHED-2'],
    findings: [finding('SCHED-2', 'update accepted "0 0 * * * *"')],
  };
  const msg = {
    ...result('DEP-MSG-1: the real words', 'fail', 'z'),
    violated: ['SCHED-2', 'DEP-MSG-1'],
    findings: [finding('SCHED-2', 'add accepted "H * * * *"'), finding('DEP-MSG-1', 'the failed response carries trace')],
  };
  const iso = {
    ...result('DEP-ISO-1: hostile ids', 'fail', 'w'),
    violated: ['DEP-ISO-1'],
    findings: [finding('DEP-ISO-1', 'listed twice'), finding('DEP-ISO-1', 'read the other user', 'breach')],
  };
  const checks = [
    ...allPassBut('SCHED-2', 'DEP-UPD-3', 'DEP-MSG-1', 'DEP-ISO-1').filter(
      (c) => !c.name.startsWith('DEP-UPD-3') && !c.name.startsWith('DEP-MSG-1'),
    ),
    sched,
    upd,
    msg,
    iso,
  ];
  const report = buildReport(meta, checks, sdkOut);
  const byId = new Map(report.clauses.map((c) => [c.clause.id, c]));

  it('charges a failure to the clause its evidence breaks, even one the check does not name, and to no other', () => {
    expect(byId.get('SCHED-2')).toMatchObject({
      verdict: 'fail',
      note: 'SCHED-2: invalid schedules',
      alsoSeenIn: ['DEP-UPD-3: failed updates change nothing', 'DEP-MSG-1: the real words'],
    });
    expect(byId.get('SCHED-2')!.findings!.map((f) => f.message)).toEqual([
      'add accepted "0 * * * * *"',
      'update accepted "0 0 * * * *"',
      'add accepted "H * * * *"',
    ]);
    // The update check's own clause is not failed by a schedule the target should have refused.
    expect(byId.get('DEP-UPD-3')!.verdict).toBe('pass'); // the check ran to its end: the rest of it held
    expect(byId.get('DEP-MSG-1')).toMatchObject({ verdict: 'warn' });
    expect(byId.get('DEP-MSG-1')!.findings!.map((f) => f.message)).toEqual(['the failed response carries trace']);
  });

  it("a check that stopped on another clause's finding leaves its own clauses unverified, never uncovered or passed", () => {
    const stoppedCheck = {
      ...result('SCHED-3: never firing', 'fail', 'x'),
      violated: ['DEP-UPD-3'],
      stopped: true,
      findings: [finding('DEP-UPD-3', 'changed')],
    };
    const finished = {
      ...result('SCHED-3: never firing', 'fail', 'x'),
      violated: ['DEP-UPD-3'],
      findings: [finding('DEP-UPD-3', 'changed')],
    };
    const base = allPassBut('SCHED-3');
    const stoppedReport = buildReport(meta, [...base, stoppedCheck], sdkOut);
    expect(stoppedReport.clauses.find((c) => c.clause.id === 'SCHED-3')).toMatchObject({
      verdict: 'skip',
      note: 'not verified: its check stopped on a finding of DEP-UPD-3',
    });
    expect(buildReport(meta, [...base, finished], sdkOut).clauses.find((c) => c.clause.id === 'SCHED-3')!.verdict).toBe('pass');
  });

  it('a harness fault (an SDK driver that failed) charges no clause: they are unverified, and the run is not ok', () => {
    const fault = 'DRIVER FAULT (not an SDK result) during connect: the SDK has no connect()';
    const checks = ['SDK-1: add passes only what was given', 'SDK-2: update'].map((name) => ({
      ...result(name, 'fail', fault),
      violated: [],
      findings: [],
      stopped: true,
      harnessFault: fault,
    }));
    const report = buildReport(meta, checks, {}, ['SDK']);
    for (const id of ['SDK-1', 'SDK-2']) {
      expect(report.clauses.find((c) => c.clause.id === id)).toMatchObject({ verdict: 'skip', note: `not verified: ${fault}` });
    }
    expect(report.clauses.some((c) => c.verdict === 'fail')).toBe(false);
    expect(report.ok).toBe(false);
    expect(formatReport(report)).toContain(
      `RESULT: FAILED: the harness failed, not the target (2 checks stopped by a DRIVER FAULT; their clauses are unverified): ${fault}`,
    );
  });

  it('lists root causes most severe first: a cross-user breach, then MUST, then SHOULD', () => {
    expect(rootCauses(report).map((c) => c.clause.id)).toEqual(['DEP-ISO-1', 'SCHED-2', 'DEP-MSG-1']);
    expect(byId.get('DEP-ISO-1')!.findings![0]).toMatchObject({ severity: 'breach', message: 'read the other user' });
    const text = formatReport(report);
    expect(text).toMatch(/^1\. DEP-ISO-1 \(MUST, a CROSS-USER BREACH\): 2 findings$/m);
    expect(text).toMatch(/^ {5}also seen in: DEP-UPD-3: failed updates change nothing; DEP-MSG-1: the real words$/m);
    expect(text.match(/^\d+\. SCHED-2 /gm)).toHaveLength(1);
  });
});

describe('CI forms', () => {
  const warnOnly = [
    ...allPassBut('DEP-MSG-1'),
    {
      ...result('DEP-MSG-1: words', 'fail', 'the message "x"\nTranscript: ...'),
      violated: ['DEP-MSG-1'],
      findings: [{ clause: 'DEP-MSG-1', severity: 'violation' as const, message: 'the message "x" is not "y"\nsecond line' }],
    },
  ];

  it('a failed SHOULD clause passes the run and is no JUnit failure, unless --strict; every case has its time', () => {
    const report = buildReport(meta, warnOnly, sdkOut);
    expect(report.ok).toBe(true);
    const xml = reportJunit(report);
    expect(xml).toContain('failures="0"');
    expect(xml).not.toContain('<failure');
    expect(xml).toMatch(/<testcase classname="conformance.DEP" name="DEP-MSG-1 \(SHOULD\)" time="0.001"><system-out>warning/);
    expect(xml.match(/<testcase [^>]*time="\d+\.\d{3}"/g)).toHaveLength(CLAUSES.length);
    expect(xml).toMatch(
      /<testcase classname="conformance.SDK" name="SDK-1 \(MUST\)" time="0.000"><skipped message="the SDK runner checks these"\/>/,
    );

    const strict = buildReport({ ...meta, strict: true }, warnOnly, sdkOut);
    expect(strict.ok).toBe(false);
    expect(formatReport(strict)).toContain('RESULT: FAILED (--strict): 1 SHOULD/NOTE clause broken');
    // The failure's message is its first finding's first line, not the check's title.
    expect(reportJunit(strict)).toContain('<failure message="the message &quot;x&quot; is not &quot;y&quot;" type="SHOULD">');
  });

  it('writes the clause table as Markdown for a GitHub job summary', () => {
    const md = reportMarkdown(buildReport(meta, warnOnly, sdkOut));
    expect(md).toMatch(/^## Conformance of ws:\/\/t$/m);
    expect(md).toContain('| DEP-MSG-1 | SHOULD | ⚠️ warn | the message "x" is not "y" |');
    expect(md).toContain('| DEP-ADD-4 | MUST | ✅ pass |  |');
    expect(md).toContain('1. **DEP-MSG-1** (SHOULD)');
  });
});

describe('replay tokens', () => {
  it('carry the check, seed, path, replay path and the run, and refuse damaged input', () => {
    const spec = {
      check: 'DEP-ADD-4: x',
      seed: -42,
      path: '3:1:0',
      replayPath: 'AAE',
      target: 'ws://h:5565/task/service',
      profile: 'compat',
      runs: 5,
      maxRps: 0,
    };
    expect(parseReplayToken(replayToken(spec))).toEqual(spec);
    expect(() => parseReplayToken('rrdk1.eyJ9')).toThrow('older version');
    expect(() => parseReplayToken('nope')).toThrow('Not a replay token');
    expect(() => parseReplayToken(`${replayToken(spec).slice(0, 12)}!!`)).toThrow('damaged');
  });
});
