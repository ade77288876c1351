/**
 * Start-up cost of an in-process mock: SDK test suites start one server per test file, so
 * createMockServer({ port: 0 }) + close() is on every suite's critical path.
 */
import { performance } from 'node:perf_hooks';
import { createMockServer } from '../src/index.js';
import { median } from './stats.js';

export interface StartupResult {
  readonly runs: number;
  /** The first start in this process (cold code paths, users file read for the first time). */
  readonly firstStartMs: number;
  readonly medianStartMs: number;
  readonly medianCloseMs: number;
  readonly medianTotalMs: number;
}

export async function measureStartup(runs: number): Promise<StartupResult> {
  const starts: number[] = [];
  const closes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const server = await createMockServer({ port: 0 });
    const t1 = performance.now();
    await server.close();
    const t2 = performance.now();
    starts.push(t1 - t0);
    closes.push(t2 - t1);
  }
  return {
    runs,
    firstStartMs: starts[0] ?? NaN,
    medianStartMs: median(starts),
    medianCloseMs: median(closes),
    medianTotalMs: median(starts.map((start, i) => start + closes[i]!)),
  };
}
