/** Shared by the state-file tests: temporary directories, servers on a state file, the CLI. */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockServer, type MockServer, type MockServerOptions } from '../../src/index.js';
import { readStateDocument } from '../../src/persist/persistence.js';
import { spawnCli, type CliRun } from '../helpers/cli.js';

export const START = '2026-11-26T10:07:10Z';

/** The state a state file holds (its first line with the changes after it replayed), as one document. */
export async function stateIn(file: string): Promise<any> {
  const state = await readStateDocument(file);
  if (state === undefined) throw new Error(`no state file at ${file}`);
  return state;
}

/** Made by one test file; `cleanUp` removes what it made. */
export class Workspace {
  readonly #dirs: string[] = [];
  readonly #servers: MockServer[] = [];
  readonly children: ChildProcessWithoutNullStreams[] = [];

  async dir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'rrdk-state-'));
    this.#dirs.push(dir);
    return dir;
  }

  /** A fake-clock server on `stateFile` (closed by cleanUp if the test did not). */
  async server(stateFile: string, options: MockServerOptions = {}): Promise<MockServer> {
    const server = await createMockServer({ port: 0, clock: { mode: 'fake', startAt: START }, stateFile, ...options });
    this.#servers.push(server);
    return server;
  }

  /** `serve --port 0 --state-file FILE ...` as a child process. */
  serve(stateFile: string, args: string[] = []): CliServer {
    return new CliServer(spawnCli(['serve', '--port', '0', '--quiet', '--state-file', stateFile, ...args], this.children));
  }

  async cleanUp(): Promise<void> {
    for (const child of this.children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(this.#servers.splice(0).map((s) => s.close()));
    await Promise.all(this.#dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

export class CliServer {
  constructor(readonly run: CliRun) {}

  get child(): ChildProcessWithoutNullStreams {
    return this.run.child;
  }

  /** Resolves once stdout has a line matching `pattern` (rejects if the process exits first). */
  printed(pattern: RegExp): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.run.output().stdout);
        if (match) {
          this.child.stdout.off('data', check);
          resolve(match);
        }
      };
      this.child.stdout.on('data', check);
      this.child.once('exit', () => reject(new Error(`exited before printing ${pattern}: ${this.run.output().stderr}`)));
      check();
    });
  }

  /** The ws:// URL, once the server listens. */
  async url(): Promise<string> {
    return (await this.printed(/ws:\/\/\S+\/task\/service/))[0];
  }

  /** The control API's base URL, once the server listens. */
  async controlBase(): Promise<string> {
    return (await this.printed(/control API: (http:\/\/\S+)\/control\//))[1]!;
  }
}
