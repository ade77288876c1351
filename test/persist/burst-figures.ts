/**
 * Prints what a state file costs a burst of changes: N adds pipelined on one connection (and
 * spread over several), with no state file and with one. Not a test: figures for the record.
 *
 *   npx tsx test/persist/burst-figures.ts
 *   strace -f -c -e trace=rename,fsync npx tsx test/persist/burst-figures.ts   # counts the writes
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';

const ADDS = 2000;
const PAD = 'x'.repeat(1000);

async function burst(stateFile: string | undefined, connections: number): Promise<number> {
  const server = await createMockServer({ port: 0, clock: 'fake', ...(stateFile && { stateFile }) });
  const clients = await Promise.all(Array.from({ length: connections }, () => RawClient.authed(server.url)));
  const started = performance.now();
  const per = ADDS / connections;
  clients.forEach((client, c) => {
    for (let i = 0; i < per; i++) {
      const frame = { type: 'request', seq: i + 2, command: 'rrext_deploy_add', arguments: { pipeline: { project_id: `c${c}-${i}`, pad: PAD } } };
      client.sendRaw(JSON.stringify(frame));
    }
  });
  await Promise.all(clients.map((client) => client.waitForMessages(1 + per)));
  const ms = performance.now() - started;
  for (const client of clients) client.close();
  await server.close();
  return ms;
}

const dir = await mkdtemp(join(tmpdir(), 'rrdk-burst-'));
for (const connections of [1, 10]) {
  for (const withFile of [false, true]) {
    const file = withFile ? join(dir, `state-${connections}.json`) : undefined;
    const ms = await burst(file, connections);
    console.log(`${ADDS} adds (1 KB pipelines) over ${connections} connection(s), ${withFile ? 'state file' : 'no state file'}: ${ms.toFixed(0)} ms, ${((ADDS / ms) * 1000).toFixed(0)} adds/s`);
  }
}
await rm(dir, { recursive: true, force: true });
