import { DeployClient } from 'rocketride-deploy-kit';
import { test, expect } from 'rocketride-deploy-kit/vitest';

test('adds a deployment that runs every 15 minutes', async ({ mockServer }) => {
  const client = new DeployClient({ uri: mockServer.url, auth: 'MYAPIKEY' }); // or your SDK
  await client.connect();
  await client.deploy.add({ project_id: 'p1' }, { schedule: '*/15 * * * *' });

  mockServer.control.advance('1h'); // this test's own fake clock
  expect(mockServer.control.runs().items).toHaveLength(4);
  expect(mockServer.journal.find({ command: 'rrext_deploy_add', direction: 'in' })).toHaveLength(1); // what was sent
  await client.disconnect();
});
