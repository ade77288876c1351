/**
 * The fuzzed server in a child process (`dist/cli.js serve`), so a crash is seen as the child
 * exiting, with its stderr, and never takes the fuzzer down. Started the way the bench starts
 * its servers (bench/child-server.ts).
 */
import { fileURLToPath } from 'node:url';
import { startChildServer, type ChildServer } from '../bench/child-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI_PATH = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/** How long `serve` may take to print its URL (more than the bench's default). */
const START_TIMEOUT_MS = 15_000;

export type FuzzChild = ChildServer;

/** Starts `node dist/cli.js serve --port 0 ...args` and resolves once it prints its URL. */
export function startFuzzChild(args: readonly string[]): Promise<FuzzChild> {
  return startChildServer('fuzz', [CLI_PATH, 'serve', '--port', '0', '--quiet', ...args], ROOT, {
    startTimeoutMs: START_TIMEOUT_MS,
    hint: 'is dist/ built? npm run build',
  });
}
