/** Renders results as the plain-text table on stdout and as .bench/results.json. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BenchConfig } from './config.js';
import type { BenchResults, RowResult, ServerFigures } from './results.js';
import type { StartupResult } from './startup.js';

export function header(config: BenchConfig, cpus: number): string {
  return [
    `rocketride-deploy-kit bench: ${config.clients} WebSocket clients on 127.0.0.1, node ${process.version}, ${cpus} CPUs`,
    `each row: ${fmtSeconds(config.measureMs)} s measured per server, in ${config.rounds} alternating rounds ` +
      `after ${fmtSeconds(config.warmupMs)} s warm-up each; ` +
      `msgs/s = request/reply round trips per second; mix add/status/list/update/remove`,
    `echo: a bare ws server answering each request with the mock's reply to that command, recorded per row (median size)`,
    '',
    `${pad('scenario', 34)}${pad('server', 8)}${padStart('msgs/s', 8)}${padStart('p50 ms', 9)}${padStart('p99 ms', 9)}`,
  ].join('\n');
}

/** The replies a row's echo server sends: the mock's, recorded for that row. */
export function replayLine(scenario: string, sizes: Record<string, number>): string {
  const list = Object.entries(sizes)
    .map(([command, bytes]) => `${command.replace(/^rrext_deploy_/, '')} ${bytes.toLocaleString('en-US')} B`)
    .join(', ');
  return `${pad(scenario, 34)}echo replays the mock's replies: ${list}`;
}

/** One server's line of the table. */
export function figuresLine(scenario: string, f: ServerFigures): string {
  const failures = f.failures > 0 ? `  FAILURES ${f.failures}: ${f.failureSamples.join(' | ')}` : '';
  return `${pad(scenario, 34)}${pad(f.server, 8)}${padStart(f.msgsPerSec.toFixed(0), 8)}${padStart(f.p50Ms.toFixed(2), 9)}${padStart(f.p99Ms.toFixed(2), 9)}${failures}`;
}

export function ratioLine(row: RowResult, config: BenchConfig): string {
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  return (
    `ratio mock/echo: msgs/s ${row.throughputRatio.toFixed(2)} ` +
    `(goal >= ${config.goalThroughputRatio.toFixed(2)}, ${verdict(row.meetsThroughputGoal)})  ` +
    `p99 ${row.p99Ratio.toFixed(1)}x (goal <= ${config.goalP99Ratio}x, ${verdict(row.meetsP99Goal)})`
  );
}

export function startupLine(s: StartupResult): string {
  return (
    `server start-up: createMockServer({ port: 0 }) median ${s.medianStartMs.toFixed(2)} ms to listen + ` +
    `${s.medianCloseMs.toFixed(2)} ms to close = ${s.medianTotalMs.toFixed(2)} ms ` +
    `(${s.runs} starts in one process; first start ${s.firstStartMs.toFixed(2)} ms)`
  );
}

export async function writeJson(path: string, results: BenchResults): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(results, null, 2) + '\n');
}

function fmtSeconds(ms: number): string {
  return String(ms / 1000);
}

function pad(text: string, width: number): string {
  return text.padEnd(width);
}

function padStart(text: string, width: number): string {
  return text.padStart(width);
}
