/**
 * SDK-4, SDK-5: what the SDK returns and raises. Results are compared with the response the
 * mock's journal shows it sent; unusual answers (a list body without `deployments`, records
 * with keys the SDK does not know, failure messages) are made with injected `reply`/`fail` faults.
 */
import fc from 'fast-check';
import type { SdkOutcome } from '../sdk/driver.js';
import { check, property, type SdkTarget, type SdkUnderTest } from '../sdk/sdk-target.js';
import { expectSameJson, fail, newId, pipelineContent } from './arbitraries.js';

/** The body of the one response to `command` since the last look. */
async function responseBody(sdk: SdkUnderTest, command: string): Promise<unknown> {
  const replies = (await sdk.frames()).filter((e) => e.direction === 'out' && e.command === command);
  if (replies.length !== 1) throw new Error(`expected one ${command} response in the journal, found ${replies.length}`);
  return replies[0]!.message!['body'];
}

function result(clause: string, call: string, outcome: SdkOutcome): unknown {
  if (outcome.kind === 'ok') return outcome.result;
  fail(clause, `${call} should have returned, but ${outcome.kind === 'error' ? `raised ${outcome.type}: ${outcome.message}` : 'it hung'}`);
}

check(['SDK-4'], 'list() returns the deployments array of the body; add() returns the record as received', async (t) => {
  const sdk = await t.session();
  for (const n of [1, 2]) {
    const call = `add(pipeline ${n})`;
    const added = result('SDK-4', call, await sdk.call('add', { pipeline: { project_id: newId('list'), n } }));
    expectSameJson(
      'SDK-4',
      `${call} must return the record exactly as the server sent it`,
      added,
      await responseBody(sdk, 'rrext_deploy_add'),
    );
  }
  const listed = result('SDK-4', 'list()', await sdk.call('list'));
  const body = (await responseBody(sdk, 'rrext_deploy_list')) as { deployments: unknown };
  expectSameJson('SDK-4', 'list() must return the body\'s "deployments" array', listed, body.deployments);
  await t.end(sdk);
});

check(['SDK-4'], 'list() returns an empty array when the body has no "deployments" key', async (t) => {
  const sdk = await t.session();
  await sdk.ok('add', { pipeline: { project_id: newId('nokey') } });
  await sdk.inject({ kind: 'reply', command: 'rrext_deploy_list', body: {} });
  expectSameJson('SDK-4', 'list() of a body without "deployments" must return []', result('SDK-4', 'list()', await sdk.call('list')), []);
  await t.end(sdk);
});

property(
  ['SDK-4'],
  'status() and add() return the record exactly as received, keys the SDK does not know included',
  () => pipelineContent().filter((extra) => !['pipeline', 'schedule', 'state'].some((k) => k in extra)),
  async (t, extra) => {
    const sdk = await t.shared();
    const projectId = newId('rec');
    await sdk.ok('add', { pipeline: { project_id: projectId } });
    const stored = await sdk.ok('status', { projectId });
    const record = { ...(stored as object), ...extra, x_unknown_field: { nested: [1, 'two', null] } };
    await sdk.frames();
    for (const [op, command, args] of [
      ['status', 'rrext_deploy_status', { projectId }],
      ['add', 'rrext_deploy_add', { pipeline: { project_id: newId('rec') } }],
    ] as const) {
      await sdk.inject({ kind: 'reply', command, body: record });
      const returned = result('SDK-4', `${op}()`, await sdk.call(op, args));
      expectSameJson('SDK-4', `${op}() must return the record exactly as received, unknown keys included`, returned, record);
    }
  },
  { runs: 0.4 },
);

/** SDK-5: the outcome is the documented error type, carrying the server's message. */
function expectDocumentedError(t: SdkTarget, sdk: SdkUnderTest, call: string, outcome: SdkOutcome, serverMessage: string): void {
  const errorType = t.documentedErrorType;
  if (outcome.kind === 'ok')
    fail(
      'SDK-5',
      `${call} got a failed response ("${serverMessage}") but returned ${JSON.stringify(outcome.result) ?? 'undefined'} instead of raising`,
    );
  if (outcome.kind === 'timeout') fail('SDK-5', `${call} got a failed response ("${serverMessage}") but never returned`);
  if (!outcome.types.includes(errorType))
    fail('SDK-5', `${call} raised ${outcome.types.join(' < ')}, which is not a ${errorType} (${sdk.info.language}'s documented error)`);
  if (!outcome.message.includes(serverMessage))
    fail(
      'SDK-5',
      `${call} raised ${outcome.type} with message ${JSON.stringify(outcome.message)}, which does not contain the server's message ${JSON.stringify(serverMessage)}`,
    );
}

check(
  ['SDK-5'],
  "failed responses raise the documented error with the server's message (duplicate add, unknown id, bad schedule)",
  async (t) => {
    const sdk = await t.session();
    const projectId = newId('err');
    await sdk.ok('add', { pipeline: { project_id: projectId } });
    expectDocumentedError(
      t,
      sdk,
      'a duplicate add()',
      await sdk.call('add', { pipeline: { project_id: projectId } }),
      `Deployment already exists: ${projectId}`,
    );
    expectDocumentedError(
      t,
      sdk,
      'status() of an unknown id',
      await sdk.call('status', { projectId: 'missing' }),
      'Deployment not found: missing',
    );
    expectDocumentedError(
      t,
      sdk,
      'remove() of an unknown id',
      await sdk.call('remove', { projectId: 'missing' }),
      'Deployment not found: missing',
    );
    expectDocumentedError(
      t,
      sdk,
      'update() with a bad schedule',
      await sdk.call('update', { projectId, schedule: 'every day' }),
      "Invalid schedule 'every day'.",
    );
    await t.end(sdk);
  },
);

property(
  ['SDK-5'],
  'any failure message reaches the caller inside the documented error, from any command',
  () =>
    fc.record({
      message: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).filter((m) => m.trim() !== ''),
      op: fc.constantFrom('add', 'remove', 'list', 'status', 'update'),
    }),
  async (t, { message, op }) => {
    const sdk = await t.shared();
    const command = `rrext_deploy_${op}`;
    await sdk.inject({ kind: 'fail', command, message });
    const projectId = newId('fail');
    const args =
      op === 'add'
        ? { pipeline: { project_id: projectId } }
        : op === 'list'
          ? undefined
          : op === 'update'
            ? { projectId, schedule: 'manual' }
            : { projectId };
    expectDocumentedError(t, sdk, `${op}() answered with a failure`, await sdk.call(op, args), message);
  },
  { runs: 0.6 },
);
