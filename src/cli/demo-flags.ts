/**
 * `serve --demo [N] [--demo-seed S]`: the flags, read and checked. `--demo` alone means the
 * default count, so it is given its value here before parseArgs (which wants one) sees it.
 */
import { DEFAULT_DEMO_SEED, DEMO_LIMITS, MAX_DEMO_SEED } from '../demo/demo-limits.js';
import { UsageError } from './usage-error.js';

/** The demo a `serve` was asked for. */
export interface DemoRequest {
  readonly count: number;
  readonly seed: number;
}

/**
 * The arguments with `--demo` given its value as `--demo=N`: the default count when it comes
 * last or before another flag, else the next argument (`-5` too, for the range check to refuse).
 */
export function withDemoDefault(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg !== '--demo') out.push(arg);
    else if (next === undefined || (next.startsWith('-') && !/^-\d/.test(next))) out.push(`--demo=${DEMO_LIMITS.default}`);
    else {
      out.push(`--demo=${next}`);
      i += 1;
    }
  }
  return out;
}

/** The demo asked for, if any; a bad count or seed is a usage error naming the range. */
export function demoRequest(count: string | undefined, seed: string | undefined): DemoRequest | undefined {
  if (count === undefined) {
    if (seed !== undefined) throw new UsageError('--demo-seed goes with --demo (serve --demo 25 --demo-seed 7)');
    return undefined;
  }
  const { min, max } = DEMO_LIMITS;
  if (!/^\d+$/.test(count) || Number(count) < min || Number(count) > max) {
    throw new UsageError(`--demo takes a number of deployments from ${min} to ${max} (default ${DEMO_LIMITS.default}), got '${count}'`);
  }
  if (seed !== undefined && (!/^\d+$/.test(seed) || Number(seed) > MAX_DEMO_SEED)) {
    throw new UsageError(`--demo-seed must be a whole number from 0 to ${MAX_DEMO_SEED}, got '${seed}'`);
  }
  return { count: Number(count), seed: seed === undefined ? DEFAULT_DEMO_SEED : Number(seed) };
}
