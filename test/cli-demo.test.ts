/**
 * Demo data from the command line, as real child processes: `serve --demo [N] --demo-seed S`
 * (the clock ending at --start-at, the same deployments as the same seed in-process, usage
 * errors) and `control seed N --seed S`.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockServer, readAll, type DeploymentView, type MockServer } from '../src/index.js';
import { spawnCli } from './helpers/cli.js';

const START = '2026-11-26T10:07:00Z';
const DAY = 86_400_000;

const servers: MockServer[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function server(options: Parameters<typeof createMockServer>[0] = {}) {
  const s = await createMockServer({ clock: { startAt: START }, ...options });
  servers.push(s);
  return s;
}

const deploymentsOf = (s: MockServer) => readAll((page) => s.control.deployments(page));

describe('serve --demo and control seed', () => {
  it('control seed N --seed S against serve, and serve --demo ending at --start-at', async () => {
    const cli = await serve(['--demo', '6', '--demo-seed', '8', '--quiet']);
    const lines = cli.output().stdout.split('\n');
    expect(lines[2]).toBe('clock: fake, now 2026-11-26T10:07:00.000Z, time zone UTC');
    expect(lines[4]).toMatch(/^demo: 6 deployments \((local|alice|demo-ci) \d+.*\), seed 8, \d+ runs in the day before now$/);

    // The same seed in-process makes the same deployments as serve did.
    const twin = await server({ clock: { startAt: Date.parse(START) - DAY } });
    twin.control.seed(6, 8);
    const listed = await control(['deployments', '--limit', '100', '--url', cli.base]);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { items: DeploymentView[] }).items).toEqual(deploymentsOf(twin));

    const seeded = await control(['seed', '5', '--seed', '3', '--url', cli.base]);
    expect(seeded.code).toBe(0);
    expect(JSON.parse(seeded.stdout)).toMatchObject({ seed: 3, from: '2026-11-26T10:07:00.000Z', to: '2026-11-27T10:07:00.000Z' });
    const refused = await control(['seed', '3', '--url', cli.base]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^rocketride-deploy-kit: seed N must be a whole number from 5 to 1000, got 3/); // the argument, not the HTTP field (count)
  });

  it('serve --demo alone seeds 25, and starts the log after its start-up lines', async () => {
    const cli = await serve(['--demo']);
    expect(cli.output().stdout.split('\n')[4]).toMatch(/^demo: 25 deployments .*, seed 1, /);
    expect(cli.output().stdout.split('\n')[5]).toBe(''); // nothing of the seeding was logged
  });

  it.each([
    [['--demo', '3'], /--demo takes a number of deployments from 5 to 1000 \(default 25\), got '3'/],
    [['--demo', 'lots'], /--demo takes a number of deployments from 5 to 1000/],
    [['--demo', '-5'], /--demo takes a number of deployments from 5 to 1000/],
    [['--demo=1001'], /got '1001'/],
    [['--demo-seed', '7'], /--demo-seed goes with --demo/],
    [['--demo', '--demo-seed', 'x'], /--demo-seed must be a whole number from 0 to 4294967295, got 'x'/],
    [['--demo', '--state-file', '/tmp/x.json'], /--demo fills a fresh server/],
  ])('serve %o is a usage error (exit 2)', async (args, message) => {
    const run = spawnCli(['serve', '--port', '0', ...args], children);
    expect(await run.exited).toBe(2);
    expect(run.output().stderr).toMatch(message);
  });
});

/** serve with a fake clock at START; resolves once the start-up lines (the demo's too) are out. */
async function serve(extra: string[]) {
  const cli = spawnCli(['serve', '--port', '0', '--clock', 'fake', '--start-at', START, ...extra], children);
  const base = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const { stdout } = cli.output();
      const match = /ws:\/\/(\S+)\/task\/service/.exec(stdout);
      if (match && /^demo: .*\n/m.test(stdout)) resolve(`http://${match[1]}`);
    };
    cli.child.stdout.on('data', check);
    cli.child.on('exit', () => reject(new Error(`serve exited: ${cli.output().stderr}`)));
  });
  return { ...cli, base };
}

async function control(args: string[]) {
  const run = spawnCli(['control', ...args], children);
  const code = await run.exited;
  return { code, ...run.output() };
}
