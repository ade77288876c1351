/**
 * Worker setup of the unit-mode mutation run: skips the few unit tests that are stress tests
 * rather than unit tests. Under Stryker's instrumentation (a counter at every statement) they take
 * ten times as long, past any sensible timeout, and every mutant they cover would run them.
 */
import { beforeEach } from 'vitest';

/** Full names (describe blocks and test, joined by ' > ') of the tests skipped, each with why. */
export const SKIPPED_IN_MUTATION_RUNS: Readonly<Record<string, string>> = {
  'control input edges > stops a huge advance at the events cap, and moving on continues exactly':
    '11.5 million scheduler events: 2 s normally, over 20 s instrumented (npm test still runs it)',
};

beforeEach(({ task, skip }) => {
  const names: string[] = [];
  for (let t: { name: string; suite?: unknown } | undefined = task; t; t = t.suite as typeof t) if (t.name) names.unshift(t.name);
  // The file suite's name is the file path: leave it out.
  const full = names.filter((n) => !n.endsWith('.ts')).join(' > ');
  if (full in SKIPPED_IN_MUTATION_RUNS) skip(SKIPPED_IN_MUTATION_RUNS[full]);
});
