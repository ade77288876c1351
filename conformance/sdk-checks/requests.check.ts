/**
 * SDK-1, SDK-2, SDK-3, SDK-6: what the SDK sends. Each call's request is read back from the
 * mock's frame journal and compared with the arguments the SDK was given.
 */
import fc from 'fast-check';
import type { JournalEntry } from 'rocketride-deploy-kit';
import { check, property, withMessage, type SdkUnderTest } from '../sdk/sdk-target.js';
import { expectSameJson, fail, newId, pipelineContent, validSchedule } from './arbitraries.js';

/** The one request with `command` among what the SDK sent since the last look. */
async function onlyRequest(sdk: SdkUnderTest, clause: string, call: string, command: string): Promise<Record<string, unknown> | undefined> {
  const sent = (await sdk.sent()).filter((e) => e.command === command);
  if (sent.length !== 1) fail(clause, `${call} sent ${sent.length} ${command} requests; expected exactly one`);
  return sent[0]!.message!['arguments'] as Record<string, unknown> | undefined;
}

property(
  ['SDK-1'],
  'add(pipeline) sends the pipeline and no schedule key; add(pipeline, schedule) sends the schedule too',
  () => fc.record({ content: pipelineContent(), schedule: fc.option(validSchedule(), { nil: undefined }) }),
  async (t, { content, schedule }) => {
    const sdk = await t.shared();
    const pipeline = { ...content, project_id: newId('add') };
    const call = schedule === undefined ? 'add(pipeline)' : `add(pipeline, ${JSON.stringify(schedule)})`;
    await sdk.call('add', schedule === undefined ? { pipeline } : { pipeline, schedule });
    const args = (await onlyRequest(sdk, 'SDK-1', call, 'rrext_deploy_add')) ?? {};
    expectSameJson('SDK-1', `${call}: arguments.pipeline is not the pipeline given`, args['pipeline'], pipeline);
    if (schedule === undefined && 'schedule' in args)
      fail('SDK-1', `${call} sent a "schedule" key (${JSON.stringify(args['schedule'])}); without a schedule there must be none`);
    if (schedule !== undefined && args['schedule'] !== schedule) fail('SDK-1', `${call} sent schedule ${JSON.stringify(args['schedule'])}`);
  },
);

property(
  ['SDK-2'],
  'update(id, options) sends projectId and exactly the option keys given',
  () =>
    fc.record({
      pipeline: fc.option(pipelineContent(), { nil: undefined }),
      schedule: fc.option(validSchedule(), { nil: undefined }),
    }),
  async (t, options) => {
    const sdk = await t.shared();
    const projectId = newId('upd');
    await sdk.ok('add', { pipeline: { project_id: projectId } });
    const given = {
      ...(options.pipeline !== undefined && { pipeline: { ...options.pipeline, project_id: projectId } }),
      ...(options.schedule !== undefined && { schedule: options.schedule }),
    };
    await sdk.frames();
    const call = `update(id, ${JSON.stringify(Object.keys(given))} given)`;
    await sdk.call('update', { projectId, ...given });
    const args = (await onlyRequest(sdk, 'SDK-2', call, 'rrext_deploy_update')) ?? {};
    const keys = Object.keys(args).sort();
    const expected = ['projectId', ...Object.keys(given)].sort();
    if (keys.join() !== expected.join())
      fail('SDK-2', `${call} sent the keys [${keys.join(', ')}]; expected exactly [${expected.join(', ')}]`);
    if (args['projectId'] !== projectId)
      fail('SDK-2', `${call} sent projectId ${JSON.stringify(args['projectId'])}, not ${JSON.stringify(projectId)}`);
    if ('pipeline' in given) expectSameJson('SDK-2', `${call}: the pipeline sent is not the one given`, args['pipeline'], given.pipeline);
    if ('schedule' in given && args['schedule'] !== given.schedule)
      fail('SDK-2', `${call} sent schedule ${JSON.stringify(args['schedule'])}`);
  },
);

property(
  ['SDK-3'],
  'remove(id) and status(id) send {projectId: id}; list() sends rrext_deploy_list, whatever the id',
  () => fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  async (t, projectId) => {
    const sdk = await t.shared();
    for (const [op, command] of [
      ['status', 'rrext_deploy_status'],
      ['remove', 'rrext_deploy_remove'],
    ] as const) {
      await sdk.call(op, { projectId });
      const args = await onlyRequest(sdk, 'SDK-3', `${op}(${JSON.stringify(projectId)})`, command);
      expectSameJson('SDK-3', `${op}(id) must send exactly {projectId: id}`, args, { projectId });
    }
    await sdk.call('list');
    await onlyRequest(sdk, 'SDK-3', 'list()', 'rrext_deploy_list');
  },
);

check(['SDK-6'], 'every request is a JSON request with a numeric seq unique on the connection and the documented command', async (t) => {
  const sdk = await t.session();
  const projectId = newId('seq');
  const steps: Array<[Parameters<SdkUnderTest['call']>[0], Parameters<SdkUnderTest['call']>[1], string]> = [
    ['add', { pipeline: { project_id: projectId } }, 'rrext_deploy_add'],
    ['add', { pipeline: { project_id: projectId } }, 'rrext_deploy_add'], // fails: a duplicate
    ['list', undefined, 'rrext_deploy_list'],
    ['status', { projectId }, 'rrext_deploy_status'],
    ['update', { projectId, schedule: '@daily' }, 'rrext_deploy_update'],
    ['remove', { projectId }, 'rrext_deploy_remove'],
    ['status', { projectId }, 'rrext_deploy_status'], // fails: gone
    ['disconnect', undefined, 'deauth'],
  ];
  for (const [op, args] of steps) await sdk.call(op, args);
  const connectionId = sdk.connectionId();
  const sent = ((await t.controlList(`/journal?connectionId=${connectionId}&direction=in`)) as JournalEntry[]).map(
    (e) => withMessage(e).message,
  );
  const seqs = new Set<number>();
  sent.forEach((message, i) => {
    if (message === null) fail('SDK-6', `request ${i + 1} on the connection is not a JSON object`);
    if (message['type'] !== 'request') fail('SDK-6', `request ${i + 1} has type ${JSON.stringify(message['type'])}, not "request"`);
    const seq = message['seq'];
    if (typeof seq !== 'number') fail('SDK-6', `request ${i + 1} has seq ${JSON.stringify(seq)}, not a number`);
    if (seqs.has(seq)) fail('SDK-6', `seq ${seq} is used twice on one connection (request ${i + 1}, ${String(message['command'])})`);
    seqs.add(seq);
  });
  const commands = sent.map((m) => m!['command']);
  const expected = ['auth', ...steps.map(([, , command]) => command)];
  if (commands.join() !== expected.join())
    fail('SDK-6', `the commands sent were [${commands.join(', ')}]; expected [${expected.join(', ')}]`);
  await t.end(sdk);
});
