/**
 * Graceful shutdown: SIGTERM (and server.close()) stop taking connections and requests, answer
 * the requests already received (delayed by a fault, or held for the disk), write the state,
 * close every connection with 1001, and exit 0.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { InFlight } from '../../src/persist/in-flight.js';
import { RawClient } from '../helpers/raw-client.js';
import { stateIn, Workspace } from './helpers.js';

const ws = new Workspace();
afterEach(() => ws.cleanUp());

/** Resolves with how a new connection attempt ended: 'open' or its error code. */
function tryConnect(url: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.terminate();
      resolve('open');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

const projects = async (file: string) =>
  ((await stateIn(file)) as { deployments: Array<{ projectId: string }> }).deployments.map((d) => d.projectId).sort();

describe.each(['SIGTERM', 'SIGINT'] as const)('serve --state-file on %s', (signal) => {
  it('answers the request it holds, saves it, closes with 1001, refuses newcomers and exits 0', async () => {
    const file = join(await ws.dir(), 'state.json');
    const server = ws.serve(file);
    const url = await server.url();
    const control = `${await server.controlBase()}/control`;
    const busy = await RawClient.authed(url);
    const idle = await RawClient.authed(url, 'ALICEKEY');
    expect((await busy.request('rrext_deploy_add', { pipeline: { project_id: 'before' } })).success).toBe(true);

    // The next add is held for 800 ms by an injected delay; the signal comes while it waits.
    await fetch(`${control}/faults`, { method: 'POST', body: JSON.stringify({ kind: 'delay', command: 'rrext_deploy_add', ms: 800 }) });
    busy.sendRaw(
      JSON.stringify({ type: 'request', seq: 50, command: 'rrext_deploy_add', arguments: { pipeline: { project_id: 'in-flight' } } }),
    );
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${control}/journal?command=rrext_deploy_add&direction=in`)).json()) as { items: unknown[] }).items.length,
      )
      .toBe(2);
    server.child.kill(signal);
    await server.printed(new RegExp(`${signal} received, shutting down \\(at most 5 s\\)`));

    expect(await tryConnect(url)).toBe('ECONNREFUSED');
    expect(await busy.responseTo(50)).toMatchObject({ success: true, body: { pipeline: { project_id: 'in-flight' } } });
    expect(await busy.closed).toEqual({ code: 1001, reason: 'Server shutting down' });
    expect(await idle.closed).toEqual({ code: 1001, reason: 'Server shutting down' });
    expect(await server.run.exited).toBe(0);
    expect(await projects(file)).toEqual(['before', 'in-flight']);
  });
});

describe('server.close()', () => {
  it('answers what it holds for the disk and for a fault first, then closes with 1001', async () => {
    const file = join(await ws.dir(), 'state.json');
    const log: string[] = [];
    const server = await ws.server(file, { log: (line) => log.push(line) });
    const client = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'delay', command: 'rrext_ping', ms: 300 });
    client.sendRaw(JSON.stringify({ type: 'request', seq: 2, command: 'rrext_ping' }));
    client.sendRaw(
      JSON.stringify({
        type: 'request',
        seq: 3,
        command: 'rrext_deploy_add',
        arguments: { pipeline: { project_id: 'last', pad: 'x'.repeat(1_000_000) } },
      }),
    );
    await expect.poll(() => server.journal.find({ command: 'rrext_deploy_add', direction: 'in' }).length).toBe(1);
    const closing = server.close();
    // New work is refused from the start of the shutdown, and nobody new gets in.
    expect(await tryConnect(server.url)).toBe('ECONNREFUSED');
    await closing;
    const replies = client.received.slice(1).map((t) => JSON.parse(t) as { request_seq: number; success: boolean });
    expect(replies.map((r) => [r.request_seq, r.success]).sort()).toEqual([
      [2, true],
      [3, true],
    ]);
    expect(await client.closed).toEqual({ code: 1001, reason: 'Server shutting down' });
    expect(await projects(file)).toEqual(['last']);
    expect(log).toEqual([]); // it did not have to give up waiting (that logs a line)
  });

  it('does not wait for a request an injected no-reply or a dropped frame leaves unanswered', async () => {
    const log: string[] = [];
    const server = await ws.server(join(await ws.dir(), 'state.json'), { log: (line) => log.push(line) });
    const client = await RawClient.authed(server.url);
    server.control.injectFault({ kind: 'no-reply', command: 'rrext_ping' });
    client.sendRaw(JSON.stringify({ type: 'request', seq: 2, command: 'rrext_ping' }));
    client.sendRaw('{"type":"request","command":"rrext_ping"}'); // no seq: dropped unanswered
    await expect.poll(() => server.journal.find({ direction: 'in' }).length).toBe(3);
    await server.close();
    // Nothing was owed, so the drain did not wait out its limit (that logs a line).
    expect(log).toEqual(["dropped a frame with no numeric 'seq'"]);
    expect(await client.closed).toEqual({ code: 1001, reason: 'Server shutting down' });
  });
});

describe('during a shutdown', () => {
  it('an HTTP request that still reaches the server is refused with 503, not served', async () => {
    const inFlight = new InFlight(undefined);
    let served = 0;
    const http = createServer(inFlight.http((_, response) => void ((served += 1), response.end())));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    expect((await fetch(base)).status).toBe(200);
    await inFlight.drain(); // what a shutdown does first
    const refused = await fetch(base);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({ error: { code: 'SHUTTING_DOWN', message: 'The server is shutting down' } });
    expect(served).toBe(1);
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
});
