/**
 * Runs a server in its own child process (so it gets its own CPU thread, apart from the load
 * client) and reads its URL from the "listening on ws://..." line it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildServer {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL if the child has not exited after a grace period. Idempotent. */
  stop(): Promise<void>;
}

const URL_PATTERN = /ws:\/\/\S+/;
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
const STDERR_TAIL_BYTES = 4096;

/** Children still running; the exit hook below kills them however the bench ends. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Spawns `node ...args` in `cwd` and resolves once it has printed its ws:// URL. */
export function startChildServer(name: string, args: readonly string[], cwd: string): Promise<ChildServer> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // No pid: spawn itself failed and there is nothing to stop.
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    })());

  return new Promise<ChildServer>((resolve, reject) => {
    let stdout = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      reject(new Error(`${name} server (${args.join(' ')}): ${why}${stderr ? `\n${stderr.trimEnd()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`printed no ws:// URL within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    // Keep reading stdout after the URL too, so the pipe never fills and blocks the child.
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (settled) return;
      stdout += chunk;
      const match = URL_PATTERN.exec(stdout);
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      resolve({ name, url: match[0], pid: child.pid!, stop });
    });
  });
}
