/**
 * WIRE-2 and WIRE-9 as a property: whatever frames one connection sends, the server answers
 * every frame whose `seq` is readable exactly once, drops the rest, and a second connection's
 * valid traffic is answered correctly throughout. (Issue 7's fuzzer runs far larger budgets.)
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';

let server: MockServer;
beforeAll(async () => {
  server = await createMockServer({ port: 0 });
});
afterAll(() => server.close());

// Commands that change the connection's auth state are left out: they close it by design.
const command = fc.oneof(
  fc.constantFrom('rrext_ping', 'rrext_public_probe', 'rrext_deploy_add', 'rrext_deploy_status', 'rrext_deploy_update', 'rrext_deploy_remove', 'rrext_deploy_list'),
  fc.string().filter((c) => c !== 'auth' && c !== 'deauth'),
  fc.jsonValue(),
);
const anyValue = fc.jsonValue();
const nearValid = fc.record(
  {
    type: fc.oneof(fc.constant('request'), anyValue),
    command,
    arguments: fc.oneof(
      fc.record({ pipeline: anyValue, schedule: anyValue, projectId: anyValue }, { requiredKeys: [] }),
      anyValue,
    ),
  },
  { requiredKeys: ['command'] },
);

/** A frame and whether the server must answer it (its seq is readable). */
type Frame = { data: string | Buffer; answerable: boolean };
const frame = (seq: number): fc.Arbitrary<Frame> =>
  fc.oneof(
    nearValid.map((m) => ({ data: JSON.stringify({ ...m, seq }), answerable: true })),
    nearValid.map((m) => ({ data: Buffer.concat([Buffer.from(JSON.stringify({ ...m, seq })), Buffer.from('\n\u0000x')]), answerable: true })),
    fc.jsonValue().map((v) => ({ data: JSON.stringify(v) ?? 'null', answerable: false })),
    fc.string().map((s) => ({ data: s, answerable: false })),
    fc.uint8Array({ maxLength: 64 }).map((b) => ({ data: Buffer.from(b), answerable: false })),
  ).map((f) => {
    // A random JSON value or string can still be an object with a numeric seq by chance.
    if (f.answerable || Buffer.isBuffer(f.data)) return f;
    try {
      const v = JSON.parse(f.data);
      return { ...f, answerable: typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.seq === 'number' };
    } catch {
      return f;
    }
  });

describe('any frames (WIRE-2, WIRE-9)', () => {
  it('answers exactly the frames with a readable seq, once each, and never disturbs another connection', async () => {
    const bystander = await RawClient.authed(server.url, 'ALICEKEY');
    await bystander.request('rrext_deploy_add', { pipeline: { project_id: 'bystander' }, schedule: '@daily' });
    let seqBase = 1_000;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 1_000_000 }).chain((n) => frame(n)), { maxLength: 25 }), async (generated) => {
        const noisy = await RawClient.authed(server.url);
        // Give answerable frames distinct seqs so each response can be attributed.
        const frames = generated.map((f) => (f.answerable && typeof f.data === 'string' ? renumber(f, ++seqBase) : f));
        for (const f of frames) noisy.sendRaw(f.data);
        const marker = await noisy.request('rrext_ping', undefined, -1);
        expect(marker.success).toBe(true);

        const replies = noisy.received.slice(1).map((t) => JSON.parse(t));
        const expected = frames.filter((f) => f.answerable).map((f) => seqOf(f));
        expect(replies.slice(0, -1).map((r) => r.request_seq)).toEqual(expected);
        replies.forEach((r, i) => expect(r.seq).toBe(i + 2));
        for (const t of noisy.received) expect(t).not.toContain('\n');

        const status = await bystander.request('rrext_deploy_status', { projectId: 'bystander' });
        expect(status.body).toMatchObject({ schedule: '@daily', userId: 'alice' });
        noisy.close();
      }),
      { numRuns: 60 },
    );
    bystander.close();
  });
});

function renumber(f: Frame, seq: number): Frame {
  const v = JSON.parse(f.data as string);
  return { data: JSON.stringify({ ...v, seq }), answerable: true };
}

function seqOf(f: Frame): number {
  const text = Buffer.isBuffer(f.data) ? f.data.toString('utf8').split('\n')[0]! : f.data;
  return JSON.parse(text).seq;
}
