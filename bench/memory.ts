/**
 * Memory held by stored deployments against their JSON size (goal: at most 3x). Each size is
 * measured in a fresh child process (bench/memory-child.ts), so no size inherits another's heap,
 * caches or garbage.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryChildResult } from './memory-child.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** 100,000 adds take a few seconds; this only catches a hung child. */
const CHILD_TIMEOUT_MS = 180_000;

export interface MemoryResult extends MemoryChildResult {
  /** Retained heap per deployment, stored only and once its record was sent (tail cached). */
  readonly bytesPerDeployment: number;
  readonly bytesPerDeploymentSent: number;
  readonly jsonBytesPerDeployment: number;
  /** Heap once sent (the larger figure) divided by the records' JSON; goal <= goalRatio. */
  readonly ratio: number;
  readonly goalRatio: number;
  readonly meetsGoal: boolean;
}

export async function measureMemory(deployments: number, goalRatio: number): Promise<MemoryResult> {
  const child = await runChild(deployments);
  const ratio = child.heapAfterList / child.wireJsonBytes;
  return {
    ...child,
    bytesPerDeployment: child.heapAfterAdd / deployments,
    bytesPerDeploymentSent: child.heapAfterList / deployments,
    jsonBytesPerDeployment: child.wireJsonBytes / deployments,
    ratio,
    goalRatio,
    meetsGoal: ratio <= goalRatio,
  };
}

function runChild(deployments: number): Promise<MemoryChildResult> {
  const args = ['--expose-gc', '--import', 'tsx', 'bench/memory-child.ts', String(deployments)];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(
          new Error(
            `memory child (${deployments} deployments) exited with code ${code}, signal ${signal}${stderr ? `\n${stderr.trimEnd()}` : ''}`,
          ),
        );
        return;
      }
      resolve(JSON.parse(line) as MemoryChildResult);
    });
  });
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

export function memoryLines(results: readonly MemoryResult[]): string[] {
  const first = results[0];
  if (!first) return [];
  return [
    `memory held by deployments (fresh process per size; ${first.users} users; manual, preset and cron schedules; ` +
      `pipelines of 3-8 components, 0.5-2 KB of JSON; retained V8 heap after full GCs; "sent": every record ` +
      `was sent once, by add, status or list, which caches the text after its pipeline):`,
    ...results.map(
      (r) =>
        `${count(r.deployments).padStart(7)} deployments: ${count(r.bytesPerDeployment)} B each stored, ` +
        `${count(r.bytesPerDeploymentSent)} B once sent (${mb(r.heapAfterList)} MB); ` +
        `their JSON on the wire ${count(r.jsonBytesPerDeployment)} B each; ` +
        `ratio ${r.ratio.toFixed(2)}x (goal <= ${r.goalRatio}x, ${r.meetsGoal ? 'met' : 'MISSED'}); ` +
        `outside the heap ${r.external > 64 * 1024 ? `+${mb(r.external)} MB` : 'unchanged'}; ` +
        `adds took ${r.addSeconds.toFixed(2)} s`,
    ),
  ];
}
