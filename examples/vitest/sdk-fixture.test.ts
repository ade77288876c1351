/**
 * Example: an SDK's test file. Each test gets its own mock server (`mockServer`: a free port,
 * a fake clock, the demo users), closed after the test. Connect the SDK to `mockServer.url`,
 * call it, and check with the frame journal what it put on the wire.
 *
 * Here the "SDK" is the kit's reference client; put yours in its place.
 */
import { DeployClient, DapError } from 'rocketride-deploy-kit';
import { test, expect } from 'rocketride-deploy-kit/vitest';

test('adds, lists, reads, updates and removes a deployment', async ({ mockServer }) => {
  const client = new DeployClient({ uri: mockServer.url, auth: 'MYAPIKEY' });
  await client.connect();

  const added = await client.deploy.add({ project_id: 'nightly-report', nodes: [] }, { schedule: '0 2 * * *' });
  expect(added).toMatchObject({ pipeline: { project_id: 'nightly-report' }, schedule: '0 2 * * *', state: 'active', userId: 'local' });

  expect((await client.deploy.list()).map((record) => record.pipeline.project_id)).toEqual(['nightly-report']);
  expect(await client.deploy.status('nightly-report')).toMatchObject({ schedule: '0 2 * * *', state: 'active' });

  await client.deploy.update('nightly-report', { schedule: 'manual' });
  expect((await client.deploy.status('nightly-report')).schedule).toBe('manual');

  await client.deploy.remove('nightly-report');
  expect(await client.deploy.list()).toEqual([]);
  await expect(client.deploy.status('nightly-report')).rejects.toThrow('Deployment not found: nightly-report');

  await client.disconnect();
});

test('sends exactly what the spec says: checked in the frame journal', async ({ mockServer }) => {
  const client = new DeployClient({ uri: mockServer.url, auth: 'MYAPIKEY' });
  await client.connect();
  await client.deploy.add({ project_id: 'reports' });
  await client.deploy.add({ project_id: 'hourly' }, { schedule: '@hourly' });
  await client.deploy.update('hourly', { schedule: 'manual' });

  const adds = mockServer.journal.find({ command: 'rrext_deploy_add', direction: 'in' });
  expect(adds.map((entry) => entry.message?.['arguments'])).toEqual([
    { pipeline: { project_id: 'reports' } }, // no `schedule` key when none was given
    { pipeline: { project_id: 'hourly' }, schedule: '@hourly' },
  ]);
  expect(adds.every((entry) => entry.userId === 'local')).toBe(true);

  const [update] = mockServer.journal.find({ command: 'rrext_deploy_update', direction: 'in' });
  expect(update?.message?.['arguments']).toEqual({ projectId: 'hourly', schedule: 'manual' }); // only the keys given

  await client.disconnect();
  expect(mockServer.journal.find({ command: 'deauth', direction: 'in' })).toHaveLength(1);
});

test('copes with a server failure, made on purpose with an injected fault', async ({ mockServer }) => {
  const client = new DeployClient({ uri: mockServer.url, auth: 'MYAPIKEY' });
  await client.connect();

  mockServer.control.injectFault({ kind: 'fail', command: 'rrext_deploy_list', message: 'Storage is down' });
  const error = await client.deploy.list().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DapError);
  expect((error as DapError).message).toBe('Storage is down');
  expect(await client.deploy.list()).toEqual([]); // the fault applied once

  await client.disconnect();
});

test('a refused key', async ({ mockServer }) => {
  await expect(new DeployClient({ uri: mockServer.url, auth: 'NOT-A-KEY' }).connect()).rejects.toThrow('Invalid API key');
});
