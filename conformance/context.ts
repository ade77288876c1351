/**
 * What check files are written with: `check(clauses, title, fn)` for examples and
 * `property(clauses, title, arbitrary, predicate)` for fast-check properties. Each names the
 * clauses it covers (they become the test's name, which the report reads), is skipped with a
 * reason when the target lacks a capability its clauses need, and on failure prints the
 * transcript of the frames (and clock moves) of the failing case, plus a replay token.
 */
import fc from 'fast-check';
import { afterAll, inject, it } from 'vitest';
import { clause, isClause, type Capability } from './clauses.js';
import { NoReplyError } from './dap.js';
import { BudgetExhausted, Findings, firstLines, HarnessFault, type Finding, type Severity } from './findings.js';
import { replayToken, type ReplaySpec } from './replay.js';
import { Target, type TargetConfig } from './target.js';
import type { Transcript } from './transcript.js';

declare module 'vitest' {
  interface ProvidedContext {
    conformance: TargetConfig;
  }
}

let shared: Target | undefined;

/** This file's target (one per check file: its own connections, transcript and cleanup). */
export function target(): Target {
  if (!shared) {
    const t = new Target(inject('conformance'));
    shared = t;
    afterAll(() => t.cleanup(), 60_000);
  }
  return shared;
}

/**
 * What checks run against: a server target (target.ts) or an SDK under test (sdk/sdk-target.ts).
 * `check` and `property` need only this of it.
 */
export interface CheckSubject {
  readonly config: {
    readonly seed: number;
    readonly runs: number;
    readonly replay?: { readonly check: string; readonly seed: number; readonly path: string; readonly replayPath?: string } | undefined;
    /** The run a replay token must reproduce: target and options that are no secret. */
    readonly replayRun?: Omit<ReplaySpec, 'check' | 'seed' | 'path' | 'replayPath'>;
  };
  /** What the check said and heard; printed when it fails. */
  readonly transcript: Transcript;
  /** Facts for the report. */
  readonly notes: Record<string, string>;
  /** Requests (frames or SDK calls) sent so far. */
  readonly requests: number;
  /** What is missing for these needs, as a reason to print; undefined if nothing is. */
  missing(needs: readonly Capability[]): Promise<string | undefined>;
  /** The command line that re-runs exactly one case, given its replay token. */
  replayCommand(token: string): string;
  /** How long a check and a property may take, when not the defaults (60 s, 120 s). */
  readonly timeouts?: { readonly check: number; readonly property: number };
}

/** The running example check's findings and clauses (checks of one file run one at a time). */
let current: { findings: Findings; clauses: readonly string[] } | undefined;

/**
 * A soft assertion (see findings.ts): in an example check a failure of `assertion` is recorded
 * under `clauseId` (without one: under all of the check's clauses, as a thrown error would be)
 * and the check goes on; every finding is reported when the check ends, cross-user breaches
 * first. In a property, where fast-check must see the failure to shrink it, it throws. Returns
 * whether the assertion held.
 */
export function soft(assertion: () => void): boolean;
export function soft(clauseId: string, assertion: () => void, severity?: Severity): boolean;
export function soft(first: string | (() => void), second?: () => void, severity: Severity = 'violation'): boolean {
  const [clauseId, assertion] = typeof first === 'string' ? [first, second!] : [undefined, first];
  if (!current) {
    try {
      assertion();
      return true;
    } catch (error) {
      if (clauseId === undefined) throw error;
      throw new Error(`${clauseId}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  // A finding may belong to a clause the check does not name (an invalid schedule accepted
  // during a DEP-MSG-1 check is SCHED-2's): it is reported under that clause, not this check's.
  if (clauseId !== undefined) clause(clauseId);
  return current.findings.soft(clauseId ?? current.clauses.join(', '), assertion, severity);
}

/** `soft` for an assertion that awaits what it asserts on (a history read, a reply). */
export async function softly(assertion: () => Promise<void>): Promise<boolean> {
  let failure: unknown;
  try {
    await assertion();
    return true;
  } catch (error) {
    failure = error;
  }
  return soft(() => {
    throw failure;
  });
}

/** `DEP-ADD-4, DEP-ADD-1: title`: the report reads the clauses off the test's name. */
function nameOf(clauses: readonly string[], title: string): string {
  for (const id of clauses) clause(id); // unknown IDs fail at collection, not silently
  return `${clauses.join(', ')}: ${title}`;
}

function needsOf(clauses: readonly string[], extra: readonly Capability[]): Capability[] {
  return [...new Set([...clauses.flatMap((id) => clause(id).needs), ...extra])];
}

export interface CheckOptions {
  /** Capabilities needed beyond those of the clauses. */
  readonly needs?: readonly Capability[];
  readonly timeout?: number;
}

/** `check` and `property` for check files whose subject is `subject()` (one per file). */
export function defineChecks<S extends CheckSubject>(subject: () => S) {
  return {
    check: (...args: CheckArgs<S>) => checkOf(subject, ...args),
    property: <T>(...args: PropertyArgs<S, T>) => propertyOf(subject, ...args),
  };
}

type CheckArgs<S> = [clauses: readonly string[], title: string, fn: (t: S) => Promise<void>, options?: CheckOptions];
type PropertyArgs<S, T> = [
  clauses: readonly string[],
  title: string,
  arbitrary: (replayPath: string | undefined) => fc.Arbitrary<T>,
  predicate: (t: S, value: T) => Promise<void>,
  options?: CheckOptions & { runs?: number },
];

/** An example-based check. */
function checkOf<S extends CheckSubject>(subject: () => S, ...[clauses, title, fn, options = {}]: CheckArgs<S>): void {
  const name = nameOf(clauses, title);
  const t = subject();
  it(
    name,
    async (ctx) => {
      const replay = t.config.replay;
      if (replay && replay.check !== name) ctx.skip('not the check being replayed');
      const missing = await t.missing(needsOf(clauses, options.needs ?? []));
      if (missing) ctx.skip(missing);
      t.transcript.clear();
      const sentBefore = t.requests;
      const findings = new Findings();
      current = { findings, clauses };
      let stopped: unknown;
      try {
        await fn(t);
      } catch (error) {
        stopped = error;
      } finally {
        current = undefined;
        Object.assign(ctx.task.meta, { notes: { ...t.notes }, requests: t.requests - sentBefore });
      }
      if (findings.count === 0 && stopped === undefined) return;
      // Every soft finding, then what stopped the check (if anything did), in one failure.
      // A harness fault (the SDK driver failed) is not the target's: it charges no clause.
      const harness = stopped instanceof HarnessFault ? firstLines(stopped.message) : undefined;
      const stoppedBy =
        stopped === undefined || stopped instanceof BudgetExhausted || harness !== undefined ? [] : violatedClauses(stopped, clauses);
      const violated = [...new Set([...findings.clauses(), ...stoppedBy])];
      const found: Finding[] = [
        ...findings.list(),
        ...(stoppedBy.length ? [{ clause: stoppedBy.join(', '), severity: 'violation' as const, message: headline(stopped) }] : []),
      ];
      // Stopped early: the clauses it names but found no fault with were not fully checked.
      Object.assign(ctx.task.meta, {
        violated,
        findings: found,
        stopped: stopped !== undefined,
        ...(harness && { harnessFault: harness }),
      });
      const error =
        findings.count === 0
          ? stopped
          : new Error(
              stopped === undefined
                ? findings.format()
                : `${findings.format()}\nThen the check stopped: ${stopped instanceof Error ? stopped.message : String(stopped)}`,
            );
      throw withTranscript(error, t, replayToken({ ...t.config.replayRun, check: name, seed: t.config.seed, path: '' }));
    },
    options.timeout ?? t.timeouts?.check ?? 60_000,
  );
}

/**
 * A fast-check property over `arbitrary`. A failure is shrunk, then replayed once more with the
 * transcript recording, so the printout is the conversation of the smallest failing case.
 * For model-based properties (`fc.commands`), pass `commands` so the replay path is carried.
 */
function propertyOf<S extends CheckSubject, T>(
  subject: () => S,
  ...[clauses, title, arbitrary, predicate, options = {}]: PropertyArgs<S, T>
): void {
  const name = nameOf(clauses, title);
  const t = subject();
  it(
    name,
    async (ctx) => {
      const config = t.config;
      const replay = config.replay;
      if (replay && replay.check !== name) ctx.skip('not the check being replayed');
      const missing = await t.missing(needsOf(clauses, options.needs ?? []));
      if (missing) ctx.skip(missing);

      const prop = (replayPath: string | undefined) =>
        fc.asyncProperty(arbitrary(replayPath), async (value) => {
          t.transcript.clear();
          await predicate(t, value);
        });
      const params = replay
        ? { seed: replay.seed, path: replay.path, endOnFailure: true, numRuns: 1 }
        : { seed: config.seed, numRuns: Math.max(1, Math.round(config.runs * (options.runs ?? 1))), endOnFailure: false };
      const sentBefore = t.requests;
      const details = await fc.check(prop(replay?.replayPath), params);
      Object.assign(ctx.task.meta, { notes: { ...t.notes }, requests: t.requests - sentBefore });
      if (!details.failed) return;

      // Replay the shrunk counterexample once, with the transcript recording its conversation.
      const replayPath = replayPathOf(details.counterexample);
      const token = replayToken({
        ...t.config.replayRun,
        check: name,
        seed: details.seed,
        path: details.counterexamplePath ?? '',
        ...(replayPath && { replayPath }),
      });
      t.transcript.clear();
      const again = await fc.check(prop(replayPath), {
        seed: details.seed,
        ...(details.counterexamplePath !== null && { path: details.counterexamplePath }),
        endOnFailure: true,
      });
      const error = again.errorInstance ?? details.errorInstance;
      if (error instanceof HarnessFault) {
        Object.assign(ctx.task.meta, { violated: [], findings: [], stopped: true, harnessFault: firstLines(error.message) });
        throw error;
      }
      const violated = violatedClauses(error, clauses);
      const finding: Finding = {
        clause: violated.join(', '),
        severity: 'violation',
        message: `${headline(error)}\n(counterexample: ${fc.stringify(details.counterexample)})`,
      };
      Object.assign(ctx.task.meta, { violated, findings: [finding], stopped: true });
      throw new Error(
        [
          `Property failed after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s).`,
          `Counterexample: ${fc.stringify(details.counterexample)}`,
          `Error: ${error instanceof Error ? error.message : String(error)}`,
          '',
          'Transcript of the counterexample:',
          t.transcript.format(),
          '',
          `Replay exactly this case: ${t.replayCommand(token)}`,
          `(seed ${details.seed}, path ${details.counterexamplePath}${replayPath ? `, replayPath ${replayPath}` : ''})`,
        ].join('\n'),
      );
    },
    options.timeout ?? t.timeouts?.property ?? 120_000,
  );
}

/**
 * Which of the check's clauses a failure violates: a check that covers many clauses (the
 * model-based one) starts a line of its failure message with the clause it found broken
 * (`DEP-ADD-4: expected ...`), and only that clause is marked failed. Otherwise all of them are.
 */
function violatedClauses(error: unknown, clauses: readonly string[]): string[] {
  const message = error instanceof Error ? error.message : String(error);
  // Any catalogued clause may be named: a failure explained by another clause counts against that one.
  const named = (/^\s*((?:[A-Z]+-[A-Z0-9-]*[A-Z0-9])(?:, [A-Z]+-[A-Z0-9-]*[A-Z0-9])*):/m.exec(message)?.[1] ?? '')
    .split(', ')
    .filter(isClause);
  if (named.length > 0) return named;
  // A request left unanswered is WIRE-2's fault (exactly one response per request), whichever check met it.
  if (error instanceof NoReplyError) return ['WIRE-2'];
  return [...clauses];
}

/** What a failure says, without its stack, transcript or replay line: a few lines at most. */
function headline(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return firstLines(message.split('\n\nTranscript')[0]!);
}

/** fast-check prints a commands value as `...;/*replayPath="..."*\/`: the replay needs it too. */
function replayPathOf(counterexample: unknown): string | undefined {
  const text = fc.stringify(counterexample);
  return /replayPath="([^"]*)"/.exec(text)?.[1];
}

function withTranscript(error: unknown, t: CheckSubject, token: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new Error(`${message}\n\nTranscript:\n${t.transcript.format()}\n\nReplay this check alone: ${t.replayCommand(token)}`);
  if (error instanceof Error && error.stack) wrapped.stack = `${wrapped.message}\n${error.stack.split('\n').slice(1).join('\n')}`;
  return wrapped;
}

/** The server checks' `check` and `property`: their subject is this file's Target. */
export const { check, property } = defineChecks(target);
