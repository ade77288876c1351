/**
 * Run by test/vitest/global-setup.test.ts in a vitest run of its own whose globalSetup is the
 * built `dist/vitest/global-setup.js` (not part of the main suite: the name does not end in
 * .test.ts). It writes what it was given to $RRDK_RUN_OUT/<file>.json for the harness.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, inject, test } from 'vitest';
import { createControlClient, DeployClient } from 'rocketride-deploy-kit';
import { injectMockServer } from 'rocketride-deploy-kit/vitest/global-setup';

test('the injected URLs serve the deploy API and the control API of a fake-clock server', async () => {
  const { url, controlUrl } = injectMockServer();
  expect(inject('rocketrideMock')).toEqual({ url, controlUrl }); // typed by the module's ProvidedContext
  writeFileSync(join(process.env['RRDK_RUN_OUT']!, 'global-inject.json'), JSON.stringify({ url, controlUrl }));
  expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/task\/service$/);
  expect(controlUrl).toBe(url.replace('ws://', 'http://').replace('/task/service', '/control/'));

  const client = new DeployClient({ uri: url, auth: 'MYAPIKEY' });
  await client.connect();
  try {
    await client.deploy.add({ project_id: 'from-global-inject' }, { schedule: '*/15 * * * *' });
    const control = createControlClient(controlUrl);
    expect(await control.deployment('local', 'from-global-inject')).toMatchObject({
      userId: 'local',
      projectId: 'from-global-inject',
      state: 'active',
    });
    expect(await control.clock()).toMatchObject({ mode: 'fake' });
  } finally {
    await client.disconnect();
  }
});
