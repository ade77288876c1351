/**
 * The fixture closes its server after each test, whether the test passed or failed. The tests of
 * this file run in order: each odd one keeps its server and a connection to it, the next one
 * checks that server was closed after the test that used it.
 */
import { connect as tcpConnect } from 'node:net';
import { WebSocket } from 'ws';
import type { MockServer } from '../../src/index.js';
import { expect, test } from '../../src/vitest/index.js';

interface Captured {
  server: MockServer;
  socket: WebSocket;
  /** The close code the server's connection was closed with. */
  closed: Promise<number>;
}

/** Keeps the server and opens a WebSocket to it, left open for the fixture to close. */
async function capture(server: MockServer): Promise<Captured> {
  const socket = new WebSocket(server.url);
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  expect(server.stats().connections).toBe(1);
  return { server, socket, closed };
}

/** Resolves with the error code of a TCP connection attempt to the port (null if it connected). */
function tcpError(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

async function expectClosed(captured: Captured | undefined): Promise<void> {
  expect(captured).toBeDefined();
  // The fixture's teardown has finished before this test starts, and the server's close() waits
  // for the closing handshake: the connection is closing or closed by now, not open.
  expect(captured!.socket.readyState, "the connection to the previous test's server is still open").not.toBe(WebSocket.OPEN);
  expect(await captured!.closed).toBe(1001); // the server's close(): "Server shutting down"
  expect(captured!.server.stats().connections).toBe(0);
  expect(await tcpError(captured!.server.port)).toBe('ECONNREFUSED');
}

let passed: Captured | undefined;
test('a passing test uses its server and leaves a connection open', async ({ mockServer }) => {
  passed = await capture(mockServer);
});

test('the server of the passing test was closed after it', async () => {
  await expectClosed(passed);
});

let failed: Captured | undefined;
test.fails('a failing test uses its server and leaves a connection open', async ({ mockServer }) => {
  failed = await capture(mockServer);
  expect('this test').toBe('failing on purpose');
});

test('the server of the failing test was closed after it too', async () => {
  await expectClosed(failed);
});
