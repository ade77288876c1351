/** Runs the built CLI (`dist/cli.js`) as a child process and collects what it prints. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliRun {
  readonly child: ChildProcessWithoutNullStreams;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  output(): { stdout: string; stderr: string };
}

/**
 * Starts the CLI; every child is pushed onto `children` so the test can kill leftovers.
 * `nodeArgs` go to Node itself, before the script (`--max-old-space-size=256`).
 */
export function spawnCli(
  args: string[],
  children: ChildProcessWithoutNullStreams[],
  env?: NodeJS.ProcessEnv,
  nodeArgs: readonly string[] = [],
): CliRun {
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], env ? { env } : {});
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}
