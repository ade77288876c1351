/**
 * WIRE-1..9: the session and the transport.
 */
import { expect } from 'vitest';
import { check } from '../context.js';

check(['WIRE-1', 'WIRE-2', 'WIRE-4'], 'auth with a valid key answers one single-line response with a ConnectResult', async (t) => {
  const c = await t.connect();
  const reply = await c.request('auth', { auth: t.config.keys.primary, clientName: 'TypeScript SDK', clientVersion: '1.1.0' }, 1);
  expect(reply.raw).not.toMatch(/[\r\n]/);
  expect(reply).toMatchObject({ type: 'response', request_seq: 1, command: 'auth', success: true });
  expect(typeof reply.seq).toBe('number');
  expect(reply.body).toEqual(expect.objectContaining({ userId: expect.any(String), userToken: expect.any(String), displayName: expect.any(String) }));
  expect(Array.isArray(reply.body.organizations)).toBe(true);
});

check(['WIRE-2'], "the server's seq grows by one per message on each connection; request_seq echoes as a number", async (t) => {
  const a = await t.session();
  const b = await t.session();
  const replies = [await a.request('rrext_ping', undefined, 500), await a.request('rrext_ping', {}, 7), await b.request('rrext_ping', {}, 9)];
  expect(replies.map((r) => r.request_seq)).toEqual([500, 7, 9]);
  const [first, second] = replies;
  expect(typeof first!.seq).toBe('number');
  expect(second!.seq).toBe((first!.seq as number) + 1);
});

check(['WIRE-2', 'WIRE-8'], 'an unknown command fails with a message naming it, and the connection stays open', async (t) => {
  const c = await t.session();
  const reply = await c.request('rrext_no_such_command', {});
  expect(reply).toMatchObject({ success: false, command: 'rrext_no_such_command' });
  expect(String(reply.message)).toContain('rrext_no_such_command');
  expect(reply).not.toHaveProperty('body');
  expect((await c.request('rrext_ping')).success).toBe(true);
});

check(['WIRE-3'], 'before auth, a gated command fails with Not authenticated and the connection is closed', async (t) => {
  for (const command of ['rrext_ping', 'rrext_deploy_list', 'deauth']) {
    const c = await t.connect();
    const reply = await c.request(command, {});
    expect(reply.success, command).toBe(false);
    expect(String(reply.message)).toMatch(/not authenticated/i);
    expect(await c.waitForClose(), `${command}: the connection should close`).toBeDefined();
  }
});

check(['WIRE-4'], 'an invalid or empty key fails, then the connection is closed', async (t) => {
  for (const auth of ['', `${t.config.prefix}not-a-key`]) {
    const c = await t.connect();
    const reply = await c.request('auth', { auth });
    expect(reply.success).toBe(false);
    expect(String(reply.message).length).toBeGreaterThan(0);
    expect(await c.waitForClose()).toBeDefined();
  }
});

check(['WIRE-5'], 'auth attempts per connection are bounded: past the cap the request fails and the connection closes', async (t) => {
  const c = await t.connect();
  let refused = false;
  for (let i = 0; i < 20 && !refused; i++) {
    const reply = await c.request('auth', { auth: t.config.keys.primary });
    refused = reply.success !== true;
  }
  expect(refused, 'twenty auth requests were all accepted').toBe(true);
  expect(await c.waitForClose()).toBeDefined();
});

check(['WIRE-6', 'WIRE-3'], 'deauth answers, and the connection is unauthenticated again', async (t) => {
  const c = await t.session();
  const reply = await c.request('deauth');
  expect(reply.success).toBe(true);
  expect(typeof reply.body).toBe('object');
  const gated = await c.request('rrext_ping');
  expect(gated.success).toBe(false);
  expect(String(gated.message)).toMatch(/not authenticated/i);
});

check(['WIRE-7'], 'rrext_ping works once authenticated; rrext_public_probe works before and after', async (t) => {
  const c = await t.connect();
  expect((await c.request('rrext_public_probe')).success).toBe(true);
  expect((await c.request('auth', { auth: t.config.keys.primary })).success).toBe(true);
  expect((await c.request('rrext_ping')).success).toBe(true);
  expect((await c.request('rrext_public_probe', {})).success).toBe(true);
});

check(['WIRE-1'], 'a binary frame: JSON header, newline, payload; and without the newline, plain JSON', async (t) => {
  const c = await t.session();
  const header = JSON.stringify({ type: 'request', seq: 41, command: 'rrext_ping' });
  await c.sendRaw(Buffer.concat([Buffer.from(header), Buffer.from([0x0a, 0x00, 0xff, 0x0a])]));
  expect(await c.replyTo(41)).toMatchObject({ success: true, request_seq: 41 });
  await c.sendRaw(Buffer.from(JSON.stringify({ type: 'request', seq: 42, command: 'rrext_ping' })));
  expect(await c.replyTo(42)).toMatchObject({ success: true, request_seq: 42 });
});

check(['WIRE-9'], 'malformed frames never crash the server or disturb other connections', async (t) => {
  const noisy = await t.session();
  const quiet = await t.session();
  const frames: Array<string | Buffer> = ['not json', '[1,2]', '42', 'null', '{"type":"request","command":"rrext_ping"}', Buffer.from([0xff, 0x00, 0x7b]), '['.repeat(10_000)];
  for (const frame of frames) {
    await noisy.sendRaw(frame);
    expect((await quiet.request('rrext_ping')).success).toBe(true);
  }
  // A request whose seq can be read gets a failed response, even with wrong field types.
  await noisy.sendRaw('{"type":"request","seq":77,"command":7}');
  expect(await noisy.replyTo(77)).toMatchObject({ success: false, request_seq: 77 });
  await noisy.sendRaw('{"type":"request","seq":78,"command":"rrext_ping","arguments":[1]}');
  expect(await noisy.replyTo(78)).toMatchObject({ success: false, request_seq: 78 });
  expect((await noisy.request('rrext_ping')).success).toBe(true);
});
