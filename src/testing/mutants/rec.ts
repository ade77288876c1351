/** The REC mutants: the record on the wire (REC-*). */
import { unixSeconds } from '../../domain/clock.js';
import type { Deployment } from '../../domain/deployment.js';
import type { FamilyMutants } from './definition.js';
import { editRecords, recordKey, wireRecordKey } from './shared.js';

export const REC_MUTANTS: FamilyMutants = {
  withChecks: [
    {
      name: 'snake-case-only',
      family: 'REC',
      description: 'Records carry only created_by/created_at/updated_at: the documented userId, createdAt, updatedAt are missing.',
      expectedClauses: ['REC-1'],
      deviations: () => ({
        wrapOutput: editRecords((record) => {
          delete record['userId'];
          delete record['createdAt'];
          delete record['updatedAt'];
        }),
      }),
    },
    {
      name: 'times-in-ms',
      family: 'REC',
      description: 'Record times are Unix milliseconds instead of seconds.',
      expectedClauses: ['REC-1', 'DEP-ADD-1'],
      deviations: () => ({
        wrapOutput: editRecords((record) => {
          for (const key of ['createdAt', 'updatedAt', 'created_at', 'updated_at']) {
            if (typeof record[key] === 'number') record[key] = Math.round(record[key] * 1000);
          }
        }),
      }),
    },
    {
      name: 'pipeline-arrays-dropped',
      family: 'REC',
      description: 'The pipeline comes back without its arrays (every array-valued entry, at any depth, is lost).',
      expectedClauses: ['REC-3'],
      deviations: () => ({
        wrapOutput: editRecords((record) => {
          record['pipeline'] = rebuild(
            record['pipeline'],
            (v) => v,
            (_k, v) => !Array.isArray(v),
          );
        }),
      }),
    },
    {
      name: 'pipeline-unicode-mangled',
      family: 'REC',
      description: "The pipeline's non-ASCII characters (keys and strings, project_id aside) come back as '?'.",
      expectedClauses: ['REC-3'],
      deviations: () => ({
        wrapOutput: editRecords((record) => {
          const pipeline = record['pipeline'] as Record<string, unknown>;
          const projectId = pipeline['project_id'];
          // eslint-disable-next-line no-control-regex -- everything outside ASCII, NUL included
          const mangled = rebuild(pipeline, (v) => (typeof v === 'string' ? v.replace(/[^\x00-\x7f]/gu, '?') : v)) as Record<
            string,
            unknown
          >;
          if (projectId !== undefined) mangled['project_id'] = projectId;
          record['pipeline'] = mangled;
        }),
      }),
    },
  ],
  independent: [
    // ---- REC-2: the two dialects drift apart after a change ----
    {
      name: 'snake-updated-at-from-created-at',
      family: 'REC',
      description:
        'The compat field updated_at is filled from the creation time (a copy-paste slip): equal to updatedAt on a fresh record, stale after every update.',
      expectedClauses: ['REC-2', 'DEP-UPD-1'],
      deviations: () => ({
        wrapOutput: editRecords((record) => {
          if ('updated_at' in record) record['updated_at'] = record['created_at'];
        }),
      }),
    },
    {
      name: 'snake-updated-at-stamped-on-state-change',
      family: 'REC',
      description:
        'The storage layer stamps updated_at on every save, pause and errored included, while the documented updatedAt only follows updates: after a pause the two differ.',
      expectedClauses: ['REC-2'],
      deviations: () => {
        const stamped = new Map<string, number>();
        return {
          patch({ deploy, clock }) {
            const [setState, add, update, remove, clear] = [
              deploy.setState.bind(deploy),
              deploy.add.bind(deploy),
              deploy.update.bind(deploy),
              deploy.remove.bind(deploy),
              deploy.clear.bind(deploy),
            ];
            deploy.setState = (record, state) => {
              const next = setState(record, state);
              stamped.set(recordKey(next.ownerId, next.projectId), unixSeconds(clock));
              return next;
            };
            const forget = (record: Deployment) => {
              stamped.delete(recordKey(record.ownerId, record.projectId));
              return record;
            };
            deploy.add = (caller, args) => forget(add(caller, args));
            deploy.update = (caller, args) => forget(update(caller, args));
            deploy.remove = (caller, projectId) => forget(remove(caller, projectId));
            deploy.clear = () => {
              stamped.clear();
              clear();
            };
          },
          wrapOutput: editRecords((record) => {
            const at = stamped.get(wireRecordKey(record));
            if (at !== undefined && 'updated_at' in record) record['updated_at'] = at;
          }),
        };
      },
    },
    {
      name: 'list-snake-fields-cached',
      family: 'REC',
      description:
        "list takes created_by/created_at/updated_at from a summary index written at add and never refreshed: after an update, list's updated_at is stale (status is right).",
      expectedClauses: ['REC-2', 'DEP-LIST-1'],
      deviations: () => {
        const index = new Map<string, { created_by: string; created_at: number; updated_at: number }>();
        return {
          patch({ deploy }) {
            const [add, remove, clear] = [deploy.add.bind(deploy), deploy.remove.bind(deploy), deploy.clear.bind(deploy)];
            deploy.add = (caller, args) => {
              const record = add(caller, args);
              index.set(recordKey(record.ownerId, record.projectId), {
                created_by: record.ownerId,
                created_at: record.createdAt,
                updated_at: record.updatedAt,
              });
              return record;
            };
            deploy.remove = (caller, projectId) => {
              const removed = remove(caller, projectId);
              index.delete(recordKey(removed.ownerId, removed.projectId));
              return removed;
            };
            deploy.clear = () => {
              index.clear();
              clear();
            };
          },
          wrapOutput: editRecords(
            (record) => {
              const summary = index.get(wireRecordKey(record));
              if (summary) Object.assign(record, summary);
            },
            new Set(['rrext_deploy_list']),
          ),
        };
      },
    },
  ],
};

/** Rebuilds a JSON value bottom-up; `keep(key, value)` false drops an object's entry. */
function rebuild(value: unknown, map: (value: unknown) => unknown, keep: (key: string, value: unknown) => boolean = () => true): unknown {
  if (Array.isArray(value)) return value.map((v) => rebuild(v, map, keep));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (keep(k, v))
        Object.defineProperty(out, map(k) as string, {
          value: rebuild(v, map, keep),
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return out;
  }
  return map(value);
}
