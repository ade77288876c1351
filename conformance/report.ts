/**
 * The conformance report: check results folded into one verdict per clause, coverage (clauses
 * exercised) and conformance (clauses passed) figures, and the table, JSON and JUnit forms.
 */
import { CLAUSES, type Capability, type Clause, type ClauseFamily } from './clauses.js';
import { SHOWN, listing, type Finding } from './findings.js';

export type CheckState = 'pass' | 'fail' | 'skip';

/** One check as the runner saw it. */
export interface CheckResult {
  readonly name: string;
  readonly file: string;
  readonly clauses: readonly string[];
  readonly state: CheckState;
  /** The failure (with transcript and replay token), or the reason for a skip. */
  readonly detail?: string;
  /** For a failed check: the clauses it found broken (default: all it covers). */
  readonly violated?: readonly string[];
  /** For a failed check: what it found, each under the clause broken (which may be one it does not name). */
  readonly findings?: readonly Finding[];
  /** For a failed check: it ended early (an error or a failed property), so what it names but did not find broken is unverified. */
  readonly stopped?: boolean;
  /** For a failed check: the harness failed (an SDK driver fault), not the target; it charges no clause and fails the run. */
  readonly harnessFault?: string;
  readonly durationMs: number;
}

/** pass; fail (a MUST clause failed); warn (a SHOULD or NOTE clause failed); skip; uncovered. */
export type ClauseVerdict = 'pass' | 'fail' | 'warn' | 'skip' | 'uncovered';

export interface ClauseResult {
  readonly clause: Clause;
  readonly verdict: ClauseVerdict;
  readonly checks: readonly CheckResult[];
  /** Why it was skipped, or the failing check's name (the one that names this clause, if any did). */
  readonly note?: string;
  /** For a failed clause: what was found against it, over all checks, most severe first. */
  readonly findings?: readonly Finding[];
  /** Other failing checks that saw the same fault (reported here, once, not as their own clauses' failures). */
  readonly alsoSeenIn?: readonly string[];
}

export interface ConformanceReport {
  readonly target: string;
  readonly profile: string;
  readonly seed: number;
  readonly runs: number;
  readonly clauses: readonly ClauseResult[];
  readonly checks: readonly CheckResult[];
  /** Clauses exercised (passed, failed or warned) over all clauses. */
  readonly coverage: { exercised: number; total: number };
  /** Clauses passed over clauses exercised. */
  readonly conformance: { passed: number; exercised: number };
  /** Which record field names the target sent (REC-2), when a check saw records. */
  readonly dialect?: string;
  /** True when every MUST clause that could be checked passed. */
  readonly ok: boolean;
  readonly durationMs: number;
  /** Frames the checks sent to the target (requests and raw frames). */
  readonly requests?: number;
  /** What the pre-flight found and what the run will not verify, printed above the results. */
  readonly header?: readonly string[];
  /** Deployments the run created and could not remove (a remote target), and what it did to the target's clock. */
  readonly leftovers?: readonly string[];
  readonly clockMoved?: string;
  /** Whether a failed SHOULD clause fails the run too. */
  readonly strict?: boolean;
}

/** `DEP-ADD-4, DEP-ADD-1: title` -> ['DEP-ADD-4', 'DEP-ADD-1']. */
export function clausesOf(name: string): string[] {
  const head = /^((?:[A-Z]+-[A-Z0-9-]*[A-Z0-9])(?:, [A-Z]+-[A-Z0-9-]*[A-Z0-9])*): /.exec(name);
  return head ? head[1]!.split(', ') : [];
}

/** Clauses this runner cannot check at all, and why (the server runner has no SDK under test). */
export type OutOfScope = Partial<Record<Capability, string>>;

export function buildReport(
  meta: Pick<ConformanceReport, 'target' | 'profile' | 'seed' | 'runs' | 'durationMs'> &
    Partial<Pick<ConformanceReport, 'dialect' | 'requests' | 'header' | 'leftovers' | 'clockMoved' | 'strict'>>,
  checks: readonly CheckResult[],
  outOfScope: OutOfScope = {},
  /** Report only these clause families (the SDK runner reports SDK clauses only). Default: all. */
  families?: readonly ClauseFamily[],
): ConformanceReport {
  const reported = families === undefined ? CLAUSES : CLAUSES.filter((c) => families.includes(c.family));
  const clauses = reported.map((clause): ClauseResult => {
    const reason = clause.needs.map((need) => outOfScope[need]).find((r) => r !== undefined);
    if (reason !== undefined) return { clause, verdict: 'skip', checks: [], note: reason };
    // A failed check counts against the clauses it found broken, and for no others: those may
    // include a clause it does not name (another clause's fault it ran into).
    const charged = (check: CheckResult) => check.state === 'fail' && (check.violated ?? check.clauses).includes(clause.id);
    const mine = checks.filter((check) => check.clauses.includes(clause.id) || charged(check));
    const failing = mine.filter(charged);
    if (failing.length > 0) {
      const primary = failing.find((check) => check.clauses.includes(clause.id)) ?? failing[0]!;
      return {
        clause,
        verdict: clause.level === 'MUST' ? 'fail' : 'warn',
        checks: mine,
        note: primary.name,
        findings: findingsFor(clause.id, [primary, ...failing.filter((check) => check !== primary)]),
        ...(failing.length > 1 && { alsoSeenIn: failing.filter((check) => check !== primary).map((check) => check.name) }),
      };
    }
    // A check that failed on another clause's fault and ran to its end verified this one too.
    if (mine.some((check) => check.state === 'pass' || (check.state === 'fail' && !check.stopped)))
      return { clause, verdict: 'pass', checks: mine };
    const stopped = mine.filter((check) => check.state === 'fail');
    const fault = stopped.find((check) => check.harnessFault !== undefined);
    if (fault && stopped.every((check) => (check.violated ?? []).length === 0)) {
      return { clause, verdict: 'skip', checks: mine, note: `not verified: ${fault.harnessFault}` };
    }
    if (stopped.length > 0) {
      const causes = [...new Set(stopped.flatMap((check) => check.violated ?? []))];
      return { clause, verdict: 'skip', checks: mine, note: `not verified: its check stopped on a finding of ${causes.join(', ')}` };
    }
    if (mine.length > 0) {
      return { clause, verdict: 'skip', checks: mine, note: skipReason(mine) };
    }
    return { clause, verdict: 'uncovered', checks: mine, note: 'no check covers this clause' };
  });
  const exercised = clauses.filter((c) => c.verdict === 'pass' || c.verdict === 'fail' || c.verdict === 'warn').length;
  const passed = clauses.filter((c) => c.verdict === 'pass').length;
  // A harness fault leaves clauses unverified, not passed: the run is broken, so it is not ok.
  const ok =
    !checks.some((check) => check.harnessFault !== undefined) &&
    clauses.every(
      (c) => (c.clause.level !== 'MUST' || c.verdict === 'pass' || c.verdict === 'skip') && !(meta.strict && c.verdict === 'warn'),
    );
  return {
    ...meta,
    clauses,
    checks,
    coverage: { exercised, total: clauses.length },
    conformance: { passed, exercised },
    ok,
  };
}

/** Why a clause's checks were skipped, each need once: `needs A and B` from `needs A` and `needs A and B`. */
function skipReason(checks: readonly CheckResult[]): string {
  const reasons = [...new Set(checks.map((check) => check.detail ?? 'skipped'))];
  const needs = reasons.filter((r) => r.startsWith('needs '));
  const others = reasons.filter((r) => !r.startsWith('needs '));
  const parts = [...new Set(needs.flatMap((r) => r.slice('needs '.length).split(' and ')))];
  return [...(parts.length ? [`needs ${parts.join(' and ')}`] : []), ...others].join('; ');
}

/** A clause's findings over its failing checks, each message once, most severe first. */
function findingsFor(id: string, failing: readonly CheckResult[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const check of failing) {
    const own = check.findings?.filter((f) => f.clause.split(', ').includes(id)) ?? [];
    const found = own.length > 0 ? own : [{ clause: id, severity: 'violation' as const, message: firstLine(check.detail ?? check.name) }];
    for (const finding of found) {
      if (seen.has(finding.message)) continue;
      seen.add(finding.message);
      out.push(finding);
    }
  }
  return out.sort((a, b) => (a.severity === 'breach' ? 0 : 1) - (b.severity === 'breach' ? 0 : 1));
}

const firstLine = (text: string) => text.split('\n')[0] ?? text;

/** Failed clauses, root causes first: a cross-user breach, then MUST, SHOULD, NOTE. */
export function rootCauses(report: ConformanceReport): ClauseResult[] {
  const rank = (c: ClauseResult) =>
    (c.findings?.some((f) => f.severity === 'breach') ? 0 : 10) + { MUST: 0, SHOULD: 1, NOTE: 2 }[c.clause.level];
  return report.clauses.filter((c) => c.verdict === 'fail' || c.verdict === 'warn').sort((a, b) => rank(a) - rank(b));
}

const MARK: Record<ClauseVerdict, string> = { pass: 'pass', fail: 'FAIL', warn: 'warn', skip: 'skip', uncovered: 'none' };

/** The report as the terminal shows it: each failing check in full, then the root causes, the clause table, the figures. */
export function formatReport(report: ConformanceReport): string {
  const failures = report.checks.filter((check) => check.state === 'fail');
  const lines: string[] = [];
  for (const failure of failures) {
    lines.push(`✗ ${failure.name}`, indent(failure.detail ?? ''), '');
  }
  lines.push(
    `Conformance of ${report.target} (${report.profile === 'sdk' ? 'SDK clauses' : `profile ${report.profile}`}, seed ${report.seed}, ${report.runs} runs per property)`,
  );
  if (report.header?.length) lines.push(...report.header.map((line) => `  ${line}`));
  lines.push('');
  const causes = rootCauses(report);
  if (causes.length > 0) {
    lines.push(
      `Findings, most severe first (${causes.length} clause${causes.length === 1 ? '' : 's'} broken; each fault once, under the clause it breaks):`,
    );
    causes.forEach((c, i) => lines.push(...formatCause(c, i + 1)));
    lines.push('');
  }
  lines.push(`${'clause'.padEnd(14)}${'level'.padEnd(8)}${'result'.padEnd(8)}checks  note`);
  for (const c of report.clauses) {
    const passed = c.checks.filter((check) => check.state === 'pass').length;
    const note = c.verdict === 'fail' || c.verdict === 'warn' ? `finding ${causes.indexOf(c) + 1} above` : (c.note ?? '');
    lines.push(
      `${c.clause.id.padEnd(14)}${c.clause.level.padEnd(8)}${MARK[c.verdict].padEnd(8)}${`${passed}/${c.checks.length}`.padEnd(8)}${note}`,
    );
  }
  const pct = (a: number, b: number) => (b === 0 ? '0' : ((100 * a) / b).toFixed(0));
  lines.push(
    '',
    `coverage: ${report.coverage.exercised}/${report.coverage.total} clauses exercised (${pct(report.coverage.exercised, report.coverage.total)} %)`,
    `conformance: ${report.conformance.passed}/${report.conformance.exercised} exercised clauses passed (${pct(report.conformance.passed, report.conformance.exercised)} %)`,
    ...(report.dialect ? [`record field names sent: ${report.dialect}`] : []),
    `checks: ${report.checks.filter((c) => c.state === 'pass').length} passed, ${failures.length} failed, ${report.checks.filter((c) => c.state === 'skip').length} skipped, ` +
      `in ${(report.durationMs / 1000).toFixed(1)} s${report.requests ? ` (${report.requests} ${report.profile === 'sdk' ? 'SDK calls' : 'frames sent'})` : ''}`,
    ...(report.clockMoved ? [`clock: ${report.clockMoved}`] : []),
    ...(report.leftovers === undefined
      ? []
      : report.leftovers.length === 0
        ? ['cleanup: every deployment the run created was removed']
        : [listing('cleanup: NOT removed from the target (remove them by hand)', report.leftovers)]),
    verdictLine(report),
  );
  return lines.join('\n');
}

function verdictLine(report: ConformanceReport): string {
  const broken = report.clauses.filter((c) => c.verdict === 'fail').length;
  const warned = report.clauses.filter((c) => c.verdict === 'warn').length;
  const harness = report.checks.filter((check) => check.harnessFault !== undefined);
  if (!report.ok) {
    if (broken === 0 && harness.length > 0)
      return `RESULT: FAILED: the harness failed, not the target (${harness.length} check${harness.length === 1 ? '' : 's'} stopped by a DRIVER FAULT; their clauses are unverified): ${harness[0]!.harnessFault}`;
    return broken > 0
      ? `RESULT: FAILED: ${broken} MUST clause${broken === 1 ? '' : 's'} broken${warned ? `, ${warned} SHOULD/NOTE clause${warned === 1 ? '' : 's'} warned` : ''} (see the findings above)`
      : warned > 0 && report.strict
        ? `RESULT: FAILED (--strict): ${warned} SHOULD/NOTE clause${warned === 1 ? '' : 's'} broken (see the findings above)`
        : 'RESULT: FAILED: a MUST clause is not covered by any check';
  }
  return `RESULT: every MUST clause in scope passed${warned ? ` (${warned} SHOULD/NOTE clause${warned === 1 ? '' : 's'} warned: --strict fails on them)` : ''}`;
}

/** One root cause: the clause, its findings (the first SHOWN), and where it was seen. */
function formatCause(c: ClauseResult, n: number): string[] {
  const findings = c.findings ?? [];
  const breach = findings.some((f) => f.severity === 'breach');
  const head = `${n}. ${c.clause.id} (${c.clause.level}${breach ? ', a CROSS-USER BREACH' : ''}): ${findings.length} finding${findings.length === 1 ? '' : 's'}`;
  const shown = findings
    .slice(0, SHOWN)
    .map((f) => `     - ${(f.severity === 'breach' ? 'CROSS-USER BREACH: ' : '') + f.message.split('\n').join('\n       ')}`);
  return [
    head,
    ...shown,
    ...(findings.length > SHOWN ? [`     … and ${findings.length - SHOWN} more (in the check's failure above)`] : []),
    `     seen in: ${c.note}`,
    ...(c.alsoSeenIn?.length ? [`     also seen in: ${c.alsoSeenIn.join('; ')}`] : []),
  ];
}

export function reportJson(report: ConformanceReport): string {
  return JSON.stringify(
    {
      ...report,
      clauses: report.clauses.map((c) => ({
        id: c.clause.id,
        level: c.clause.level,
        family: c.clause.family,
        verdict: c.verdict,
        note: c.note ?? null,
        checks: c.checks.map((check) => check.name),
        ...(c.findings && { findings: c.findings }),
        ...(c.alsoSeenIn && { alsoSeenIn: c.alsoSeenIn }),
      })),
    },
    null,
    2,
  );
}

/**
 * JUnit XML: one test case per clause, so CI dashboards show the clause table. A warned
 * (SHOULD or NOTE) clause is a failure only under --strict, as the exit code is; every case has
 * its checks' time; a failure's message is its first finding.
 */
export function reportJunit(report: ConformanceReport): string {
  const failed = (c: ClauseResult) => c.verdict === 'fail' || (c.verdict === 'warn' && report.strict === true);
  const cases = report.clauses.map((c) => {
    const name = `${c.clause.id} (${c.clause.level})`;
    const time = (c.checks.reduce((ms, check) => ms + check.durationMs, 0) / 1000).toFixed(3);
    const evidence =
      (c.findings ?? []).map((f) => f.message).join('\n') +
      `\n\nseen in: ${c.note}${c.alsoSeenIn?.length ? `\nalso seen in: ${c.alsoSeenIn.join('; ')}` : ''}`;
    const firstFinding = firstLine(c.findings?.[0]?.message ?? c.note ?? '');
    const body = failed(c)
      ? `<failure message="${xml(firstFinding)}" type="${c.clause.level}">${xml(
          `${evidence}\n\n${c.checks
            .filter((k) => k.state === 'fail')
            .map((k) => `${k.name}\n${k.detail ?? ''}`)
            .join('\n\n')}`,
        )}</failure>`
      : c.verdict === 'warn'
        ? `<system-out>${xml(`warning (${c.clause.level} clause; --strict fails on it): ${firstFinding}\n${evidence}`)}</system-out>`
        : c.verdict === 'skip' || c.verdict === 'uncovered'
          ? `<skipped message="${xml(c.note ?? '')}"/>`
          : '';
    return `    <testcase classname="conformance.${c.clause.family}" name="${xml(name)}" time="${time}">${body}</testcase>`;
  });
  const failures = report.clauses.filter(failed).length;
  const skipped = report.clauses.filter((c) => c.verdict === 'skip' || c.verdict === 'uncovered').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="rocketride-deploy-kit conformance" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(report.target)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** The clause table as Markdown, for `GITHUB_STEP_SUMMARY` (a job summary in GitHub Actions). */
export function reportMarkdown(report: ConformanceReport): string {
  const icon: Record<ClauseVerdict, string> = { pass: '✅ pass', fail: '❌ FAIL', warn: '⚠️ warn', skip: '⏭️ skip', uncovered: '➖ none' };
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const causes = rootCauses(report);
  return [
    `## Conformance of ${cell(report.target)}`,
    '',
    `**${verdictLine(report).replace(/^RESULT: /, '')}** · ${report.conformance.passed}/${report.conformance.exercised} exercised clauses passed · ${report.coverage.exercised}/${report.coverage.total} exercised · ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
    ...(report.header?.length ? [...report.header.map((line) => `- ${cell(line)}`), ''] : []),
    ...(causes.length
      ? [
          '### Findings',
          '',
          ...causes.map(
            (c, i) =>
              `${i + 1}. **${c.clause.id}** (${c.clause.level}): ${cell(firstLine(c.findings?.[0]?.message ?? c.note ?? ''))}${(c.findings?.length ?? 0) > 1 ? ` (+${c.findings!.length - 1} more)` : ''}`,
          ),
          '',
        ]
      : []),
    '| clause | level | result | note |',
    '| --- | --- | --- | --- |',
    ...report.clauses.map(
      (c) =>
        `| ${c.clause.id} | ${c.clause.level} | ${icon[c.verdict]} | ${cell(c.verdict === 'fail' || c.verdict === 'warn' ? firstLine(c.findings?.[0]?.message ?? '') : (c.note ?? ''))} |`,
    ),
    '',
  ].join('\n');
}

function xml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- XML 1.0 allows no control characters but tab, LF and CR
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
