/**
 * `rocketride-deploy-kit serve` with a fake clock and `rocketride-deploy-kit control`, both as
 * real child processes from the built package, the way a test in another language uses them.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockServer, DeployClient } from '../src/index.js';
import { spawnCli as spawnShared } from './helpers/cli.js';
import { RawClient } from './helpers/raw-client.js';

const START = '2026-11-26T10:07:00Z';

const children: ChildProcessWithoutNullStreams[] = [];
const clients: DeployClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.disconnect().catch(() => {})));
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The environment without our variables, so a developer's shell cannot change the outcome. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['RRDK_CONTROL_URL', 'RRDK_CONTROL_TOKEN']) if (!(name in extra)) delete env[name];
  return env;
}

function spawnCli(args: string[], env: Record<string, string> = {}) {
  return spawnShared(args, children, cleanEnv(env));
}

/** Starts `serve` and resolves with its WebSocket and control URLs once it has printed its banner. */
async function serve(extra: string[] = [], env: Record<string, string> = {}) {
  const cli = spawnCli(['serve', '--port', '0', '--clock', 'fake', '--start-at', START, ...extra], env);
  const urls = await new Promise<{ ws: string; control: string; base: string }>((resolve, reject) => {
    const check = () => {
      const { stdout } = cli.output();
      const ws = /ws:\/\/\S+\/task\/service/.exec(stdout)?.[0];
      const control = /^control API: (http:\/\/\S+\/control\/)/m.exec(stdout)?.[1];
      if (ws && control && /^users: .*\n/m.test(stdout)) resolve({ ws, control, base: control.replace(/\/control\/$/, '') });
    };
    cli.child.stdout.on('data', check);
    cli.child.on('exit', () => reject(new Error(`serve exited before listening: ${cli.output().stderr}`)));
  });
  return { ...cli, ...urls };
}

/** Runs `control ...` to its end. */
async function control(args: string[], env: Record<string, string> = {}) {
  const cli = spawnCli(['control', ...args], env);
  const code = await cli.exited;
  const { stdout, stderr } = cli.output();
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

async function connect(url: string, key = 'MYAPIKEY') {
  const client = new DeployClient({ uri: url, auth: key });
  clients.push(client);
  await client.connect();
  return client;
}

describe('rocketride-deploy-kit serve --clock fake + control', () => {
  it('prints the control URL and the clock; advances an hour to four runs; a revoked key errors the deployment', async () => {
    const server = await serve();
    expect(server.control).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/control\/$/);
    expect(server.output().stdout).toContain(`clock: fake, now 2026-11-26T10:07:00.000Z, time zone UTC`);
    const url = ['--url', server.base];

    const client = await connect(server.ws);
    await client.deploy.add({ project_id: 'reports' }, { schedule: '*/15 * * * *' });

    const advanced = await control(['advance', '1h', ...url]);
    expect(advanced).toMatchObject({ code: 0, stderr: '' });
    expect(advanced.json()).toMatchObject({ from: '2026-11-26T10:07:00.000Z', to: '2026-11-26T11:07:00.000Z', ticks: { fired: 4 } });

    const runs = await control(['runs', '--user', 'local', '--project', 'reports', ...url]);
    expect(runs.code).toBe(0);
    expect(runs.json().items.map((r: { scheduledFor: string }) => r.scheduledFor)).toEqual([
      '2026-11-26T10:15:00.000Z',
      '2026-11-26T10:30:00.000Z',
      '2026-11-26T10:45:00.000Z',
      '2026-11-26T11:00:00.000Z',
    ]);
    expect(runs.stdout).toBe(`${JSON.stringify(runs.json(), null, 2)}\n`); // pretty-printed

    const revoked = await control(['revoke', 'MYAPIKEY', ...url]);
    expect(revoked).toMatchObject({ code: 0 });
    expect(revoked.json()).toEqual({ key: 'MYAPIKEY', revoked: true });
    // The URL as printed by serve (with /control/) works too.
    expect((await control(['advance', '15m', '--url', server.control])).code).toBe(0);
    expect((await client.deploy.status('reports')).state).toBe('errored');
    expect((await control(['deployment', 'local', 'reports', ...url])).json()).toMatchObject({
      state: 'errored',
      counters: { errored_auth: 1 },
    });
  });

  it('holds runs and reads the skipped ticks; ends the held run; pauses, resumes and triggers', async () => {
    const server = await serve();
    const url = ['--url', server.base];
    const client = await connect(server.ws);
    await client.deploy.add({ project_id: 'held' }, { schedule: '*/15 * * * *' });

    const behavior = await control(['run-behavior', '--hold', '--user', 'local', '--project', 'held', ...url]);
    expect(behavior.json()).toEqual({ durationMs: 1000, outcome: 'completed', hold: true });
    await control(['advance', '1h', ...url]);
    const ticks = await control(['ticks', '--project', 'held', ...url]);
    expect(ticks.json().items.map((t: { reason: string }) => t.reason)).toEqual([
      'fired',
      'skipped_overlap',
      'skipped_overlap',
      'skipped_overlap',
    ]);

    const busy = await control(['trigger', 'local', 'held', ...url]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(
      /^rocketride-deploy-kit: A run of held is in progress \(run-\d+\); runs never overlap \(RUN_IN_PROGRESS\)\n$/,
    );

    const runId = ticks.json().items[0].runId as string;
    expect((await control(['end-run', runId, '--outcome', 'failed', ...url])).json()).toMatchObject({ id: runId, outcome: 'failed' });
    expect(
      (await control(['run-behavior', '--no-hold', '--duration', '5m', '--user', 'local', '--project', 'held', ...url])).json(),
    ).toEqual({
      durationMs: 300_000,
      outcome: 'completed',
      hold: false,
    });
    expect((await control(['pause', 'local', 'held', ...url])).json()).toMatchObject({ state: 'paused' });
    expect((await control(['resume', 'local', 'held', ...url])).json()).toMatchObject({ state: 'active' });
    expect((await control(['trigger', 'local', 'held', ...url])).json()).toMatchObject({
      trigger: 'manual',
      startedAt: '2026-11-26T11:07:00.000Z',
    });
    expect((await control(['next', ...url])).json()).toMatchObject({ to: '2026-11-26T11:15:00.000Z' });
    expect((await control(['deployments', '--user', 'local', ...url])).json().items).toHaveLength(1);
    expect((await control(['clock', ...url])).json()).toMatchObject({ now: '2026-11-26T11:15:00.000Z', mode: 'fake' });
    expect((await control(['set-clock', String(Date.parse('2026-11-26T12:00:00Z')), ...url])).json()).toMatchObject({
      to: '2026-11-26T12:00:00.000Z',
    });
    expect((await control(['reset', ...url])).json()).toEqual({ reset: true });
    expect(await client.deploy.list()).toEqual([]);
  });

  it('adds a user from a file, who can then connect', async () => {
    const server = await serve();
    const dir = await mkdtemp(join(tmpdir(), 'rrdk-control-'));
    const file = join(dir, 'bob.json');
    await writeFile(
      file,
      JSON.stringify({
        userId: 'bob',
        keys: ['BOBKEY'],
        defaultTeam: 't',
        organizations: [{ id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: ['task.monitor'] }] }],
      }),
    );
    const added = await control(['add-user', file, '--url', server.base]);
    expect(added).toMatchObject({ code: 0 });
    expect(added.json()).toEqual({ userId: 'bob' });
    expect((await connect(server.ws, 'BOBKEY')).connected).toBe(true);
    const users = await control(['users', '--url', server.base]);
    expect(users).toMatchObject({ code: 0 });
    expect(users.json().at(-1)).toEqual({
      userId: 'bob',
      displayName: null,
      keys: [{ key: 'BOBKEY', revoked: false }],
      addedAtRunTime: true,
    });
    const again = await control(['add-user', file, '--url', server.base]);
    expect(again).toMatchObject({ code: 1, stderr: "rocketride-deploy-kit: User 'bob' exists already (USER_EXISTS)\n" });
    const missing = await control(['add-user', join(dir, 'nope.json'), '--url', server.base]);
    expect(missing).toMatchObject({ code: 1, stderr: `rocketride-deploy-kit: Cannot read ${join(dir, 'nope.json')}: ENOENT\n` });
    // A users file is not one user: the answer says which shape add-user wants.
    const usersFile = join(dir, 'users.json');
    await writeFile(usersFile, JSON.stringify({ users: [{ userId: 'carol', keys: ['CAROLKEY'] }] }));
    expect(await control(['add-user', usersFile, '--url', server.base])).toMatchObject({
      code: 1,
      stderr:
        'rocketride-deploy-kit: Invalid user: expected one user, like {"userId": "me", "keys": ["MYKEY"]}, not a users file ({"users": [...]}): give one of its users (BAD_INPUT)\n',
    });
    // The smallest user: userId and keys; it may deploy (every task permission).
    const smallest = join(dir, 'carol.json');
    await writeFile(smallest, JSON.stringify({ userId: 'carol', keys: ['CAROLKEY'] }));
    expect((await control(['add-user', smallest, '--url', server.base])).json()).toEqual({ userId: 'carol' });
    const carol = await connect(server.ws, 'CAROLKEY');
    expect((await carol.deploy.add({ project_id: 'carols' }, { schedule: '@hourly' })).state).toBe('active');
  });

  it('reads the journal and connections, and injects, lists and clears faults', async () => {
    const server = await serve();
    const client = await connect(server.ws);
    await client.deploy.add({ project_id: 'p1' });
    const journal = await control(['journal', '--command', 'rrext_deploy_add', '--direction', 'in', '--url', server.base]);
    expect(journal.code).toBe(0);
    expect(journal.json().items.map((e: { text: string }) => JSON.parse(e.text).arguments)).toEqual([{ pipeline: { project_id: 'p1' } }]);
    const [connection] = (await control(['connections', '--url', server.base])).json();
    expect(connection).toMatchObject({ userId: 'local' });

    const fault = await control([
      'fault',
      'reply',
      '--command',
      'rrext_deploy_list',
      '--connection',
      String(connection.id),
      '--body',
      '{"deployments":[]}',
      '--url',
      server.base,
    ]);
    expect(fault.json()).toMatchObject({ kind: 'reply', connectionId: connection.id, body: { deployments: [] }, remaining: 1 });
    expect((await control(['faults', '--url', server.base])).json()).toHaveLength(1);
    expect(await client.deploy.list()).toEqual([]);
    await control(['fault', 'delay', '--ms', '2s', '--count', '3', '--url', server.base]);
    expect((await control(['clear-faults', '--url', server.base])).json()).toEqual({ cleared: 1 });
    expect(await control(['fault', 'reply', '--body', '{oops', '--url', server.base])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--body must be JSON'),
    });
    expect(await control(['fault', 'delay', '--url', server.base])).toMatchObject({ code: 1, stderr: expect.stringContaining('needs ms') });
    expect(await control(['journal', '--ms', '5', '--url', server.base])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('does not take --ms'),
    });
    expect((await control(['clear-journal', '--url', server.base])).json()).toEqual({ cleared: expect.any(Number) });
  });

  it('prints a frame nested 10,000 deep, sent before auth, as its text byte for byte', async () => {
    const server = await serve();
    const raw = await RawClient.open(server.ws);
    const frame = `{"type":"request","seq":1,"command":"rrext_deploy_list","arguments":{"deep":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
    raw.sendRaw(frame);
    await raw.closed; // refused, not authenticated: journaled first
    const journal = await control(['journal', '--direction', 'in', '--url', server.base]);
    expect(journal).toMatchObject({ code: 0, stderr: '' });
    expect(journal.stdout).toContain(JSON.stringify(frame));
    expect(journal.json().items).toEqual([
      expect.objectContaining({ command: 'rrext_deploy_list', type: 'request', userId: null, text: frame }),
    ]);
  });

  it('reports an error answer with its message and code, exit 1', async () => {
    const server = await serve();
    const back = await control(['set-clock', '2020-01-01T00:00:00Z', '--url', server.base]);
    expect(back).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'rocketride-deploy-kit: The clock only moves forward: 2020-01-01T00:00:00.000Z is before now (2026-11-26T10:07:00.000Z) (CLOCK_BACKWARDS)\n',
    });
    const bad = await control(['advance', 'soon', '--url', server.base]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^rocketride-deploy-kit: advance SPAN must be a duration in whole milliseconds: .* \(got "soon"\) \(BAD_INPUT\)\n$/,
    );
    const unknown = await control(['deployment', 'local', 'ghost', '--url', server.base]);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: "rocketride-deploy-kit: User 'local' has no deployment 'ghost' (DEPLOYMENT_NOT_FOUND)\n",
    });
  });

  it.each([
    [['frobnicate'], /control has no operation 'frobnicate'/],
    [['revok', 'K'], /control has no operation 'revok' \(did you mean revoke\?\)/],
    [[], /control needs an operation/],
    [['advance'], /control advance takes SPAN, got none/],
    [['pause', 'local'], /control pause takes USER PROJECT, got local/],
    [['clock', 'now'], /control clock takes no arguments, got now/],
    [['clock', '--user', 'local'], /control clock does not take --user/],
    [['run-behavior', '--hold', '--no-hold'], /Give --hold or --no-hold, not both/],
    [['clock', '--frob'], /control clock does not take --frob/],
    [['journal', '--limit'], /--limit needs a value: control journal --limit N/],
    [['journal', '--limt', '5'], /control journal does not take --limt \(did you mean --limit\?\)/],
    [['clock', '--url', 'ftp://x'], /--url must be an http:\/\/ URL/],
    [['deployment', 'local', '..'], /deployment needs projectId as a non-empty string other than "\." and "\.\."/],
  ])("answers bad usage %j with the kit's message, where to find help, and exit 2", async (args, message) => {
    const result = await control(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/Unknown option|argument missing|after '--'/);
    // A known operation points at its own help; otherwise the operations' list is printed or pointed at.
    const word = args[0];
    if (args.includes('--url')) return;
    if (word === 'frobnicate' || word === 'revok')
      expect(result.stderr).toContain('rocketride-deploy-kit control --help lists the operations');
    else if (word === undefined) expect(result.stderr).toContain('Usage: rocketride-deploy-kit control <operation>');
    else expect(result.stderr).toContain(`rocketride-deploy-kit control ${word} --help shows how it is called`);
  });

  it('says clearly when no server answers at the URL', async () => {
    const gone = await createMockServer({ port: 0 });
    const base = `http://127.0.0.1:${gone.port}`;
    await gone.close();
    const result = await control(['clock', '--url', base]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(`rocketride-deploy-kit: no server answers at ${base} (is \`rocketride-deploy-kit serve\` running there?)\n`);
  });

  it.each([
    [['set-clock', 'yesterday'], 'set-clock INSTANT must be an instant: epoch milliseconds or an ISO date-time with a zone'],
    [['advance', 'soon'], 'advance SPAN must be a duration'],
    [['journal', '--limit', '0'], '--limit must be a whole number of at least 1 (got "0")'],
    [['runs', '--order', 'up'], '--order must be one of "oldest", "newest" (got "up")'],
    [['runs', '--cursor', 'x-userId'], '--cursor is not one this server gave (got "x-userId")'],
    [['run-behavior', '--user', 'local'], '--user and --project go together: give both'],
  ])('names what was typed when the server refuses an input (%j), not its HTTP field', async (args, text) => {
    const server = await serve();
    const result = await control([...args, '--url', server.base]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(/^rocketride-deploy-kit: .* \(BAD_INPUT\)\n$/);
    expect(result.stderr).toContain(`rocketride-deploy-kit: ${text}`);
  });

  it('next says so when nothing is due, and the clock stays', async () => {
    const server = await serve();
    const idle = await control(['next', '--url', server.base]);
    expect(idle).toMatchObject({ code: 0 });
    expect(idle.json()).toMatchObject({ from: '2026-11-26T10:07:00.000Z', to: '2026-11-26T10:07:00.000Z', nothingDue: true });
    expect(idle.stderr).toBe(
      'rocketride-deploy-kit: nothing is due: no deployment has a tick to come (none is scheduled, or each is manual or errored); the clock stayed\n',
    );
    const client = await connect(server.ws);
    await client.deploy.add({ project_id: 'hourly' }, { schedule: '@hourly' });
    const moved = await control(['next', '--url', server.base]);
    expect(moved).toMatchObject({ code: 0, stderr: '' });
    expect(moved.json()).toMatchObject({ to: '2026-11-26T11:00:00.000Z', ticks: { fired: 1 } });
    expect(moved.json()).not.toHaveProperty('nothingDue');
    await client.disconnect();
  });

  it('takes the URL from RRDK_CONTROL_URL', async () => {
    const server = await serve();
    const result = await control(['clock'], { RRDK_CONTROL_URL: server.control });
    expect(result).toMatchObject({ code: 0 });
    expect(result.json().now).toBe('2026-11-26T10:07:00.000Z');
  });

  it('with --control-token: control without the token exits 1 with the 401 message; with it (flag or env) it works', async () => {
    const server = await serve(['--control-token', 'tok-123']);
    expect(server.output().stdout).toContain('(control token required)');
    const refused = await control(['clock', '--url', server.base]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'rocketride-deploy-kit: This server requires a control token: give it with --token TOKEN (or RRDK_CONTROL_TOKEN) (UNAUTHORIZED)\n',
    );
    expect(await control(['clock', '--url', server.base, '--token', 'wrong'])).toMatchObject({
      code: 1,
      stderr:
        "rocketride-deploy-kit: The control token sent is not this server's: send the token it was started with (serve --control-token, or RRDK_CONTROL_TOKEN) (UNAUTHORIZED)\n",
    });
    expect((await control(['clock', '--url', server.base, '--token', 'tok-123'])).code).toBe(0);
    expect((await control(['clock', '--url', server.base], { RRDK_CONTROL_TOKEN: 'tok-123' })).code).toBe(0);
  });

  it('takes the control token for serve from RRDK_CONTROL_TOKEN', async () => {
    const server = await serve([], { RRDK_CONTROL_TOKEN: 'from-env' });
    expect((await control(['clock', '--url', server.base])).code).toBe(1);
    expect((await control(['clock', '--url', server.base, '--token', 'from-env'])).code).toBe(0);
  });

  it('passes --timezone, --run-duration, --run-outcome and --history-limit to the server', async () => {
    const server = await serve(['--timezone', 'Europe/Berlin', '--run-duration', '20m', '--run-outcome', 'failed', '--history-limit', '2']);
    expect(server.output().stdout).toContain('time zone Europe/Berlin');
    const client = await connect(server.ws);
    await client.deploy.add({ project_id: 'berlin' }, { schedule: '0 12 * * *' }); // 12:00 in Berlin is 11:00 UTC in November
    await control(['advance', '3d', '--url', server.base]);
    const runs = (await control(['runs', '--url', server.base])).json().items;
    expect(runs.map((r: { scheduledFor: string; endedAt: string; outcome: string }) => [r.scheduledFor, r.endedAt, r.outcome])).toEqual([
      ['2026-11-27T11:00:00.000Z', '2026-11-27T11:20:00.000Z', 'failed'],
      ['2026-11-28T11:00:00.000Z', '2026-11-28T11:20:00.000Z', 'failed'],
    ]);
    const [deployment] = (await control(['deployments', '--url', server.base])).json().items;
    expect(deployment.counters).toMatchObject({ fired: 3, failed: 3 });
  });

  it('keeps as many frames in the journal as --journal-entries says (0: none)', async () => {
    for (const [entries, kept] of [
      ['2', 2],
      ['0', 0],
    ] as const) {
      const server = await serve(['--journal-entries', entries]);
      const client = await connect(server.ws);
      await client.deploy.list();
      expect((await control(['journal', '--url', server.base])).json().items).toHaveLength(kept);
    }
  });

  it.each([
    [['--clock', 'slow'], 2, /^rocketride-deploy-kit: --clock must be one of "fake", "real" \(got "slow"\)\n$/],
    [['--start-at', 'tomorrow'], 2, /^rocketride-deploy-kit: --start-at must be an instant/],
    [['--run-duration', 'forever'], 2, /^rocketride-deploy-kit: --run-duration must be a duration/],
    [['--run-outcome', 'cancelled'], 2, /^rocketride-deploy-kit: --run-outcome must be one of "completed", "failed"/],
    [['--history-limit', '0'], 2, /^rocketride-deploy-kit: --history-limit must be a positive integer, got '0'\n$/],
    [['--journal-entries', 'lots'], 2, /^rocketride-deploy-kit: --journal-entries must be a whole number, got 'lots'\n$/],
    [['--control-token', ''], 2, /^rocketride-deploy-kit: --control-token must not be empty\n$/],
    [
      ['--timezone', 'Mars/Olympus'],
      1,
      /^rocketride-deploy-kit: Unknown time zone 'Mars\/Olympus': use an IANA name such as UTC or Europe\/Berlin\n$/,
    ],
  ])('serve refuses %j with one line and exit %i', async (args, code, message) => {
    const cli = spawnCli(['serve', '--port', '0', ...args]);
    expect(await cli.exited).toBe(code);
    expect(cli.output().stderr).toMatch(message);
  });

  it('documents the control command in --help and control --help', async () => {
    const help = spawnCli(['--help']);
    expect(await help.exited).toBe(0);
    for (const text of [
      'control: rocketride-deploy-kit control <operation>',
      '--clock fake|real',
      '--control-token TOKEN',
      'run-behavior',
    ]) {
      expect(help.output().stdout).toContain(text);
    }
    const controlHelp = await control(['--help']);
    expect(controlHelp.code).toBe(0);
    expect(controlHelp.stdout).toContain('Usage: rocketride-deploy-kit control <operation>');
  });
});
