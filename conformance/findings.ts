/**
 * Soft assertions for checks: a check that tries many cases (id families, command names, error
 * words) records each violation and goes on, so one run shows everything a target gets wrong,
 * not only the first thing. The assertions themselves are vitest's `expect` (its messages and
 * diffs); this module only collects them, orders them (a cross-user breach first) and bounds
 * how many a check may collect before it stops.
 */

/** How bad a finding is: a breach of another user's data is reported above everything else. */
export type Severity = 'breach' | 'violation';

export interface Finding {
  /** The clause broken (or several, `A, B`, when the check cannot tell which). */
  readonly clause: string;
  readonly severity: Severity;
  readonly message: string;
}

/** Findings a check may collect before it stops trying more cases (its budget). */
const FINDINGS_BUDGET = 60;
/** Findings printed in full; the rest are counted. */
export const SHOWN = 20;

export class Findings {
  readonly #items: Finding[] = [];

  get count(): number {
    return this.#items.length;
  }

  /**
   * Runs `assertion` (vitest `expect` calls); a failure is recorded under `clause` and false is
   * returned, so the check goes on. Past the budget it throws, ending the check with what it has.
   */
  soft(clause: string, assertion: () => void, severity: Severity = 'violation'): boolean {
    try {
      assertion();
      return true;
    } catch (error) {
      // Only a failed assertion is a finding: anything else (a timeout, a refused control call)
      // still stops the check.
      if (!(error instanceof Error && error.name === 'AssertionError')) throw error;
      this.add(clause, firstLines(error), severity);
      return false;
    }
  }

  /** Records a violation described in words. */
  add(clause: string, message: string, severity: Severity = 'violation'): void {
    this.#items.push({ clause, severity, message });
    if (this.#items.length >= FINDINGS_BUDGET) throw new BudgetExhausted(this.#items.length);
  }

  /** Every finding, most severe first. */
  list(): Finding[] {
    return this.#sorted();
  }

  /** The clauses found broken, most severe first. */
  clauses(): string[] {
    return [...new Set(this.#sorted().flatMap((f) => f.clause.split(', ')))];
  }

  /**
   * One message for all findings: each on its own line, starting with its clause (the report
   * reads the broken clauses off line starts), breaches first.
   */
  format(): string {
    const sorted = this.#sorted();
    const breaches = sorted.filter((f) => f.severity === 'breach').length;
    const head = `${sorted.length} violation${sorted.length === 1 ? '' : 's'}${breaches ? `, ${breaches} of them a CROSS-USER BREACH` : ''}:`;
    const shown = sorted
      .slice(0, SHOWN)
      .map((f) => `${f.clause}: ${f.severity === 'breach' ? 'CROSS-USER BREACH: ' : ''}${f.message.split('\n').join('\n    ')}`);
    const more = sorted.length > SHOWN ? [`… and ${sorted.length - SHOWN} more`] : [];
    return [head, ...shown, ...more].join('\n');
  }

  #sorted(): Finding[] {
    return [...this.#items].sort((a, b) => rank(a) - rank(b));
  }
}

const rank = (f: Finding) => (f.severity === 'breach' ? 0 : 1);

/** Thrown when a check has collected as many findings as its budget allows. */
/**
 * A failure of the harness itself (an SDK driver that cannot run an operation, say), not
 * something the target did: a check it stops charges no clause, and the run fails as broken.
 */
export class HarnessFault extends Error {}

export class BudgetExhausted extends Error {
  constructor(count: number) {
    super(`stopped after ${count} violations (the check's budget); fix these and run again to see more`);
  }
}

/** An error's message without vitest's stack: a listing's worth of lines at most. */
export function firstLines(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Room for a listing (SHOWN values, its head and its count) and a few lines of context.
  return message
    .split('\n')
    .slice(0, SHOWN + 6)
    .join('\n');
}

/** `headline (N):` and one offending value per line, the first SHOWN of them, then a count. */
export function listing(headline: string, items: readonly string[]): string {
  const more = items.length > SHOWN ? [`  … and ${items.length - SHOWN} more`] : [];
  return [`${headline} (${items.length}):`, ...items.slice(0, SHOWN).map((item) => `  ${item}`), ...more].join('\n');
}
