/**
 * What a state file writes for ticks, in-process: 1,000 minutely deployments whose histories
 * are full (1,000 ticks and runs each), then a minute at a time, each minute's changes flushed
 * to the file. Figures: the bytes and time of one minute's commit against the whole state's
 * (one whole write of the same state, timed the same way): the goal is a commit that grows
 * with the change (1,000 new ticks and runs), not with the histories.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStateFile } from '../src/persist/persistence.js';
import { snapshotChunks } from '../src/persist/snapshot.js';
import { writeStateFile } from '../src/persist/state-file.js';
import { coreWith } from './scheduler-year.js';
import { median } from './stats.js';

const DEPLOYMENTS = 1_000;
const HISTORY_MINUTES = 1_000;
const MINUTES = 7;

export interface TickCommitResult {
  readonly deployments: number;
  readonly historyMinutes: number;
  /** Median over the minutes. */
  readonly commitBytes: number;
  readonly commitMs: number;
  /** One whole write of the same state. */
  readonly wholeBytes: number;
  readonly wholeMs: number;
}

export async function measureTickCommits(): Promise<TickCommitResult> {
  const dir = await mkdtemp(join(tmpdir(), 'rrdk-bench-ticks-'));
  const file = join(dir, 'state.json');
  // No file yet: its first write (after the history) is whole, then each minute is appended.
  const core = await coreWith(DEPLOYMENTS, 'UTC', '2026-11-26T10:07:00Z', ['* * * * *']);
  const persistence = await openStateFile(file, core, undefined);
  try {
    core.control.advance(HISTORY_MINUTES * 60_000);
    await persistence.committer.flush();
    const bytes: number[] = [];
    const ms: number[] = [];
    for (let minute = 0; minute < MINUTES; minute++) {
      const before = (await stat(file)).size;
      const started = performance.now();
      core.control.advance(60_000);
      await persistence.committer.flush();
      ms.push(performance.now() - started);
      bytes.push((await stat(file)).size - before);
    }
    const whole = join(dir, 'whole.json');
    const started = performance.now();
    core.control.advance(0); // the same control call as each minute, then a whole write
    await writeStateFile(whole, snapshotChunks(core));
    const wholeMs = performance.now() - started;
    return {
      deployments: DEPLOYMENTS,
      historyMinutes: HISTORY_MINUTES,
      commitBytes: median(bytes),
      commitMs: median(ms),
      wholeBytes: (await stat(whole)).size,
      wholeMs,
    };
  } finally {
    await persistence.close();
    core.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export function tickCommitLines(r: TickCommitResult): string[] {
  const kib = (b: number) => `${Math.round(b / 1024).toLocaleString('en-US')} KiB`;
  return [
    `ticks on a state file (in-process): ${r.deployments.toLocaleString('en-US')} minutely deployments with ${r.historyMinutes.toLocaleString('en-US')} ticks and runs ` +
      `of history each; a minute of ticks appends ${kib(r.commitBytes)} in ${r.commitMs.toFixed(1)} ms (median of ${MINUTES}), ` +
      `where a whole write of the state is ${kib(r.wholeBytes)} in ${r.wholeMs.toFixed(0)} ms: ${(r.wholeBytes / r.commitBytes).toFixed(0)}x fewer bytes ` +
      `(goal: a write grows with the change)`,
  ];
}
