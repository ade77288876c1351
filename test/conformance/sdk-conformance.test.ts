/**
 * SDK conformance end to end, through the built CLI: the reference client passes every SDK
 * clause through both paths (an in-process module adapter, and the stdio driver protocol), and
 * each deliberately broken client of src/testing/sdk-mutants.ts is caught by the clause the
 * catalogue expects. Needs the build (`npm run build`).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUSES } from '../../conformance/clauses.js';
import { SDK_MUTANTS, sdkMutantModule } from '../../src/testing/sdk-mutants.js';
import { spawnCli } from '../helpers/cli.js';
import { catching, ConformanceRuns, failing, type RunOutcome } from '../helpers/conformance-runs.js';

const dist = (path: string) => fileURLToPath(new URL(`../../dist/${path}`, import.meta.url));
const REFERENCE_ADAPTER = dist('conformance/adapters/reference-client.js');
const MODULE_DRIVER = dist('conformance/drivers/module-driver.js');
/** The mutants as the built CLI loads them: the compiled module, and each mutant's export. */
const mutantModule = (name: string) => `${dist('testing/sdk-mutants.js')}#${sdkMutantModule(name).split('#').pop()}`;
/** Long enough for the reference client's 3 s disconnect without a deauth answer (SDK-8), short enough to keep hangs cheap. */
const SDK_TIMEOUT = '5000';

const runs = new ConformanceRuns(2, 5 * 60_000);
const RUNS: Record<string, string[]> = {
  'reference-module': ['--sdk-module', REFERENCE_ADAPTER, '--sdk-timeout', SDK_TIMEOUT],
  'reference-stdio': ['--sdk-driver', `"${process.execPath}" "${MODULE_DRIVER}" "${REFERENCE_ADAPTER}"`, '--sdk-timeout', SDK_TIMEOUT],
  ...Object.fromEntries(SDK_MUTANTS.map((m) => [m.name, ['--sdk-module', mutantModule(m.name), '--sdk-timeout', SDK_TIMEOUT]])),
};
const run = (name: string) => runs.run(name, RUNS[name]!);
// Queue every run now, so the pool stays busy while the tests wait in order.
beforeAll(() => Object.keys(RUNS).forEach((name) => void run(name)));
afterAll(() => runs.close());

const SDK_CLAUSES = CLAUSES.filter((c) => c.family === 'SDK').map((c) => c.id);

function expectAllPass(outcome: RunOutcome): void {
  const report = outcome.report;
  if (!report) throw new Error(`the run wrote no report (exit code ${outcome.code}):\n${outcome.tail}`);
  expect(
    report.clauses.map((c) => `${c.id} ${c.verdict}`),
    outcome.tail,
  ).toEqual(SDK_CLAUSES.map((id) => `${id} pass`));
  expect(report.ok).toBe(true);
  expect(outcome.code).toBe(0);
}

describe('the reference client passes the SDK suite', () => {
  it('through an in-process module adapter (--sdk-module)', async () => {
    const outcome = await run('reference-module');
    expectAllPass(outcome);
    // The printed report: one row per SDK clause, and only those.
    expect(outcome.tail).toMatch(/^SDK-1 +MUST +pass/m);
    expect(outcome.tail).not.toMatch(/^WIRE-/m);
    expect(outcome.tail).toContain('coverage: 8/8 clauses exercised');
  }, 120_000);

  it('through the stdio driver protocol (--sdk-driver), as any language would be driven', async () => {
    const outcome = await run('reference-stdio');
    expectAllPass(outcome);
    expect(outcome.tail).toContain('through the driver');
  }, 120_000);
});

describe('the SDK suite catches every SDK mutant', () => {
  it('has one mutant or more for each SDK clause', () => {
    expect(new Set(SDK_MUTANTS.map((m) => m.clause))).toEqual(new Set(SDK_CLAUSES));
  });

  for (const mutant of SDK_MUTANTS) {
    it(`${mutant.name} (expected: ${mutant.clause})`, async () => {
      const outcome = await run(mutant.name);
      const report = outcome.report;
      if (!report) throw new Error(`the run wrote no report (exit code ${outcome.code}):\n${outcome.tail}`);
      const caughtBy = catching(report, [mutant.clause]);
      const others = failing(report).filter((id) => id !== mutant.clause);
      expect(
        caughtBy,
        `${mutant.name}: ${mutant.description}\nnot caught by ${mutant.clause}; failed instead: ${others.join(', ') || 'none'}`,
      ).not.toEqual([]);
      if (caughtBy[0]!.verdict === 'fail') expect(outcome.code).toBe(1);
      // A SHOULD clause only warns: the run still passes.
      else expect(outcome.code).toBe(0);
    }, 120_000);
  }
});

describe('replaying one SDK failure', () => {
  it('the replay token a failed SDK property printed re-runs exactly that case, and it fails again', async () => {
    const failed = await run('always-sends-schedule');
    const detail = failed.report?.checks.find((c) => c.name.startsWith('SDK-1:') && c.state === 'fail')?.detail ?? '';
    const line = /Replay exactly this case: (rocketride-deploy-kit conformance .*--replay (rrdk2\.\S+))/.exec(detail);
    expect(line, detail).not.toBeNull();
    // The printed command names the same SDK and timeout; the token alone selects the case.
    expect(line![1]).toContain(`--sdk-module ${mutantModule('always-sends-schedule')} --sdk-timeout ${SDK_TIMEOUT}`);
    const again = await runs.run('replay', [...RUNS['always-sends-schedule']!, '--replay', line![2]!]);
    expect(again.report?.clauses.map((c) => `${c.id} ${c.verdict}`)).toEqual(
      SDK_CLAUSES.map((id) => `${id} ${id === 'SDK-1' ? 'fail' : 'skip'}`),
    );
    expect(again.report?.checks.filter((c) => c.state !== 'skip').map((c) => c.name)).toEqual([
      failed.report!.checks.find((c) => c.name.startsWith('SDK-1:'))!.name,
    ]);
  }, 120_000);
});

describe('conformance --sdk-* usage', () => {
  const children: Parameters<typeof spawnCli>[1] = [];
  afterAll(() => children.forEach((c) => c.kill('SIGKILL')));
  const cli = async (args: string[]) => {
    const run = spawnCli(['conformance', ...args], children);
    const code = await run.exited;
    return { code, ...run.output() };
  };

  it('refuses --sdk-module with --target or with --sdk-driver, and --sdk-timeout alone', async () => {
    expect(await cli(['--sdk-module', REFERENCE_ADAPTER, '--target', 'localhost:5565'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('give one or the other'),
    });
    expect(await cli(['--sdk-module', REFERENCE_ADAPTER, '--sdk-driver', 'x'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('not both'),
    });
    expect(await cli(['--sdk-timeout', '100'])).toMatchObject({ code: 2, stderr: expect.stringContaining('applies to SDK runs') });
  });

  it('a driver that cannot start fails the run at once, with what it printed', async () => {
    const result = await cli(['--sdk-driver', `"${process.execPath}" -e "console.error('no SDK installed here'); process.exit(3)"`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no SDK installed here');
  });

  it('a driver that dies under a call is reported as a driver fault, not as what the SDK did', async () => {
    const driver = fileURLToPath(new URL('../fixtures/drivers/dies-after-connect.mjs', import.meta.url));
    const result = await cli(['--sdk-driver', `"${process.execPath}" "${driver}"`, '--runs', '1']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('DRIVER FAULT (not an SDK result)');
    expect(result.stdout).toContain("dies-after-connect: exiting at '");
  }, 120_000);

  it('a module without the export names what it has', async () => {
    const result = await cli(['--sdk-module', `${REFERENCE_ADAPTER}#nope`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("has no export 'nope'");
  });
});
