/**
 * SDK-6 (answers out of order), SDK-7 (a connection closed under a pending call) and SDK-8
 * (disconnect when deauth is never answered), through faults injected into the mock.
 */
import { check } from '../sdk/sdk-target.js';
import type { SdkOutcome } from '../sdk/driver.js';
import { fail, newId } from './arbitraries.js';

/** Error types that say the SDK tripped over its own code, not over the connection. */
const UNRELATED = new Set([
  'TypeError',
  'ReferenceError',
  'SyntaxError',
  'RangeError',
  'AttributeError',
  'KeyError',
  'IndexError',
  'NameError',
  'AssertionError',
  'ValueError',
  'UnboundLocalError',
  'JSONDecodeError',
]);

check(['SDK-6'], 'concurrent calls each get their own result when the server answers in reverse order', async (t) => {
  const sdk = await t.session();
  const projectIds = [newId('ooo'), newId('ooo'), newId('ooo')];
  for (const [i, projectId] of projectIds.entries()) await sdk.ok('add', { pipeline: { project_id: projectId, marker: i } });
  await sdk.inject({ kind: 'reorder', command: 'rrext_deploy_status', count: 3 });
  const outcomes = await Promise.all(projectIds.map((projectId) => sdk.call('status', { projectId })));
  outcomes.forEach((outcome, i) => {
    if (outcome.kind !== 'ok')
      fail('SDK-6', `status(${projectIds[i]}) did not return (${outcome.kind}) when answers came in reverse order`);
    const got = (outcome.result as { pipeline?: { project_id?: unknown } } | null)?.pipeline?.project_id;
    if (got !== projectIds[i])
      fail('SDK-6', `status(${projectIds[i]}) returned the record of ${JSON.stringify(got)}: responses must be matched by request_seq`);
  });
  await t.end(sdk);
});

check(['SDK-6'], "a slow answer does not take a later call's result (list delayed, status answered first)", async (t) => {
  const sdk = await t.session();
  const projectId = newId('slow');
  await sdk.ok('add', { pipeline: { project_id: projectId } });
  await sdk.inject({ kind: 'delay', command: 'rrext_deploy_list', ms: 300 });
  const [listed, status] = await Promise.all([sdk.call('list'), sdk.call('status', { projectId })]);
  if (status.kind !== 'ok' || (status.result as { pipeline?: { project_id?: unknown } })?.pipeline?.project_id !== projectId) {
    fail('SDK-6', `status() answered first must return its own record; it came to ${JSON.stringify(status)}`);
  }
  if (listed.kind !== 'ok' || !Array.isArray(listed.result))
    fail('SDK-6', `list() answered last must return the deployments; it came to ${JSON.stringify(listed)}`);
  await t.end(sdk);
});

for (const code of [1011, 1000]) {
  check(['SDK-7'], `a pending call fails promptly with a connection error when the server closes (code ${code})`, async (t) => {
    const sdk = await t.session();
    const projectId = newId('close');
    await sdk.ok('add', { pipeline: { project_id: projectId } });
    await sdk.inject({ kind: 'close', command: 'rrext_deploy_status', code, reason: 'conformance: closed under a pending call' });
    const outcome: SdkOutcome = await sdk.call('status', { projectId });
    if (outcome.kind === 'timeout')
      fail('SDK-7', `status() still had not returned ${outcome.ms.toFixed(0)} ms after the server closed the connection`);
    if (outcome.kind === 'ok')
      fail('SDK-7', `status() returned ${JSON.stringify(outcome.result)} although the connection closed before any answer`);
    const unrelated = outcome.types.find((type) => UNRELATED.has(type));
    if (unrelated)
      fail(
        'SDK-7',
        `status() failed with ${outcome.types.join(' < ')} ("${outcome.message}"), an error unrelated to the closed connection`,
      );
    await t.end(sdk);
  });
}

check(['SDK-8'], 'disconnect() completes when the server never answers deauth', async (t) => {
  const sdk = await t.session();
  await sdk.inject({ kind: 'no-reply', command: 'deauth' });
  const outcome = await sdk.call('disconnect');
  if (outcome.kind === 'timeout') fail('SDK-8', `disconnect() had not completed after ${outcome.ms.toFixed(0)} ms without a deauth answer`);
  t.notes['disconnect-without-deauth-ms'] = outcome.ms.toFixed(0);
  await t.end(sdk);
});
