/** The catalogue: every mutant, in order (each family's written with the checks, then each family's independent ones). */
import type { Definition, MutantInfo } from './definition.js';
import { DEP_MUTANTS } from './dep.js';
import { REC_MUTANTS } from './rec.js';
import { RUN_MUTANTS } from './run.js';
import { SCHED_MUTANTS } from './sched.js';
import { WIRE_MUTANTS } from './wire.js';

const FAMILIES = [WIRE_MUTANTS, REC_MUTANTS, DEP_MUTANTS, SCHED_MUTANTS, RUN_MUTANTS];

const DEFINITIONS: readonly Definition[] = [...FAMILIES.flatMap((f) => f.withChecks), ...FAMILIES.flatMap((f) => f.independent)];

/** Every mutant, as data (name, family, description, expected clauses). */
export const MUTANTS: readonly MutantInfo[] = Object.freeze(
  DEFINITIONS.map(({ name, family, description, expectedClauses }) =>
    Object.freeze({ name, family, description, expectedClauses: Object.freeze([...expectedClauses]) }),
  ),
);

/** The mutants' names, in catalogue order. */
export const MUTANT_NAMES: readonly string[] = Object.freeze(MUTANTS.map((m) => m.name));

/** Each mutant's definition, by name. */
export const BY_NAME = new Map(DEFINITIONS.map((d) => [d.name, d]));
