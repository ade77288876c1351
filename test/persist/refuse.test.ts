/**
 * A state file that is damaged, foreign, from a future version, invalid, or does not fit the
 * server (its clock, its users, its limits) is refused at start-up with one clear line (what is
 * wrong, what to do) and exit status 1 from `serve`, and the file is left exactly as it was.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { chmod, link, lstat, mkdir, readFile, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, StateFileError } from '../../src/index.js';
import { lockPathOf } from '../../src/persist/lock.js';
import { tempPathOf } from '../../src/persist/state-file.js';
import { RawClient } from '../helpers/raw-client.js';
import { stateIn, Workspace } from './helpers.js';

const ws = new Workspace();
afterAll(() => ws.cleanUp());

/** A real state file (fake clock), with a deployment, as the base of the damaged ones. */
let valid: string;
beforeAll(async () => {
  const file = join(await ws.dir(), 'valid.json');
  const server = await ws.server(file);
  const client = await RawClient.authed(server.url);
  await client.request('rrext_deploy_add', { pipeline: { project_id: 'p' }, schedule: '@hourly' });
  client.close();
  await server.close();
  // One document (what a whole write leaves), for the cases to edit.
  valid = `${JSON.stringify(await stateIn(file))}\n`;
});

const edited = (edit: (state: any) => void) => {
  const state = JSON.parse(valid);
  edit(state);
  return JSON.stringify(state);
};

const CASES: Array<{ name: string; content: () => string | Buffer; says: RegExp; args?: string[] }> = [
  {
    name: 'cut short (truncated JSON)',
    content: () => valid.slice(0, Math.floor(valid.length / 2)),
    says: /is not valid JSON \(damaged, cut short/,
  },
  { name: 'binary garbage', content: () => Buffer.concat([randomBytes(512), Buffer.from([0, 0xff, 0xfe])]), says: /is not valid JSON/ },
  { name: 'empty', content: () => '', says: /is empty, so it is not a state file/ },
  {
    name: "another program's JSON (package.json)",
    content: () => readFileSync(new URL('../../package.json', import.meta.url)),
    says: /is not a rocketride-deploy-kit state file \(it has no "format"/,
  },
  {
    name: 'a users file',
    content: () => readFileSync(new URL('../../fixtures/users.json', import.meta.url)),
    says: /is not a rocketride-deploy-kit state file/,
  },
  {
    name: 'a future version',
    content: () => edited((s) => (s.version = 3)),
    says: /has version 3, and this rocketride-deploy-kit reads versions 1 and 2 only: use the version that wrote it/,
  },
  {
    name: 'an invalid deployment',
    content: () => edited((s) => (s.deployments[0].state = 'sleeping')),
    says: /is damaged at deployments\[0\]\.state: must be one of active, paused, errored/,
  },
  {
    name: 'a deployment without its scheduling entry',
    content: () => edited((s) => (s.scheduler.entries = [])),
    says: /is damaged at deployments\[0\]: has no scheduling entry/,
  },
  {
    name: 'a run in progress that is not in its history',
    content: () => edited((s) => (s.scheduler.entries[0].run = { number: 1, outcome: 'completed', endAt: null })),
    says: /is damaged at scheduler\.entries\[0\]\.run\.number: must be a whole number from 1 to 0/,
  },
  {
    name: 'a byte order mark before the JSON',
    content: () => `\uFEFF${valid}`,
    says: /starts with a byte order mark \(U\+FEFF, an editor added it\?\), which JSON does not allow: save it as UTF-8 without BOM/,
  },
  {
    name: 'a createdAt past what a Date holds',
    content: () => edited((s) => (s.deployments[0].createdAt = -1e308)),
    says: /is damaged at deployments\[0\]\.createdAt: must be a time in Unix seconds from -8640000000000 to 8640000000000/,
  },
  {
    name: 'a fake-clock file on a real-clock server',
    content: () => valid,
    args: ['--clock', 'real'],
    says: /was saved by a server with a fake clock, and this one has a real clock: start it with the fake clock \(--clock fake\)/,
  },
  {
    name: 'a pipeline over --max-pipeline-bytes',
    content: () => valid,
    args: ['--clock', 'fake', '--max-pipeline-bytes', '10'],
    says: /holds more than this server's limits allow \(a pipeline of 18 bytes, over 10\): start it with --max-pipeline-bytes 18 or more \(limits\.maxPipelineBytes in createMockServer\)/,
  },
  {
    name: 'deployments over --max-stored-bytes',
    content: () => valid,
    args: ['--clock', 'fake', '--max-stored-bytes', '18'],
    says: /holds more than this server's limits allow \(19 bytes stored in all, over 18\): start it with --max-stored-bytes 19 or more \(limits\.maxStoredBytes in createMockServer\)/,
  },
];

describe('serve --state-file refuses', () => {
  it.each(CASES)('$name: one line, exit status 1, the file untouched', async ({ content, says, args }) => {
    const file = join(await ws.dir(), 'state.json');
    const bytes = content();
    await writeFile(file, bytes);
    const server = ws.serve(file, args ?? ['--clock', 'fake']);
    expect(await server.run.exited).toBe(1);
    const { stderr, stdout } = server.run.output();
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toContain(file);
    expect(stderr).toMatch(says);
    expect(stderr).toMatch(/move it away or choose another state file path; the file was left as it is$/m);
    expect(readFileSync(file).equals(Buffer.from(bytes))).toBe(true);
    expect(existsSync(tempPathOf(file))).toBe(false);
    expect(existsSync(lockPathOf(file))).toBe(false); // released on the way out
  });

  it('a directory in place of the file', async () => {
    const file = join(await ws.dir(), 'state.json');
    await mkdir(file);
    const server = ws.serve(file);
    expect(await server.run.exited).toBe(1);
    expect(server.run.output().stderr.trim()).toBe(
      `rocketride-deploy-kit: Cannot read state file ${file} (it is a directory): move it away or choose another state file path; the file was left as it is`,
    );
  });
});

describe('what the state file path names', () => {
  const refusal = (file: string) =>
    createMockServer({ port: 0, clock: 'fake', stateFile: file }).then(
      (server) => server.close().then(() => undefined),
      (error: StateFileError) => error,
    );

  it('a read-only file is refused, not silently replaced (even for root)', async () => {
    const dir = await ws.dir();
    const file = join(dir, 'state.json');
    await writeFile(file, valid);
    await chmod(file, 0o400);
    expect(await refusal(file)).toMatchObject({
      code: 'STATE_FILE_READ_ONLY',
      message: `State file ${file} is read-only, and this server replaces the file at every change: make it writable for the server (chmod u+w, as its owner) or choose another state file path; the file was left as it is`,
    });
    expect((await stat(file)).mode & 0o777).toBe(0o400);
    expect(await readFile(file, 'utf8')).toBe(valid);
  });

  it('a file in a directory made read-only is refused, even for root; so is a new one there', async () => {
    const dir = join(await ws.dir(), 'locked');
    await mkdir(dir);
    const file = join(dir, 'state.json');
    await writeFile(file, valid);
    await chmod(dir, 0o500);
    try {
      expect(await refusal(file)).toMatchObject({
        code: 'STATE_FILE_READ_ONLY',
        message: expect.stringContaining(`State file ${file} is in a directory this server may not write (${dir})`),
      });
      expect(await refusal(join(dir, 'new.json'))).toMatchObject({ code: 'STATE_FILE_READ_ONLY' });
      expect(await readFile(file, 'utf8')).toBe(valid);
    } finally {
      await chmod(dir, 0o700);
    }
  });

  it('a symbolic link to a file not made yet: the first write makes that file, and the link stays a link', async () => {
    const dir = await ws.dir();
    await symlink(join(dir, 'real.json'), join(dir, 'alias.json'));
    const server = await ws.server(join(dir, 'alias.json'));
    const client = await RawClient.authed(server.url);
    expect((await client.request('rrext_deploy_add', { pipeline: { project_id: 'first' } })).success).toBe(true);
    client.close();
    await server.close();
    expect((await lstat(join(dir, 'alias.json'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'real.json'), 'utf8')).toContain('first');
  });

  it('a file too large to be one string says so, and is left as it is', async () => {
    const file = join(await ws.dir(), 'huge.json');
    await writeFile(file, '');
    await truncate(file, 600 * 1024 * 1024); // sparse: no disk used
    const error = await refusal(file);
    expect(error).toMatchObject({ code: 'STATE_FILE_UNREADABLE' });
    expect(error!.message).toMatch(/larger than one JavaScript string can hold \(about 512 MiB of text\).*--max-stored-bytes/);
    expect((await stat(file)).size).toBe(600 * 1024 * 1024);
  });

  it('a FIFO is refused at once instead of hanging the start', async () => {
    const file = join(await ws.dir(), 'state.fifo');
    execFileSync('mkfifo', [file]);
    expect(await refusal(file)).toMatchObject({
      code: 'STATE_FILE_UNREADABLE',
      message: `State file ${file} is not a regular file (a FIFO, socket or device): move it away or choose another state file path; the file was left as it is`,
    });
  });

  it('a file in a folder that does not exist is refused at start-up, naming the folder and what to do', async () => {
    const dir = await ws.dir();
    const file = join(dir, 'not-yet', 'state.json');
    expect(await refusal(file)).toMatchObject({
      code: 'STATE_FILE_NO_DIRECTORY',
      message: `State file ${file} cannot be made: its folder ${join(dir, 'not-yet')} does not exist. Create it (mkdir -p ${join(dir, 'not-yet')}) or choose a state file path in an existing folder`,
    });
    // A dangling symbolic link is judged by where it leads.
    await symlink(join(dir, 'gone', 'state.json'), join(dir, 'link.json'));
    expect(await refusal(join(dir, 'link.json'))).toMatchObject({
      code: 'STATE_FILE_NO_DIRECTORY',
      message: expect.stringContaining(join(dir, 'gone')),
    });
    expect(existsSync(join(dir, 'not-yet'))).toBe(false);
  });

  it('a symbolic link to a file in use meets its lock; a hard link is refused', async () => {
    const dir = await ws.dir();
    const file = join(dir, 'state.json');
    const first = await ws.server(file);
    const client = await RawClient.authed(first.url);
    await client.request('rrext_deploy_add', { pipeline: { project_id: 'kept' } });
    client.close();
    await symlink(file, join(dir, 'alias.json'));
    expect(await refusal(join(dir, 'alias.json'))).toMatchObject({ code: 'STATE_FILE_LOCKED' });
    await link(file, join(dir, 'hard.json'));
    expect(await refusal(join(dir, 'hard.json'))).toMatchObject({
      code: 'STATE_FILE_LINKED',
      message: expect.stringContaining(`State file ${join(dir, 'hard.json')} has 2 hard links`),
    });
    await first.close();
  });

  it('through a symbolic link, writes go to the file it points at (the link stays a link)', async () => {
    const dir = await ws.dir();
    const file = join(dir, 'state.json');
    await writeFile(file, valid);
    await symlink(file, join(dir, 'alias.json'));
    const server = await ws.server(join(dir, 'alias.json'));
    const client = await RawClient.authed(server.url);
    expect((await client.request('rrext_deploy_add', { pipeline: { project_id: 'via-link' } })).success).toBe(true);
    client.close();
    await server.close();
    expect((await lstat(join(dir, 'alias.json'))).isSymbolicLink()).toBe(true);
    expect(await readFile(file, 'utf8')).toContain('via-link');
  });
});

describe('createMockServer({ stateFile }) refuses', () => {
  it('with a StateFileError and its code, listening nowhere', async () => {
    const file = join(await ws.dir(), 'state.json');
    await writeFile(file, '{"name": "not-a-state-file"}');
    const refused = createMockServer({ port: 0, stateFile: file });
    await expect(refused).rejects.toBeInstanceOf(StateFileError);
    await expect(refused).rejects.toMatchObject({ code: 'STATE_FILE_FOREIGN' });
    await writeFile(
      file,
      edited((s) => (s.clock.nowMs = 'soon')),
    );
    await expect(createMockServer({ port: 0, clock: 'fake', stateFile: file })).rejects.toMatchObject({
      code: 'STATE_FILE_INVALID',
      message: expect.stringContaining('damaged at clock.nowMs: must be a whole number'),
    });
  });

  it('a user added at run time that clashes with the configured users', async () => {
    const file = join(await ws.dir(), 'state.json');
    const zed = {
      userId: 'zed',
      keys: ['MYAPIKEY'],
      defaultTeam: 't',
      organizations: [{ id: 'o', name: 'O', teams: [{ id: 't', name: 'T' }] }],
    };
    await writeFile(
      file,
      edited((s) => (s.users.added = [zed])),
    );
    await expect(createMockServer({ port: 0, clock: 'fake', stateFile: file })).rejects.toMatchObject({
      code: 'STATE_FILE_MISMATCH',
      message: expect.stringContaining("clash with this server's users (Key 'MYAPIKEY' belongs to user 'local')"),
    });
  });
});

describe('a state file over the limits the server runs with', () => {
  /**
   * A file with 2 deployments of user local and 1 of alice: ids of 3 characters (5 UTF-16 units,
   * 9 bytes), pipelines of 32 bytes (UTF-8), so each stores 41 bytes: local 82, all 123.
   */
  let file: string;
  beforeAll(async () => {
    file = join(await ws.dir(), 'state.json');
    const server = await ws.server(file);
    for (const [key, ids] of [
      ['MYAPIKEY', ['😀😀a', '😀😀b']],
      ['ALICEKEY', ['😀😀c']],
    ] as const) {
      const client = await RawClient.authed(server.url, key);
      for (const id of ids) expect((await client.request('rrext_deploy_add', { pipeline: { project_id: id, n: 1 } })).success).toBe(true);
      client.close();
    }
    await server.close();
  });
  const start = (limits: Record<string, number>) => createMockServer({ port: 0, clock: 'fake', stateFile: file, limits });

  it('is refused, naming every limit it passes and the flags that would load it', async () => {
    const before = readFileSync(file);
    await expect(start({ maxPipelineBytes: 31, maxProjectIdLength: 2, maxDeploymentsPerUser: 1 })).rejects.toMatchObject({
      code: 'STATE_FILE_MISMATCH',
      message:
        `State file ${file} holds more than this server's limits allow ` +
        `(a pipeline of 32 bytes, over 31; a project id of 3 characters, over 2; 2 deployments of one user, over 1): ` +
        `start it with --max-pipeline-bytes 32 --max-project-id-length 3 --max-deployments-per-user 2 or more ` +
        `(limits.maxPipelineBytes, limits.maxProjectIdLength, limits.maxDeploymentsPerUser in createMockServer), ` +
        `or move it away or choose another state file path; the file was left as it is`,
    });
    await expect(start({ maxDeploymentsPerUser: 1 })).rejects.toMatchObject({
      message: expect.stringContaining('(2 deployments of one user, over 1): start it with --max-deployments-per-user 2 or more'),
    });
    // The stored bytes: the most one user holds, and all users' together.
    await expect(start({ maxStoredBytesPerUser: 81, maxStoredBytes: 122 })).rejects.toMatchObject({
      message: expect.stringContaining(
        '(82 bytes stored by one user, over 81; 123 bytes stored in all, over 122): ' +
          'start it with --max-stored-bytes-per-user 82 --max-stored-bytes 123 or more (limits.maxStoredBytesPerUser, limits.maxStoredBytes in createMockServer)',
      ),
    });
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(lockPathOf(file))).toBe(false);
  });

  it('loads when it is exactly at the limits', async () => {
    const server = await start({
      maxPipelineBytes: 32,
      maxProjectIdLength: 3,
      maxDeploymentsPerUser: 2,
      maxStoredBytesPerUser: 82,
      maxStoredBytes: 123,
    });
    try {
      expect(
        server.control
          .deployments()
          .items.map((d) => d.projectId)
          .sort(),
      ).toEqual(['😀😀a', '😀😀b', '😀😀c']);
    } finally {
      await server.close();
    }
  });
});
