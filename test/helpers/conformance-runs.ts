/**
 * Runs of the built `rocketride-deploy-kit conformance` in child processes, a few at a time, each
 * writing its JSON report: what the mutant tests (server and SDK) read verdicts from.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './cli.js';

export interface ClauseVerdict {
  id: string;
  level: string;
  verdict: string;
  /** For a failed clause: the first failing check's name. */
  note: string | null;
}

export interface RunOutcome {
  code: number | null;
  seconds: number;
  report?: { ok: boolean; clauses: ClauseVerdict[]; checks: Array<{ name: string; state: string; detail?: string }> };
  /** The end of what the run printed, for a failure message. */
  tail: string;
}

/** Starts conformance runs on demand, at most `concurrency` at a time; `close()` removes the reports. */
export class ConformanceRuns {
  #dir: Promise<string> | undefined;
  #running = 0;
  readonly #queue: Array<() => void> = [];
  readonly #runs = new Map<string, Promise<RunOutcome>>();

  constructor(
    private readonly concurrency: number,
    private readonly timeoutMs: number,
  ) {}

  /** The run named `name` with these CLI arguments (started once, however often it is asked for). */
  run(name: string, args: readonly string[]): Promise<RunOutcome> {
    let outcome = this.#runs.get(name);
    if (!outcome) this.#runs.set(name, (outcome = this.#pooled(() => this.#spawn(name, args))));
    return outcome;
  }

  async close(): Promise<void> {
    if (this.#dir) await rm(await this.#dir, { recursive: true, force: true });
  }

  #pooled<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const go = () => {
        this.#running += 1;
        task()
          .then(resolve, reject)
          .finally(() => {
            this.#running -= 1;
            this.#queue.shift()?.();
          });
      };
      if (this.#running < this.concurrency) go();
      else this.#queue.push(go);
    });
  }

  async #spawn(name: string, args: readonly string[]): Promise<RunOutcome> {
    this.#dir ??= mkdtemp(join(tmpdir(), 'rrdk-conformance-runs-'));
    const file = join(await this.#dir, `${name.replace(/[^\w.-]/g, '_')}.json`);
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, 'conformance', ...args, '--json', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, this.timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    const report = await readFile(file, 'utf8').then(
      (text) => JSON.parse(text) as RunOutcome['report'],
      () => undefined,
    );
    return { code, seconds: (Date.now() - t0) / 1000, ...(report && { report }), tail: output.slice(-3000) };
  }
}

/** The expected clauses that caught a mutant: failed, or (SHOULD/NOTE clauses) warned. */
export function catching(report: NonNullable<RunOutcome['report']>, expected: readonly string[]): ClauseVerdict[] {
  return report.clauses.filter((c) => expected.includes(c.id) && (c.verdict === 'fail' || (c.level !== 'MUST' && c.verdict === 'warn')));
}

/** Every clause that failed or warned. */
export function failing(report: NonNullable<RunOutcome['report']>): string[] {
  return report.clauses.filter((c) => c.verdict === 'fail' || c.verdict === 'warn').map((c) => c.id);
}
