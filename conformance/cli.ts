/**
 * `rocketride-deploy-kit conformance`: runs the suite and prints the per-clause report.
 * Exit 0 when every MUST clause in scope passed (and, with --strict, every SHOULD clause);
 * 1 when one failed; 2 on bad usage or a failed pre-flight (the target unreachable, a key refused).
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PreflightError } from './preflight.js';
import { CONFORMANCE_FLAGS, CONFORMANCE_USAGE } from './usage.js';
import { reportJson, reportJunit, reportMarkdown } from './report.js';
import { formatReport, runConformance, type ConformanceOptions } from './runner.js';

export async function conformanceMain(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: CONFORMANCE_FLAGS,
      strict: true,
    }));
  } catch (error) {
    console.error(`rocketride-deploy-kit conformance: ${(error as Error).message}\n\n${CONFORMANCE_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(CONFORMANCE_USAGE);
    return 0;
  }
  const env = process.env;
  const options: ConformanceOptions = {};
  try {
    // A replay token carries its target: RRDK_TARGET (often set in CI) must not redirect it.
    const target = values.target ?? (values.replay === undefined ? env['RRDK_TARGET'] : undefined);
    if (target) options.target = target;
    const keys = values.key ?? env['RRDK_KEYS']?.split(',').filter(Boolean);
    if (keys) options.keys = keys;
    // The replay command a failure prints names the secrets given as flags (it prints none).
    options.secretsFromFlags = [
      ...(values.key !== undefined ? (['keys'] as const) : []),
      ...(values['monitor-key'] !== undefined ? (['monitorKey'] as const) : []),
      ...(values['no-permission-key'] !== undefined ? (['noPermissionKey'] as const) : []),
      ...(values['control-token'] !== undefined ? (['controlToken'] as const) : []),
    ];
    if (values.strict) options.strict = true;
    const monitorKey = values['monitor-key'] ?? env['RRDK_MONITOR_KEY'];
    if (monitorKey) options.monitorKey = monitorKey;
    const noPermissionKey = values['no-permission-key'] ?? env['RRDK_NO_PERMISSION_KEY'];
    if (noPermissionKey) options.noPermissionKey = noPermissionKey;
    const controlToken = values['control-token'] ?? env['RRDK_CONTROL_TOKEN'];
    if (controlToken) options.controlToken = controlToken;
    if (values.profile !== undefined) {
      if (values.profile !== 'spec' && values.profile !== 'compat')
        throw new Error(`--profile must be spec or compat, got '${values.profile}'`);
      options.profile = values.profile;
    }
    if (values.seed !== undefined) options.seed = integer(values.seed, '--seed', -(2 ** 31), 2 ** 31 - 1);
    if (values.runs !== undefined) options.runs = integer(values.runs, '--runs', 1, 100_000);
    if (values['max-rps'] !== undefined) options.maxRps = integer(values['max-rps'], '--max-rps', 0, 1_000_000); // 0: unpaced
    if (values.json) options.json = values.json;
    if (values.junit) options.junit = values.junit;
    if (values.replay) options.replay = values.replay;
    if (values['sdk-module'] !== undefined && values['sdk-driver'] !== undefined)
      throw new Error('Give --sdk-module or --sdk-driver, not both');
    if ((values['sdk-module'] ?? values['sdk-driver']) !== undefined) {
      if (values.target !== undefined)
        throw new Error(
          '--target checks a server; --sdk-module/--sdk-driver check an SDK against the in-process mock: give one or the other',
        );
      if (values.profile !== undefined || values['max-rps'] !== undefined || values.key !== undefined)
        throw new Error('--profile, --max-rps and --key apply to server runs, not SDK runs');
      // A server target or keys in the environment are for server runs.
      delete options.target;
      delete options.keys;
    }
    if (values['sdk-module'] !== undefined) options.sdkModule = nonEmpty(values['sdk-module'], '--sdk-module');
    if (values['sdk-driver'] !== undefined) options.sdkDriver = nonEmpty(values['sdk-driver'], '--sdk-driver');
    if (values['sdk-timeout'] !== undefined) {
      if (options.sdkModule === undefined && options.sdkDriver === undefined)
        throw new Error('--sdk-timeout applies to SDK runs: give --sdk-module or --sdk-driver');
      options.sdkTimeoutMs = integer(values['sdk-timeout'], '--sdk-timeout', 100, 120_000);
    }
    if (values.mutant) {
      if (options.target !== undefined) throw new Error('--mutant applies to the in-process mock only, not to --target');
      options.mutants = values.mutant;
    }
  } catch (error) {
    console.error(`rocketride-deploy-kit conformance: ${(error as Error).message}`);
    return 2;
  }
  const files = { json: options.json, junit: options.junit };
  delete options.json;
  delete options.junit;
  let report;
  try {
    report = await runConformance(options);
  } catch (error) {
    if (!(error instanceof PreflightError)) throw error;
    console.error(`rocketride-deploy-kit conformance: ${error.message}`);
    return 2;
  }
  // The report first: a file that cannot be written must not hide it.
  console.log(formatReport(report));
  let code = report.ok ? 0 : 1;
  for (const [path, text] of [
    [files.json, () => reportJson(report)],
    [files.junit, () => reportJunit(report)],
  ] as const) {
    if (path === undefined) continue;
    try {
      await writeFile(path, text());
    } catch (error) {
      console.error(`rocketride-deploy-kit conformance: could not write ${path}: ${(error as Error).message}`);
      code = 2;
    }
  }
  const summary = env['GITHUB_STEP_SUMMARY'];
  if (summary) {
    await appendFile(summary, reportMarkdown(report)).catch((error: Error) =>
      console.error(`rocketride-deploy-kit conformance: warning: could not append to GITHUB_STEP_SUMMARY (${summary}): ${error.message}`),
    );
  }
  return code;
}

function nonEmpty(text: string, flag: string): string {
  if (text.trim() === '') throw new Error(`${flag} must not be empty`);
  return text;
}

function integer(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || n < min || n > max) throw new Error(`${flag} must be a whole number from ${min} to ${max}, got '${text}'`);
  return n;
}
