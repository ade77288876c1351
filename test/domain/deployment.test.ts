import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toWireRecord, wireRecordJson } from '../../src/dap/records.js';
import { pipelineOf, storedDeployment, withChanges, type Deployment } from '../../src/domain/deployment.js';
import { parseSchedule } from '../../src/domain/schedule.js';

/** Every field a record has, in the order records are built. */
const FIELDS = ['projectId', 'ownerId', 'ownerCredential', 'pipelineJson', 'schedule', 'state', 'createdAt', 'updatedAt'];

function stored(pipeline: object): Deployment {
  return storedDeployment({
    projectId: 'p1',
    ownerId: 'alice',
    ownerCredential: 'KEY',
    pipelineJson: JSON.stringify(pipeline),
    schedule: parseSchedule('@daily'),
    state: 'active',
    createdAt: 10,
    updatedAt: 20,
  });
}

describe('pipelineOf', () => {
  it('parses a fresh copy on every call, so changing one never reaches the record', () => {
    const record = stored({ project_id: 'p1', nodes: [{ id: 'a' }] });
    const first = pipelineOf(record);
    (first['nodes'] as unknown[]).push('changed');
    first['project_id'] = 'other';
    expect(pipelineOf(record)).toEqual({ project_id: 'p1', nodes: [{ id: 'a' }] });
    expect(pipelineOf(record)).not.toBe(pipelineOf(record));
    expect(record.pipelineJson).toBe('{"project_id":"p1","nodes":[{"id":"a"}]}');
  });

  it('returns the stored document for any JSON pipeline', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (rest) => {
        const pipeline = { ...rest, project_id: 'p1' };
        expect(pipelineOf(stored(pipeline))).toEqual(JSON.parse(JSON.stringify(pipeline)));
      }),
    );
  });
});

describe('records are plain data', () => {
  it('keeps every field as its own property: a spread copy loses nothing', () => {
    const record = stored({ project_id: 'p1', v: 1 });
    expect(Object.keys(record)).toEqual(FIELDS);
    // Nothing inherited (a prototype getter is what a spread used to drop).
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    const copy = { ...record };
    expect(copy).toStrictEqual(record);
    expect(pipelineOf(copy)).toEqual({ project_id: 'p1', v: 1 });
    expect(wireRecordJson(copy)).toBe(wireRecordJson(record));
    expect(toWireRecord({ ...record, state: 'paused' })).toEqual({ ...toWireRecord(record), state: 'paused' });
  });

  it('spreading with a change gives the same record as withChanges', () => {
    const record = stored({ project_id: 'p1', v: 1 });
    expect({ ...record, state: 'paused' }).toStrictEqual(withChanges(record, { state: 'paused' }));
    const text = JSON.stringify({ project_id: 'p1', v: 2 });
    expect({ ...record, pipelineJson: text, updatedAt: 30 }).toStrictEqual(withChanges(record, { pipelineJson: text, updatedAt: 30 }));
  });

  it('stores only the record fields, whatever else the object given carries', () => {
    const extra = { ...stored({ project_id: 'p1' }), pipeline: { project_id: 'stale' }, note: 'x' } as Deployment;
    expect(Object.keys(storedDeployment(extra))).toEqual(FIELDS);
    expect(Object.keys(withChanges(extra, { state: 'errored' }))).toEqual(FIELDS);
  });

  it('withChanges keeps the record it was given unchanged, and its pipeline text when none is given', () => {
    const record = stored({ project_id: 'p1', v: 1 });
    const before = { ...record };
    const next = withChanges(record, { state: 'paused', updatedAt: 99 });
    expect(record).toStrictEqual(before);
    expect(next).toMatchObject({ state: 'paused', updatedAt: 99, createdAt: 10, pipelineJson: record.pipelineJson });
    expect(next).not.toBe(record);
  });
});
