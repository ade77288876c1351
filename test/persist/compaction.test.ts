/**
 * A compaction in the background: while the whole state goes to the temporary file (held here
 * until the test lets it go), writes go on being appended and acknowledged; once it is let
 * go, the commits made meanwhile follow the snapshot into the new file, none twice, and the
 * file holds exactly the state in memory. A whole write (after a reset) waits for it, and the
 * file is that write's.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeployCore } from '../../src/core-build.js';
import { readStateDocument, type Persistence } from '../../src/persist/persistence.js';
import { snapshotChunks } from '../../src/persist/snapshot.js';
import { callerOf, opened } from './core-ops.js';
import { Workspace } from './helpers.js';

/** The compaction's write of the temporary file waits for `gate` (the module's own whole writes do not go through this export). */
const held = vi.hoisted(() => ({ gate: Promise.resolve(), started: 0 }));
vi.mock('../../src/persist/state-file.js', async (original) => {
  const actual = await original<typeof import('../../src/persist/state-file.js')>();
  return {
    ...actual,
    writeTempFile: async (path: string, chunks: readonly string[]) => {
      held.started += 1;
      await held.gate;
      return actual.writeTempFile(path, chunks);
    },
  };
});

const ws = new Workspace();
afterEach(() => ws.cleanUp());

const state = (document: Record<string, unknown>) => {
  const { savedAt: _, ...rest } = document;
  return rest;
};
const inMemory = (core: DeployCore) => state(JSON.parse(snapshotChunks(core).join('')) as Record<string, unknown>);

/** Adds a deployment, runs it once and removes it: its entry is retired (kept for its history). */
function retireOne(core: DeployCore, projectId: string): void {
  const caller = callerOf(core, 'MYAPIKEY');
  core.deploy.add(caller, { pipeline: { project_id: projectId } });
  core.control.trigger('local', projectId);
  core.deploy.remove(caller, projectId);
}

/**
 * Grows the appended changes by 1 MiB a commit (deployment 'big', added first) until a
 * compaction starts, the fifth passing the 4 MiB floor; `also` adds to each commit. The
 * compaction's temporary file is then held until the returned function lets it go.
 */
async function growUntilCompacting(core: DeployCore, persistence: Persistence, also: (i: number) => void = () => {}): Promise<() => void> {
  let release!: () => void;
  held.gate = new Promise((resolve) => (release = resolve));
  held.started = 0;
  for (let i = 0; held.started === 0; i++) {
    expect(i).toBeLessThan(10);
    const pipeline = { project_id: 'big', blob: String(i).repeat(1024 * 1024) };
    core.deploy.update(callerOf(core, 'MYAPIKEY'), { projectId: 'big', pipeline });
    also(i);
    expect(await persistence.committer.flush()).toBe(true);
  }
  return release;
}

describe('a compaction in the background', () => {
  it('lets writes go on, then carries the commits made meanwhile into the new file, each once', async () => {
    const file = join(await ws.dir(), 'state.json');
    const { core, persistence } = await opened(file);
    const caller = callerOf(core, 'MYAPIKEY');
    core.deploy.add(caller, { pipeline: { project_id: 'big', blob: 'a' } });
    await persistence.committer.flush();
    // Each commit retires a deployment too: the commit planned with the snapshot, replayed after it again, would retire it twice.
    const release = await growUntilCompacting(core, persistence, (i) => retireOne(core, `before-${i}`));
    // Meanwhile: acknowledged at once, each with a deployment retired (one replayed twice would show as two).
    for (let i = 0; i < 3; i++) {
      retireOne(core, `meanwhile-${i}`);
      expect(await persistence.committer.flush()).toBe(true);
    }
    const before = await readFile(file, 'utf8');
    release();
    await persistence.close();
    core.stop();
    const after = await readFile(file, 'utf8');
    expect(after.length).toBeLessThan(before.length); // compacted
    expect(after.split('\n')[0]).not.toBe(before.split('\n')[0]); // a new first line: the snapshot
    expect(state((await readStateDocument(file))!)).toEqual(inMemory(core));
  });

  it('is waited for by a whole write that must come after it, whose file it is then', async () => {
    const file = join(await ws.dir(), 'state.json');
    const { core, persistence } = await opened(file);
    const caller = callerOf(core, 'MYAPIKEY');
    core.deploy.add(caller, { pipeline: { project_id: 'big', blob: 'a' } });
    await persistence.committer.flush();
    const release = await growUntilCompacting(core, persistence);
    core.control.reset(); // a whole write: it waits for the compaction
    core.deploy.add(caller, { pipeline: { project_id: 'after-reset' } });
    const flushed = persistence.committer.flush();
    release();
    expect(await flushed).toBe(true);
    await persistence.close();
    core.stop();
    expect(state((await readStateDocument(file))!)).toEqual(inMemory(core));
    expect((await readFile(file, 'utf8')).split('\n').filter(Boolean)).toHaveLength(1);
  });
});
