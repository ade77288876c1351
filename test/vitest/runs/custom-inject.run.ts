/** Run by test/vitest/global-setup.test.ts with custom.global.ts as the globalSetup. */
import { expect, test } from 'vitest';
import { DeployClient } from 'rocketride-deploy-kit';
import { injectMockServer } from 'rocketride-deploy-kit/vitest/global-setup';

test('the server has the options given to mockServerGlobalSetup', async () => {
  const { url, controlUrl } = injectMockServer();
  expect(await (await fetch(`${controlUrl}clock`)).json()).toMatchObject({ now: '2026-11-26T10:07:00.000Z', mode: 'fake' });
  const client = new DeployClient({ uri: url, auth: 'CIKEY' });
  expect((await client.connect()).userId).toBe('ci');
  await client.disconnect();
  await expect(new DeployClient({ uri: url, auth: 'MYAPIKEY' }).connect()).rejects.toThrow('Invalid API key');
});
