/**
 * One memory measurement, alone in its process (`node --expose-gc --import tsx
 * bench/memory-child.ts N`): a fresh core, N deployments added through DeployService.add (so the
 * scheduler tracks them too), the retained heap after the adds and after every user's `list`
 * (sending a record caches the text after its pipeline, as add and status do in a server),
 * against the bytes of the same records on the wire. Prints one JSON line (a MemoryChildResult).
 */
import { performance } from 'node:perf_hooks';
import { buildDeployCore } from '../src/core-build.js';
import { deploymentListJson } from '../src/dap/records.js';
import type { Caller } from '../src/domain/deploy-service.js';
import { MEMORY_USERS, memoryDeployment, memoryUserKey, memoryUsers } from './memory-workload.js';
import { readAll } from '../src/control/paging.js';

export interface MemoryChildResult {
  readonly deployments: number;
  readonly users: number;
  /** Retained V8 heap growth (bytes) from the empty core to N deployments stored... */
  readonly heapAfterAdd: number;
  /** ...and after each user's `list` was answered once (each record's tail JSON cached for the next). */
  readonly heapAfterList: number;
  /** Growth of memory outside the V8 heap over the same span (ArrayBuffers are part of it). */
  readonly external: number;
  readonly arrayBuffers: number;
  /** Sum of the records' JSON as `list` carries them (UTF-8 bytes, envelope not counted). */
  readonly wireJsonBytes: number;
  readonly addSeconds: number;
}

const GC_ROUNDS = 6;
/** `{"deployments":[]}` around the records, and one comma between two. */
const LIST_ENVELOPE_BYTES = '{"deployments":[]}'.length;

function settledMemory(): NodeJS.MemoryUsage {
  const gc = globalThis.gc;
  if (!gc) throw new Error('memory-child needs --expose-gc');
  // Several rounds: a first full GC can leave work (weak callbacks, finalization) for the next.
  for (let i = 0; i < GC_ROUNDS; i++) gc();
  return process.memoryUsage();
}

async function measure(count: number): Promise<MemoryChildResult> {
  const core = buildDeployCore({ users: memoryUsers(), clock: { mode: 'fake', startAt: '2026-01-01T00:00:00Z' } });
  const callers: Caller[] = Array.from({ length: MEMORY_USERS }, (_, u) => {
    const auth = core.users.authenticate(memoryUserKey(u));
    if (typeof auth === 'string') throw new Error(`bench user ${u} does not authenticate (${auth})`);
    return { userId: auth.user.userId, permissions: auth.permissions, credential: auth.key };
  });
  // Warm every code path and cache (schedule parsing, compiled cron searches) on a throwaway
  // set, so the baseline already holds what any server holds after its first few requests.
  for (let i = 0; i < 64; i++) {
    const { user, schedule, pipeline } = memoryDeployment(count + i);
    core.deploy.add(callers[user]!, { pipeline, schedule });
  }
  for (const caller of callers) deploymentListJson(core.deploy.list(caller));
  for (const caller of callers) for (const d of core.deploy.list(caller)) core.deploy.remove(caller, d.projectId);

  const before = settledMemory();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    // Made here, one at a time: the input object is garbage once add has copied it.
    const { user, schedule, pipeline } = memoryDeployment(i);
    core.deploy.add(callers[user]!, { pipeline, schedule });
  }
  const addSeconds = (performance.now() - started) / 1000;
  const afterAdd = settledMemory();

  // Sizes come from the answers, fresh flat strings: reading a stored string (Buffer.byteLength
  // of a record's cached JSON, say) would flatten it in place and inflate the heap measured.
  let wireJsonBytes = 0;
  let stored = 0;
  for (const caller of callers) {
    const records = core.deploy.list(caller);
    stored += records.length;
    const answer = deploymentListJson(records); // sent and dropped; each record's cached JSON stays
    wireJsonBytes += Buffer.byteLength(answer) - LIST_ENVELOPE_BYTES - Math.max(0, records.length - 1);
  }
  if (stored !== count) throw new Error(`expected ${count} stored deployments, found ${stored}`);
  const afterList = settledMemory();
  // Keeps the core (and so every record) reachable until after the last measurement.
  if (readAll((page) => core.control.deployments(page)).length !== count) throw new Error('the scheduler does not track every deployment');

  return {
    deployments: count,
    users: MEMORY_USERS,
    heapAfterAdd: afterAdd.heapUsed - before.heapUsed,
    heapAfterList: afterList.heapUsed - before.heapUsed,
    external: afterList.external - before.external,
    arrayBuffers: afterList.arrayBuffers - before.arrayBuffers,
    wireJsonBytes,
    addSeconds,
  };
}

const count = Number(process.argv[2]);
if (!Number.isInteger(count) || count < 1) {
  console.error('usage: node --expose-gc --import tsx bench/memory-child.ts <deployments>');
  process.exit(2);
}
console.log(JSON.stringify(await measure(count)));
