/**
 * The state file in chunks: the chunks' concatenation is, byte for byte, the file as written
 * when it was one string; no chunk grows with the state; a write joins them in bounded batches,
 * and what it leaves on disk loads back to the same state.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDeployCore, type DeployCore } from '../../src/core-build.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { STATE_FORMAT, STATE_VERSION } from '../../src/persist/format.js';
import { pushMembers } from '../../src/persist/json-chunks.js';
import { restoreState, snapshotChunks } from '../../src/persist/snapshot.js';
import { tempPathOf, writeBatches, writeStateFile } from '../../src/persist/state-file.js';
import { parseStateText } from '../../src/persist/validate.js';
import { VERSION } from '../../src/version.js';
import { apply, callerOf, op, OPTIONS } from './core-ops.js';
import { Workspace } from './helpers.js';
import { readAll } from '../../src/control/paging.js';

const ws = new Workspace();
afterEach(() => ws.cleanUp());

const SAVED_AT = new Date('2026-11-26T12:00:00Z');

/** The file as it was written before it came in chunks (one JSON.stringify for all but the deployments): the reference. */
function singleStringText(core: DeployCore, savedAt: Date): string {
  const head = JSON.stringify({
    format: STATE_FORMAT,
    version: STATE_VERSION,
    savedBy: `rocketride-deploy-kit ${VERSION}`,
    savedAt: savedAt.toISOString(),
    clock: core.clock.exportState(),
    timezone: core.scheduler.timezone,
    users: core.users.exportState(),
    scheduler: core.scheduler.exportState(),
  });
  const record = (d: Deployment) => {
    const fields = JSON.stringify({
      ownerId: d.ownerId,
      projectId: d.projectId,
      ownerCredential: d.ownerCredential,
      schedule: d.schedule.source,
      state: d.state,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
    });
    return `${fields.slice(0, -1)},"pipeline":${d.pipelineJson}}`;
  };
  // The first line of the file: one document, then a newline.
  return `${head.slice(0, -1)},"deployments":[${core.deploy.exportRecords().map(record).join(',')}]}\n`;
}

const longest = (chunks: readonly string[]) => chunks.reduce((max, chunk) => Math.max(max, chunk.length), 0);

/** A core with `deployments` per-minute deployments, `users` run-time users (their keys revoked), after `minutes` of ticks. */
function bigCore(deployments: number, minutes: number, users = 0): DeployCore {
  const core = buildDeployCore(OPTIONS);
  const caller = callerOf(core, 'MYAPIKEY');
  for (let i = 0; i < deployments; i++) {
    core.deploy.add(caller, { pipeline: { project_id: `p${i}`, steps: [{ name: 'step', n: i }] }, schedule: '* * * * *' });
  }
  for (let i = 0; i < users; i++) {
    core.control.addUser({
      userId: `u${i}`,
      keys: [`KEY-${i}`],
      defaultTeam: 't',
      organizations: [{ id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: [] }] }],
    });
    core.control.revokeKey(`KEY-${i}`);
  }
  core.control.advance(minutes * 60_000);
  return core;
}

describe('the state file in chunks', () => {
  it('concatenates to exactly the single-string format, for random states', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60, size: 'medium' }), (ops) => {
        const core = buildDeployCore(OPTIONS);
        for (const o of ops) apply(core, o);
        const chunks = snapshotChunks(core, SAVED_AT);
        expect(chunks.join('')).toBe(singleStringText(core, SAVED_AT));
        core.stop();
      }),
      { numRuns: 200 },
    );
  });

  it('writes members exactly as JSON.stringify does, for any plain data', () => {
    // Long arrays and nesting, so that members are split, grouped and stringified whole.
    const value = fc.oneof(
      fc.anything({ withSparseArray: true, withNullPrototype: true, maxDepth: 3 }),
      fc.array(fc.oneof(fc.integer(), fc.tuple(fc.double(), fc.string()), fc.anything({ maxDepth: 2 })), { maxLength: 300 }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value, { maxKeys: 6 }), (object) => {
        const chunks: string[] = [];
        pushMembers(object, chunks);
        expect(`{${chunks.join('')}}`).toBe(JSON.stringify(object));
      }),
      { numRuns: 500 },
    );
  });

  it('has no chunk that grows with the number of deployments, history entries or users', () => {
    // 1 deployment; 2,000 of them with 60,000 ticks and as many runs, and 500 users; 20 with 1,000 ticks and runs each (the most kept).
    for (const [deployments, minutes, users] of [
      [1, 3, 0],
      [2_000, 30, 500],
      [20, 1_000, 0],
    ] as const) {
      const core = bigCore(deployments, minutes, users);
      const chunks = snapshotChunks(core, SAVED_AT);
      expect(readAll((page) => core.control.ticks(page))).toHaveLength(deployments * minutes);
      // The longest is a group of history entries, or a deployment's record: a few KiB, however large the state.
      expect(longest(chunks)).toBeLessThan(8 * 1024);
      expect(chunks.join('')).toBe(singleStringText(core, SAVED_AT));
      core.stop();
    }
  });

  it('keeps a large pipeline as one chunk, its stored text as it is', () => {
    const core = bigCore(20, 10);
    const pipeline = { project_id: 'large', blob: 'x'.repeat(1_000_000) };
    core.deploy.add(callerOf(core, 'MYAPIKEY'), { pipeline });
    const stored = core.deploy.find('local', 'large')!.pipelineJson;
    const chunks = snapshotChunks(core, SAVED_AT);
    expect(chunks).toContain(stored);
    expect(longest(chunks)).toBe(stored.length);
    core.stop();
  });
});

describe('writing the chunks', () => {
  it('batches consecutive chunks up to the limit, and a longer chunk alone', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 60 }), fc.integer({ min: 1, max: 50 }), (chunks, limit) => {
        const rest = chunks.filter((chunk) => chunk !== '');
        for (const batch of writeBatches(chunks, limit)) {
          let taken = 0;
          let joined = '';
          while (joined.length < batch.length) joined += rest[taken++];
          expect(joined).toBe(batch);
          if (taken > 1) expect(batch.length).toBeLessThanOrEqual(limit);
          rest.splice(0, taken);
          // It ended because the next chunk would not fit.
          if (rest.length > 0) expect(batch.length + rest[0]!.length).toBeGreaterThan(limit);
        }
        expect(rest).toEqual([]);
      }),
    );
  });

  it('writes a state of many batches that parses and loads back to the same state', async () => {
    const core = bigCore(500, 30, 100);
    const caller = callerOf(core, 'MYAPIKEY');
    for (let i = 0; i < 4; i++) core.deploy.add(caller, { pipeline: { project_id: `large-${i}`, blob: 'é'.repeat(1_500_000) } });
    const chunks = snapshotChunks(core, SAVED_AT);
    const batches = [...writeBatches(chunks)];
    // Each large pipeline (1.5 M characters, 3 MB) is written alone, the rest in batches between them.
    for (let i = 0; i < 4; i++) expect(batches).toContain(core.deploy.find('local', `large-${i}`)!.pipelineJson);
    expect(batches.length).toBeGreaterThan(6);

    const dir = await ws.dir();
    const path = join(dir, 'state.json');
    await writeStateFile(path, chunks);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(chunks.join(''));
    expect(await readdir(dir)).toEqual(['state.json']); // the temporary file was renamed

    const reloaded = buildDeployCore(OPTIONS);
    expect(restoreState(reloaded, parseStateText(text, path), path)).toEqual({ changed: false });
    expect(snapshotChunks(reloaded, SAVED_AT).join('')).toBe(text);
    expect(readAll((page) => reloaded.control.deployments(page))).toEqual(readAll((page) => core.control.deployments(page)));
    core.stop();
    reloaded.stop();
  });

  it('keeps the previous file, and leaves no temporary file, when a write fails half-way', async () => {
    const path = join(await ws.dir(), 'state.json');
    await writeStateFile(path, ['{"previous":', 'true}']);
    // A snapshot that breaks once its first batch is on its way to the disk.
    const large = 'x'.repeat(2 * 1024 * 1024);
    const failing = new Proxy([large, large, 'y'], {
      get: (target, property, receiver) => {
        if (property === '2') throw new Error('broken chunk');
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    await expect(writeStateFile(path, failing)).rejects.toThrow('broken chunk');
    expect(await readFile(path, 'utf8')).toBe('{"previous":true}');
    expect(existsSync(tempPathOf(path))).toBe(false);
  });
});
