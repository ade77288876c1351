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
import { buildDeployCore, type CoreOptions, type DeployCore } from '../../src/core-build.js';
import { readStateDocument } from '../../src/persist/persistence.js';
import { snapshotChunks } from '../../src/persist/snapshot.js';
import { tempPathOf } from '../../src/persist/state-file.js';
import { apply, callerOf, op, opened, OPTIONS } from './core-ops.js';
import { Workspace } from './helpers.js';

const ws = new Workspace();
afterEach(() => ws.cleanUp());

const SEED = Number(process.env['RRDK_CHANGE_LOG_SEED'] ?? Date.now() % 2 ** 31);

/**
 * A document with what may differ between two writings of one state left out: when it was
 * written, and the order of the records (the store keeps them per user, and lists them sorted).
 * The scheduling entries keep their order: the server walks them in it.
 */
function comparable(document: Record<string, unknown>): unknown {
  const { savedAt: _, deployments, ...rest } = document as { savedAt: string; deployments: Array<{ ownerId: string; projectId: string }> };
  const byId = (a: { ownerId: string; projectId: string }, b: { ownerId: string; projectId: string }) =>
    a.ownerId === b.ownerId ? (a.projectId < b.projectId ? -1 : 1) : a.ownerId < b.ownerId ? -1 : 1;
  return { ...rest, deployments: [...deployments].sort(byId) };
}

interface Logs {
  serial: number;
  ticks: unknown[];
  runs: unknown[];
}

/** `file` with each scheduling entry's histories cut to the newest entries `memory` holds of them. */
function cutToMemory(file: unknown, memory: unknown): unknown {
  const held = new Map<number, Logs>();
  const of = (d: unknown) => (d as { scheduler: { entries: Logs[]; retired: Logs[] } }).scheduler;
  for (const e of [...of(memory).entries, ...of(memory).retired]) held.set(e.serial, e);
  const cut = (e: Logs): Logs => {
    const m = held.get(e.serial);
    return m ? { ...e, ticks: e.ticks.slice(e.ticks.length - m.ticks.length), runs: e.runs.slice(e.runs.length - m.runs.length) } : e;
  };
  const scheduler = of(file);
  return { ...(file as object), scheduler: { ...scheduler, entries: scheduler.entries.map(cut), retired: scheduler.retired.map(cut) } };
}

const inMemory = (core: DeployCore) => comparable(JSON.parse(snapshotChunks(core).join('')) as Record<string, unknown>);
/** The file's state; no file yet (nothing changed) holds a new core's. */
const onDisk = async (file: string) => {
  const document = await readStateDocument(file);
  return document === undefined ? inMemory(buildDeployCore(OPTIONS)) : comparable(document);
};
const lineCount = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '').length;

/** Short histories, shared among all: logs wrap, and shrink as deployments come (what a change must carry then moves). */
const SHORT_HISTORY: CoreOptions = { ...OPTIONS, historyLimit: 6, limits: { ...OPTIONS.limits, maxHistoryEntries: 40 } };

describe('the changes appended to a state file', () => {
  it('replay to exactly the state in memory, for random operations written in random groups', async () => {
    const dir = await ws.dir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 12 }),
        fc.array(op, { maxLength: 8 }),
        fc.constantFrom(OPTIONS, SHORT_HISTORY),
        async (groups, afterRestart, options) => {
          const file = join(dir, `state-${run++}.json`);
          const { core, persistence } = await opened(file, options);
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
          // And a server started on the file loads that state, then appends to it. With histories
          // shared among all, a load cuts each to its share: the file keeps the longer ones, and
          // the newest entries of each are what the server holds.
          const again = await opened(file, options);
          const agrees = async () =>
            options === OPTIONS
              ? expect(await onDisk(file)).toEqual(inMemory(again.core))
              : expect(cutToMemory(await onDisk(file), inMemory(again.core))).toEqual(inMemory(again.core));
          try {
            await agrees();
            for (const o of afterRestart) apply(again.core, o);
            expect(await again.persistence.committer.flush()).toBe(true);
            await agrees();
          } finally {
            await again.persistence.close();
            again.core.stop();
          }
        },
      ),
      { seed: SEED, numRuns: 80 },
    );
  }, 60_000);

  it('replay deployments in the order the server holds them, one removed and added again among them', async () => {
    const file = join(await ws.dir(), 'state.json');
    const { core, persistence } = await opened(file);
    const caller = callerOf(core, 'MYAPIKEY');
    core.deploy.add(caller, { pipeline: { project_id: 'a' } });
    await persistence.committer.flush();
    // One commit: a changes, b comes, a goes and comes back (it is now last, after b).
    core.deploy.update(caller, { projectId: 'a', schedule: '@hourly' });
    core.deploy.add(caller, { pipeline: { project_id: 'b' } });
    core.deploy.remove(caller, 'a');
    core.deploy.add(caller, { pipeline: { project_id: 'a', again: true } });
    await persistence.committer.flush();
    const entries = ((await readStateDocument(file)) as { scheduler: { entries: Array<{ projectId: string }> } }).scheduler.entries;
    expect(entries.map((e) => e.projectId)).toEqual(['b', 'a']);
    expect(await onDisk(file)).toEqual(inMemory(core));
    await persistence.close();
    core.stop();
  });

  it('hold the users a control operation added before it was refused part way', async () => {
    const file = join(await ws.dir(), 'state.json');
    const { core, persistence } = await opened(file, { ...OPTIONS, limits: { maxDeploymentsPerUser: 3 } });
    core.deploy.add(callerOf(core, 'ALICEKEY'), { pipeline: { project_id: 'first' } });
    await persistence.committer.flush(); // the file exists: what follows is appended
    // The demo adds its user, then deployments until the limit refuses one.
    expect(() => core.control.seed(25)).toThrow(/refused demo deployment/);
    expect(await persistence.committer.flush()).toBe(true);
    expect((await readStateDocument(file)) as unknown).toMatchObject({ users: { added: [{ userId: 'demo-ci' }] } });
    expect(await onDisk(file)).toEqual(inMemory(core));
    await persistence.close();
    core.stop();
  });

  it('leave a file laid out over many lines by hand (version 1) as it is until the first change, then write it whole', async () => {
    const file = join(await ws.dir(), 'state.json');
    const first = await opened(file);
    first.core.deploy.add(callerOf(first.core, 'MYAPIKEY'), { pipeline: { project_id: 'kept' }, schedule: '@hourly' });
    await first.persistence.close();
    first.core.stop();
    const pretty = `${JSON.stringify({ ...(await readStateDocument(file))!, version: 1 }, null, 2)}\n`;
    await writeFile(file, pretty);

    const quiet = await opened(file);
    await quiet.persistence.close();
    quiet.core.stop();
    expect(await readFile(file, 'utf8')).toBe(pretty);

    const changing = await opened(file);
    expect(changing.core.deploy.find('local', 'kept')).toBeDefined();
    changing.core.deploy.add(callerOf(changing.core, 'MYAPIKEY'), { pipeline: { project_id: 'new' } });
    await changing.persistence.committer.flush();
    expect(await lineCount(file)).toBe(1);
    expect(await onDisk(file)).toEqual(inMemory(changing.core));
    await changing.persistence.close();
    changing.core.stop();
  });

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

  /** A file of the whole state and two commits (adds of p, then q, then r). */
  async function threeAdds(file: string): Promise<void> {
    const { core, persistence } = await opened(file);
    for (const projectId of ['p', 'q', 'r']) {
      core.deploy.add(callerOf(core, 'MYAPIKEY'), { pipeline: { project_id: projectId } });
      await persistence.committer.flush();
    }
    await persistence.close();
    core.stop();
  }

  it('are refused, naming the line, when one is damaged before the last commit', async () => {
    const file = join(await ws.dir(), 'state.json');
    await threeAdds(file);
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

  it('drop a last commit with a line that is not JSON (a power cut kept its end, not all of it), and cut it off', async () => {
    const file = join(await ws.dir(), 'state.json');
    await threeAdds(file);
    const lines = (await readFile(file, 'utf8')).split('\n');
    // The last commit's change line (the add of r) as pages that never reached the disk: zeros.
    const lastPut = lines.findLastIndex((line) => line.startsWith('{"op":"put"'));
    lines[lastPut] = '\0'.repeat(lines[lastPut]!.length);
    const withoutLast = `${lines.slice(0, lastPut).join('\n')}\n`;
    await writeFile(file, lines.join('\n'));
    const { core, persistence } = await opened(file);
    expect(
      core.deploy
        .exportRecords()
        .map((d) => d.projectId)
        .sort(),
    ).toEqual(['p', 'q']);
    expect(await readFile(file, 'utf8')).toBe(withoutLast);
    await persistence.close();
    core.stop();
  });
});
