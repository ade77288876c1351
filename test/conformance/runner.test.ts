/**
 * The conformance runner end to end, through its CLI: against the in-process mock, against a
 * server given by URL (with and without clock control), the report files, and safety: nothing
 * the run created is left behind.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockServer, DeployClient, type MockServer } from '../../src/index.js';
import { spawnCli } from '../helpers/cli.js';

const children: ChildProcessWithoutNullStreams[] = [];
const servers: MockServer[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function conformance(args: string[]) {
  const run = spawnCli(['conformance', ...args], children);
  const code = await run.exited;
  return { code, ...run.output() };
}

const tmp = () => mkdtemp(join(tmpdir(), 'rrdk-conf-'));

describe('rocketride-deploy-kit conformance', () => {
  it('passes every MUST clause against the in-process mock and writes JSON and JUnit reports', async () => {
    const dir = await tmp();
    const { code, stdout } = await conformance(['--json', join(dir, 'r.json'), '--junit', join(dir, 'r.xml')]);
    expect(stdout).toContain('RESULT: every MUST clause in scope passed');
    expect(code).toBe(0);
    const json = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8'));
    expect(json.ok).toBe(true);
    const verdicts = Object.fromEntries(json.clauses.map((c: { id: string; verdict: string }) => [c.id, c.verdict]));
    for (const [id, verdict] of Object.entries(verdicts)) {
      if (id.startsWith('SDK-')) expect(verdict, id).toBe('skip');
      else expect(verdict, id).toBe('pass');
    }
    expect(json.dialect).toBe('both');
    expect(await readFile(join(dir, 'r.xml'), 'utf8')).toMatch(/^<\?xml/);
  }, 180_000);

  it('checks a server given by URL, with every key, and leaves none of its deployments behind', async () => {
    const server = await createMockServer({ port: 0, clock: { mode: 'fake', startAt: '2026-01-05T10:07:00Z' } });
    servers.push(server);
    const before = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
    await before.connect();
    await before.deploy.add({ project_id: 'not-ours' }, { schedule: '@daily' });
    const { code, stdout } = await conformance([
      '--target',
      server.url,
      '--key',
      'MYAPIKEY',
      '--key',
      'ALICEKEY',
      '--monitor-key',
      'MONITORKEY',
      '--no-permission-key',
      'NOPERMKEY',
      '--runs',
      '3',
    ]);
    expect(stdout).toContain(`Conformance of ${server.url}`);
    expect(stdout).toContain('  clock control: yes (fake clock at 2026-01-05T10:07:00.000Z)');
    expect(stdout).toMatch(/^clock: the run moved the target's clock by \d+ d /m);
    expect(stdout).toContain('cleanup: every deployment the run created was removed');
    expect(code).toBe(0);
    // Only the run's own ids were touched, and all of them are gone.
    expect((await before.deploy.list()).map((r) => r.pipeline.project_id)).toEqual(['not-ours']);
    const alice = new DeployClient({ uri: server.url, auth: 'ALICEKEY' });
    await alice.connect();
    expect(await alice.deploy.list()).toEqual([]);
    await Promise.all([before.disconnect(), alice.disconnect()]);
  }, 180_000);

  it('reports clauses it cannot check as skipped with the reason, never as passed', async () => {
    // A control token the runner does not know: no clock control; no second, monitor or no-permission key.
    const server = await createMockServer({ port: 0, controlToken: 'secret-the-runner-lacks' });
    servers.push(server);
    const dir = await tmp();
    const { stdout } = await conformance(['--target', server.url, '--key', 'MYAPIKEY', '--runs', '2', '--json', join(dir, 'r.json')]);
    const json = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8'));
    const byId = new Map(json.clauses.map((c: { id: string }) => [c.id, c]));
    expect(byId.get('RUN-3')).toMatchObject({ verdict: 'skip', note: expect.stringContaining('clock control') });
    expect(byId.get('DEP-ISO-1')).toMatchObject({ verdict: 'skip', note: expect.stringContaining('second user') });
    expect(byId.get('DEP-PERM-1')).toMatchObject({ verdict: 'skip', note: expect.stringContaining('monitor-only user') });
    expect(byId.get('WIRE-2')).toMatchObject({ verdict: 'pass' });
    expect(json.ok).toBe(true);
    expect(stdout).toMatch(/^RUN-3 +MUST +skip /m);
  }, 180_000);

  it('prints a transcript and a replay token on failure; the token re-runs exactly that case, in one run', async () => {
    const dir = await tmp();
    const first = await conformance(['--mutant', 'duplicate-add-overwrites', '--json', join(dir, 'a.json')]);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/^DEP-ADD-4 +MUST +FAIL /m);
    expect(first.stdout).toContain('Transcript');
    const tokens = [...first.stdout.matchAll(/--replay (rrdk2\.[A-Za-z0-9_-]+)/g)].map((m) => m[1]!);
    const decode = (token: string) => JSON.parse(Buffer.from(token.slice('rrdk2.'.length), 'base64url').toString());
    // One token of an example check, and one of a property (the model-based one carries a replay path).
    const picked = [tokens.find((t) => decode(t).path === ''), tokens.find((t) => decode(t).replayPath !== undefined)];
    expect(
      picked.every((t) => t !== undefined),
      `tokens printed: ${tokens.length}`,
    ).toBe(true);

    for (const [i, token] of picked.entries()) {
      const again = await conformance(['--mutant', 'duplicate-add-overwrites', '--replay', token!, '--json', join(dir, `r${i}.json`)]);
      expect(again.code).toBe(1);
      const report = JSON.parse(await readFile(join(dir, `r${i}.json`), 'utf8'));
      const ran = report.checks.filter((c: { state: string }) => c.state !== 'skip');
      expect(ran).toHaveLength(1);
      expect(ran[0]).toMatchObject({ state: 'fail', name: decode(token!).check });
      if (decode(token!).replayPath !== undefined) expect(ran[0].detail).toMatch(/^Property failed after 1 run\(s\)/);
    }
  }, 180_000);

  it('refuses bad usage with exit code 2', async () => {
    expect(await conformance(['--runs', 'many'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--runs must be a whole number'),
    });
    expect(await conformance(['--profile', 'loose'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--profile must be spec or compat'),
    });
    expect(await conformance(['--replay', 'garbage'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Not a replay token') });
  }, 60_000);
});
