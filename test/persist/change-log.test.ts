/**
 * The changes appended to a state file between whole writes hold exactly what changed: after
 * random operations (deploy calls, control calls, clock moves firing ticks and runs, resets),
 * written in random groups, the file's first line with its commits replayed is the state in
 * memory, document for document. A commit cut short by a crash is dropped and cut off; the
 * changes are compacted into a whole state once they outgrow it; a file of version 1 loads and
 * is rewritten whole at the first write; a damaged change line is refused.
 */
import { existsSync } from 'node:fs';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDeployCore, type DeployCore } from '../../src/core-build.js';
import { openStateFile, readStateDocument, type Persistence } from '../../src/persist/persistence.js';
import { snapshotChunks } from '../../src/persist/snapshot.js';
import { tempPathOf } from '../../src/persist/state-file.js';
import { apply, callerOf, op, OPTIONS } from './core-ops.js';
import { Workspace } from './helpers.js';

const ws = new Workspace();
afterEach(() => ws.cleanUp());

const SEED = Number(process.env['RRDK_CHANGE_LOG_SEED'] ?? Date.now() % 2 ** 31);

/** A document with what may differ between two writings of one state left out: when it was written, and the order of records. */
function comparable(document: Record<string, unknown>): unknown {
  const {
    savedAt: _,
    deployments,
    scheduler,
    ...rest
  } = document as {
    savedAt: string;
    deployments: Array<{ ownerId: string; projectId: string }>;
    scheduler: { entries: Array<{ serial: number }> };
  };
  const byId = (a: { ownerId: string; projectId: string }, b: { ownerId: string; projectId: string }) =>
    a.ownerId === b.ownerId ? (a.projectId < b.projectId ? -1 : 1) : a.ownerId < b.ownerId ? -1 : 1;
  return {
    ...rest,
    deployments: [...deployments].sort(byId),
    scheduler: { ...scheduler, entries: [...scheduler.entries].sort((a, b) => a.serial - b.serial) },
  };
}

const inMemory = (core: DeployCore) => comparable(JSON.parse(snapshotChunks(core).join('')) as Record<string, unknown>);
/** The file's state; no file yet (nothing changed) holds a new core's. */
const onDisk = async (file: string) => {
  const document = await readStateDocument(file);
  return document === undefined ? inMemory(buildDeployCore(OPTIONS)) : comparable(document);
};
const lineCount = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '').length;

async function opened(file: string): Promise<{ core: DeployCore; persistence: Persistence }> {
  const core = buildDeployCore(OPTIONS);
  return { core, persistence: await openStateFile(file, core, undefined) };
}

describe('the changes appended to a state file', () => {
  it('replay to exactly the state in memory, for random operations written in random groups', async () => {
    const dir = await ws.dir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 12 }), async (groups) => {
        const file = join(dir, `state-${run++}.json`);
        const { core, persistence } = await opened(file);
        try {
          for (const group of groups) {
            for (const o of group) apply(core, o);
            expect(await persistence.committer.flush()).toBe(true);
            expect(await onDisk(file)).toEqual(inMemory(core));
          }
        } finally {
          await persistence.close();
          core.stop();
        }
        // And a server started on the file loads that state, then appends to it.
        const again = await opened(file);
        try {
          expect(inMemory(again.core)).toEqual(await onDisk(file));
        } finally {
          await again.persistence.close();
          again.core.stop();
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  }, 60_000);

  it('drop a commit a crash cut short, and cut it off before the next', async () => {
    const file = join(await ws.dir(), 'state.json');
    const first = await opened(file);
    const caller = callerOf(first.core, 'MYAPIKEY');
    first.core.deploy.add(caller, { pipeline: { project_id: 'whole' } });
    await first.persistence.committer.flush();
    first.core.deploy.add(caller, { pipeline: { project_id: 'appended' } });
    await first.persistence.committer.flush();
    expect(await lineCount(file)).toBe(3); // the whole state, then one change and its commit
    const expected = inMemory(first.core);
    await first.persistence.close();
    first.core.stop();
    const intact = (await stat(file)).size;
    // A write cut short: a change line and half a commit line, never acknowledged.
    await appendFile(file, '{"op":"delete","userId":"local","projectId":"whole"}\n{"op":"commit","clock":');

    const second = await opened(file);
    expect(inMemory(second.core)).toEqual(expected);
    expect((await stat(file)).size).toBe(intact);
    second.core.deploy.add(callerOf(second.core, 'MYAPIKEY'), { pipeline: { project_id: 'after' } });
    await second.persistence.committer.flush();
    expect(await onDisk(file)).toEqual(inMemory(second.core));
    await second.persistence.close();
    second.core.stop();
  });

  it('are compacted into a whole state once they outgrow it, in the background, losing no commit made meanwhile', async () => {
    const file = join(await ws.dir(), 'state.json');
    const { core, persistence } = await opened(file);
    const caller = callerOf(core, 'MYAPIKEY');
    core.deploy.add(caller, { pipeline: { project_id: 'big', blob: 'a' } });
    await persistence.committer.flush();
    // Each update appends about 1 MiB: the changes pass the 4 MiB floor after a few, and go on
    // coming while the compaction writes (each flush waits for an append, never for it).
    // Each also retires a deployment with a run in its history: replayed twice, it would be retired twice.
    const commits = 12;
    for (let i = 0; i < commits; i++) {
      core.deploy.update(caller, { projectId: 'big', pipeline: { project_id: 'big', blob: String(i % 10).repeat(1024 * 1024) } });
      core.deploy.add(caller, { pipeline: { project_id: `small-${i}` } });
      core.control.trigger('local', `small-${i}`);
      core.deploy.remove(caller, `small-${i}`);
      expect(await persistence.committer.flush()).toBe(true);
    }
    expect(await onDisk(file)).toEqual(inMemory(core));
    const expected = inMemory(core);
    await persistence.close(); // waits for a compaction under way
    core.stop();
    expect(await onDisk(file)).toEqual(expected);
    // Compacted at least once: fewer lines than the commits made, and no longer than the 4 MiB floor and a few commits.
    expect(await lineCount(file)).toBeLessThan(1 + 2 * commits);
    expect((await stat(file)).size).toBeLessThan(8 * 1024 * 1024);
    expect(existsSync(tempPathOf(file))).toBe(false);
  });

  it('follow a file of version 1, which loads and is rewritten whole (as version 2) at the first write', async () => {
    const file = join(await ws.dir(), 'state.json');
    const { core, persistence } = await opened(file);
    core.deploy.add(callerOf(core, 'MYAPIKEY'), { pipeline: { project_id: 'old' }, schedule: '@hourly' });
    core.control.advance(3 * 3_600_000);
    await persistence.close();
    const saved = (await readStateDocument(file))!;
    core.stop();
    // What 0.4 wrote: the document alone, version 1, no newline.
    await writeFile(file, JSON.stringify({ ...saved, version: 1 }));

    const loaded = await opened(file);
    expect(inMemory(loaded.core)).toEqual(comparable({ ...saved, version: 2 }));
    loaded.core.deploy.add(callerOf(loaded.core, 'MYAPIKEY'), { pipeline: { project_id: 'new' } });
    await loaded.persistence.committer.flush();
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')).toHaveLength(2); // one line and its newline
    expect(JSON.parse(text)).toMatchObject({ version: 2 });
    expect(await onDisk(file)).toEqual(inMemory(loaded.core));
    await loaded.persistence.close();
    loaded.core.stop();
  });

  it('are refused, naming the line, when one is damaged before the last commit', async () => {
    const file = join(await ws.dir(), 'state.json');
    const { core, persistence } = await opened(file);
    core.deploy.add(callerOf(core, 'MYAPIKEY'), { pipeline: { project_id: 'p' } });
    await persistence.committer.flush();
    core.deploy.add(callerOf(core, 'MYAPIKEY'), { pipeline: { project_id: 'q' } });
    await persistence.close();
    core.stop();
    const [base, ...changes] = (await readFile(file, 'utf8')).split('\n');
    const damaged = [base, '{"op":"put","deployment":', ...changes].join('\n');
    await writeFile(file, damaged);
    const refused = opened(file);
    await expect(refused).rejects.toMatchObject({
      code: 'STATE_FILE_INVALID',
      message: expect.stringMatching(/is damaged at line 2: not valid JSON; move it away/),
    });
    expect(await readFile(file, 'utf8')).toBe(damaged);
  });
});
