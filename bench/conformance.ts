/**
 * The conformance suite's own speed: the default run against the in-process mock (goal < 60 s),
 * and frames per second against a WebSocket target (the kit's server in another process, as a
 * remote server would be), both through the CLI as a user runs them.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startChildServer } from './child-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');

export interface ConformanceBench {
  readonly inProcessSeconds: number;
  readonly inProcessOk: boolean;
  readonly remoteSeconds: number;
  readonly remoteFrames: number;
  readonly remoteFramesPerSecond: number;
  /** The SDK suite on the reference client, in-process (module adapter) and over the stdio driver protocol. */
  readonly sdk: { readonly path: 'module' | 'stdio'; readonly seconds: number; readonly ok: boolean; readonly calls: number }[];
}

const REFERENCE_ADAPTER = join(ROOT, 'dist', 'conformance', 'adapters', 'reference-client.js');
const MODULE_DRIVER = join(ROOT, 'dist', 'conformance', 'drivers', 'module-driver.js');

async function runCli(args: string[]): Promise<{ code: number | null; seconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'conformance', ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, seconds: (performance.now() - started) / 1000 };
}

export async function measureConformance(): Promise<ConformanceBench> {
  const dir = await mkdtemp(join(tmpdir(), 'rrdk-bench-conf-'));
  const local = await runCli(['--json', join(dir, 'local.json')]);
  const sdk: ConformanceBench['sdk'][number][] = [];
  for (const [path, flags] of [
    ['module', ['--sdk-module', REFERENCE_ADAPTER]],
    ['stdio', ['--sdk-driver', `"${process.execPath}" "${MODULE_DRIVER}" "${REFERENCE_ADAPTER}"`]],
  ] as const) {
    const file = join(dir, `sdk-${path}.json`);
    const run = await runCli([...flags, '--json', file]);
    const report = JSON.parse(await readFile(file, 'utf8')) as { requests?: number };
    sdk.push({ path, seconds: run.seconds, ok: run.code === 0, calls: report.requests ?? 0 });
  }

  const server = await startChildServer('mock', ['dist/cli.js', 'serve', '--port', '0', '--quiet', '--clock', 'fake'], ROOT);
  try {
    const remote = await runCli([
      '--target',
      server.url,
      '--key',
      'MYAPIKEY',
      '--key',
      'ALICEKEY',
      '--monitor-key',
      'MONITORKEY',
      '--no-permission-key',
      'NOPERMKEY',
      '--max-rps',
      '1000000',
      '--json',
      join(dir, 'remote.json'),
    ]);
    const report = JSON.parse(await readFile(join(dir, 'remote.json'), 'utf8')) as { requests?: number; durationMs: number };
    const frames = report.requests ?? 0;
    return {
      inProcessSeconds: local.seconds,
      inProcessOk: local.code === 0,
      remoteSeconds: remote.seconds,
      remoteFrames: frames,
      remoteFramesPerSecond: frames / (report.durationMs / 1000),
      sdk,
    };
  } finally {
    await server.stop();
  }
}

export function conformanceLines(r: ConformanceBench): string[] {
  return [
    `conformance suite, default budget, in-process mock: ${r.inProcessSeconds.toFixed(1)} s wall time, ` +
      `${r.inProcessOk ? 'every MUST clause passed' : 'FAILED'} (goal < 60 s, ${r.inProcessSeconds < 60 ? 'met' : 'MISSED'})`,
    `conformance suite against a WebSocket target (the mock in another process, unpaced): ` +
      `${r.remoteFrames.toLocaleString('en-US')} frames in ${r.remoteSeconds.toFixed(1)} s, ${r.remoteFramesPerSecond.toFixed(0)} frames/s`,
    ...r.sdk.map(
      (s) =>
        `SDK suite on the reference client, ${s.path === 'module' ? 'in-process module adapter' : 'stdio driver protocol (a child process)'}: ` +
        `${s.calls} SDK calls in ${s.seconds.toFixed(1)} s wall time, ${s.ok ? 'every SDK clause passed' : 'FAILED'}`,
    ),
  ];
}
