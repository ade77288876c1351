import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deploymentListJson, toWireRecord, wireRecordJson } from '../../src/dap/records.js';
import { DeployService } from '../../src/domain/deploy-service.js';
import { DeploymentStore } from '../../src/domain/store.js';

describe('wire records (REC-1, REC-2)', () => {
  it('assembles exactly the JSON of the wire record, for any pipeline, id, owner and time', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1 }),
        fc.string({ unit: 'binary', minLength: 1 }),
        fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()),
        fc.double({ min: 0, max: 4e12, noNaN: true }),
        fc.constantFrom('manual', '@hourly', ' */5 * * * *'),
        (projectId, userId, rest, nowMs, schedule) => {
          const deploy = new DeployService(new DeploymentStore(), { now: () => nowMs });
          const caller = { userId, permissions: new Set(['task.control', 'task.monitor']), credential: 'K' };
          const record = deploy.add(caller, { pipeline: { ...rest, project_id: projectId }, schedule });
          const updated = deploy.update(caller, { projectId, pipeline: { ...rest, extra: [1] } });
          for (const d of [record, updated]) {
            expect(wireRecordJson(d)).toBe(JSON.stringify(toWireRecord(d)));
            expect(Object.keys(JSON.parse(wireRecordJson(d)))).toEqual([
              'pipeline',
              'schedule',
              'state',
              'userId',
              'createdAt',
              'updatedAt',
              'created_by',
              'created_at',
              'updated_at',
            ]);
          }
          expect(JSON.parse(deploymentListJson(deploy.list(caller)))).toEqual({ deployments: [toWireRecord(updated)] });
        },
      ),
    );
  });
});
