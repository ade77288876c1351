/**
 * One user's unread replies are bounded over all its connections (maxReplyBytesPerUser): many
 * connections of one key that each ask for a large `list` and never read make the server hold
 * one such reply, not one per connection. The held requests lose nothing, and other users are
 * answered meanwhile.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { DapConnection } from '../../fuzz/abuse/dap.js';
import { createMockServer, type MockServer } from '../../src/index.js';

const MiB = 1024 * 1024;
/** Each pipeline's JSON; four of them make a `list` far larger than a loopback socket's kernel buffers. */
const PIPELINE_BYTES = 4 * MiB - 4096;
const PIPELINES = 4;
const LIST_BYTES = PIPELINES * PIPELINE_BYTES;
const CONNECTIONS = 8;

let server: MockServer | undefined;
const connections: DapConnection[] = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  await server?.close();
  server = undefined;
});

async function open(key: string): Promise<DapConnection> {
  const connection = await DapConnection.open(server!.url, key);
  connections.push(connection);
  return connection;
}

/** Waits until the server's buffered bytes stop growing (each unread reply has been written as far as it goes). */
async function settledBuffered(): Promise<number> {
  let last = -1;
  for (let i = 0; i < 100; i++) {
    const now = server!.stats().bufferedBytes;
    if (now === last) return now;
    last = now;
    await delay(100);
  }
  return last;
}

it(`holds one user's ${CONNECTIONS} unread lists as one, answers all of them once read, and serves others meanwhile`, async () => {
  server = await createMockServer({ port: 0, limits: { maxReplyBytesPerUser: 2 * MiB } });
  const owner = await open('MYAPIKEY');
  for (let i = 0; i < PIPELINES; i++) {
    const added = await owner.request('rrext_deploy_add', {
      pipeline: { project_id: `big-${i}`, components: [], notes: 'x'.repeat(PIPELINE_BYTES - 64) },
    });
    expect(added.success, added.message).toBe(true);
  }

  const readers = await Promise.all(Array.from({ length: CONNECTIONS }, () => open('MYAPIKEY')));
  for (const reader of readers) reader.stopReading();
  const lists = readers.map((reader) => reader.request('rrext_deploy_list'));
  const buffered = await settledBuffered();
  // One list is held whole (less what the kernel took), never one per connection.
  expect(buffered).toBeGreaterThan(LIST_BYTES / 2);
  expect(buffered).toBeLessThan(2 * LIST_BYTES);

  // Another user is not held up by them.
  const alice = await open('ALICEKEY');
  expect((await alice.request('rrext_deploy_list')).success).toBe(true);

  // Read again: every list is answered, whole.
  for (const reader of readers) reader.socket.resume();
  const answers = await Promise.all(lists);
  for (const answer of answers) {
    expect(answer.success).toBe(true);
    expect((answer.body as { deployments: unknown[] }).deployments).toHaveLength(PIPELINES);
  }
  expect(await settledBuffered()).toBe(0);
}, 60_000);

it("holds the same user's other connection until the unread reply drains", async () => {
  server = await createMockServer({ port: 0, limits: { maxReplyBytesPerUser: 2 * MiB } });
  const owner = await open('MYAPIKEY');
  const added = await owner.request('rrext_deploy_add', {
    pipeline: { project_id: 'big', components: [], notes: 'x'.repeat(PIPELINE_BYTES - 64) },
  });
  expect(added.success).toBe(true);
  const reader = await open('MYAPIKEY');
  reader.stopReading();
  const first = reader.request('rrext_deploy_list');
  await settledBuffered();
  const other = await open('MYAPIKEY');
  // Held while the reader's list is unread: its own user's other connection waits too.
  const waiting = other.request('rrext_deploy_status', { projectId: 'big' });
  const early = await Promise.race([waiting.then(() => 'answered'), delay(500).then(() => 'waiting')]);
  expect(early).toBe('waiting');
  reader.socket.resume();
  expect((await first).success).toBe(true);
  expect((await waiting).success).toBe(true);
}, 60_000);
