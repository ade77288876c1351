/**
 * The out-of-process driver: a command speaking the stdio driver protocol (sdk-driver-protocol.md),
 * for an SDK in any language. One process holds one client on one connection; a hang kills it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import {
  DEFAULT_ERROR_TYPES,
  DRIVER_EXIT_GRACE_MS,
  DRIVER_READY_TIMEOUT_MS,
  DriverError,
  type SdkArgs,
  type SdkInfo,
  type SdkOp,
  type SdkOutcome,
  type SdkSession,
  type StartOptions,
} from './driver.js';
import { withTimeout } from './module-driver.js';

export const PROTOCOL_VERSION = 1;
/** How many lines of a driver's standard error a DriverError quotes. */
const STDERR_TAIL_LINES = 20;
/** How much of its standard error is kept (enough for the tail, bounded for chatty drivers). */
const STDERR_KEEP_CHARS = 64 * 1024;
/** How long to wait for a SIGKILLed group to be reported gone. */
const KILL_WAIT_MS = 1_000;

interface Pending {
  readonly op: SdkOp;
  readonly started: number;
  readonly timer: NodeJS.Timeout;
  resolve(outcome: SdkOutcome): void;
  reject(error: DriverError): void;
}

/** Drivers still running, killed if the runner exits without closing them. */
const live = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;

/** Kills the driver's whole process group (the shell and what it started), or just the child on Windows. */
function killGroup(child: ChildProcessWithoutNullStreams): void {
  try {
    if (process.platform !== 'win32' && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    // already gone
  }
}

/** Starts `spec.command` through the shell and waits for its ready line. */
export async function startStdioDriver(
  spec: { readonly command: string; readonly cwd?: string },
  options: StartOptions,
): Promise<SdkSession> {
  const child = spawn(spec.command, {
    shell: true,
    // Its own process group, so a hang kills the shell and the driver together.
    detached: process.platform !== 'win32',
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, RRDK_URI: options.uri, RRDK_KEY: options.key, RRDK_PROTOCOL: String(PROTOCOL_VERSION) },
    ...(spec.cwd !== undefined && { cwd: spec.cwd }),
  });
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => live.forEach(killGroup));
  }

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP_CHARS);
  });
  child.stdin.on('error', () => {}); // EPIPE when the driver is gone: its exit reports it
  const stderrTail = () => {
    const lines = stderr.trimEnd().split('\n').slice(-STDERR_TAIL_LINES);
    return lines.join('') === ''
      ? ' Its standard error was empty.'
      : `\nIts standard error ended with:\n${lines.map((l) => `  ${l}`).join('\n')}`;
  };
  const fault = (what: string) => new DriverError(`SDK driver \`${spec.command}\` ${what}.${stderrTail()}`);

  // 'close' comes after the last stdout line was read, so every answer is in before exit is handled.
  const closed = new Promise<string>((resolve) => {
    child.once('error', (error) => {
      live.delete(child);
      resolve(`could not be started (${error.message})`);
    });
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`);
    });
  });
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  const state = new DriverState(spec.command, fault, () => killGroup(child));
  let onReady: ((line: string) => void) | undefined;
  lines.on('line', (line) => (onReady ? onReady(line) : state.onLine(line)));

  let readyTimer: NodeJS.Timeout | undefined;
  let info: SdkInfo;
  try {
    const first = await Promise.race([
      new Promise<string>((resolve) => (onReady = resolve)),
      closed.then((how) => Promise.reject(fault(`${how} before printing its ready line`))),
      new Promise<never>((_, reject) => {
        readyTimer = setTimeout(
          () => reject(fault(`printed no ready line within ${DRIVER_READY_TIMEOUT_MS / 1000} s`)),
          DRIVER_READY_TIMEOUT_MS,
        );
      }),
    ]);
    onReady = undefined;
    info = parseReady(first, fault);
  } catch (error) {
    killGroup(child);
    throw error;
  } finally {
    clearTimeout(readyTimer);
  }
  void closed.then((how) => state.onExit(how));

  const write = (line: string) => child.stdin.write(`${line}\n`);
  let closing: Promise<void> | undefined;
  return {
    info,
    call: (op, args, timeoutMs = options.timeoutMs) => state.call(op, args, timeoutMs, write),
    close: () =>
      (closing ??= (async () => {
        state.closing = true;
        child.stdin.end();
        const exited = await waitFor(closed, DRIVER_EXIT_GRACE_MS);
        // Whether it exited or not: whatever the driver started in its group goes too.
        killGroup(child);
        if (!exited) await waitFor(closed, KILL_WAIT_MS);
        lines.close();
      })()),
  };
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
function waitFor(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return withTimeout(
    promise.then(() => true),
    ms,
    () => false,
  );
}

/** Checks the ready line; the error type defaults by language (DEFAULT_ERROR_TYPES). */
function parseReady(line: string, fault: (what: string) => DriverError): SdkInfo {
  let ready: Record<string, unknown>;
  try {
    ready = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw fault(
      `printed ${quote(line)} where its ready line was expected (standard output carries protocol lines only; log to standard error)`,
    );
  }
  if (typeof ready !== 'object' || ready === null || ready['ready'] !== true)
    throw fault(`printed ${quote(line)} where its ready line ({"ready": true, ...}) was expected`);
  if (ready['protocol'] !== PROTOCOL_VERSION)
    throw fault(`speaks protocol ${JSON.stringify(ready['protocol'])}; this runner speaks protocol ${PROTOCOL_VERSION}`);
  const language = ready['language'];
  if (typeof language !== 'string' || language === '') throw fault(`announced no language in its ready line`);
  const errorType = ready['errorType'] ?? DEFAULT_ERROR_TYPES[language];
  if (typeof errorType !== 'string' || errorType === '') {
    throw fault(
      `announced language '${language}' without an errorType; the ready line must name the error type the SDK documents for a failed call`,
    );
  }
  const sdk = ready['sdk'];
  const lifecycle = ready['lifecycle'];
  return {
    language,
    errorType,
    sdk: typeof sdk === 'string' ? sdk : language,
    ...(typeof lifecycle === 'string' && lifecycle !== '' && { lifecycle }),
  };
}

function quote(line: string): string {
  return JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line);
}

/** The protocol state after the ready line: pending calls, answers, hangs, faults and the exit. */
class DriverState {
  closing = false;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  /** Why the session can take no more calls (a hang, a protocol fault, an exit). */
  #dead: DriverError | undefined;

  constructor(
    readonly command: string,
    readonly fault: (what: string) => DriverError,
    readonly kill: () => void,
  ) {}

  call(op: SdkOp, args: SdkArgs | undefined, timeoutMs: number, write: (line: string) => void): Promise<SdkOutcome> {
    if (this.#dead) return Promise.reject(this.#dead);
    if (this.closing) return Promise.reject(new DriverError(`SDK driver \`${this.command}\` is closed; cannot run '${op}'`));
    const id = this.#nextId++;
    return new Promise<SdkOutcome>((resolve, reject) => {
      const started = performance.now();
      const timer = setTimeout(() => this.#hang(op), timeoutMs);
      this.#pending.set(id, { op, started, timer, resolve, reject });
      write(JSON.stringify(args === undefined ? { id, op } : { id, op, args }));
    });
  }

  onLine(line: string): void {
    if (line.trim() === '') return;
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(line) as Record<string, unknown>;
      if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw new Error('not an object');
    } catch {
      return this.#broken(`printed ${quote(line)}, which is not a JSON answer`);
    }
    const id = answer['id'];
    const pending = typeof id === 'number' ? this.#pending.get(id) : undefined;
    if (!pending) {
      const error = answer['error'] as { type?: unknown; message?: unknown } | undefined;
      if (id === null && error?.type === 'DriverError') return this.#broken(`could not read a line it was sent: ${String(error.message)}`);
      return this.#broken(`answered id ${JSON.stringify(id)}, which no pending operation has (${quote(line)})`);
    }
    this.#pending.delete(id as number);
    clearTimeout(pending.timer);
    const ms = performance.now() - pending.started;
    if (answer['ok'] === true) return pending.resolve({ kind: 'ok', result: answer['result'] ?? null, ms });
    const error = answer['error'] as { type?: unknown; types?: unknown; message?: unknown } | undefined;
    if (answer['ok'] !== false || typeof error !== 'object' || error === null || typeof error.type !== 'string') {
      return this.#broken(`answered '${pending.op}' with ${quote(line)}, which has neither "ok": true nor an error with a type`, pending);
    }
    const message = typeof error.message === 'string' ? error.message : '';
    if (error.type === 'DriverError')
      return pending.reject(new DriverError(`SDK driver \`${this.command}\` could not run '${pending.op}': ${message}`));
    const types =
      Array.isArray(error.types) && error.types.every((t) => typeof t === 'string') && error.types.length > 0
        ? (error.types as string[])
        : [error.type];
    pending.resolve({ kind: 'error', type: error.type, types, message, ms });
  }

  onExit(how: string): void {
    this.#dead ??= this.closing ? new DriverError(`SDK driver \`${this.command}\` is closed`) : this.fault(how);
    const error = this.closing ? new DriverError(`SDK driver \`${this.command}\` was closed with operations pending (${how})`) : this.#dead;
    this.#settleAll((p) => p.reject(error));
  }

  /** A protocol fault: the session is unusable; pending calls and every later call get the error. */
  #broken(what: string, first?: Pending): void {
    const error = this.fault(what);
    this.#dead ??= error;
    if (first) first.reject(error);
    this.#settleAll((p) => p.reject(error));
  }

  /** No answer in time: the SDK call hung. Kill the driver; everything pending counts as hung too. */
  #hang(op: SdkOp): void {
    this.#dead ??= new DriverError(`SDK driver \`${this.command}\` was killed after '${op}' hung`);
    this.#settleAll((p) => p.resolve({ kind: 'timeout', ms: performance.now() - p.started }));
    this.kill();
  }

  #settleAll(settle: (pending: Pending) => void): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      settle(p);
    }
  }
}
