/**
 * The `rocketride-deploy-kit` command, run as a real child process from the built package.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMockServer, DeployClient } from '../src/index.js';
import { spawnCli } from './helpers/cli.js';
import { RawClient } from './helpers/raw-client.js';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(args: string[]) {
  const { child, exited, output } = spawnCli(args, children);
  return {
    child,
    exited,
    output,
    /** Resolves with the ws:// URL once the server prints it. */
    url: () =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const match = /ws:\/\/\S+\/task\/service/.exec(output().stdout);
          if (match) resolve(match[0]);
        };
        child.stdout.on('data', check);
        child.on('exit', () => reject(new Error(`exited before listening: ${output().stderr}`)));
        check();
      }),
  };
}

describe('rocketride-deploy-kit serve', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('serves the demo users on --port 0 and exits 0 on %s', async (signal) => {
    const cli = run(['serve', '--port', '0']);
    const url = await cli.url();
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:(\d+)\/task\/service$/);
    expect(url).not.toContain(':0/');
    const lines = cli.output().stdout.split('\n');
    expect(lines.filter((l) => l.includes('/task/service'))).toHaveLength(1);

    const client = new DeployClient({ uri: url, auth: 'MYAPIKEY' });
    await client.connect();
    expect((await client.deploy.add({ project_id: 'cli' }, { schedule: '@hourly' })).state).toBe('active');
    cli.child.kill(signal);
    expect(await cli.exited).toBe(0);
    await expect(client.deploy.list()).rejects.toThrow(/Connection closed/);
  });

  it('loads --users FILE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rrdk-cli-'));
    const file = join(dir, 'users.json');
    await writeFile(
      file,
      JSON.stringify([
        {
          userId: 'solo',
          keys: ['SOLOKEY'],
          defaultTeam: 't',
          organizations: [{ id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: ['task.monitor'] }] }],
        },
      ]),
    );
    const cli = run(['serve', '--port', '0', '--users', file]);
    const client = new DeployClient({ uri: await cli.url(), auth: 'SOLOKEY' });
    expect((await client.connect()).userId).toBe('solo');
    await expect(new DeployClient({ uri: await cli.url(), auth: 'MYAPIKEY' }).connect()).rejects.toThrow('Invalid API key');
    await client.disconnect();
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('refuses a bad users file with one clear line and exit code 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rrdk-cli-'));
    const file = join(dir, 'users.json');
    await writeFile(file, '{"users":[{"userId":"x"}]}');
    const cli = run(['serve', '--port', '0', '--users', file]);
    expect(await cli.exited).toBe(1);
    const { stderr } = cli.output();
    expect(stderr.trim()).toBe(`rocketride-deploy-kit: Users file ${file}: users[0].keys: must be an array`);
  });

  it('refuses a --state-file in a folder that does not exist at start-up, exit 1, naming the folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rrdk-cli-'));
    const cli = run(['serve', '--port', '0', '--state-file', join(dir, 'nope', 'state.json')]);
    expect(await cli.exited).toBe(1);
    expect(cli.output().stdout).toBe('');
    expect(cli.output().stderr).toBe(
      `rocketride-deploy-kit: State file ${join(dir, 'nope', 'state.json')} cannot be made: its folder ${join(dir, 'nope')} does not exist. ` +
        `Create it (mkdir -p ${join(dir, 'nope')}) or choose a state file path in an existing folder\n`,
    );
  });

  it('reports a port in use clearly', async () => {
    const busy = await createMockServer({ port: 0 });
    const cli = run(['serve', '--port', String(busy.port)]);
    expect(await cli.exited).toBe(1);
    expect(cli.output().stderr).toMatch(/^rocketride-deploy-kit: Port already in use .*; pick another with --port\n$/);
    await busy.close();
  });

  it.each([
    [
      ['--host', '10.255.255.1'],
      'Cannot listen on 10.255.255.1: 10.255.255.1 is not an address of this machine (EADDRNOTAVAIL); give --host 127.0.0.1',
    ],
    [
      ['--host', 'nosuchhost.invalid'],
      'Cannot listen on --host nosuchhost.invalid: the name does not resolve (ENOTFOUND); give an IP address',
    ],
  ])('says which flag to change when it cannot listen (%j), exit 1', async (flags, text) => {
    const cli = run(['serve', '--port', '0', ...flags]);
    expect(await cli.exited).toBe(1);
    expect(cli.output().stdout).toBe('');
    expect(cli.output().stderr).toMatch(new RegExp(`^rocketride-deploy-kit: ${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\n$`));
  });

  it('counts what a state file held when it starts again, in words that agree (1 deployment, 2 deployments)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rrdk-cli-'));
    const stateFile = join(dir, 'state.json');
    for (const [stored, line] of [
      [0, '(0 deployments loaded)'],
      [1, '(1 deployment loaded)'],
      [2, '(2 deployments loaded)'],
    ] as const) {
      const cli = run(['serve', '--port', '0', '--quiet', '--state-file', stateFile]);
      const client = new DeployClient({ uri: await cli.url(), auth: 'MYAPIKEY' });
      await vi.waitFor(() => expect(cli.output().stdout).toContain(' loaded)\n'));
      expect(cli.output().stdout).toContain(`state file: ${stateFile} ${line}\n`);
      await client.connect();
      await client.deploy.add({ project_id: `p${stored}` });
      await client.disconnect();
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    }
  });

  it('applies the limit flags: --max-connections 1 refuses a second connection with 1013, --max-pipeline-bytes refuses a big pipeline', async () => {
    const cli = run(['serve', '--port', '0', '--max-connections', '1', '--max-pipeline-bytes', '100']);
    const url = await cli.url();
    const client = new DeployClient({ uri: url, auth: 'MYAPIKEY' });
    await client.connect();
    await expect(client.deploy.add({ project_id: 'big', pad: 'x'.repeat(100) })).rejects.toThrow(
      "pipeline is too large: its JSON is over 100 bytes (the server's limit)",
    );
    await expect(new DeployClient({ uri: url, auth: 'MYAPIKEY' }).connect()).rejects.toThrow(
      'Connection closed (code 1013: Too many connections (server limit 1); try again later)',
    );
    expect(await client.deploy.list()).toEqual([]);
    await client.disconnect();
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it.each([
    [['serve', '--max-connections', '0'], 2, /--max-connections must be a positive integer, got '0'/],
    [['serve', '--max-frame-bytes', '1MB'], 2, /--max-frame-bytes must be a positive integer, got '1MB'/],
    [['serve', '--port', 'abc'], 2, /--port must be a number from 0 to 65535/],
    [['serve', '--port', '70000'], 2, /--port must be a number from 0 to 65535/],
    [['serve', '--auth-timeout', '0'], 2, /--auth-timeout must be at least 1ms, got '0'/],
    [['serve', '--handshake-timeout', 'soon'], 2, /--handshake-timeout must be a duration in whole milliseconds/],
    [['serve', '--allow-origin', 'app.test'], 2, /--allow-origin: 'app.test' is not an origin; give a scheme, a host and an optional port/],
    [['serve', '--nope'], 2, /^rocketride-deploy-kit: serve does not take --nope\n/],
    [['serve', '--prot', '3'], 2, /serve does not take --prot \(did you mean --port\?\)/],
    [['serve', '--port'], 2, /^rocketride-deploy-kit: --port needs a value: serve --port PORT\n/],
    [['serve', '--quiet=yes'], 2, /--quiet is a switch and takes no value/],
    [['serve', 'now'], 2, /serve takes no arguments, got 'now'/],
    [['serve', '--max-conections', '3'], 2, /did you mean --max-connections\?/],
    [['control', 'journal', '--limt', '5'], 2, /control journal does not take --limt \(did you mean --limit\?\)/],
    [['control', 'journal', '--limit'], 2, /--limit needs a value: control journal --limit N/],
    [['control', 'clock', '--limit', '5'], 2, /control clock does not take --limit/],
    [['control', 'jornal'], 2, /control has no operation 'jornal' \(did you mean journal\?\)/],
    [['conformance', '--strct'], 2, /conformance does not take --strct \(did you mean --strict\?\)/],
    [['conformance', '--seed'], 2, /--seed needs a value: conformance --seed VALUE/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    [['serv'], 2, /unknown command 'serv' \(did you mean serve\?\)/],
  ])('rejects %j with exit code %i', async (args, code, message) => {
    const cli = run(args);
    expect(await cli.exited).toBe(code);
    expect(cli.output().stderr).toMatch(message);
    // The kit's own words, never Node's argument parser's.
    expect(cli.output().stderr).not.toMatch(/argument missing|Unknown option|after '--'|ERR_PARSE_ARGS/);
  });

  it.each([
    [['serve', '--help'], 'Usage: rocketride-deploy-kit serve [options]', 'serve limits'],
    [['serve', '-h'], 'Usage: rocketride-deploy-kit serve [options]', '--state-file FILE'],
    [['control', '--help'], 'Usage: rocketride-deploy-kit control <operation>', 'set-clock INSTANT'],
    [['control', 'journal', '--help'], 'Usage: rocketride-deploy-kit control journal [--connection N]', '--limit N'],
    [['conformance', '--help'], 'Usage: rocketride-deploy-kit conformance [options]', '--sdk-driver'],
  ])("%j prints that command's own help and exits 0", async (args, first, part) => {
    const cli = run(args);
    expect(await cli.exited).toBe(0);
    const { stdout } = cli.output();
    expect(stdout.startsWith(first)).toBe(true);
    expect(stdout).toContain(part);
    if (args[0] !== 'control') expect(stdout).not.toContain('Operations:');
    if (args[0] !== 'serve') expect(stdout).not.toContain('serve options:');
  });

  it('applies --auth-timeout and --allow-origin (repeated or comma-separated)', async () => {
    const cli = run([
      'serve',
      '--port',
      '0',
      '--auth-timeout',
      '300ms',
      '--allow-origin',
      'http://a.test',
      '--allow-origin',
      'http://b.test,http://c.test:8080',
    ]);
    const url = await cli.url();
    const idle = await RawClient.open(url);
    expect((await idle.closed).code).toBe(1008);
    for (const origin of ['http://a.test', 'http://b.test', 'http://c.test:8080']) {
      const page = await RawClient.open(url, { origin });
      expect((await page.request('rrext_public_probe')).success, origin).toBe(true);
      page.close();
    }
    await expect(RawClient.open(url, { origin: 'http://d.test' })).rejects.toThrow(/403/);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.output().stderr).toContain(
      'refused a WebSocket upgrade: WebSocket connections from web pages at "http://d.test" are refused',
    );
  });

  it('warns, naming the demo keys, when listening beyond loopback with the demo users', async () => {
    const cli = run(['serve', '--port', '0', '--host', '0.0.0.0']);
    await cli.url();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(cli.output().stderr).toMatch(
      /^warning: listening on 0\.0\.0\.0, beyond this machine: anyone who can reach it can log in with the public demo keys \(MYAPIKEY, .*\)\. Give --users FILE with keys of your own, or --host 127\.0\.0\.1\n/,
    );
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const local = run(['serve', '--port', '0']);
    await local.url();
    local.child.kill('SIGTERM');
    expect(await local.exited).toBe(0);
    expect(local.output().stderr).not.toContain('warning');
  });

  it('prints usage for --help and the version for --version', async () => {
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output().stdout).toContain('serve options:');
    const version = run(['--version']);
    expect(await version.exited).toBe(0);
    expect(version.output().stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
