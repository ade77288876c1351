/**
 * The frame journal and injected faults, through real connections: what a test of an SDK (or
 * of an app) sees when it reads what a client sent, and when it makes the server misbehave.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMockServer, DeployClient, type MockServer } from '../../src/index.js';
import { recordFrame } from '../helpers/record-frame.js';
import { FrameJournal } from '../../src/dap/journal.js';
import { RawClient } from '../helpers/raw-client.js';

let server: MockServer;
beforeEach(async () => {
  server = await createMockServer({ clock: { mode: 'fake', startAt: '2026-01-05T10:07:00Z' } });
});
afterEach(() => server.close());

const connectionOf = (userId: string) => server.control.connections().find((c) => c.userId === userId)!.id;

describe('frame journal', () => {
  it('records what a client sent and what it got, per connection, with user, time and parsed message', async () => {
    const client = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
    await client.connect();
    await client.deploy.add({ project_id: 'p1' });
    await client.disconnect();

    const adds = server.journal.find({ command: 'rrext_deploy_add', direction: 'in' });
    expect(adds).toHaveLength(1);
    expect(adds[0]!.message!['arguments']).toEqual({ pipeline: { project_id: 'p1' } });
    expect(adds[0]).toMatchObject({ userId: 'local', type: 'request', at: '2026-01-05T10:07:00.000Z' });

    const all = server.journal.find({ connectionId: adds[0]!.connectionId });
    expect(all.map((e) => `${e.direction} ${e.command}`)).toEqual([
      'in auth',
      'out auth',
      'in rrext_deploy_add',
      'out rrext_deploy_add',
      'in deauth',
      'out deauth',
    ]);
    // The auth request is attributed to the user it authenticated; deauth's answer to its asker.
    expect(all.every((e) => e.userId === 'local')).toBe(true);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => a - b));
  });

  it('keeps frames that are not requests, showing their text, and binary payload sizes', async () => {
    const raw = await RawClient.authed(server.url);
    raw.sendRaw('not json');
    raw.sendRaw(Buffer.concat([Buffer.from('{"type":"request","seq":9,"command":"rrext_ping"}\n'), Buffer.alloc(5)]));
    await raw.responseTo(9);
    const inbound = server.journal.find({ direction: 'in' });
    expect(inbound.find((e) => e.text === 'not json')).toMatchObject({ message: null, command: null, type: null });
    expect(inbound.find((e) => e.command === 'rrext_ping')).toMatchObject({ payloadBytes: 5, message: { seq: 9 } });
    raw.socket.close();
  });

  it('filters by user, type and `after` a mark, and clears', async () => {
    const alice = await RawClient.authed(server.url, 'ALICEKEY');
    const local = await RawClient.authed(server.url, 'MYAPIKEY');
    const mark = Math.max(...server.journal.find().map((e) => e.id));
    await alice.request('rrext_deploy_list');
    await local.request('rrext_deploy_list');
    expect(server.journal.find({ after: mark, userId: 'alice', type: 'response' }).map((e) => e.command)).toEqual(['rrext_deploy_list']);
    expect(server.journal.find({ after: mark })).toHaveLength(4);
    server.journal.clear();
    expect(server.journal.find()).toEqual([]);
    await alice.request('rrext_ping');
    expect(
      server.journal
        .find()
        .map((e) => e.id)
        .every((id) => id > mark + 4),
    ).toBe(true);
    alice.socket.close();
    local.socket.close();
  });

  it('views are copies: changing one changes nothing the next reader sees', async () => {
    const raw = await RawClient.authed(server.url);
    const [first] = server.journal.find({ command: 'auth', direction: 'in' });
    (first!.message!['arguments'] as Record<string, unknown>)['auth'] = 'changed';
    expect(server.journal.find({ command: 'auth', direction: 'in' })[0]!.message!['arguments']).toMatchObject({ auth: 'MYAPIKEY' });
    raw.socket.close();
  });

  it('is bounded by entries and by the UTF-8 bytes of frame text, oldest first, counting what it dropped', () => {
    const journal = new FrameJournal({ entries: 3, bytes: 40 }, () => 0);
    const kept = () => journal.find().map((e) => e.message?.['seq'] ?? e.text);
    for (let i = 1; i <= 5; i++) recordFrame(journal, 1, 'out', `{"seq":${i}}`, undefined, undefined); // 9 bytes each
    expect(kept()).toEqual([3, 4, 5]);
    expect(journal.dropped).toBe(2);
    // 10 characters, 20 bytes: the entries bound drops seq 3, and 9 + 9 + 20 bytes fit in 40.
    recordFrame(journal, 1, 'in', 'é'.repeat(10), undefined, undefined);
    expect(kept()).toEqual([4, 5, 'é'.repeat(10)]);
    expect(journal.dropped).toBe(3);
    // 13 bytes: the entries bound drops seq 4; 9 + 20 + 13 is over 40, so seq 5 goes too.
    recordFrame(journal, 1, 'in', 'x'.repeat(13), undefined, undefined);
    expect(kept()).toEqual(['é'.repeat(10), 'x'.repeat(13)]);
    expect(journal.dropped).toBe(5);
    // 14 characters but 42 bytes: larger than the whole budget, so not kept (and counted).
    recordFrame(journal, 1, 'in', '€'.repeat(14), undefined, undefined);
    expect(kept()).toEqual(['é'.repeat(10), 'x'.repeat(13)]);
    expect(journal.dropped).toBe(6);
    // Exactly 40 bytes: kept, alone.
    recordFrame(journal, 1, 'in', `${'€'.repeat(13)}a`, undefined, undefined);
    expect(kept()).toEqual([`${'€'.repeat(13)}a`]);
    expect(journal.dropped).toBe(8);
    expect(() => new FrameJournal({ entries: -1, bytes: 1 }, () => 0)).toThrow(/entries limit/);
    expect(() => new FrameJournal({ entries: 1, bytes: 0 }, () => 0)).toThrow(/bytes limit/);
  });

  it('can be turned off', async () => {
    const quiet = await createMockServer({ journal: { entries: 0 } });
    const raw = await RawClient.authed(quiet.url);
    expect(quiet.journal.find()).toEqual([]);
    raw.socket.close();
    await quiet.close();
  });

  it('attributes a re-auth to the user it authenticated, and what follows to that user', async () => {
    const raw = await RawClient.authed(server.url, 'MYAPIKEY');
    await raw.request('auth', { auth: 'ALICEKEY' });
    await raw.request('rrext_ping');
    const entries = server.journal.find({ direction: 'in' });
    expect(entries.map((e) => `${e.command} ${e.userId}`)).toEqual(['auth local', 'auth alice', 'rrext_ping alice']);
    raw.socket.close();
  });

  it('lists open connections with their user, and forgets closed ones', async () => {
    const raw = await RawClient.authed(server.url, 'ALICEKEY');
    const anonymous = await RawClient.open(server.url);
    expect(
      server.control
        .connections()
        .map((c) => c.userId)
        .sort(),
    ).toEqual(['alice', null]);
    raw.socket.close();
    await raw.closed;
    await expect.poll(() => server.control.connections().length).toBe(1);
    anonymous.socket.close();
  });
});

describe('injected faults', () => {
  it('fail: the next matching command fails with the message and is not run', async () => {
    const raw = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'fail', command: 'rrext_deploy_add', message: 'Disk full' });
    const failed = await raw.request('rrext_deploy_add', { pipeline: { project_id: 'p1' } });
    expect(failed).toMatchObject({ success: false, message: 'Disk full' });
    expect((await raw.request('rrext_deploy_list')).body).toEqual({ deployments: [] });
    expect((await raw.request('rrext_deploy_add', { pipeline: { project_id: 'p1' } })).success).toBe(true); // used up
    expect(server.control.faults()).toEqual([]);
    raw.socket.close();
  });

  it('reply: the next matching command is answered with the body as given', async () => {
    const raw = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'reply', command: 'rrext_deploy_list', body: { something: 'else' } });
    expect((await raw.request('rrext_deploy_list')).body).toEqual({ something: 'else' });
    raw.socket.close();
  });

  it('no-reply: the command runs but is not answered; later ones are', async () => {
    const raw = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'no-reply', command: 'deauth' });
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 50, command: 'deauth' }));
    // deauth ran: the connection is unauthenticated now, so a deploy command is gated.
    const gated = await raw.request('rrext_deploy_list');
    expect(gated.message).toBe('Not authenticated');
    expect(raw.received.map((t) => JSON.parse(t).request_seq)).not.toContain(50);
  });

  it('close: the connection closes with the code when the command arrives, unanswered', async () => {
    const raw = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'close', command: 'rrext_deploy_status', code: 4001, reason: 'gone' });
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 7, command: 'rrext_deploy_status', arguments: { projectId: 'x' } }));
    expect(await raw.closed).toEqual({ code: 4001, reason: 'gone' });
    expect(raw.received.some((t) => JSON.parse(t).request_seq === 7)).toBe(false);
  });

  it('delay: responses wait, and seq still increases on the wire', async () => {
    const raw = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'delay', command: 'rrext_deploy_list', ms: 150 });
    const from = raw.received.length;
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 10, command: 'rrext_deploy_list' }));
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 11, command: 'rrext_ping' }));
    await raw.responseTo(10, from);
    const replies = raw.received.slice(from).map((t) => JSON.parse(t));
    expect(replies.map((r) => r.request_seq)).toEqual([11, 10]);
    expect(replies[1].seq).toBe(replies[0].seq + 1);
    raw.socket.close();
  });

  it('reorder: the next N responses leave in reverse order, each still matched by request_seq', async () => {
    const raw = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'reorder', count: 3 });
    const from = raw.received.length;
    for (const seq of [20, 21, 22]) raw.sendRaw(JSON.stringify({ type: 'request', seq, command: 'rrext_ping' }));
    await raw.responseTo(20, from);
    expect(raw.received.slice(from).map((t) => JSON.parse(t).request_seq)).toEqual([22, 21, 20]);
    raw.socket.close();
  });

  it('reorder: a group that never fills is sent after its hold time, reversed', async () => {
    const raw = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'reorder', count: 5, ms: 100 });
    const from = raw.received.length;
    for (const seq of [30, 31]) raw.sendRaw(JSON.stringify({ type: 'request', seq, command: 'rrext_ping' }));
    await raw.responseTo(30, from);
    expect(raw.received.slice(from).map((t) => JSON.parse(t).request_seq)).toEqual([31, 30]);
    raw.socket.close();
  });

  it('is scoped to one connection, one user, one command and a count', async () => {
    const alice = await RawClient.authed(server.url, 'ALICEKEY');
    const local = await RawClient.authed(server.url, 'MYAPIKEY');
    server.control.injectFault({ kind: 'fail', connectionId: connectionOf('alice'), count: 2, message: 'only alice' });
    server.control.injectFault({ kind: 'fail', userId: 'local', command: 'rrext_deploy_status', message: 'only status' });
    expect((await local.request('rrext_deploy_list')).success).toBe(true);
    expect((await local.request('rrext_deploy_status', { projectId: 'x' })).message).toBe('only status');
    expect((await alice.request('rrext_ping')).message).toBe('only alice');
    expect((await alice.request('rrext_deploy_list')).message).toBe('only alice');
    expect((await alice.request('rrext_deploy_list')).success).toBe(true);
    alice.socket.close();
    local.socket.close();
  });

  it('can be listed, removed one by one and cleared; reset clears faults and the journal', async () => {
    const a = server.control.injectFault({ kind: 'no-reply', count: 3 });
    server.control.injectFault({ kind: 'delay', ms: 10 });
    expect(server.control.faults().map((f) => [f.kind, f.remaining])).toEqual([
      ['no-reply', 3],
      ['delay', 1],
    ]);
    expect(server.control.removeFault(a.id)).toEqual({ id: a.id, removed: true });
    expect(() => server.control.removeFault(a.id)).toThrow(expect.objectContaining({ code: 'FAULT_NOT_FOUND' }));
    expect(server.control.clearFaults()).toEqual({ cleared: 1 });
    server.control.injectFault({ kind: 'fail' });
    const raw = await RawClient.authed(server.url).catch((e: Error) => e);
    expect(raw).toBeInstanceOf(Error); // the auth itself got the injected failure
    server.control.reset();
    expect(server.control.faults()).toEqual([]);
    expect(server.journal.find()).toEqual([]);
  });

  it('removing a reorder fault sends what it held', async () => {
    const raw = await RawClient.authed(server.url);
    const fault = server.control.injectFault({ kind: 'reorder', count: 3, ms: 60_000 });
    const from = raw.received.length;
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 40, command: 'rrext_ping' }));
    await expect.poll(() => server.journal.find({ command: 'rrext_ping', direction: 'in' }).length).toBe(1);
    server.control.removeFault(fault.id);
    expect((await raw.responseTo(40, from)).body).toEqual({ pong: true });
    raw.socket.close();
  });

  it('a no-reply or close fault does not use up a matching delay fault (nothing was sent to delay)', async () => {
    const raw = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'delay', ms: 10, count: 2 });
    server.control.injectFault({ kind: 'no-reply', command: 'rrext_deploy_list' });
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 70, command: 'rrext_deploy_list' }));
    await raw.request('rrext_ping'); // delayed: uses one count
    expect(server.control.faults()).toMatchObject([{ kind: 'delay', remaining: 1 }]);
    raw.socket.close();
  });

  it('responses held by a fault are not sent (nor journaled) once the server has closed the connection', async () => {
    const raw = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'reorder', count: 2, ms: 200 });
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 80, command: 'rrext_deploy_list' }));
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 81, command: 'auth', arguments: { auth: 'WRONG' } }));
    await raw.closed;
    // The refusal was held with the list's answer, then sent last first, then the connection closed.
    expect(raw.received.map((t) => JSON.parse(t).request_seq)).toEqual([1, 81]);
    expect(server.journal.find({ direction: 'out', command: 'rrext_deploy_list' })).toEqual([]);
  });

  it('clearing faults sends what a reorder group holds; closing the server leaves no timer behind', async () => {
    const raw = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'reorder', count: 3, ms: 60_000 });
    const from = raw.received.length;
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 90, command: 'rrext_ping' }));
    await expect.poll(() => server.journal.find({ command: 'rrext_ping', direction: 'in' }).length).toBe(1);
    expect(server.control.clearFaults()).toEqual({ cleared: 1 });
    expect((await raw.responseTo(90, from)).body).toEqual({ pong: true });
    server.control.injectFault({ kind: 'reorder', count: 3, ms: 60_000 });
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 91, command: 'rrext_ping' }));
    await expect.poll(() => server.journal.find({ command: 'rrext_ping', direction: 'in' }).length).toBe(2);
    await server.close();
    expect(server.control.faults()).toEqual([]);
  });

  it('refuses bad specs with a message naming the field', () => {
    const bad = (spec: unknown) => () => server.control.injectFault(spec as never);
    expect(bad({ kind: 'explode' })).toThrow(/kind must be one of/);
    expect(bad({ kind: 'delay' })).toThrow(/needs ms/);
    expect(bad({ kind: 'delay', ms: 5, message: 'x' })).toThrow(/does not take 'message'/);
    expect(bad({ kind: 'close', code: 1006 })).toThrow(/close code a server may send/);
    expect(bad({ kind: 'reorder', count: 1 })).toThrow(/count must be a whole number of at least 2/);
    expect(bad({ kind: 'fail', connectionId: 'abc' })).toThrow(/connectionId must be a whole number/);
    expect(bad({ kind: 'reply', body: [] })).toThrow(/body must be a JSON object/);
    expect(bad({ kind: 'reply', body: { n: 1n } })).toThrow(/body must be JSON/);
    expect(bad({ kind: 'delay', ms: '30d' })).toThrow(/at most 2147483647/);
    expect(server.control.injectFault({ kind: 'fail', command: undefined } as never)).toMatchObject({ kind: 'fail' });
    server.control.clearFaults();
    expect(server.control.faults()).toEqual([]);
  });

  it('a delayed answer to a closed connection is dropped without error', async () => {
    const raw = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'delay', ms: 300 });
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 60, command: 'rrext_ping' }));
    await expect.poll(() => server.journal.find({ command: 'rrext_ping', direction: 'in' }).length).toBe(1);
    raw.socket.terminate();
    await new Promise((r) => setTimeout(r, 400));
    expect(server.journal.find({ command: 'rrext_ping', direction: 'out' })).toEqual([]);
    expect(server.stats().connections).toBe(0);
  });
});
