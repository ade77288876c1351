/**
 * TEST-ONLY. Deliberately broken variants ("mutants") of the mock server, for mutation testing of
 * the conformance suite: each one breaks the spec in one known way, and the suite must catch it
 * with the clause named here (`test/conformance/mutants.test.ts` holds it to that).
 *
 * A mutant server is made by `createMutantServer(names, options)` (or a core by
 * `createMutantCore`), and nowhere else: production code never imports this module. Each mutant
 * is a set of deviations built from outside the core's modules: a session output or an incoming
 * request rewritten, another auth or run policy, a wrapped schedule parser, next-tick search,
 * credential check or deployment listener, and methods of the deploy service, the store or the
 * scheduler wrapped after the parts are made. The mutants live by clause family (wire.ts,
 * rec.ts, dep.ts, sched.ts, run.ts); catalogue.ts lists them in order.
 *
 * Never use a mutant for anything but testing a test suite: a mutated server is wrong on purpose.
 * @since 0.3.0
 */
export { MUTANT_NAMES, MUTANTS } from './catalogue.js';
export type { MutantFamily, MutantInfo } from './definition.js';
export { createMutantCore, createMutantServer } from './server.js';
