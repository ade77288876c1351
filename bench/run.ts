/**
 * `npm run bench`: the mock server against a bare `ws` server replaying the mock's replies, each
 * in its own child process, driven by the same closed-loop client code with the same frames. Prints a table and
 * the mock/echo ratios against the goals, the in-process start-up time, and writes
 * .bench/results.json. Exits non-zero if any request failed.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildServer, type ChildServer } from './child-server.js';
import { keyFor, loadConfig, scenarioName, type BenchConfig, type BenchPart } from './config.js';
import { mergeLoads, runLoad, type LoadResult } from './load-client.js';
import { dapResponse, type ReplyRule } from './replies.js';
import { ReplyRecorder, startReplayEcho } from './replay.js';
import { figuresLine, header, ratioLine, replayLine, startupLine, writeJson } from './report.js';
import { figuresOf, rowOf, type BenchResults, type RowResult, type ServerFigures, type ServerKind } from './results.js';
import { conformanceLines, measureConformance } from './conformance.js';
import { dashboardLines, measureDashboard } from './dashboard.js';
import { measureMemory, memoryLines } from './memory.js';
import { measurePersist, persistLines } from './persist.js';
import { measureTickCommits, tickCommitLines } from './persist-ticks.js';
import { measureSizes, measureYear, measureZones, yearLines, zoneLines } from './scheduler-year.js';
import { measureSessionCost } from './session-cost.js';
import { formatEvent } from '../src/cli/request-log.js';
import type { ServerEvent } from '../src/server-events.js';
import { measureTicks, tickLines } from './ticks.js';
import { measureStartup } from './startup.js';
import { measureSustained, sustainedLines } from './sustained.js';
import { writeBenchUsers } from './users-file.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_FILE = join(ROOT, '.bench', 'results.json');
const USERS_FILE = join(ROOT, '.bench', 'users.json');
const SESSION_COST_REQUESTS = 200_000;
/** How long the mock serves a row's workload for its replies to be recorded, before the row. */
const RECORDING_MS = 500;

async function main(): Promise<number> {
  const config = loadConfig();
  const parts = new Set(config.parts);
  const watchdog = setTimeout(() => {
    // Last resort: a hung socket or child must not keep CI waiting. The exit hook kills children.
    console.error(`bench: still running after ${budgetMs(config) / 1000} s, giving up`);
    process.exit(2);
  }, budgetMs(config));
  const cpus = availableParallelism();
  try {
    let results: BenchResults = {
      generatedAt: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus,
      settings: config,
      failures: 0,
    };
    const add = (more: Partial<BenchResults>, failures = 0) => {
      results = { ...results, ...more, failures: results.failures + failures };
    };
    if (parts.has('rows')) {
      const rows = await measureRows(config, cpus);
      add(
        { rows },
        rows.reduce((sum, row) => sum + row.echo.failures + row.mock.failures, 0),
      );
    } else {
      console.log(`rocketride-deploy-kit bench, parts: ${config.parts.join(', ')} (BENCH_ONLY); node ${process.version}, ${cpus} CPUs`);
    }
    if (parts.has('sustained')) {
      console.log('');
      const sustained = await measureSustained(config);
      for (const line of sustainedLines(sustained, config)) console.log(line);
      add({ sustained }, sustained.failures);
    }
    if (parts.has('startup')) add(await measureStartupAndSession(config));
    if (parts.has('scheduler')) {
      console.log('');
      console.log('scheduler (fake clock; UTC but for the time-zone lines):');
      const ticks = await measureTicks();
      for (const line of tickLines(ticks)) console.log(line);
      const year = await measureYear();
      const sizes = await measureSizes([100, 1_000, 10_000]);
      for (const line of yearLines(year, sizes)) console.log(line);
      const zones = await measureZones();
      for (const line of zoneLines(zones)) console.log(line);
      add({ scheduler: { ticks, year, sizes, zones } });
    }
    if (parts.has('memory')) {
      console.log('');
      const memory = [];
      for (const deployments of config.memorySizes) memory.push(await measureMemory(deployments, config.goalMemoryRatio));
      for (const line of memoryLines(memory)) console.log(line);
      add({ memory });
    }
    if (parts.has('persist')) {
      console.log('');
      const persist = await measurePersist(config);
      for (const line of persistLines(persist)) console.log(line);
      if (persist.failures > 0) console.error(`bench: state-file bursts: ${persist.failureSamples.join(' | ')}`);
      const tickCommits = await measureTickCommits();
      for (const line of tickCommitLines(tickCommits)) console.log(line);
      add({ persist: { ...persist, tickCommits } }, persist.failures);
    }
    if (parts.has('conformance')) {
      console.log('');
      const conformance = await measureConformance();
      for (const line of conformanceLines(conformance)) console.log(line);
      add({ conformance });
    }

    if (parts.has('dashboard')) {
      console.log('');
      const dashboard = await measureDashboard(ROOT);
      for (const line of dashboardLines(dashboard)) console.log(line);
      add({ dashboard });
    }

    await writeJson(RESULTS_FILE, results);
    console.log(`results written to ${RESULTS_FILE}`);
    if (results.failures > 0) {
      console.error(
        `bench: ${results.failures} request(s) failed${parts.has('sustained') ? ' (or the connection limit did not hold)' : ''}`,
      );
      return 1;
    }
    return 0;
  } finally {
    clearTimeout(watchdog);
  }
}

/**
 * The table: each scenario's row, mock against echo, each server in its own child process. Per
 * row the mock's replies to the row's workload are recorded first, and that row's echo server
 * answers with them (bench/replay.ts): both sides send replies of the same size and shape.
 */
async function measureRows(config: BenchConfig, cpus: number): Promise<RowResult[]> {
  const servers: ChildServer[] = [];
  try {
    await writeBenchUsers(USERS_FILE, config.clients);
    const mock = await startChildServer('mock', ['dist/cli.js', 'serve', '--port', '0', '--quiet', '--users', USERS_FILE], ROOT);
    servers.push(mock);

    console.log(header(config, cpus));
    const rows: RowResult[] = [];
    for (const [index, scenario] of config.scenarios.entries()) {
      const name = scenarioName(config, scenario);
      const load = (url: string, rule: ReplyRule, tag: string, warmupMs: number, measureMs: number) =>
        runLoad({
          url,
          clients: config.clients,
          depth: scenario.depth,
          warmupMs,
          measureMs,
          keyOf: (client) => keyFor(config, scenario, client),
          tag,
          rule,
        });
      const recorder = new ReplyRecorder(dapResponse);
      await load(mock.url, recorder.rule, `r${index}-recording`, 0, RECORDING_MS);
      const echo = await startReplayEcho(recorder, ROOT);
      servers.push(echo);
      console.log(replayLine(name, recorder.sizes()));
      const targets: ReadonlyArray<readonly [ServerKind, ChildServer]> = [
        ['echo', echo],
        ['mock', mock],
      ];
      // Alternate the servers in short rounds, so a passing disturbance on this shared machine
      // hits both sides of the ratio rather than one.
      const loads = new Map<ServerKind, LoadResult[]>();
      for (let round = 0; round < config.rounds; round++) {
        for (const [kind, server] of targets) {
          const result = await load(server.url, dapResponse, `r${index}-${round}`, config.warmupMs, config.measureMs / config.rounds);
          loads.set(kind, [...(loads.get(kind) ?? []), result]);
        }
      }
      await echo.stop();
      const figures = new Map<ServerKind, ServerFigures>();
      for (const [kind] of targets) {
        const f = figuresOf(kind, mergeLoads(loads.get(kind)!));
        figures.set(kind, f);
        console.log(figuresLine(name, f));
      }
      const row = rowOf(config, scenario, figures.get('echo')!, figures.get('mock')!);
      rows.push(row);
      console.log(ratioLine(row, config));
    }
    return rows;
  } finally {
    // Stopped before the next part, so it has the CPUs alone.
    await Promise.all(servers.map((server) => server.stop()));
  }
}

async function measureStartupAndSession(config: BenchConfig): Promise<Pick<BenchResults, 'startup' | 'sessionCost'>> {
  const startup = await measureStartup(config.startupRuns);
  // The journal records every frame by default: measure the session with it and without it,
  // alternating, and keep each side's best (the least disturbed) of three.
  const costs = { on: [] as number[], off: [] as number[], log: [] as number[] };
  let sessionCost = await measureSessionCost(SESSION_COST_REQUESTS);
  for (let i = 0; i < 3; i++) {
    costs.on.push((await measureSessionCost(SESSION_COST_REQUESTS)).microsPerRequest);
    costs.off.push((await measureSessionCost(SESSION_COST_REQUESTS, { journal: { entries: 0 } })).microsPerRequest);
    // serve's request log: every event reported and formatted as a text line (the write to stdout aside).
    const onEvent = (event: ServerEvent) => void formatEvent(event, 'text');
    costs.log.push((await measureSessionCost(SESSION_COST_REQUESTS, { onEvent })).microsPerRequest);
  }
  const withLog = Math.min(...costs.log);
  const [on, off] = [Math.min(...costs.on), Math.min(...costs.off)];
  sessionCost = { ...sessionCost, microsPerRequest: on };
  console.log('');
  console.log(startupLine(startup));
  console.log(
    `session layer alone (no sockets): ${on.toFixed(2)} µs per request with the frame journal, ${off.toFixed(2)} µs without ` +
      `(journal cost ${(((on - off) / off) * 100).toFixed(0)} %), ${sessionCost.bytesPerReply.toFixed(0)} bytes per reply ` +
      `(${sessionCost.requests} requests, same mix, one user; best of 3 each)`,
  );
  console.log(
    `session layer with the request log's events formatted (not written): ${withLog.toFixed(2)} µs per request ` +
      `(log cost ${(((withLog - on) / on) * 100).toFixed(0)} %; without a listener nothing is reported)`,
  );
  return { startup, sessionCost: { ...sessionCost, microsPerRequestWithoutJournal: off } };
}

/** Generous upper bound for a normal run of the chosen parts, slack for start-up and draining included. */
function budgetMs(config: BenchConfig): number {
  const budgets: Record<BenchPart, number> = {
    rows: config.scenarios.length * 2 * (config.rounds * config.warmupMs + config.measureMs) + 30_000,
    // Opening and authenticating the connections, the limit check, and draining.
    sustained: 2 * (config.rounds * config.warmupMs + config.sustainedMeasureMs) + 90_000,
    startup: 30_000,
    scheduler: 60_000,
    // A fresh process per size; 100,000 deployments take about 10 s.
    memory: config.memorySizes.reduce((sum, n) => sum + 30_000 + n, 0),
    // A fresh server process per burst, each stored count loaded or preloaded first.
    persist: config.persistRounds * (config.persistConnections.length + 1) * config.persistStored.length * 20_000 + 60_000,
    // Two conformance runs of up to 60 s each, plus the SDK runs.
    conformance: 180_000,
    // 10,000 deployments and a year of history, then five page loads and 10 s of live polling.
    dashboard: 240_000,
  };
  return config.parts.reduce((sum, part) => sum + budgets[part], 0);
}

// Ctrl-C or a CI kill: exit normally so the child-server exit hook kills the servers.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
