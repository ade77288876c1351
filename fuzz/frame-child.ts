/**
 * The fuzzed server in a child process (`dist/cli.js serve`), so a crash is seen as the child
 * exiting, with its stderr, and never takes the fuzzer down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface FuzzChild {
  readonly url: string;
  /** `http://host:port`, where the control API lives. */
  readonly httpBase: string;
  readonly pid: number;
  /** Resolves when the child exits, however it ends. */
  readonly exited: Promise<ChildExit>;
  readonly hasExited: () => boolean;
  /** The last few KB the child wrote to stderr. */
  readonly stderrTail: () => string;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** SIGKILL at once (a hung server). */
  kill(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;
const TAIL_BYTES = 8_192;

/** Children still running; they are killed however the fuzzer's process ends. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `node dist/cli.js serve --port 0 ...args` and resolves once it prints its URL. */
export function startFuzzChild(args: readonly string[]): Promise<FuzzChild> {
  const child = spawn(process.execPath, [CLI_PATH, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    stderr = (stderr + chunk).slice(-TAIL_BYTES);
  });
  const signalAndWait = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (exit !== undefined || child.pid === undefined) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<FuzzChild>((resolve, reject) => {
    let stdout = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void signalAndWait('SIGKILL', 0);
      reject(new Error(`fuzz server (${CLI_PATH} serve ${args.join(' ')}): ${why}${stderr ? `\n${stderr.trimEnd()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`printed no ws:// URL within ${START_TIMEOUT_MS} ms (is dist/ built? npm run build)`), START_TIMEOUT_MS);
    child.once('error', (error) => fail(error.message));
    void exited.then((e) => fail(`exited early (code ${e.code}, signal ${e.signal})`));
    // Reading stdout to the end keeps its pipe from filling and blocking the child.
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (settled) return;
      stdout += chunk;
      const match = /ws:\/\/(\S+?)\/task\/service/.exec(stdout);
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        url: match[0],
        httpBase: `http://${match[1]}`,
        pid: child.pid!,
        exited,
        hasExited: () => exit !== undefined,
        stderrTail: () => stderr,
        stop: () => signalAndWait('SIGTERM', STOP_GRACE_MS),
        kill: () => signalAndWait('SIGKILL', 0),
      });
    });
  });
}
