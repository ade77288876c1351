/**
 * The bystander of the abuse run, alone in its process (so an abuser's work in the parent never
 * delays its timing): an honest user who keeps asking for the status of its own deployment, one
 * request at a time every few milliseconds, and now and then opens a new connection. Told
 * `{ mark: true }` over IPC, it answers with what it saw since the last mark.
 *
 *   node --import tsx fuzz/abuse/bystander.ts <ws url> <key> [read|change]
 *
 * `change` updates its deployment's schedule instead (each answer then waits for the disk when
 * the server keeps a state file). It sends `{ ready: true }` once its deployment is added.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DapConnection } from './dap.js';

/** Between one answer and the next request. */
const PAUSE_MS = 5;
/** How often a fresh connection is opened, authenticated and asked once. */
const NEW_CONNECTION_EVERY_MS = 250;
/** An answer slower than this counts as a failure (and the request's time as this). */
const ANSWER_TIMEOUT_MS = 5_000;
const PROJECT = 'bystander';

/** What the bystander saw in one window, as sent to the parent. */
export interface BystanderWindow {
  /** Milliseconds from request to answer, one per request on the standing connection. */
  readonly latencies: number[];
  /** Milliseconds to open, authenticate and be answered once, per new connection. */
  readonly connects: number[];
  readonly failures: string[];
}

const [url, key, mode = 'read'] = process.argv.slice(2);
const SCHEDULES = ['@hourly', '@daily'];
if (url === undefined || key === undefined || process.send === undefined) {
  console.error('usage: node --import tsx fuzz/abuse/bystander.ts <ws url> <key> (forked, with IPC)');
  process.exit(2);
}

let window: BystanderWindow = { latencies: [], connects: [], failures: [] };
let stopped = false;
process.on('message', (message: { mark?: true; stop?: true }) => {
  if (message.stop) stopped = true;
  const seen = window;
  window = { latencies: [], connects: [], failures: [] };
  process.send!(seen);
});

function timed<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    delay(ANSWER_TIMEOUT_MS, undefined, { ref: false }).then(() => {
      throw new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`);
    }),
  ]);
}

async function standing(): Promise<void> {
  let connection = await DapConnection.open(url!, key);
  const added = await connection.request('rrext_deploy_add', { pipeline: { project_id: PROJECT, components: [] } });
  if (!added.success && !/exists/.test(added.message ?? '')) throw new Error(`bystander add failed: ${added.message}`);
  process.send!({ ready: true });
  while (!stopped) {
    const start = performance.now();
    try {
      const answer = await timed(
        mode === 'change'
          ? connection.request('rrext_deploy_update', { projectId: PROJECT, schedule: SCHEDULES[window.latencies.length % 2] })
          : connection.request('rrext_deploy_status', { projectId: PROJECT }),
      );
      window.latencies.push(performance.now() - start);
      if (!answer.success) window.failures.push(`status: ${answer.message}`);
    } catch (error) {
      window.latencies.push(performance.now() - start);
      window.failures.push(`status: ${(error as Error).message}`);
      connection.close();
      connection = await DapConnection.open(url!, key).catch(() => connection);
    }
    await delay(PAUSE_MS);
  }
  connection.close();
}

async function newcomers(): Promise<void> {
  while (!stopped) {
    const start = performance.now();
    try {
      const connection = await timed(DapConnection.open(url!, key));
      const answer = await timed(connection.request('rrext_deploy_status', { projectId: PROJECT }));
      window.connects.push(performance.now() - start);
      if (!answer.success) window.failures.push(`new connection's status: ${answer.message}`);
      connection.close();
    } catch (error) {
      window.connects.push(performance.now() - start);
      window.failures.push(`new connection: ${(error as Error).message}`);
    }
    await delay(NEW_CONNECTION_EVERY_MS);
  }
}

await Promise.all([standing(), newcomers()]);
process.disconnect();
