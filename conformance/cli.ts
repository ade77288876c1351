/**
 * `rocketride-deploy-kit conformance`: runs the suite and prints the per-clause report.
 * Exit 0 when every MUST clause in scope passed (and, with --strict, every SHOULD clause);
 * 1 when one failed; 2 on bad usage or a failed pre-flight (the target unreachable, a key refused).
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PreflightError } from './preflight.js';
import { reportJson, reportJunit, reportMarkdown } from './report.js';
import { formatReport, runConformance, type ConformanceOptions } from './runner.js';

export const CONFORMANCE_USAGE = `Usage: rocketride-deploy-kit conformance [options]

Checks a server against the deploy API spec, clause by clause. Without --target it checks the
kit's own mock, started in-process. With --sdk-module or --sdk-driver it checks an SDK instead
(clauses SDK-1..8): the SDK talks to an in-process mock, whose frame journal shows what it sent.

  --target URL             The server's DAP URL (ws://host:5565/task/service, localhost:5565, ...)
                           (env RRDK_TARGET)
  --key KEY                A full user's key; give two for the isolation clauses (env RRDK_KEYS, comma-separated)
  --monitor-key KEY        A monitor-only user's key (env RRDK_MONITOR_KEY)
  --no-permission-key KEY  A key without deploy permissions (env RRDK_NO_PERMISSION_KEY)
  --control-token TOKEN    The target's control API token, if it needs one (env RRDK_CONTROL_TOKEN)
  --profile spec|compat    spec: the documented record field names are required (default);
                           compat: either dialect (the report says which one the target sent)
  --seed N                 fast-check seed (default: a fixed seed, so runs repeat exactly)
  --runs N                 runs per property (default 25 in-process, 5 against a remote target)
  --max-rps N              requests per second, 0 for unpaced (default: unpaced in-process and on
                           loopback, 20 remote)
  --strict                 a failed SHOULD clause fails the run too (exit 1, a JUnit failure)
  --json FILE              also write the report as JSON
  --junit FILE             also write the report as JUnit XML
  --replay TOKEN           re-run exactly the failing case a report printed, against the target it
                           was seen on (the keys come from the flags or the RRDK_* variables)

Exit codes: 0 every MUST clause passed, 1 a MUST clause failed (or a SHOULD one, with --strict),
2 bad usage or a failed pre-flight. With GITHUB_STEP_SUMMARY set, the clause table is appended
to it as Markdown.

SDK conformance:
  --sdk-module PATH[#EXPORT]  a module whose export (default: default) is a factory
                              ({ uri, key }) => client, client.deploy being the SDK's deploy API
  --sdk-driver "COMMAND"      a program speaking the stdio driver protocol (any language; see
                              conformance/sdk-driver-protocol.md), e.g.
                              "python3 drivers/python/rocketride_driver.py"
  --sdk-timeout MS            how long one SDK call may take before it counts as a hang (default 10000, at most 120000)
  -h, --help               this help`;

export async function conformanceMain(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        target: { type: 'string' },
        key: { type: 'string', multiple: true },
        'monitor-key': { type: 'string' },
        'no-permission-key': { type: 'string' },
        'control-token': { type: 'string' },
        profile: { type: 'string' },
        seed: { type: 'string' },
        runs: { type: 'string' },
        'max-rps': { type: 'string' },
        json: { type: 'string' },
        junit: { type: 'string' },
        strict: { type: 'boolean' },
        replay: { type: 'string' },
        'sdk-module': { type: 'string' },
        'sdk-driver': { type: 'string' },
        'sdk-timeout': { type: 'string' },
        // Hidden, test-only: run against the in-process mock built with these deliberate faults.
        mutant: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
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
