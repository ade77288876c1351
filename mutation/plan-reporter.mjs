// A Stryker reporter ("plan") that says, before any mutant runs, what the run will cost: how many
// mutants run, how many are static (their tests are all the tests, with a reload of the
// environment), and the estimated net test time. It writes the plan beside the report
// (plan.json: the initial run's time per test, and per mutant the tests that cover it); with
// MUTATION_PLAN_ONLY=1 Stryker stops there (an estimate without the run). While mutants run, it
// appends one line per mutant to progress.jsonl (when it finished, its status, how many tests ran).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PluginKind, commonTokens, declareClassPlugin } from '@stryker-mutator/api/plugin';

class PlanReporter {
  static inject = [commonTokens.options, commonTokens.logger];
  constructor(options, log) {
    const dir = dirname(options.jsonReporter?.fileName ?? 'reports/mutation/mutation.json');
    this.file = `${dir}/plan.json`;
    this.progress = `${dir}/progress.jsonl`;
    this.log = log;
    this.tests = {};
  }

  onDryRunCompleted({ result }) {
    for (const test of result.tests) this.tests[test.id] = Math.round(test.timeSpentMs);
  }

  onMutantTested(result) {
    const line = {
      at: Date.now(),
      id: result.id,
      file: result.fileName,
      line: result.location.start.line,
      mutator: result.mutatorName,
      status: result.status,
      static: Boolean(result.static),
      testsCompleted: result.testsCompleted,
    };
    appendFileSync(this.progress, `${JSON.stringify(line)}\n`);
  }

  onMutationTestingPlanReady({ mutantPlans }) {
    const runs = mutantPlans.filter((p) => p.plan === 'Run');
    const early = mutantPlans.filter((p) => p.plan !== 'Run');
    const noCoverage = runs.filter((p) => p.runOptions.testFilter?.length === 0);
    const toRun = runs.filter((p) => p.runOptions.testFilter?.length !== 0);
    const statics = toRun.filter((p) => p.mutant.static);
    const hybrid = statics.filter((p) => (p.mutant.coveredBy ?? []).length > 0);
    const seconds = (plans) => Math.round(plans.reduce((n, p) => n + p.netTime, 0) / 1000);
    const byFile = {};
    for (const p of toRun) {
      const f = (byFile[p.mutant.fileName] ??= { run: 0, static: 0, netSeconds: 0 });
      f.run += 1;
      if (p.mutant.static) f.static += 1;
      f.netSeconds += p.netTime / 1000;
    }
    const summary = {
      mutantCount: mutantPlans.length, // `mutants` is the list, below
      earlyResults: early.length,
      noCoverage: noCoverage.length,
      toRun: toRun.length,
      static: statics.length,
      staticAlsoCoveredByTests: hybrid.length,
      estimatedNetSeconds: { all: seconds(toRun), static: seconds(statics), runtime: seconds(toRun.filter((p) => !p.mutant.static)) },
      byFile,
      testMs: this.tests,
      mutantsToRun: toRun.map((p) => ({
        id: p.mutant.id,
        file: p.mutant.fileName,
        line: p.mutant.location.start.line + 1,
        mutator: p.mutant.mutatorName,
        static: Boolean(p.mutant.static),
        tests: p.runOptions.testFilter?.length ?? 'all',
        netMs: Math.round(p.netTime),
        coveredBy: p.mutant.coveredBy ?? [],
      })),
      // Every mutant as planned (what a report of an interrupted run can be rebuilt from, with progress.jsonl).
      mutants: mutantPlans.map((p) => ({
        id: p.mutant.id,
        file: p.mutant.fileName,
        location: oneBased(p.mutant.location),
        mutatorName: p.mutant.mutatorName,
        replacement: p.mutant.replacement,
        static: Boolean(p.mutant.static),
        ...(p.plan === 'Run' && p.runOptions.testFilter?.length === 0 && { status: 'NoCoverage' }),
        ...(p.plan !== 'Run' && { status: p.mutant.status }),
      })),
    };
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.progress, '');
    writeFileSync(this.file, JSON.stringify(summary, null, 2));
    this.log.info(
      `Plan: ${summary.toRun} mutants to run (${summary.static} static, ${summary.staticAlsoCoveredByTests} of them also covered by tests), ` +
        `${summary.noCoverage} without coverage, ${summary.earlyResults} early results; ` +
        `estimated net test time if all survived: ${summary.estimatedNetSeconds.all} s (static ${summary.estimatedNetSeconds.static} s). Written to ${this.file}`,
    );
    if (process.env.MUTATION_PLAN_ONLY === '1') {
      this.log.info('MUTATION_PLAN_ONLY=1: stopping before the mutants run.');
      process.exit(0);
    }
  }
}

/** Stryker plans with 0-based lines and columns; its reports (and this plan) count from 1. */
function oneBased({ start, end }) {
  return { start: { line: start.line + 1, column: start.column + 1 }, end: { line: end.line + 1, column: end.column + 1 } };
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'plan', PlanReporter)];
