/**
 * The deploy commands end to end: the reference client and raw frames against a real server
 * (DEP-*, REC-*, SCHED-* over the wire).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, DapError, DeployClient, type MockServer } from '../../src/index.js';
import { hostileProjectIds, scheduleCorpus } from '../helpers/fixtures.js';
import { RawClient } from '../helpers/raw-client.js';

const START = Date.UTC(2026, 10, 26, 10, 7, 0);
let server: MockServer;
beforeAll(async () => {
  server = await createMockServer({ port: 0, clock: { mode: 'fake', startAt: START } });
});
afterAll(() => server.close());

async function connect(key = 'MYAPIKEY'): Promise<DeployClient> {
  const client = new DeployClient({ uri: server.url, auth: key });
  await client.connect();
  return client;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DapError);
  return (error as DapError).message;
}

describe('the full cycle with the reference client', () => {
  it('adds, lists, reads, updates and removes, with both field dialects on every record', async () => {
    const client = await connect();
    const pipeline = { project_id: 'cycle', source: { type: 'webhook' }, nodes: [{ id: 'a', config: { n: 1.5 } }] };
    const created = START / 1000;
    const record = await client.deploy.add(pipeline, { schedule: '*/15 * * * *' });
    expect(record).toEqual({
      pipeline,
      schedule: '*/15 * * * *',
      state: 'active',
      userId: 'local',
      createdAt: created,
      updatedAt: created,
      created_by: 'local',
      created_at: created,
      updated_at: created,
    });
    expect(await client.deploy.list()).toEqual([record]);
    expect(await client.deploy.status('cycle')).toEqual(record);

    server.control.advance(90_500);
    const updated = await client.deploy.update('cycle', { schedule: '@hourly' });
    expect(updated).toEqual({ ...record, schedule: '@hourly', updatedAt: created + 90.5, updated_at: created + 90.5 });
    expect(await client.deploy.status('cycle')).toEqual(updated);

    await client.deploy.remove('cycle');
    expect(await client.deploy.list()).toEqual([]);
    await client.disconnect();
  });

  it('sends "manual" when no schedule is given, and starts fresh after remove + add (DEP-REM-1)', async () => {
    const client = await connect();
    const first = await client.deploy.add({ project_id: 'fresh' }, { schedule: '@daily' });
    await client.deploy.remove('fresh');
    server.control.advance(1_000);
    const second = await client.deploy.add({ project_id: 'fresh' });
    expect(second.schedule).toBe('manual');
    expect(second.createdAt).toBe(first.createdAt! + 1);
    await client.deploy.remove('fresh');
    await client.disconnect();
  });

  it('forces a replacement pipeline’s project_id to the deployment key (DEP-UPD-2)', async () => {
    const client = await connect();
    await client.deploy.add({ project_id: 'keyed', v: 1 });
    await client.deploy.update('keyed', { pipeline: { project_id: 'elsewhere', v: 2 } });
    expect((await client.deploy.list()).map((r) => r.pipeline)).toEqual([{ project_id: 'keyed', v: 2 }]);
    await client.deploy.remove('keyed');
    await client.disconnect();
  });
});

describe('every documented error, with the real server’s words', () => {
  let raw: RawClient;
  beforeAll(async () => {
    raw = await RawClient.authed(server.url);
    await raw.request('rrext_deploy_add', { pipeline: { project_id: 'exists' } });
  });
  afterAll(async () => {
    await raw.request('rrext_deploy_remove', { projectId: 'exists' });
    raw.close();
  });

  // The real server's two sentences, and what is wrong between them.
  const invalid = (value: string, reason: string) =>
    `Invalid schedule '${value}'. ${reason}. Expected "manual", a cron preset (@hourly etc.), or a 5-field cron expression.`;

  it.each([
    ['rrext_deploy_add', {}, 'pipeline is required'],
    ['rrext_deploy_add', { pipeline: 'x' }, 'pipeline must be an object'],
    ['rrext_deploy_add', { pipeline: { name: 'no id' } }, 'pipeline.project_id is required'],
    ['rrext_deploy_add', { pipeline: { project_id: 'exists' } }, 'Deployment already exists: exists'],
    [
      'rrext_deploy_add',
      { pipeline: { project_id: 'n' }, schedule: '* * * * * *' },
      invalid(
        '* * * * * *',
        'It has 6 fields (seconds and years are not supported); cron has 5: minute hour day-of-month month day-of-week',
      ),
    ],
    ['rrext_deploy_add', { pipeline: { project_id: 'n' }, schedule: 5 }, invalid('5', 'A schedule is a string, not a number')],
    ['rrext_deploy_status', {}, 'projectId is required'],
    ['rrext_deploy_status', { projectId: 'ghost' }, 'Deployment not found: ghost'],
    ['rrext_deploy_remove', { projectId: 'ghost' }, 'Deployment not found: ghost'],
    ['rrext_deploy_remove', { projectId: '' }, 'projectId is required'],
    ['rrext_deploy_update', { projectId: 'ghost', schedule: 'bad' }, 'Deployment not found: ghost'],
    ['rrext_deploy_update', { projectId: 'exists', schedule: '@HOURLY' }, invalid('@HOURLY', "Presets are lower case: '@hourly'")],
    ['rrext_deploy_update', { projectId: 'exists', pipeline: 'x' }, 'pipeline must be an object'],
  ])('%s %j fails with "%s"', async (command, args, message) => {
    const reply = await raw.request(command, args);
    expect(reply).toMatchObject({ success: false, command, message });
    expect(reply).not.toHaveProperty('body');
  });

  it('left the existing record untouched by all of the above', async () => {
    const reply = await raw.request('rrext_deploy_status', { projectId: 'exists' });
    expect(reply.body).toMatchObject({ pipeline: { project_id: 'exists' }, schedule: 'manual', state: 'active' });
  });

  it('raises DapError with the server’s message in the reference client', async () => {
    const client = await connect();
    expect(await failure(client.deploy.status('ghost'))).toBe('Deployment not found: ghost');
    await client.disconnect();
  });
});

describe('schedules over the wire (SCHED-1..3)', () => {
  it('accepts every valid schedule of the corpus and refuses every invalid one', async () => {
    const raw = await RawClient.authed(server.url);
    for (const [i, { value }] of scheduleCorpus.valid.entries()) {
      const reply = await raw.request('rrext_deploy_add', { pipeline: { project_id: `s${i}` }, schedule: value });
      expect(reply.success, value).toBe(true);
      expect(reply.body.schedule).toBe(value);
    }
    for (const { value } of scheduleCorpus.invalid) {
      const reply = await raw.request('rrext_deploy_update', { projectId: 's0', schedule: value });
      expect(reply.success, value).toBe(false);
      expect(reply.message).toMatch(/^Invalid schedule '/);
    }
    expect((await raw.request('rrext_deploy_status', { projectId: 's0' })).body.schedule).toBe('manual');
    for (const i of scheduleCorpus.valid.keys()) await raw.request('rrext_deploy_remove', { projectId: `s${i}` });
    raw.close();
  });
});

describe('permissions (DEP-PERM-1)', () => {
  it('lets a monitor-only user list and read, but not add, update or remove; the socket stays open', async () => {
    const owner = await RawClient.authed(server.url, 'MONITORKEY');
    const control = "Permission 'task.control' denied";
    expect(await owner.request('rrext_deploy_add', { pipeline: { project_id: 'm' } })).toMatchObject({ success: false, message: control });
    expect(await owner.request('rrext_deploy_update', { projectId: 'm' })).toMatchObject({ success: false, message: control });
    expect(await owner.request('rrext_deploy_remove', { projectId: 'm' })).toMatchObject({ success: false, message: control });
    expect(await owner.request('rrext_deploy_list')).toMatchObject({ success: true, body: { deployments: [] } });
    expect(await owner.request('rrext_deploy_status', { projectId: 'm' })).toMatchObject({ message: 'Deployment not found: m' });
    expect(owner.isOpen).toBe(true);
    owner.close();
  });

  it('refuses everything deploy-related to a user without deploy permissions', async () => {
    const client = await connect('NOPERMKEY');
    const monitor = "Permission 'task.monitor' denied";
    expect(await failure(client.deploy.list())).toBe(monitor);
    expect(await failure(client.deploy.status('p'))).toBe(monitor);
    expect(await failure(client.deploy.add({ project_id: 'p' }))).toBe("Permission 'task.control' denied");
    expect(await failure(client.deploy.update('p', { schedule: '@daily' }))).toBe("Permission 'task.control' denied");
    expect(await failure(client.deploy.remove('p'))).toBe("Permission 'task.control' denied");
    expect(client.connected).toBe(true);
    await client.disconnect();
  });
});

describe('cross-user isolation with hostile ids (DEP-ISO-1)', () => {
  it.each(hostileProjectIds.map((id) => [id.length > 40 ? `${id.slice(0, 20)}… (${id.length} chars)` : id, id]))(
    '%j stays private to its owner',
    async (_label, id) => {
      const alice = await connect('ALICEKEY');
      const local = await connect('MYAPIKEY');
      const secret = { project_id: id, secret: 'alice-only' };
      await alice.deploy.add(secret, { schedule: '@daily' });

      expect(await local.deploy.list()).toEqual([]);
      expect(await failure(local.deploy.status(id))).toBe(`Deployment not found: ${id}`);
      expect(await failure(local.deploy.update(id, { schedule: '@hourly' }))).toBe(`Deployment not found: ${id}`);
      expect(await failure(local.deploy.remove(id))).toBe(`Deployment not found: ${id}`);
      const mine = await local.deploy.add({ project_id: id, secret: 'local' });
      expect(mine.pipeline).toEqual({ project_id: id, secret: 'local' });
      await local.deploy.remove(id);

      expect(await alice.deploy.list()).toEqual([expect.objectContaining({ pipeline: secret, schedule: '@daily' })]);
      await alice.deploy.remove(id);
      await Promise.all([alice.disconnect(), local.disconnect()]);
    },
  );

  it('never names a storage path or another user in an error', async () => {
    const local = await connect('MYAPIKEY');
    for (const id of ['../alice/p', '../../users/alice/deployments/x.json']) {
      const message = await failure(local.deploy.status(id));
      expect(message).toBe(`Deployment not found: ${id}`);
      expect(message).not.toMatch(/users\/local|\.json:|alice-only/);
    }
    await local.disconnect();
  });
});

describe('record round-trip (REC-3)', () => {
  it('returns exotic pipelines exactly as sent', async () => {
    const client = await connect();
    const pipeline = {
      project_id: 'exotic',
      unicode: 'ünïcødé 项目 🚀 \u0000 \u2028',
      numbers: [0, -1, 1.5e-300, 9007199254740991, -0.25],
      nested: { a: { b: { c: [null, true, false, {}, []] } } },
      ['__proto__']: { polluted: true },
    };
    const sent = JSON.parse(JSON.stringify(pipeline));
    expect((await client.deploy.add(pipeline)).pipeline).toEqual(sent);
    expect((await client.deploy.status('exotic')).pipeline).toEqual(sent);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    await client.deploy.remove('exotic');
    await client.disconnect();
  });
});
