/** The in-process door's own contract: options, stats and close. */
import { describe, expect, it } from 'vitest';
import { createMockServer, DeployClient, type UserSpec } from '../../src/index.js';

const user = (userId: string, keys: string[], defaultTeam = 't'): UserSpec => ({
  userId,
  keys,
  defaultTeam,
  organizations: [{ id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: ['task.monitor'] }] }],
});

describe('createMockServer', () => {
  it('validates users given in code like a users file', async () => {
    await expect(createMockServer({ users: [user('a', ['K']), user('b', ['K'])] })).rejects.toThrow(
      "users[1].keys: key 'K' belongs to two users",
    );
    await expect(createMockServer({ users: [user('a', ['K'], 'nope')] })).rejects.toThrow("users[0].defaultTeam: no team 'nope'");
  });

  it('refuses a bad option with a RangeError naming it, whichever parser reads it', async () => {
    for (const [options, words] of [
      [{ clock: { mode: 'fake', startAt: '2030-02-30T10:00:00Z' } }, 'clock.startAt must be'],
      [{ runs: { duration: 'soon' } }, 'runs.duration must be a duration'],
      [{ runs: { outcome: 'maybe' } }, 'runs.outcome must be one of'],
      [{ historyLimit: 0 }, 'historyLimit must be a positive integer'],
      [{ clock: 'slow' }, "clock mode must be 'fake' or 'real'"],
    ] as const) {
      const refused = await createMockServer({ port: 0, ...(options as object) }).then(
        (server) => server.close().then(() => undefined),
        (error: unknown) => error,
      );
      expect(refused, JSON.stringify(options)).toBeInstanceOf(RangeError);
      expect((refused as Error).message).toContain(words);
    }
  });

  it('serves the users it was given, and only those', async () => {
    const server = await createMockServer({ users: [user('solo', ['SOLO'])] });
    const client = new DeployClient({ uri: server.url, auth: 'SOLO' });
    expect((await client.connect()).userId).toBe('solo');
    await expect(new DeployClient({ uri: server.url, auth: 'MYAPIKEY' }).connect()).rejects.toThrow('Invalid API key');
    await client.disconnect();
    await server.close();
  });

  it('reports its open connections, and closes them all on close(), which is safe to call twice', async () => {
    const server = await createMockServer();
    const clients = [0, 1, 2].map(() => new DeployClient({ uri: server.url, auth: 'MYAPIKEY' }));
    await Promise.all(clients.map((c) => c.connect()));
    expect(server.stats()).toEqual({ connections: 3, bufferedBytes: 0 });
    await Promise.all([server.close(), server.close()]);
    expect(server.stats().connections).toBe(0);
    expect(clients.every((c) => !c.connected)).toBe(true);
  });

  it('gives every server its own state', async () => {
    const [a, b] = await Promise.all([createMockServer(), createMockServer()]);
    const ca = new DeployClient({ uri: a.url, auth: 'MYAPIKEY' });
    const cb = new DeployClient({ uri: b.url, auth: 'MYAPIKEY' });
    await Promise.all([ca.connect(), cb.connect()]);
    await ca.deploy.add({ project_id: 'only-on-a' });
    expect(await cb.deploy.list()).toEqual([]);
    await Promise.all([ca.disconnect(), cb.disconnect()]);
    await Promise.all([a.close(), b.close()]);
  });
});
