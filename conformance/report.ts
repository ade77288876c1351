/**
 * The conformance report: check results folded into one verdict per clause, coverage (clauses
 * exercised) and conformance (clauses passed) figures, and the table, JSON and JUnit forms.
 */
import { CLAUSES, type Capability, type Clause, type ClauseFamily } from './clauses.js';

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
  readonly durationMs: number;
}

/** pass; fail (a MUST clause failed); warn (a SHOULD or NOTE clause failed); skip; uncovered. */
export type ClauseVerdict = 'pass' | 'fail' | 'warn' | 'skip' | 'uncovered';

export interface ClauseResult {
  readonly clause: Clause;
  readonly verdict: ClauseVerdict;
  readonly checks: readonly CheckResult[];
  /** Why it was skipped, or the first failing check's name. */
  readonly note?: string;
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
}

/** `DEP-ADD-4, DEP-ADD-1: title` -> ['DEP-ADD-4', 'DEP-ADD-1']. */
export function clausesOf(name: string): string[] {
  const head = /^((?:[A-Z]+-[A-Z0-9-]*[A-Z0-9])(?:, [A-Z]+-[A-Z0-9-]*[A-Z0-9])*): /.exec(name);
  return head ? head[1]!.split(', ') : [];
}

/** Clauses this runner cannot check at all, and why (the server runner has no SDK under test). */
export type OutOfScope = Partial<Record<Capability, string>>;

export function buildReport(
  meta: Pick<ConformanceReport, 'target' | 'profile' | 'seed' | 'runs' | 'durationMs'> & { dialect?: string; requests?: number },
  checks: readonly CheckResult[],
  outOfScope: OutOfScope = {},
  /** Report only these clause families (the SDK runner reports SDK clauses only). Default: all. */
  families?: readonly ClauseFamily[],
): ConformanceReport {
  const reported = families === undefined ? CLAUSES : CLAUSES.filter((c) => families.includes(c.family));
  const clauses = reported.map((clause): ClauseResult => {
    const reason = clause.needs.map((need) => outOfScope[need]).find((r) => r !== undefined);
    if (reason !== undefined) return { clause, verdict: 'skip', checks: [], note: reason };
    // A failed check counts against the clauses it found broken, and for no others.
    const mine = checks.filter(
      (check) => check.clauses.includes(clause.id) && !(check.state === 'fail' && check.violated && !check.violated.includes(clause.id)),
    );
    const failed = mine.find((check) => check.state === 'fail');
    if (failed) return { clause, verdict: clause.level === 'MUST' ? 'fail' : 'warn', checks: mine, note: failed.name };
    if (mine.some((check) => check.state === 'pass')) return { clause, verdict: 'pass', checks: mine };
    if (mine.length > 0) {
      const reasons = [...new Set(mine.map((check) => check.detail ?? 'skipped'))];
      return { clause, verdict: 'skip', checks: mine, note: reasons.join('; ') };
    }
    return { clause, verdict: 'uncovered', checks: mine, note: 'no check covers this clause' };
  });
  const exercised = clauses.filter((c) => c.verdict === 'pass' || c.verdict === 'fail' || c.verdict === 'warn').length;
  const passed = clauses.filter((c) => c.verdict === 'pass').length;
  const ok = clauses.every((c) => c.clause.level !== 'MUST' || c.verdict === 'pass' || c.verdict === 'skip');
  return {
    ...meta,
    clauses,
    checks,
    coverage: { exercised, total: clauses.length },
    conformance: { passed, exercised },
    ok,
  };
}

const MARK: Record<ClauseVerdict, string> = { pass: 'pass', fail: 'FAIL', warn: 'warn', skip: 'skip', uncovered: 'none' };

/** The report as the terminal shows it: failures in full, then one line per clause, then the figures. */
export function formatReport(report: ConformanceReport): string {
  const failures = report.checks.filter((check) => check.state === 'fail');
  const lines: string[] = [];
  for (const failure of failures) {
    lines.push(`✗ ${failure.name}`, indent(failure.detail ?? ''), '');
  }
  lines.push(`Conformance of ${report.target} (${report.profile === 'sdk' ? 'SDK clauses' : `profile ${report.profile}`}, seed ${report.seed}, ${report.runs} runs per property)`, '');
  lines.push(`${'clause'.padEnd(14)}${'level'.padEnd(8)}${'result'.padEnd(8)}checks  note`);
  for (const c of report.clauses) {
    const passed = c.checks.filter((check) => check.state === 'pass').length;
    lines.push(`${c.clause.id.padEnd(14)}${c.clause.level.padEnd(8)}${MARK[c.verdict].padEnd(8)}${`${passed}/${c.checks.length}`.padEnd(8)}${c.note ?? ''}`);
  }
  const pct = (a: number, b: number) => (b === 0 ? '0' : ((100 * a) / b).toFixed(0));
  lines.push(
    '',
    `coverage: ${report.coverage.exercised}/${report.coverage.total} clauses exercised (${pct(report.coverage.exercised, report.coverage.total)} %)`,
    `conformance: ${report.conformance.passed}/${report.conformance.exercised} exercised clauses passed (${pct(report.conformance.passed, report.conformance.exercised)} %)`,
    ...(report.dialect ? [`record field names sent: ${report.dialect}`] : []),
    `checks: ${report.checks.filter((c) => c.state === 'pass').length} passed, ${failures.length} failed, ${report.checks.filter((c) => c.state === 'skip').length} skipped, ` +
      `in ${(report.durationMs / 1000).toFixed(1)} s${report.requests ? ` (${report.requests} ${report.profile === 'sdk' ? 'SDK calls' : 'frames sent'})` : ''}`,
    report.ok ? 'RESULT: every MUST clause in scope passed' : 'RESULT: FAILED: a MUST clause in scope failed (see above)',
  );
  return lines.join('\n');
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
      })),
    },
    null,
    2,
  );
}

/** JUnit XML: one test case per clause, so CI dashboards show the clause table. */
export function reportJunit(report: ConformanceReport): string {
  const cases = report.clauses.map((c) => {
    const name = `${c.clause.id} (${c.clause.level})`;
    const body =
      c.verdict === 'fail' || c.verdict === 'warn'
        ? `<failure message="${xml(c.note ?? '')}">${xml(c.checks.filter((k) => k.state === 'fail').map((k) => `${k.name}\n${k.detail ?? ''}`).join('\n\n'))}</failure>`
        : c.verdict === 'skip' || c.verdict === 'uncovered'
          ? `<skipped message="${xml(c.note ?? '')}"/>`
          : '';
    return `    <testcase classname="conformance.${c.clause.family}" name="${xml(name)}">${body}</testcase>`;
  });
  const failures = report.clauses.filter((c) => c.verdict === 'fail' || c.verdict === 'warn').length;
  const skipped = report.clauses.filter((c) => c.verdict === 'skip' || c.verdict === 'uncovered').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="rocketride-deploy-kit conformance" tests="${cases.length}" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="${xml(report.target)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function xml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
