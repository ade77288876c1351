import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { DeployService, MAX_PIPELINE_DEPTH, type Caller } from '../../src/domain/deploy-service.js';
import { pipelineOf } from '../../src/domain/deployment.js';
import { compareCodePoints, DeploymentStore } from '../../src/domain/store.js';
import { traversals, variantsOf } from '../../conformance/hostile-ids.js';
import { hostileProjectIds } from '../helpers/fixtures.js';

const ALL = new Set(['task.control', 'task.monitor', 'task.data']);
const local: Caller = { userId: 'local', permissions: ALL, credential: 'MYAPIKEY' };
const alice: Caller = { userId: 'alice', permissions: ALL, credential: 'ALICEKEY' };
const monitorOnly: Caller = { userId: 'monty', permissions: new Set(['task.monitor']), credential: 'MONITORKEY' };
const noPerms: Caller = { userId: 'nobody', permissions: new Set(['task.data']), credential: 'NOPERMKEY' };

/** A clock the test moves by hand: the only time source of the service. */
function manualClock(startMs: number) {
  let now = startMs;
  return { now: () => now, set: (ms: number) => void (now = ms) };
}

function setup() {
  const clock = manualClock(1_795_663_567_180);
  const store = new DeploymentStore();
  return { clock, store, deploy: new DeployService(store, clock) };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('DeployService.add (DEP-ADD-1..5)', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => (t = setup()));

  it('creates an active record owned by the caller, at the clock time, schedule defaulting to manual', () => {
    const record = t.deploy.add(local, { pipeline: { project_id: 'p1', nodes: [] } });
    expect(record).toMatchObject({
      projectId: 'p1',
      ownerId: 'local',
      ownerCredential: 'MYAPIKEY',
      pipelineJson: JSON.stringify({ project_id: 'p1', nodes: [] }),
      schedule: { source: 'manual' },
      state: 'active',
      createdAt: 1_795_663_567.18,
      updatedAt: 1_795_663_567.18,
    });
  });

  it('keeps the schedule exactly as sent', () => {
    expect(t.deploy.add(local, { pipeline: { project_id: 'p1' }, schedule: ' */15 * * * *' }).schedule.source).toBe(' */15 * * * *');
  });

  it.each([
    [{}, 'pipeline is required'],
    [{ pipeline: null }, 'pipeline is required'],
    [{ pipeline: 'p1' }, 'pipeline must be an object'],
    [{ pipeline: [{ project_id: 'p1' }] }, 'pipeline must be an object'],
    [{ pipeline: 42 }, 'pipeline must be an object'],
    [{ pipeline: {} }, 'pipeline is required'], // the real server: `if not pipeline`
    [{ pipeline: [] }, 'pipeline is required'],
    [{ pipeline: 0 }, 'pipeline is required'],
    [{ pipeline: { project_id: '' } }, 'pipeline.project_id is required'],
    [{ pipeline: { project_id: 7 } }, 'pipeline.project_id is required'],
    [{ pipeline: { project_id: null } }, 'pipeline.project_id is required'],
  ])('refuses %j with "%s" and stores nothing', (args, message) => {
    expect(() => t.deploy.add(local, args)).toThrow(message);
    expect(t.store.size).toBe(0);
  });

  it('validates the pipeline before the schedule, and the schedule before the duplicate check', () => {
    expect(() => t.deploy.add(local, { pipeline: 'x', schedule: 'bad' })).toThrow('pipeline must be an object');
    t.deploy.add(local, { pipeline: { project_id: 'p1' } });
    expect(codeOf(() => t.deploy.add(local, { pipeline: { project_id: 'p1' }, schedule: 'bad' }))).toBe('INVALID_SCHEDULE');
  });

  it('refuses a duplicate and leaves the first record unchanged (DEP-ADD-4)', () => {
    const first = t.deploy.add(local, { pipeline: { project_id: 'p1', v: 1 }, schedule: '@daily' });
    t.clock.set(1_800_000_000_000);
    expect(() => t.deploy.add(local, { pipeline: { project_id: 'p1', v: 2 } })).toThrow('Deployment already exists: p1');
    expect(t.deploy.status(local, 'p1')).toBe(first);
  });

  it('lets two users deploy the same project id independently (DEP-ADD-5)', () => {
    t.deploy.add(local, { pipeline: { project_id: 'p1', owner: 'local' } });
    t.deploy.add(alice, { pipeline: { project_id: 'p1', owner: 'alice' } });
    t.deploy.remove(local, 'p1');
    expect(pipelineOf(t.deploy.status(alice, 'p1'))['owner']).toBe('alice');
    expect(t.deploy.list(local)).toEqual([]);
  });

  it('stores a copy: later changes to the caller object do not reach the store', () => {
    const pipeline = { project_id: 'p1', nested: { a: [1] } };
    t.deploy.add(local, { pipeline });
    pipeline.nested.a.push(2);
    expect(pipelineOf(t.deploy.status(local, 'p1'))).toEqual({ project_id: 'p1', nested: { a: [1] } });
  });

  /** A pipeline whose objects and arrays nest `levels` deep (the pipeline itself is level 1). */
  function nested(levels: number): Record<string, unknown> {
    let inner: unknown = 'leaf';
    for (let i = 1; i < levels; i++) inner = i % 2 ? [inner] : { child: inner };
    return { project_id: 'deep', inner };
  }

  it(`stores pipelines nested up to ${MAX_PIPELINE_DEPTH} levels and refuses deeper ones, on add and update`, () => {
    expect(pipelineOf(t.deploy.add(local, { pipeline: nested(MAX_PIPELINE_DEPTH) }))).toEqual(nested(MAX_PIPELINE_DEPTH));
    expect(() => t.deploy.add(alice, { pipeline: nested(MAX_PIPELINE_DEPTH + 1) })).toThrow(
      `pipeline is nested too deeply (more than ${MAX_PIPELINE_DEPTH} levels)`,
    );
    expect(codeOf(() => t.deploy.update(local, { projectId: 'deep', pipeline: nested(100_000) }))).toBe('PIPELINE_TOO_DEEP');
    expect(pipelineOf(t.deploy.status(local, 'deep'))).toEqual(nested(MAX_PIPELINE_DEPTH));
    expect(t.deploy.list(alice)).toEqual([]);
  });
});

describe('DeployService.update (DEP-UPD-1..3)', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
    t.deploy.add(local, { pipeline: { project_id: 'p1', v: 1 }, schedule: '@daily' });
  });

  it('replaces what is given, keeps what is omitted, and moves updatedAt only', () => {
    t.clock.set(1_795_663_600_000);
    const updated = t.deploy.update(local, { projectId: 'p1', schedule: '@hourly' });
    expect(updated).toMatchObject({
      pipelineJson: JSON.stringify({ project_id: 'p1', v: 1 }),
      schedule: { source: '@hourly' },
      state: 'active',
      ownerId: 'local',
      createdAt: 1_795_663_567.18,
      updatedAt: 1_795_663_600,
    });
    const second = t.deploy.update(local, { projectId: 'p1', pipeline: { project_id: 'p1', v: 2 } });
    expect(second.schedule.source).toBe('@hourly');
    expect(pipelineOf(second)).toEqual({ project_id: 'p1', v: 2 });
  });

  it('forces the pipeline project_id to the deployment key (DEP-UPD-2)', () => {
    const updated = t.deploy.update(local, { projectId: 'p1', pipeline: { project_id: 'other', v: 3 } });
    expect(pipelineOf(updated)).toEqual({ project_id: 'p1', v: 3 });
    expect(pipelineOf(t.deploy.update(local, { projectId: 'p1', pipeline: { v: 4 } }))).toEqual({ project_id: 'p1', v: 4 });
    expect(t.deploy.list(local).map((d) => d.projectId)).toEqual(['p1']);
  });

  it('never moves updatedAt backwards when the clock does', () => {
    t.clock.set(1_000);
    expect(t.deploy.update(local, { projectId: 'p1' }).updatedAt).toBe(1_795_663_567.18);
  });

  it('reports an unknown id before a bad schedule', () => {
    expect(() => t.deploy.update(local, { projectId: 'nope', schedule: 'bad' })).toThrow('Deployment not found: nope');
  });

  it.each([
    [{ projectId: 'p1', schedule: '0 0 30 2 *' }, 'SCHEDULE_NEVER_FIRES'],
    [{ projectId: 'p1', schedule: 'every minute' }, 'INVALID_SCHEDULE'],
    [{ projectId: 'p1', schedule: null }, 'INVALID_SCHEDULE'],
    [{ projectId: 'p1', pipeline: null, schedule: '@hourly' }, 'PIPELINE_NOT_OBJECT'],
    [{ projectId: 'p1', pipeline: [1], schedule: '@hourly' }, 'PIPELINE_NOT_OBJECT'],
    [{ projectId: 'p1', pipeline: { v: 9 }, schedule: '@HOURLY' }, 'INVALID_SCHEDULE'],
    [{ projectId: '' }, 'PROJECT_ID_ARG_REQUIRED'],
    [{ projectId: 5 }, 'PROJECT_ID_ARG_REQUIRED'],
    [{}, 'PROJECT_ID_ARG_REQUIRED'],
  ])('fails %j with %s and changes nothing (DEP-UPD-3)', (args, code) => {
    const before = t.deploy.status(local, 'p1');
    t.clock.set(1_900_000_000_000);
    expect(codeOf(() => t.deploy.update(local, args))).toBe(code);
    expect(t.deploy.status(local, 'p1')).toBe(before);
  });
});

describe('DeployService.remove, status, list', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => (t = setup()));

  it('removes, after which the id is unknown everywhere and can be added fresh (DEP-REM-1)', () => {
    t.deploy.add(local, { pipeline: { project_id: 'p1' }, schedule: '@daily' });
    t.deploy.remove(local, 'p1');
    expect(t.deploy.list(local)).toEqual([]);
    expect(() => t.deploy.status(local, 'p1')).toThrow('Deployment not found: p1');
    expect(() => t.deploy.update(local, { projectId: 'p1' })).toThrow('Deployment not found: p1');
    expect(() => t.deploy.remove(local, 'p1')).toThrow('Deployment not found: p1');
    t.clock.set(1_800_000_000_000);
    const again = t.deploy.add(local, { pipeline: { project_id: 'p1' } });
    expect(again).toMatchObject({ createdAt: 1_800_000_000, state: 'active', schedule: { source: 'manual' } });
  });

  it('sorts by code point, as the real (Python) server does, not by UTF-16 unit', () => {
    // U+1F680 (a surrogate pair in UTF-16) sorts after U+FF5E by code point, before it by UTF-16 unit.
    for (const id of ['\u{1F680}', '\uFF5E', 'a']) t.deploy.add(local, { pipeline: { project_id: id } });
    expect(t.deploy.list(local).map((d) => d.projectId)).toEqual(['a', '\uFF5E', '\u{1F680}']);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        const byCodePoint = Math.sign(compareCodePoints(a, b));
        const codePoints = (s: string) => [...s].map((c) => c.codePointAt(0)!);
        const expected = Math.sign(comparePoints(codePoints(a), codePoints(b)));
        expect(byCodePoint).toBe(expected);
      }),
    );
  });

  it('lists only the caller’s records, sorted by project id (DEP-LIST-1)', () => {
    for (const id of ['b', 'a', 'c']) t.deploy.add(local, { pipeline: { project_id: id } });
    t.deploy.add(alice, { pipeline: { project_id: 'a0' } });
    expect(t.deploy.list(local).map((d) => d.projectId)).toEqual(['a', 'b', 'c']);
    expect(t.deploy.list(alice).map((d) => d.projectId)).toEqual(['a0']);
  });

  it.each([undefined, '', 3, null])('refuses projectId %j with "projectId is required"', (projectId) => {
    expect(() => t.deploy.status(local, projectId)).toThrow('projectId is required');
    expect(() => t.deploy.remove(local, projectId)).toThrow('projectId is required');
  });
});

describe('permissions (DEP-PERM-1)', () => {
  it('needs task.control to add, update and remove; task.monitor to list and status', () => {
    const t = setup();
    t.deploy.add(local, { pipeline: { project_id: 'p1' } });
    const control = "Permission 'task.control' denied";
    const monitor = "Permission 'task.monitor' denied";
    for (const caller of [monitorOnly, noPerms]) {
      expect(() => t.deploy.add(caller, { pipeline: { project_id: 'x' } })).toThrow(control);
      expect(() => t.deploy.update(caller, { projectId: 'p1' })).toThrow(control);
      expect(() => t.deploy.remove(caller, 'p1')).toThrow(control);
    }
    expect(t.deploy.list(monitorOnly)).toEqual([]);
    expect(() => t.deploy.status(monitorOnly, 'p1')).toThrow('Deployment not found: p1');
    expect(() => t.deploy.list(noPerms)).toThrow(monitor);
    expect(() => t.deploy.status(noPerms, 'p1')).toThrow(monitor);
    // Permission is checked before anything else, even on invalid input.
    expect(() => t.deploy.add(noPerms, {})).toThrow(control);
    expect(t.store.size).toBe(1);
  });
});

describe('properties', () => {
  const pipelineArb = fc
    .tuple(fc.string({ minLength: 1 }), fc.dictionary(fc.string(), fc.jsonValue()))
    .map(([id, rest]) => ({ ...rest, project_id: id }));

  it('REC-3: any JSON pipeline round-trips exactly through add, status and list', () => {
    fc.assert(
      fc.property(pipelineArb, (pipeline) => {
        const t = setup();
        const expected = JSON.parse(JSON.stringify(pipeline));
        expect(pipelineOf(t.deploy.add(local, { pipeline }))).toEqual(expected);
        expect(pipelineOf(t.deploy.status(local, pipeline.project_id))).toEqual(expected);
        expect(pipelineOf(t.deploy.list(local)[0]!)).toEqual(expected);
      }),
    );
  });

  it('DEP-ISO-1: no project id lets one user see or touch another user’s records', () => {
    const idArb = fc.oneof(fc.constantFrom(...hostileProjectIds), fc.string({ minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 }));
    fc.assert(
      fc.property(fc.uniqueArray(idArb, { minLength: 1, maxLength: 8 }), idArb, (aliceIds, probe) => {
        const t = setup();
        for (const id of aliceIds) t.deploy.add(alice, { pipeline: { project_id: id, secret: 'alice' } });
        const before = JSON.stringify(t.deploy.list(alice));
        expect(codeOf(() => t.deploy.status(local, probe))).toBe('NOT_FOUND');
        expect(codeOf(() => t.deploy.update(local, { projectId: probe, schedule: '@hourly' }))).toBe('NOT_FOUND');
        expect(codeOf(() => t.deploy.remove(local, probe))).toBe('NOT_FOUND');
        t.deploy.add(local, { pipeline: { project_id: probe, secret: 'local' } });
        expect(t.deploy.list(local).map((d) => d.projectId)).toEqual([probe]);
        expect(JSON.stringify(t.deploy.list(alice))).toBe(before);
      }),
    );
  });
});

describe('DeployService isolation against the conformance id families (DEP-ISO-1)', () => {
  it('no traversal, in any spelling, depth or layout, from one user reaches another user’s record; the first user adds each as its own id', () => {
    fc.assert(
      fc.property(fc.constantFrom('p', 'reports', 'a/b', 'Caf\u00e9'), (victimId) => {
        const t = setup();
        t.deploy.add(alice, { pipeline: { project_id: victimId, secret: 'alice' } });
        const before = JSON.stringify(t.deploy.list(alice));
        const hostile = traversals('mine', 'alice', victimId);
        expect(hostile.length).toBeGreaterThan(200);
        for (const { id } of hostile) {
          expect(
            codeOf(() => t.deploy.status(local, id)),
            id,
          ).toBe('NOT_FOUND');
          expect(
            codeOf(() => t.deploy.update(local, { projectId: id, pipeline: { project_id: id }, schedule: '@hourly' })),
            id,
          ).toBe('NOT_FOUND');
          expect(
            codeOf(() => t.deploy.remove(local, id)),
            id,
          ).toBe('NOT_FOUND');
          t.deploy.add(local, { pipeline: { project_id: id, secret: 'local' } });
        }
        expect(
          t.deploy
            .list(local)
            .map((d) => d.projectId)
            .sort(),
        ).toEqual(hostile.map((h) => h.id).sort());
        for (const { id } of hostile) t.deploy.remove(local, id);
        expect(JSON.stringify(t.deploy.list(alice))).toBe(before);
      }),
      { numRuns: 4 },
    );
  });

  it('ids that decoding, normalising, folding, trimming or path cleaning would merge stay distinct keys', () => {
    const t = setup();
    const base = 'x-Caf\u00e9-\ufb01le-\uff21/b';
    t.deploy.add(local, { pipeline: { project_id: base, which: 'base' } });
    const variants = variantsOf(base);
    expect(variants.length).toBeGreaterThan(15);
    for (const v of variants) {
      expect(
        codeOf(() => t.deploy.status(local, v.id)),
        v.label,
      ).toBe('NOT_FOUND');
      t.deploy.add(local, { pipeline: { project_id: v.id, which: v.label } });
    }
    expect(pipelineOf(t.deploy.status(local, base))['which']).toBe('base');
    for (const v of variants) expect(pipelineOf(t.deploy.status(local, v.id))['which'], v.label).toBe(v.label);
    expect(t.deploy.list(local)).toHaveLength(variants.length + 1);
  });
});

function comparePoints(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
