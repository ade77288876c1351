/**
 * The core for the Node doors (the WebSocket server, benchmarks, test harnesses): buildDeployCore
 * (core-build.ts, browser-safe) plus the test-only `mutants` option, whose faults are loaded
 * from src/testing (Node only) here, and only when asked for: a normal server never even
 * imports them. The msw entry does not import this module (see core-build.ts).
 */
import { buildDeployCore, type CoreOptions, type DeployCore } from './core-build.js';
import type { CoreFaults } from './testing/mutants.js';

export { buildDeployCore, type ClockOption, type CoreOptions, type DeployCore, type RunBehaviorOption } from './core-build.js';

export async function createDeployCore(options: CoreOptions = {}): Promise<DeployCore> {
  // Test-only faults, loaded only when asked for: a normal server never even imports them.
  const faults = options.mutants?.length ? await loadFaults(options.mutants) : undefined;
  return buildDeployCore(options, faults);
}

async function loadFaults(names: readonly string[]): Promise<CoreFaults> {
  const { mutantFaults } = await import('./testing/mutants.js');
  return mutantFaults(names);
}
