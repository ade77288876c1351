/**
 * `npm run fuzz`: the long runs of the hardening properties, with figures.
 * - frames: 1,000,000 hostile frames beside honest users (fuzz/frame-fuzz.ts), server in a child process;
 * - concurrency: 100 clients x 5,000 pipelined mixed commands against their models, twice;
 * - races: 200 races of 100 concurrent adds of one id;
 * - deep: what the most deeply nested frame under the default size limit costs the server.
 * CI runs the same code on a small budget with fixed seeds (test/fuzz/). Every failure prints
 * its seed and how to replay it. Exit status: 0 all held, 1 a property failed, 2 bad usage.
 *
 *   npm run fuzz -- [--seed N] [--frames N] [--clients N] [--commands N] [--runs N] [--races N]
 *                   [--only frames|concurrency|races] [--target ws://HOST:PORT/task/service]
 */
import { parseArgs } from 'node:util';
import { decodeFrame } from '../src/dap/frames.js';
import { createMockServer, DEFAULT_LIMITS } from '../src/index.js';
import { concurrencyUsers, concurrentModel, sameIdRace } from './concurrency.js';
import { fuzzFrames } from './frame-fuzz.js';

const PARTS = ['frames', 'concurrency', 'races', 'deep'] as const;
type Part = (typeof PARTS)[number];

const number = (n: number) => n.toLocaleString('en-US');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      frames: { type: 'string', default: '1000000' },
      clients: { type: 'string', default: '100' },
      commands: { type: 'string', default: '5000' },
      runs: { type: 'string', default: '2' },
      races: { type: 'string', default: '200' },
      only: { type: 'string', multiple: true },
      target: { type: 'string' },
    },
  });
  const whole = (name: keyof typeof values) => {
    const text = values[name] as string;
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`--${name} must be a positive integer, got '${text}'`);
    return Number(text);
  };
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : whole('seed');
  const only = (values.only ?? [...PARTS]) as Part[];
  for (const part of only) if (!PARTS.includes(part)) throw new Error(`--only takes ${PARTS.join(', ')}; got '${part}'`);
  console.log(`npm run fuzz: seed ${seed} (replay with --seed ${seed})`);

  let failed = false;
  if (only.includes('frames')) failed = !(await frames(seed, whole('frames'), values.target)) || failed;
  if (only.includes('concurrency')) failed = !(await concurrency(seed, whole('clients'), whole('commands'), whole('runs'))) || failed;
  if (only.includes('races')) failed = !(await races(whole('races'))) || failed;
  if (only.includes('deep')) deepFrames();
  return failed ? 1 : 0;
}

async function frames(seed: number, count: number, target: string | undefined): Promise<boolean> {
  const summary = await fuzzFrames({
    frames: count,
    seed,
    ...(target !== undefined && { url: target }),
    onProgress: (p) =>
      process.stderr.write(
        `  frames: ${number(p.frames)} sent, ${number(Math.round(p.framesPerSecond))}/s, ${p.crashes} crashes, ${p.violations} violations\n`,
      ),
  });
  console.log(
    `frame fuzz: ${number(summary.frames)} frames in ${summary.seconds.toFixed(0)} s = ${number(Math.round(summary.framesPerSecond))} frames/s; ` +
      `${summary.crashes} crashes, ${summary.violationCount} violations ` +
      `(answered ${number(summary.answered)}, dropped ${number(summary.dropped)}, oversized ${number(summary.oversized)}; ` +
      `${number(summary.honestRequests)} honest requests beside them, all answered as their models say)`,
  );
  for (const line of [...summary.crashReports, ...summary.violations]) console.log(`  ${line}`);
  return summary.crashes === 0 && summary.violationCount === 0;
}

/** A server for the concurrency parts: in-process, with enough users for the clients. */
async function withServer<T>(users: number, body: (url: string, keys: readonly string[]) => Promise<T>): Promise<T> {
  const cast = concurrencyUsers(users);
  const server = await createMockServer({ users: cast.users });
  try {
    return await body(server.url, cast.keys);
  } finally {
    await server.close();
  }
}

async function concurrency(seed: number, clients: number, commandsPerClient: number, runs: number): Promise<boolean> {
  return withServer(10, async (url, keys) => {
    try {
      const result = await concurrentModel({
        url,
        clients,
        commandsPerClient,
        seed,
        runs,
        keys,
        onProgress: (line) => process.stderr.write(`  concurrency: ${line}\n`),
      });
      console.log(
        `concurrency: ${runs} run(s) of ${clients} clients x ${number(commandsPerClient)} pipelined commands over ${keys.length} users: ` +
          `${number(result.commands)} commands in ${result.seconds.toFixed(1)} s = ${number(Math.round(result.commands / result.seconds))} commands/s; ` +
          'every answer and the final state equal the models',
      );
      return true;
    } catch (error) {
      console.log(`concurrency: FAILED\n${(error as Error).message}`);
      return false;
    }
  });
}

async function races(count: number): Promise<boolean> {
  return withServer(5, async (url, keys) => {
    const started = performance.now();
    try {
      for (let i = 0; i < count; i++) await sameIdRace({ url, connections: 10, adds: 100, keys, acrossUsers: i % 2 === 1 });
    } catch (error) {
      console.log(`races: FAILED\n${(error as Error).message}`);
      return false;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `races: ${number(count)} races of 100 concurrent adds of one id over 10 connections (every other one across ${keys.length} users) ` +
        `in ${seconds.toFixed(1)} s: exactly one winner per user each time`,
    );
    return true;
  });
}

/**
 * The worst frame for the server's CPU: 16 MiB of nested brackets (V8's JSON.parse takes
 * seconds on it, and the server serves no one meanwhile). Its decoding, against JSON.parse alone.
 */
function deepFrames(): void {
  const half = DEFAULT_LIMITS.maxFrameBytes / 2 - 8;
  const frames = {
    '16 MiB of brackets': Buffer.from('['.repeat(half) + ']'.repeat(half)),
    '16 MiB request, 3 M levels of objects': Buffer.from(
      `{"type":"request","seq":1,"command":"rrext_ping","arguments":{"x":${'{"a":'.repeat(2_790_000)}1${'}'.repeat(2_790_000)}}}`,
    ),
  };
  for (const [name, bytes] of Object.entries(frames)) {
    const times = { decode: [] as number[], parse: [] as number[] };
    for (let round = 0; round < 3; round++) {
      let started = performance.now();
      decodeFrame(bytes, false);
      times.decode.push(performance.now() - started);
      const text = bytes.toString('utf8');
      started = performance.now();
      try {
        JSON.parse(text);
      } catch {
        // the bracket frame is JSON, but not an object: parse only, for the time
      }
      times.parse.push(performance.now() - started);
    }
    const median = (list: number[]) => list.sort((a, b) => a - b)[1]!.toFixed(0);
    console.log(
      `deep frames: ${name}: decoded in ${median(times.decode)} ms (median of 3); JSON.parse alone takes ${median(times.parse)} ms`,
    );
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`npm run fuzz: ${error.message}`);
    process.exit(2);
  },
);
