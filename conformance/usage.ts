/**
 * `conformance`'s flags and help, apart from the suite: nothing here imports vitest, so the CLI
 * checks the flags and prints the help where vitest (an optional peer) is not installed.
 */

/** One flag: parsed by the kit's CLI (src/cli/args.ts) and by conformanceMain (parseArgs). */
export interface ConformanceFlag {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** Left out of "did you mean" (test-only). */
  readonly hidden?: boolean;
}

export const CONFORMANCE_FLAGS = {
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
  mutant: { type: 'string', multiple: true, hidden: true },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, ConformanceFlag>;

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
