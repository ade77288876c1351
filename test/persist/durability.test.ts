/**
 * "Acknowledged means durable": a reply to a change leaves only once the state file holds it;
 * writes are group commits; reads do not wait for the disk unless queued behind a held reply on
 * their own connection; a failed write is answered as such and does not stop the server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDeployCore } from '../../src/core-build.js';
import { DapSession } from '../../src/dap/session.js';
import { StateCommitter, type Durability } from '../../src/persist/committer.js';
import { NOT_SAVED_MESSAGE, ReplyQueue, type ReplyQueueOwner } from '../../src/persist/reply-queue.js';
import { RawClient, type DapResponse } from '../helpers/raw-client.js';
import { stateIn, Workspace } from './helpers.js';

const ws = new Workspace();
afterEach(() => ws.cleanUp());

/** A committer whose writes finish when the test says so. */
function manualCommitter() {
  const pending: Array<{ text: string; finish: (ok: boolean) => void }> = [];
  const errors: unknown[] = [];
  let n = 0;
  const committer = new StateCommitter(
    () => ['snapshot ', String(++n)],
    (chunks) =>
      new Promise<void>((resolve, reject) =>
        pending.push({ text: chunks.join(''), finish: (ok) => (ok ? resolve() : reject(new Error('disk full'))) }),
      ),
    (error) => errors.push(error),
  );
  return { committer, pending, errors };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('StateCommitter: group commit', () => {
  it('writes a burst of changes once, and changes made during a write in one more write', async () => {
    const { committer, pending } = manualCommitter();
    for (let i = 0; i < 100; i++) committer.changed();
    await turn();
    expect(pending.map((p) => p.text)).toEqual(['snapshot 1']);
    for (let i = 0; i < 50; i++) committer.changed(); // during the write
    const saved: boolean[] = [];
    committer.afterDurable(100, (ok) => saved.push(ok));
    committer.afterDurable(150, (ok) => saved.push(ok));
    pending.shift()!.finish(true);
    await turn();
    await turn();
    expect(saved).toEqual([true]);
    expect(committer.durable).toBe(100);
    expect(pending.map((p) => p.text)).toEqual(['snapshot 2']);
    pending.shift()!.finish(true);
    await turn();
    expect(saved).toEqual([true, true]);
    expect(committer.durable).toBe(150);
  });

  it('tells waiters a write failed, reports it, and a later write covers the lost changes', async () => {
    const { committer, pending, errors } = manualCommitter();
    committer.changed();
    const first = committer.flush();
    await turn();
    pending.shift()!.finish(false);
    expect(await first).toBe(false);
    expect(errors).toHaveLength(1);
    expect(committer.durable).toBe(0);
    const second = committer.flush(); // nothing changed since, but nothing is on disk: it tries again
    await turn();
    pending.shift()!.finish(true);
    expect(await second).toBe(true);
    expect(committer.durable).toBe(1);
  });
});

describe('ReplyQueue: order and holds', () => {
  function connection(owner: ReplyQueueOwner) {
    const wire: string[] = [];
    const queue = new ReplyQueue({ send: (t) => wire.push(t), close: (c) => wire.push(`close ${c}`) }, owner);
    return { queue, wire };
  }
  function owner(committer: Durability): ReplyQueueOwner {
    return { committer, closing: false, progressed() {} };
  }
  const reply = (seq: number, command: string) =>
    JSON.stringify({ type: 'response', seq, request_seq: seq, command, success: true, body: {} });

  it('holds a change until it is on disk, holds what follows on its connection, and not other connections', async () => {
    const { committer, pending } = manualCommitter();
    const a = connection(owner(committer));
    const b = connection(owner(committer));
    a.queue.request(() => {
      committer.changed();
      a.queue.send(reply(1, 'rrext_deploy_add'));
    });
    a.queue.request(() => a.queue.send(reply(2, 'rrext_deploy_list')));
    a.queue.request(() => a.queue.close(1000, 'bye'));
    b.queue.request(() => b.queue.send(reply(1, 'rrext_deploy_list')));
    expect(a.wire).toEqual([]);
    expect(b.wire).toEqual([reply(1, 'rrext_deploy_list')]); // another connection's read does not wait
    await turn();
    pending.shift()!.finish(true);
    await turn();
    expect(a.wire).toEqual([reply(1, 'rrext_deploy_add'), reply(2, 'rrext_deploy_list'), 'close 1000']);
  });

  it('counts the UTF-8 bytes it holds, and says when it holds nothing any more', async () => {
    const { committer, pending } = manualCommitter();
    const a = connection(owner(committer));
    const emptied: string[] = [];
    a.queue.onceEmpty(() => emptied.push('at once'));
    const add = reply(1, 'rrext_deploy_add').replace('{}', '{"name":"été ☃"}');
    a.queue.request(() => {
      committer.changed();
      a.queue.send(add);
    });
    const list = reply(2, 'rrext_deploy_list');
    a.queue.request(() => a.queue.send(list)); // behind the held one: held too
    expect(a.queue.heldBytes).toBe(Buffer.byteLength(add) + list.length);
    expect(Buffer.byteLength(add)).toBeGreaterThan(add.length);
    a.queue.onceEmpty(() => emptied.push('released'));
    expect(emptied).toEqual(['at once']);
    await turn();
    pending.shift()!.finish(true);
    await turn();
    expect(a.queue.heldBytes).toBe(0);
    expect(emptied).toEqual(['at once', 'released']);
    expect(a.wire).toEqual([add, list]);

    // A connection that ends drops what it holds, and nobody waits for it to empty.
    a.queue.request(() => {
      committer.changed();
      a.queue.send(reply(3, 'rrext_deploy_add'));
    });
    a.queue.onceEmpty(() => emptied.push('after the end'));
    a.queue.ended();
    expect(a.queue.heldBytes).toBe(0);
    await turn();
    pending.shift()!.finish(true);
    await turn();
    expect(emptied).toEqual(['at once', 'released']);
  });

  it('answers a change whose write failed with a failure that names no path', async () => {
    const { committer, pending } = manualCommitter();
    const a = connection(owner(committer));
    a.queue.request(() => {
      committer.changed();
      a.queue.send(reply(7, 'rrext_deploy_add'));
    });
    await turn();
    pending.shift()!.finish(false);
    await turn();
    expect(a.wire.map((t) => JSON.parse(t))).toEqual([
      { type: 'response', seq: 7, request_seq: 7, command: 'rrext_deploy_add', success: false, message: NOT_SAVED_MESSAGE },
    ]);
  });
});

describe('DapSession: which requests get no reply', () => {
  // The reply queue counts what it owes by these: every request is answered or reported unanswered, once.
  type Step = 'ping' | 'garbage' | 'no-reply' | 'fail' | 'close-fault' | 'bad-auth';
  const steps: readonly Step[] = ['ping', 'garbage', 'no-reply', 'fail', 'close-fault', 'bad-auth'];

  it('reports each request it will not answer to its transport, and no other', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...steps), { minLength: 1, maxLength: 30 }), (script) => {
        const core = buildDeployCore();
        let sent = 0;
        let unanswered = 0;
        const session = new DapSession(core, { send: () => void (sent += 1), close: () => {}, unanswered: () => void (unanswered += 1) });
        session.receive(JSON.stringify({ type: 'request', seq: 1, command: 'auth', arguments: { auth: 'MYAPIKEY' } }), false);
        script.forEach((step, i) => {
          const seq = i + 2;
          const ping = JSON.stringify({ type: 'request', seq, command: 'rrext_ping' });
          if (step === 'garbage') return session.receive('{"type":"request","command":"rrext_ping"}', false); // no seq: dropped
          if (step === 'bad-auth')
            return session.receive(JSON.stringify({ type: 'request', seq, command: 'auth', arguments: { auth: 'NOPE' } }), false);
          if (step === 'no-reply') core.faultPlan.add({ kind: 'no-reply', command: 'rrext_ping' });
          if (step === 'fail') core.faultPlan.add({ kind: 'fail', command: 'rrext_ping' });
          if (step === 'close-fault') core.faultPlan.add({ kind: 'close', command: 'rrext_ping' });
          session.receive(ping, false);
        });
        // The model: a dropped frame and an injected no-reply or close get no reply, and once the
        // connection is closing (an injected close, a refused auth) nothing does.
        let closed = false;
        let expected = 0;
        for (const step of script) {
          if (closed || step === 'garbage' || step === 'no-reply' || step === 'close-fault') expected += 1;
          if (step === 'close-fault' || step === 'bad-auth') closed = true;
        }
        expect({ sent, unanswered }).toEqual({ sent: 1 + script.length - expected, unanswered: expected });
        session.ended();
        core.stop();
      }),
    );
  });
});

describe('a server on a state file', () => {
  it('sends a reply to a change only once the file holds it, in order, seq intact', async () => {
    const file = join(await ws.dir(), 'state.json');
    const server = await ws.server(file);
    const client = await RawClient.authed(server.url);
    // On each reply, read the file at once: a reply to an add must find its deployment there.
    const onDisk = new Map<number, boolean>();
    client.socket.on('message', (data) => {
      const reply = JSON.parse(String(data)) as DapResponse;
      const holds = () => existsSync(file) && readFileSync(file, 'utf8').includes(`"project_id":"burst-${reply.request_seq}"`);
      if (reply.command === 'rrext_deploy_add') onDisk.set(reply.request_seq, holds());
    });
    const n = 60;
    for (let seq = 2; seq < 2 + n; seq++) {
      const command = seq % 3 === 0 ? 'rrext_deploy_list' : 'rrext_deploy_add';
      client.sendRaw(
        JSON.stringify({ type: 'request', seq, command, arguments: { pipeline: { project_id: `burst-${seq}`, pad: 'x'.repeat(20_000) } } }),
      );
    }
    await client.waitForMessages(1 + n);
    const replies = client.received.slice(1).map((t) => JSON.parse(t) as DapResponse);
    expect(replies.map((r) => r.request_seq)).toEqual(Array.from({ length: n }, (_, i) => i + 2));
    expect(replies.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 2));
    expect(replies.every((r) => r.success)).toBe(true);
    expect([...onDisk.values()].filter((found) => !found)).toEqual([]);
    expect(onDisk.size).toBe(replies.filter((r) => r.command === 'rrext_deploy_add').length);
  });

  it('reports a failed write, answers the change as not saved (no path), keeps serving, and recovers', async () => {
    const dir = await ws.dir();
    const file = join(dir, 'gone', 'state.json');
    await mkdir(join(dir, 'gone'));
    const log: string[] = [];
    const server = await ws.server(file, { log: (line) => log.push(line) });
    await rm(join(dir, 'gone'), { recursive: true }); // its folder removed under it: every write fails
    const client = await RawClient.authed(server.url);

    const add = await client.request('rrext_deploy_add', { pipeline: { project_id: 'kept-in-memory' } });
    expect(add).toMatchObject({ success: false, message: NOT_SAVED_MESSAGE });
    expect(add.message).not.toContain(dir);
    expect(log.some((line) => line.includes(file) && line.includes('ENOENT'))).toBe(true);
    // The change stands in memory, and the server goes on serving.
    expect((await client.request('rrext_deploy_list')).body.deployments).toHaveLength(1);
    const base = `http://127.0.0.1:${server.port}/control`;
    const revoke = await fetch(`${base}/keys/revoke`, { method: 'POST', body: JSON.stringify({ key: 'ALICEKEY' }) });
    expect(revoke.status).toBe(503);
    const body = (await revoke.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('STATE_NOT_SAVED');
    expect(body.error.message).not.toContain(dir);
    expect((await fetch(`${base}/clock`)).status).toBe(200);

    await mkdir(join(dir, 'gone'));
    expect((await client.request('rrext_deploy_add', { pipeline: { project_id: 'saved' } })).success).toBe(true);
    const saved = (await stateIn(file)) as { deployments: Array<{ projectId: string }>; users: { revokedKeys: string[] } };
    expect(saved.deployments.map((d) => d.projectId).sort()).toEqual(['kept-in-memory', 'saved']);
    expect(saved.users.revokedKeys).toEqual(['ALICEKEY']);
  });

  it('holds a control change over HTTP until it is on disk; a refused one and a read are not held', async () => {
    const file = join(await ws.dir(), 'state.json');
    const server = await ws.server(file);
    const base = `http://127.0.0.1:${server.port}/control`;
    const revoke = await fetch(`${base}/keys/revoke`, { method: 'POST', body: JSON.stringify({ key: 'ALICEKEY' }) });
    // The answer has left, so the file holds the revocation.
    const saved = (await stateIn(file)) as { users: { revokedKeys: string[] } };
    expect(revoke.status).toBe(200);
    expect(saved.users.revokedKeys).toEqual(['ALICEKEY']);
    expect((await fetch(`${base}/keys/revoke`, { method: 'POST', body: JSON.stringify({ key: 'NOSUCHKEY' }) })).status).toBe(404);
    expect((await fetch(`${base}/deployments`)).status).toBe(200);

    // Where every write fails, a change is answered "not saved"; a refused change and a read
    // do not wait for the disk, so they are answered as usual.
    const gone = join(await ws.dir(), 'gone');
    await mkdir(gone);
    const failing = await ws.server(join(gone, 'state.json'));
    await rm(gone, { recursive: true }); // its folder removed under it: every write fails
    const failingBase = `http://127.0.0.1:${failing.port}/control`;
    expect((await fetch(`${failingBase}/keys/revoke`, { method: 'POST', body: JSON.stringify({ key: 'ALICEKEY' }) })).status).toBe(503);
    expect((await fetch(`${failingBase}/keys/revoke`, { method: 'POST', body: JSON.stringify({ key: 'NOSUCHKEY' }) })).status).toBe(404);
    const read = await fetch(`${failingBase}/deployments`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ items: [], next: null });
  });

  it('creates no file until something changes, and writes it readable by its owner only', async () => {
    const file = join(await ws.dir(), 'state.json');
    const server = await ws.server(file);
    const client = await RawClient.authed(server.url);
    await client.request('rrext_deploy_list');
    expect(existsSync(file)).toBe(false);
    await client.request('rrext_deploy_add', { pipeline: { project_id: 'first' } });
    const { statSync } = await import('node:fs');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
