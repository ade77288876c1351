/**
 * The baseline: a bare `ws` server on 127.0.0.1, in its own process, on the same path as the
 * mock so the load client cannot tell them apart. Plain JS run by `node` (no tsx loader), like
 * the mock's compiled dist/cli.js. Prints the same "listening on ws://..." line.
 *
 * `--replies FILE` makes it answer as the mock does, without doing the mock's work: FILE holds,
 * per command, a reply recorded from the mock split around its `request_seq` (bench/replay.ts);
 * each request is parsed (as any server must, to know what it is answering) and answered with
 * that command's reply and its own seq. So the load client reads replies of the same size and
 * shape from both servers, and the ratio measures the server, not the reply. Without the flag,
 * it sends each frame back unchanged.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { replies: { type: 'string' } } });
/** command -> [the reply's text before its request_seq, the text after]. */
const replies = values.replies === undefined ? undefined : new Map(Object.entries(JSON.parse(readFileSync(values.replies, 'utf8'))));

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/task/service', perMessageDeflate: false });

wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    if (!replies) return socket.send(data, { binary: isBinary });
    const request = JSON.parse(data.toString());
    const reply = replies.get(request.command);
    if (!reply) return socket.send(data, { binary: isBinary });
    socket.send(reply[0] + request.seq + reply[1]);
  });
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
