/**
 * Runs a server in its own child process (so it gets its own CPU thread, apart from the load
 * client, and a crash is seen as the child exiting, with its stderr) and reads its URL from the
 * "listening on ws://..." line it prints. The bench and the frame fuzzer (fuzz/frame-child.ts)
 * both start their servers here.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ChildServer {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Resolves when the child exits, however it ends. */
  readonly exited: Promise<ChildExit>;
  hasExited(): boolean;
  /** The last few KB the child wrote to stderr. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL if the child has not exited after a grace period. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL at once (a hung server). */
  kill(): Promise<void>;
}

export interface StartOptions {
  /** How long the child may take to print its URL. */
  readonly startTimeoutMs?: number;
  /** Added to the error when it does not (say how to make the child startable). */
  readonly hint?: string;
}

/** A whole URL: the line must have ended, or a URL split across two reads would be cut short. */
const URL_PATTERN = /ws:\/\/\S+(?=\s)/;
const DEFAULT_START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
const STDERR_TAIL_BYTES = 8_192;

/** Children still running; the exit hook below kills them however this process ends. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Spawns `node ...args` in `cwd` and resolves once it has printed its ws:// URL. */
export function startChildServer(name: string, args: readonly string[], cwd: string, options: StartOptions = {}): Promise<ChildServer> {
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let exit: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      exit = { code, signal };
      resolve(exit);
    }),
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
  });

  const signalAndWait = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    // No pid: spawn itself failed and there is nothing to stop.
    if (exit !== undefined || child.pid === undefined) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= signalAndWait('SIGTERM', STOP_GRACE_MS));
  const kill = () => signalAndWait('SIGKILL', 0);

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
    const hint = options.hint === undefined ? '' : ` (${options.hint})`;
    const timer = setTimeout(() => fail(`printed no ws:// URL within ${startTimeoutMs} ms${hint}`), startTimeoutMs);
    child.once('error', (error) => fail(error.message));
    void exited.then((e) => fail(`exited early (code ${e.code}, signal ${e.signal})`));
    // Keep reading stdout after the URL too, so the pipe never fills and blocks the child.
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (settled) return;
      stdout += chunk;
      const match = URL_PATTERN.exec(stdout);
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        name,
        url: match[0],
        pid: child.pid!,
        exited,
        hasExited: () => exit !== undefined,
        stderrTail: () => stderr,
        stop,
        kill,
      });
    });
  });
}
