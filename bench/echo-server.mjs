/**
 * The baseline: a bare `ws` echo server on 127.0.0.1, in its own process, on the same path as
 * the mock so the load client cannot tell them apart. Plain JS run by `node` (no tsx loader),
 * like the mock's compiled dist/cli.js. Prints the same "listening on ws://..." line.
 */
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/task/service', perMessageDeflate: false });

wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => {});
});

wss.on('listening', () => {
  const address = wss.address();
  const port = typeof address === 'string' ? address : address.port;
  console.log(`echo server listening on ws://127.0.0.1:${port}/task/service`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const socket of wss.clients) socket.terminate();
    wss.close(() => process.exit(0));
  });
}
