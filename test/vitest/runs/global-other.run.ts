/**
 * A second file of the run of test/vitest/global-setup.test.ts: it gets the same server as
 * global-inject.run.ts (one server for the whole run), and writes what it was given too.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { DeployClient } from 'rocketride-deploy-kit';
import { injectMockServer } from 'rocketride-deploy-kit/vitest/global-setup';

test('another file of the run gets the same server', async () => {
  const injected = injectMockServer();
  writeFileSync(join(process.env['RRDK_RUN_OUT']!, 'global-other.json'), JSON.stringify(injected));
  const client = new DeployClient({ uri: injected.url, auth: 'ALICEKEY' });
  expect((await client.connect()).userId).toBe('alice');
  await client.disconnect();
});
