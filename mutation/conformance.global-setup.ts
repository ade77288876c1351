/**
 * Global setup of the conformance-mode mutation run (mutation/vitest.conformance.config.ts).
 * Runs in the vitest main process, where Stryker never activates a mutant: it only picks the port
 * and hands the check files their configuration, the same one conformance/runner.ts builds for the
 * in-process mock. The mock itself is started by conformance.setup.ts inside the test worker.
 */
import { createServer } from 'node:net';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { SdkTargetConfig } from '../conformance/sdk/sdk-target.js';
import type { TargetConfig } from '../conformance/target.js';
import { MUTATION_PORT_KEY, MUTATION_RUNS, MUTATION_SEED, SDK_ADAPTER, SDK_TIMEOUT_MS } from './conformance.shared.js';

declare module 'vitest' {
  interface ProvidedContext {
    [MUTATION_PORT_KEY]: number;
  }
}

/** A port nothing listens on now (the worker's mock binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export default async function setup(project: TestProject): Promise<void> {
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}/task/service`;
  const controlUrl = `http://127.0.0.1:${port}/control`;
  const conformance: TargetConfig = {
    url,
    keys: { primary: 'MYAPIKEY', secondary: 'ALICEKEY', monitor: 'MONITORKEY', noPermission: 'NOPERMKEY' },
    controlUrl,
    profile: 'spec',
    seed: MUTATION_SEED,
    runs: MUTATION_RUNS,
    maxRps: Infinity,
    // As long as the runner's own (`rrdk-conf-<time>-<hex>-`), but fixed: the run must repeat exactly.
    prefix: 'rrdk-conf-mutation-000000-',
    replayCommand: 'rocketride-deploy-kit conformance --replay TOKEN',
    replayRun: { profile: 'spec', runs: MUTATION_RUNS, maxRps: 0 },
  };
  const adapter = fileURLToPath(new URL(SDK_ADAPTER, import.meta.url));
  const sdkConformance: SdkTargetConfig = {
    uri: url,
    controlUrl,
    sdk: { kind: 'module', module: `${adapter}#default` },
    timeoutMs: SDK_TIMEOUT_MS,
    seed: MUTATION_SEED,
    runs: MUTATION_RUNS,
    command: `rocketride-deploy-kit conformance --sdk-module ${relative(process.cwd(), adapter)}`,
  };
  project.provide(MUTATION_PORT_KEY, port);
  project.provide('conformance', conformance);
  project.provide('sdkConformance', sdkConformance);
}
