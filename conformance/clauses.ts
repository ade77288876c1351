/**
 * The clause catalogue: every clause of the spec's semantics.md as data, read from the copy the
 * package ships (`fixtures/spec/semantics.md`, which a test keeps equal to the spec), so the text
 * exists once. Each check names the clauses it covers; a clause no check covers is reported as
 * uncovered. What the spec does not say, what a target must offer for a clause, is here.
 */
import { readFileSync } from 'node:fs';

/** MUST clauses fail a run; SHOULD clauses warn; NOTE clauses (no keyword in the spec) inform. */
export type ClauseLevel = 'MUST' | 'SHOULD' | 'NOTE';
export type ClauseFamily = 'WIRE' | 'REC' | 'DEP' | 'SCHED' | 'RUN' | 'SDK';
/**
 * What a target must offer for a clause to be checked: `clock-control` (the kit's control API,
 * to move the clock), `fake-clock` (that clock stands still between moves, so a check can pin
 * instants to the millisecond), a second full user, a monitor-only user, a user without deploy
 * permissions, or an SDK under test (the SDK runner, not the server runner).
 */
export type Capability = 'clock-control' | 'fake-clock' | 'second-user' | 'monitor-user' | 'no-permission-user' | 'sdk';

export interface Clause {
  readonly id: string;
  readonly level: ClauseLevel;
  readonly family: ClauseFamily;
  readonly needs: readonly Capability[];
  readonly text: string;
}

/** What a clause needs beyond a server and one full user's key; every other clause needs nothing. */
const NEEDS: Readonly<Record<string, readonly Capability[]>> = {
  'DEP-ADD-5': ['second-user'],
  'DEP-PERM-1': ['monitor-user', 'no-permission-user'],
  'DEP-ISO-1': ['second-user'],
  'SCHED-4': ['clock-control'],
  ...Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => [`RUN-${n}`, ['clock-control'] as const])),
  ...Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((n) => [`SDK-${n}`, ['sdk'] as const])),
};

/** A clause line of semantics.md: `- ID LEVEL: text`, its text running to the next item or heading. */
const CLAUSE_ITEM =
  /^- ((WIRE|REC|DEP|SCHED|RUN|SDK)-[A-Z0-9-]+)(?: (MUST|SHOULD))?(?: \([^)]*\))?:? ?([\s\S]*?)(?=^- |^## |$(?![\s\S]))/gm;

/** Every clause of a semantics.md text, in order (no keyword: a NOTE). */
export function parseClauses(semantics: string): Clause[] {
  return [...semantics.matchAll(CLAUSE_ITEM)].map(([, id, family, level, body]) => ({
    id: id!,
    level: (level ?? 'NOTE') as ClauseLevel,
    family: family as ClauseFamily,
    needs: NEEDS[id!] ?? [],
    text: body!.split(/\s+/).join(' ').trim(),
  }));
}

/** The shipped copy: beside dist/ in the package, beside conformance/ in the repository. */
function shippedSemantics(): string {
  for (const relative of ['../../fixtures/spec/semantics.md', '../fixtures/spec/semantics.md']) {
    try {
      return readFileSync(new URL(relative, import.meta.url), 'utf8');
    } catch {
      // the other layout
    }
  }
  throw new Error('fixtures/spec/semantics.md is missing from the package: the clause catalogue cannot be read');
}

export const CLAUSES: readonly Clause[] = parseClauses(shippedSemantics());

const BY_ID = new Map(CLAUSES.map((c) => [c.id, c]));

/** The clause with this ID; throws for an unknown ID, so a check cannot cite a clause that does not exist. */
export function clause(id: string): Clause {
  const found = BY_ID.get(id);
  if (!found) throw new Error(`Unknown clause ${id}`);
  return found;
}

export function isClause(id: string): boolean {
  return BY_ID.has(id);
}
