/**
 * One server per state file: a second server on a file in use is refused (STATE_FILE_LOCKED)
 * and touches nothing, the first keeps serving and saving; the lock goes when its server
 * closes; a lock left by a dead process is taken over, one that cannot be judged (another host,
 * no holder, a live process) is not; `serve` prints one line and exits 1.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMockServer, StateFileError, type MockServer } from '../../src/index.js';
import { lockPathOf } from '../../src/persist/lock.js';
import { tempPathOf } from '../../src/persist/state-file.js';
import { RawClient } from '../helpers/raw-client.js';
import { START, stateIn, Workspace } from './helpers.js';
import { readAll } from '../../src/control/paging.js';

const ws = new Workspace();
afterAll(() => ws.cleanUp());

const second = (stateFile: string) => createMockServer({ port: 0, clock: { mode: 'fake', startAt: START }, stateFile });

async function add(server: MockServer, projectId: string) {
  const client = await RawClient.authed(server.url);
  const reply = await client.request('rrext_deploy_add', { pipeline: { project_id: projectId } });
  client.close();
  return reply;
}

const savedIds = async (file: string) =>
  ((await stateIn(file)) as { deployments: Array<{ projectId: string }> }).deployments.map((d) => d.projectId).sort();

const lockHolder = (file: string) => JSON.parse(readFileSync(lockPathOf(file), 'utf8')) as { pid: number; host: string };

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('one server per state file', () => {
  it('refuses a second server on a file in use; it touches nothing, and the first keeps serving and saving', async () => {
    const file = join(await ws.dir(), 'state.json');
    const first = await ws.server(file);
    expect((await add(first, 'before')).success).toBe(true);
    expect(lockHolder(file)).toEqual({ pid: process.pid, host: hostname(), since: expect.any(String) });
    // As if the first server were in the middle of a write: the second must not remove its temporary file.
    await writeFile(tempPathOf(file), 'a write under way');
    const onDisk = readFileSync(file, 'utf8');

    const refused = second(file);
    await expect(refused).rejects.toBeInstanceOf(StateFileError);
    await expect(refused).rejects.toMatchObject({
      code: 'STATE_FILE_LOCKED',
      message: expect.stringMatching(
        new RegExp(
          `^State file ${escape(file)} is in use by another server in this process \\(pid ${process.pid}, since .+\\): stop that server or choose another state file path`,
        ),
      ),
    });
    expect(readFileSync(tempPathOf(file), 'utf8')).toBe('a write under way');
    expect(readFileSync(file, 'utf8')).toBe(onDisk);
    expect(lockHolder(file).pid).toBe(process.pid);

    expect((await add(first, 'after')).success).toBe(true);
    expect(await savedIds(file)).toEqual(['after', 'before']);
  });

  it('removes the lock when its server closes, and a new server then starts on the file', async () => {
    const file = join(await ws.dir(), 'state.json');
    const first = await ws.server(file);
    expect((await add(first, 'kept')).success).toBe(true);
    await first.close();
    expect(existsSync(lockPathOf(file))).toBe(false);
    const next = await second(file);
    try {
      expect(readAll((page) => next.control.deployments(page)).map((d) => d.projectId)).toEqual(['kept']);
      expect(lockHolder(file).pid).toBe(process.pid);
    } finally {
      await next.close();
    }
  });

  it('releases the lock when the server cannot listen (a port in use), so the file stays usable', async () => {
    const file = join(await ws.dir(), 'state.json');
    const busy = await createMockServer({ port: 0 });
    try {
      await expect(createMockServer({ port: busy.port, clock: { mode: 'fake', startAt: START }, stateFile: file })).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
      expect(existsSync(lockPathOf(file))).toBe(false);
      const next = await second(file);
      await next.close();
    } finally {
      await busy.close();
    }
  });

  it('releases the lock when it refuses the file itself', async () => {
    const file = join(await ws.dir(), 'state.json');
    await writeFile(file, '{"not": "a state file"}');
    await expect(second(file)).rejects.toMatchObject({ code: 'STATE_FILE_FOREIGN' });
    expect(existsSync(lockPathOf(file))).toBe(false);
  });

  it("takes over a stale lock left by a dead process (kill -9), and only then removes the dead write's temporary file", async () => {
    const file = join(await ws.dir(), 'state.json');
    const pid = await deadPid();
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await writeFile(lockPathOf(file), JSON.stringify({ pid, host: hostname(), since: '2026-11-26T10:00:00.000Z' }));
    await writeFile(tempPathOf(file), 'half a write');

    const server = await ws.server(file);
    expect(lockHolder(file).pid).toBe(process.pid);
    expect(existsSync(tempPathOf(file))).toBe(false);
    expect((await add(server, 'saved')).success).toBe(true);
    expect(await savedIds(file)).toEqual(['saved']);
    await server.close();
    expect(existsSync(lockPathOf(file))).toBe(false);
  });

  it.each([
    {
      name: 'a live process on this host',
      lock: () => JSON.stringify({ pid: process.ppid, host: hostname(), since: '2026-11-26T10:00:00.000Z' }),
      says: (file: string) =>
        `is in use by another server (pid ${process.ppid}, since 2026-11-26T10:00:00.000Z): stop that server or choose another state file path (if pid ${process.ppid} is not a rocketride-deploy-kit server, the lock is left over: delete ${lockPathOf(file)})`,
    },
    {
      name: 'another host',
      lock: () => JSON.stringify({ pid: 4242, host: 'elsewhere.example', since: '2026-11-26T10:00:00.000Z' }),
      says: (file: string) =>
        `is in use by a server on host elsewhere.example (pid 4242, since 2026-11-26T10:00:00.000Z): stop that server or choose another state file path; if it is no longer running, delete ${lockPathOf(file)}`,
    },
    {
      name: 'no holder (empty)',
      lock: () => '',
      says: (file: string) =>
        `is locked by ${lockPathOf(file)}, which does not say which server holds it (one starting right now, or a crash while starting): if no server uses ${file}, delete ${lockPathOf(file)}`,
    },
  ])('does not take over a lock held by $name', async ({ lock, says }) => {
    const file = join(await ws.dir(), 'state.json');
    await writeFile(lockPathOf(file), lock());
    await writeFile(tempPathOf(file), 'maybe a write under way');
    await expect(second(file)).rejects.toMatchObject({ code: 'STATE_FILE_LOCKED', message: `State file ${file} ${says(file)}` });
    expect(readFileSync(lockPathOf(file), 'utf8')).toBe(lock());
    expect(existsSync(tempPathOf(file))).toBe(true);
    expect(existsSync(file)).toBe(false);
  });
});

describe('serve on a state file in use', () => {
  it('prints one line naming the pid holding it and exits with status 1', async () => {
    const file = join(await ws.dir(), 'state.json');
    const holder = await ws.server(file);
    expect((await add(holder, 'held')).success).toBe(true);
    const onDisk = readFileSync(file, 'utf8');
    const refused = ws.serve(file);
    expect(await refused.run.exited).toBe(1);
    const { stdout, stderr } = refused.run.output();
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      new RegExp(`^rocketride-deploy-kit: State file ${escape(file)} is in use by another server \\(pid ${process.pid}, since `),
    );
    expect(readFileSync(file, 'utf8')).toBe(onDisk);
    expect(lockHolder(file).pid).toBe(process.pid);
  });

  it('removes its lock when it shuts down on SIGTERM', async () => {
    const file = join(await ws.dir(), 'state.json');
    const server = ws.serve(file);
    // An answered request proves serve is past its start-up code, signal handlers included.
    expect((await fetch(`${await server.controlBase()}/control/clock`)).status).toBe(200);
    expect(lockHolder(file).pid).toBe(server.child.pid);
    server.child.kill('SIGTERM');
    expect(await server.run.exited, server.run.output().stderr).toBe(0);
    expect(existsSync(lockPathOf(file))).toBe(false);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
