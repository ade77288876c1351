/**
 * What the WebSocket door refuses before any DAP frame: web pages on foreign origins and
 * DNS-rebound host names, connections that never authenticate, and sockets that never finish
 * their handshake. Each refusal says why, and the connections already open keep working.
 */
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer, type MockServerOptions } from '../../src/index.js';
import { readAllowedOrigins } from '../../src/server/dap-access.js';
import { RawClient } from '../helpers/raw-client.js';

let server: MockServer | undefined;
const sockets: Socket[] = [];
const clients: RawClient[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

async function start(options: MockServerOptions = {}): Promise<MockServer> {
  server = await createMockServer({ port: 0, ...options });
  return server;
}

function tcp(port: number): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  // Read what comes, as a client does: a paused socket with an unread answer (Node's own
  // "408 Request Timeout" before it closes) never emits 'close'.
  socket.resume();
  sockets.push(socket);
  return socket;
}

/** A raw upgrade request with these headers: the status line and body of the answer. */
async function upgrade(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const socket = tcp(port);
  const lines = Object.entries({
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...headers,
  }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`GET /task/service HTTP/1.1\r\n${lines.join('')}\r\n`);
  let text = '';
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.startsWith('HTTP/1.1 101')) resolve();
    });
    socket.on('close', () => resolve());
  });
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), body: body.startsWith('\x88') ? '' : Buffer.from(body, 'latin1').toString('utf8') };
}

const closedWithin = (socket: Socket, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

describe('web pages and DNS-rebound names', () => {
  it('refuses an upgrade from a foreign Origin with 403 and a reason naming --allow-origin; logs it once', async () => {
    const log: string[] = [];
    const { port } = await start({ log: (line) => log.push(line) });
    for (const origin of ['http://evil.com', 'https://localhost.evil.com', 'null', 'not a url']) {
      const answer = await upgrade(port, { Origin: origin });
      expect(answer.status, origin).toBe(403);
      expect(answer.body).toContain(`WebSocket connections from web pages at ${JSON.stringify(origin)} are refused`);
      expect(answer.body).toContain('--allow-origin');
    }
    await upgrade(port, { Origin: 'http://evil.com' });
    expect(log.filter((line) => line.includes('"http://evil.com"'))).toHaveLength(1);
    expect(log[0]).toMatch(/^refused a WebSocket upgrade: /);
  });

  it('takes no Origin, loopback origins, and those allowed by allowOrigins or *', async () => {
    const { port } = await start({ allowOrigins: ['http://app.test:3000', 'null', 'chrome-extension://abcdef'] });
    for (const origin of [
      undefined,
      'http://localhost:3000',
      'http://127.0.0.1',
      'https://[::1]:8443',
      'http://dev.localhost',
      'HTTP://App.Test:3000',
      'null',
    ]) {
      expect((await upgrade(port, origin === undefined ? {} : { Origin: origin })).status, String(origin)).toBe(101);
    }
    expect((await upgrade(port, { Origin: 'chrome-extension://abcdef' })).status).toBe(101);
    expect((await upgrade(port, { Origin: 'http://app.test:3001' })).status).toBe(403);
    expect((await upgrade(port, { Origin: 'chrome-extension://other' })).body).toContain(
      '--allow-origin chrome-extension://other (createMockServer: allowOrigins: ["chrome-extension://other"])',
    );
    await server!.close();
    const any = await start({ allowOrigins: ['*'] });
    expect((await upgrade(any.port, { Origin: 'http://evil.com', Host: 'evil.com' })).status).toBe(101);
  });

  it('refuses, from this machine, a Host that is not a loopback name (a DNS-rebound page); the machine name and allowed hosts pass', async () => {
    const { port } = await start({ allowOrigins: ['http://app.test:3000'] });
    const answer = await upgrade(port, { Host: `evil.test:${port}` });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain(`to host "evil.test:${port}" are refused (a DNS-rebound name?)`);
    // IP literals pass (rebinding needs a name): the URL `serve --host 0.0.0.0` prints, for one.
    for (const host of [
      `localhost:${port}`,
      `[::1]:${port}`,
      `${hostname()}:${port}`,
      'app.test',
      `0.0.0.0:${port}`,
      `[::]:${port}`,
      `192.168.1.5:${port}`,
    ]) {
      expect((await upgrade(port, { Host: host })).status, host).toBe(101);
    }
  });

  it('a refused client that never closes its side does not keep its socket, nor keep close() waiting', async () => {
    const { port } = await start();
    const held = Array.from({ length: 5 }, () => {
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      socket.on('error', () => {});
      sockets.push(socket);
      socket.write(
        'GET /task/service HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      return new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d) => (text += d));
        socket.on('end', () => resolve(text)); // the server's side ended; this side stays open
      });
    });
    for (const answer of await Promise.all(held)) expect(answer).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    const closing = server!.close().then(() => 'closed');
    expect(await Promise.race([closing, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2500))])).toBe('closed');
    server = undefined;
  });

  it('the reference client and SDK-style clients (no Origin) still connect and work', async () => {
    const { url } = await start();
    const client = await RawClient.authed(url, 'MYAPIKEY');
    clients.push(client);
    expect((await client.request('rrext_ping')).success).toBe(true);
  });

  it('refuses allowOrigins entries that are not origins, naming them', async () => {
    for (const entry of ['app.test', 'http://app.test/path', 'ftp://app.test/x', 'http://app.test?x=1', '']) {
      expect(() => readAllowedOrigins([entry]), entry).toThrow(`allowOrigins: '${entry}' is not an origin`);
    }
    await expect(createMockServer({ port: 0, allowOrigins: ['app.test'] })).rejects.toThrow("'app.test' is not an origin");
  });
});

describe('connections that never authenticate', () => {
  it('closes one with 1008 after authTimeoutMs, and leaves authenticated ones open', async () => {
    const { url } = await start({ limits: { authTimeoutMs: 300 } });
    const opened = performance.now(); // before the connection: its timeout starts at the server's side of it
    const idle = await RawClient.open(url);
    const authed = await RawClient.authed(url, 'MYAPIKEY');
    clients.push(idle, authed);
    expect(await idle.closed).toEqual({ code: 1008, reason: 'Not authenticated within 0.3 s: send auth first (limit authTimeoutMs)' });
    expect(performance.now() - opened).toBeGreaterThanOrEqual(290);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await authed.request('rrext_ping')).success).toBe(true);
  });

  it('counts again from a deauth, and an auth in time keeps the connection', async () => {
    const { url } = await start({ limits: { authTimeoutMs: 400 } });
    const client = await RawClient.open(url);
    clients.push(client);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await client.request('auth', { auth: 'MYAPIKEY' })).success).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await client.request('deauth')).success).toBe(true);
    // Not closed by the deauth itself: still served a while after it, then closed.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await client.request('rrext_public_probe')).success).toBe(true);
    expect((await client.closed).code).toBe(1008);
  });

  it('with the default (10 s), a connection is not closed early', async () => {
    const { url } = await start();
    const idle = await RawClient.open(url);
    clients.push(idle);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await idle.request('rrext_public_probe')).success).toBe(true);
  });
});

describe('sockets that never finish their handshake', () => {
  const connected = (socket: Socket) => new Promise((resolve) => socket.once('connect', resolve));
  const idleFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('past maxHandshakesPerIp idle ones (waiting over a second), the oldest of that address is dropped; the newcomer stays', async () => {
    const { port } = await start({ limits: { maxHandshakesPerIp: 3 } });
    const silent = [tcp(port), tcp(port), tcp(port)];
    await Promise.all(silent.map(connected));
    await idleFor(1100);
    const newcomer = tcp(port);
    await connected(newcomer);
    expect(await closedWithin(silent[0]!, 1000)).toBe(true);
    expect(await closedWithin(newcomer, 200)).toBe(false);
    expect(silent.slice(1).every((socket) => !socket.destroyed)).toBe(true);
  });

  it('never resets a burst of clients connecting at once (all accepted before any request is read)', async () => {
    const { url } = await start();
    // 100: under maxUnauthenticatedPerIp (128), which these unauthenticated clients count against.
    const burst = await Promise.all(Array.from({ length: 100 }, () => RawClient.open(url)));
    clients.push(...burst);
    const answers = await Promise.all(burst.map((client) => client.request('rrext_public_probe')));
    expect(answers.every((a) => a.success)).toBe(true);
  });

  it('past maxHandshakes, the oldest idle one is dropped; while all are fresh, the newcomer is', async () => {
    const { port } = await start({ limits: { maxHandshakes: 2 } });
    const held = [tcp(port), tcp(port)];
    await Promise.all(held.map(connected));
    await idleFor(50);
    expect(await closedWithin(tcp(port), 1000)).toBe(true); // both held ones are fresh
    await idleFor(1100);
    const later = tcp(port);
    await connected(later);
    expect(await closedWithin(held[0]!, 1000)).toBe(true);
    expect(await closedWithin(later, 200)).toBe(false);
  });

  it('drops a socket that sends nothing, or half its headers, after handshakeTimeoutMs', async () => {
    const { port } = await start({ limits: { handshakeTimeoutMs: 300 } });
    const silent = tcp(port);
    const partial = tcp(port);
    partial.write('GET /task/service HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr');
    expect(await closedWithin(silent, 200)).toBe(false);
    // Generous: on a loaded machine timers fire late, never early (the line above holds the lower bound).
    expect(await closedWithin(silent, 5000)).toBe(true);
    expect(await closedWithin(partial, 5000)).toBe(true);
  });

  it('counts a keep-alive socket again once its request is answered: half a second request is dropped in time too', async () => {
    const { port } = await start({ limits: { handshakeTimeoutMs: 300 } });
    const socket = tcp(port);
    socket.write('GET /control/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    socket.write('GET /control/clock HTTP/1.1\r\nHost: 127.0');
    expect(await closedWithin(socket, 2000)).toBe(true);
  });

  it('many silent sockets from one address leave the server serving others', async () => {
    const { port, url } = await start({ limits: { maxHandshakes: 64 } });
    const flood = Array.from({ length: 200 }, () => tcp(port));
    // At most maxHandshakes are held at once; the rest are dropped.
    for (let waited = 0; flood.filter((socket) => !socket.destroyed).length > 64 && waited < 5000; waited += 20) await idleFor(20);
    expect(flood.filter((socket) => !socket.destroyed).length).toBeLessThanOrEqual(64);
    for (const socket of flood) socket.destroy();
    await idleFor(100);
    const client = await RawClient.authed(url, 'MYAPIKEY');
    clients.push(client);
    expect((await client.request('rrext_ping')).success).toBe(true);
  });
});
