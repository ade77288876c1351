/**
 * Bounded memory, end to end: a real `serve` with a small V8 heap, and one key that adds 4 MiB
 * pipelines (listing them all after each add) for as long as the server takes them. Without the
 * stored-bytes limits the heap runs out within the loop and the process dies (checked against
 * the code before them); with them, the add past the limit is refused, and the process goes on
 * serving everyone with nothing lost.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ClientRequestArgs } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { type ClientOptions } from 'ws';
import { ConnectionClosedError, DapError, DeployClient } from '../../src/index.js';
import { spawnCli } from '../helpers/cli.js';

const MiB = 1024 * 1024;
/**
 * The heap the server runs with. The loop below stores up to 64 pipelines of 4 MiB (256 MiB) and
 * lists them all after each one: without a bound the heap runs out long before.
 */
const HEAP_MIB = 256;
const MAX_ADDS = 64;
/** The limits: 8 such pipelines per user; a little more for the whole server. */
const PER_USER = 32 * MiB;
const SERVER = 48 * MiB;
const PAD = 4 * MiB - 64;

type Options = ClientOptions | ClientRequestArgs;

/**
 * A client that takes replies of any size. ws refuses messages over 100 MiB by default, and
 * without the limits the `list` passes that (at 25 adds) before the server dies (at about 29):
 * the test must see the server fail, not its own client.
 */
class RoomyWebSocket extends WebSocket {
  constructor(address: string | URL | null, protocols?: string | string[] | Options, options?: Options) {
    if (typeof protocols === 'object' && !Array.isArray(protocols)) super(address!, { ...protocols, maxPayload: 2 ** 31 });
    else super(address!, protocols, { ...options, maxPayload: 2 ** 31 });
  }
}

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** What the store counts for a pipeline: its JSON and its project id (ASCII here: one byte each). */
const storedBytes = (pipeline: { project_id: string }) => JSON.stringify(pipeline).length + pipeline.project_id.length;

describe('a server with a small heap', () => {
  it(`refuses one key's adds past --max-stored-bytes-per-user and keeps serving with ${HEAP_MIB} MiB of heap`, async () => {
    const limits = ['--max-stored-bytes-per-user', String(PER_USER), '--max-stored-bytes', String(SERVER)];
    const serve = spawnCli(['serve', '--port', '0', '--quiet', '--clock', 'fake', ...limits], children, undefined, [
      `--max-old-space-size=${HEAP_MIB}`,
    ]);
    const url = await new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = /ws:\/\/\S+\/task\/service/.exec(serve.output().stdout);
        if (match) resolve(match[0]);
      };
      serve.child.stdout.on('data', check);
      serve.child.on('exit', () => reject(new Error(`exited before listening: ${serve.output().stderr}`)));
    });
    let refused: unknown;
    let added = 0;
    // A dying server closes the connection under a pending call: say how it died instead.
    const alive = <T>(call: Promise<T>): Promise<T> =>
      call.catch(async (error: unknown) => {
        if (!(error instanceof ConnectionClosedError)) throw error;
        const code = await Promise.race([serve.exited, new Promise((resolve) => setTimeout(resolve, 30_000, 'still running'))]);
        throw new Error(
          `the connection closed (${error.code}) after ${added} adds; the server: ${String(code)}, ${serve.output().stderr.slice(-1500)}`,
        );
      });

    const local = new DeployClient({ uri: url, auth: 'MYAPIKEY', webSocket: RoomyWebSocket });
    await local.connect();
    const pad = 'x'.repeat(PAD);
    const pipelineOf = (i: number) => ({ project_id: `p${i}`, pad });
    for (let i = 1; i <= MAX_ADDS && refused === undefined; i++) {
      // A refusal is an answer (DapError); anything else fails the test.
      refused = await alive(local.deploy.add(pipelineOf(i))).then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof DapError) return error;
          throw error;
        },
      );
      if (refused !== undefined) break;
      added = i;
      // Every record, every time: the reply is one string of all of them.
      expect(await alive(local.deploy.list())).toHaveLength(i);
    }

    const each = storedBytes(pipelineOf(1));
    expect(added).toBe(Math.floor(PER_USER / each)); // 8: the ninth would pass the limit
    expect(refused).toBeInstanceOf(DapError);
    expect((refused as DapError).message).toBe(
      `Too much stored: your deployments would hold ${((added + 1) * each).toLocaleString('en-US')} bytes and the limit is 32 MiB per user ` +
        "(their pipelines' JSON and project ids, as UTF-8). Remove or shrink a deployment before adding or growing one",
    );
    expect(serve.child.exitCode).toBeNull();

    // Nothing was lost: every pipeline whole, and the refused one not stored.
    const listed = await local.deploy.list();
    expect(listed.map((r) => r.pipeline['project_id'])).toEqual(Array.from({ length: added }, (_, i) => `p${i + 1}`));
    expect(listed.every((r) => r.pipeline['pad'] === pad)).toBe(true);

    // Another user is served as before.
    const alice = new DeployClient({ uri: url, auth: 'ALICEKEY' });
    await alice.connect();
    await alice.deploy.add({ project_id: 'small', steps: [1, 2, 3] });
    expect((await alice.deploy.list()).map((r) => r.pipeline)).toEqual([{ project_id: 'small', steps: [1, 2, 3] }]);
    expect(await local.deploy.list()).toHaveLength(added);

    await alice.disconnect();
    await local.disconnect();
    // Healthy to the end: a graceful shutdown, exit status 0.
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  }, 180_000);
});
