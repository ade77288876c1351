/**
 * The reply backlog limit holds with a state file too: replies held until their change is on
 * disk count towards it, so a client that sends big updates and never reads cannot make the
 * server buffer without bound while the state is being written.
 *
 * It prints the peak it saw. Other sizes, for the record (the review measured 168.8 MiB here
 * before the fix):
 *   RRDK_BACKLOG_STORED=30 RRDK_BACKLOG_UPDATES=60 RRDK_BACKLOG_PIPELINE_BYTES=3000000 npx vitest run test/persist/backlog.test.ts
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPLY_BACKLOG_LIMIT } from '../../src/index.js';
import { RawClient, type DapResponse } from '../helpers/raw-client.js';
import { Workspace } from './helpers.js';

const ws = new Workspace();
afterEach(() => ws.cleanUp());

/** Deployments stored first: they make each write of the state file big, so it takes a while. */
const STORED = Number(process.env['RRDK_BACKLOG_STORED'] ?? 12);
/** Updates the client sends without reading a reply. */
const UPDATES = Number(process.env['RRDK_BACKLOG_UPDATES'] ?? 40);
/** Each pipeline's padding, in bytes: every reply to an update carries it back. */
const PIPELINE_BYTES = Number(process.env['RRDK_BACKLOG_PIPELINE_BYTES'] ?? 1024 * 1024);

const MiB = 1024 * 1024;
const pipeline = (projectId: string, version: number) => ({ project_id: projectId, version, pad: 'x'.repeat(PIPELINE_BYTES) });

/** The client's own TCP socket: pausing it is what "does not read" means. */
function tcpOf(client: RawClient): { pause(): void; resume(): void } {
  return (client.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
}

/** Calls `sample` on every turn of the event loop until stopped. */
function sampleEveryTurn(sample: () => void): () => void {
  let running = true;
  const loop = () => {
    if (!running) return;
    sample();
    setImmediate(loop);
  };
  loop();
  return () => void (running = false);
}

/**
 * Resolves once `observe()` has returned the same value on `times` polls in a row: the server
 * has stopped reading (its backlog is stuck) or has read everything. Only ends the "not
 * reading" phase; the test asserts nothing about how long it took.
 */
async function settled(observe: () => string, times = 20, everyMs = 10): Promise<void> {
  let last = observe();
  for (let same = 0; same < times;) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    const now = observe();
    same = now === last ? same + 1 : 0;
    last = now;
  }
}

describe('the reply backlog limit on a state-file server', () => {
  it('holds while a client that does not read sends big updates, and every update is still answered in order', async () => {
    const server = await ws.server(join(await ws.dir(), 'state.json'), { journal: { entries: 0 } });
    const client = await RawClient.authed(server.url);
    for (let i = 0; i < STORED; i++) {
      expect((await client.request('rrext_deploy_add', { pipeline: pipeline(`stored-${i}`, 0) })).success).toBe(true);
    }

    let peak = 0;
    const stop = sampleEveryTurn(() => (peak = Math.max(peak, server.stats().bufferedBytes)));
    tcpOf(client).pause();
    const before = client.received.length;
    const first = 1000;
    for (let i = 0; i < UPDATES; i++) {
      const projectId = `stored-${i % STORED}`;
      client.sendRaw(
        JSON.stringify({
          type: 'request',
          seq: first + i,
          command: 'rrext_deploy_update',
          arguments: { projectId, pipeline: pipeline(projectId, i + 1) },
        }),
      );
    }
    await settled(() => `${server.stats().bufferedBytes} ${client.socket.bufferedAmount}`);
    tcpOf(client).resume();
    await client.waitForMessages(before + UPDATES);
    stop();

    // Figures for the record (not asserted on): how far the backlog got.
    console.log(
      `backlog with a state file: ${STORED} x ${PIPELINE_BYTES} B stored, ${UPDATES} updates not read: ` +
        `peak ${(peak / MiB).toFixed(1)} MiB of replies buffered (limit ${REPLY_BACKLOG_LIMIT / MiB} MiB)`,
    );
    // Past the limit the server stops reading after the request that crossed it: at most one
    // more reply (and the bytes of a reply's envelope) on top.
    const replyBytes = PIPELINE_BYTES + 1024;
    expect(peak).toBeLessThanOrEqual(REPLY_BACKLOG_LIMIT + replyBytes);

    const replies = client.received.slice(before).map((text) => JSON.parse(text) as DapResponse);
    expect(replies.map((r) => r.request_seq)).toEqual(Array.from({ length: UPDATES }, (_, i) => first + i));
    expect(replies.filter((r) => !r.success)).toEqual([]);
    expect(replies.map((r) => r.body.pipeline.version)).toEqual(Array.from({ length: UPDATES }, (_, i) => i + 1));
  }, 60_000); // a few seconds here; the bound is for a loaded CI machine
});
