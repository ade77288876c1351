/** The DEP mutants: the five commands (DEP-*). */
import { posix } from 'node:path';
import { PERMISSION_CONTROL, type Caller } from '../../domain/deploy-service.js';
import { pipelineOf, withChanges, type Deployment } from '../../domain/deployment.js';
import { DeployError, deployErrors } from '../../domain/errors.js';
import { MANUAL, parseSchedule } from '../../domain/schedule.js';
import type { DeploymentStore } from '../../domain/store.js';
import type { FamilyMutants } from './definition.js';
import { amend, given, hasCode, recordKey } from './shared.js';

export const DEP_MUTANTS: FamilyMutants = {
  withChecks: [
    {
      name: 'duplicate-add-overwrites',
      family: 'DEP',
      description: 'A second add of a deployed project id succeeds and replaces the existing record.',
      expectedClauses: ['DEP-ADD-4'],
      deviations: () => ({
        patch({ deploy }) {
          const add = deploy.add.bind(deploy);
          const remove = deploy.remove.bind(deploy);
          deploy.add = (caller, args) => {
            try {
              return add(caller, args);
            } catch (error) {
              if (!hasCode(error, 'ALREADY_EXISTS')) throw error;
              remove(caller, (args.pipeline as { project_id: string }).project_id);
              return add(caller, args);
            }
          };
        },
      }),
    },
    {
      name: 'list-leaks-other-users',
      family: 'DEP',
      description: "list returns the caller's deployments followed by every other user's.",
      expectedClauses: ['DEP-LIST-1', 'DEP-ISO-1'],
      deviations: () => ({
        patch({ deploy, store }) {
          const owners = new Set<string>();
          const put = store.put.bind(store);
          store.put = (record) => {
            owners.add(record.ownerId);
            put(record);
          };
          const list = deploy.list.bind(deploy);
          deploy.list = (caller) => [...list(caller), ...[...owners].filter((o) => o !== caller.userId).flatMap((o) => store.listFor(o))];
        },
      }),
    },
    {
      name: 'remove-leaves-record',
      family: 'DEP',
      description: 'remove answers success but the record stays (still listed, status works, add refuses the id).',
      expectedClauses: ['DEP-REM-1'],
      deviations: () => ({
        patch({ deploy, store, scheduler }) {
          const remove = deploy.remove.bind(deploy);
          deploy.remove = (caller, projectId) => {
            const removed = remove(caller, projectId);
            store.put(removed);
            scheduler.added(removed); // stays scheduled, as if never removed
            return removed;
          };
        },
      }),
    },
    {
      name: 'update-drops-project-id',
      family: 'DEP',
      description: "update with a pipeline stores it without its project_id (the deployment's key is lost from the pipeline).",
      expectedClauses: ['DEP-UPD-2'],
      deviations: () => ({
        patch({ deploy, store }) {
          const update = deploy.update.bind(deploy);
          deploy.update = (caller, args) => {
            const next = update(caller, args);
            if (!given(args, 'pipeline')) return next;
            const broken: Deployment = { ...next, pipelineJson: JSON.stringify(withoutKey(pipelineOf(next), 'project_id')) };
            store.put(broken);
            return broken;
          };
        },
      }),
    },
    {
      name: 'update-half-applied',
      family: 'DEP',
      description: 'update with a new pipeline and an invalid schedule fails, but the pipeline is saved anyway.',
      expectedClauses: ['DEP-UPD-3'],
      deviations: () => ({
        patch({ deploy }) {
          const update = deploy.update.bind(deploy);
          deploy.update = (caller, args) => {
            try {
              return update(caller, args);
            } catch (error) {
              if (hasCode(error, 'INVALID_SCHEDULE', 'SCHEDULE_NEVER_FIRES') && given(args, 'pipeline')) {
                try {
                  update(caller, { projectId: args.projectId, pipeline: args.pipeline });
                } catch {
                  // the pipeline was bad too: nothing to half-apply
                }
              }
              throw error;
            }
          };
        },
      }),
    },
    {
      name: 'monitor-can-add',
      family: 'DEP',
      description: 'add does not check task.control: a monitor-only (or permission-less) user can deploy.',
      expectedClauses: ['DEP-PERM-1'],
      deviations: () => ({
        patch({ deploy }) {
          const add = deploy.add.bind(deploy);
          deploy.add = (caller, args) => add({ ...caller, permissions: new Set([...caller.permissions, PERMISSION_CONTROL]) }, args);
        },
      }),
    },
    {
      name: 'unknown-status-succeeds',
      family: 'DEP',
      description: 'status of an unknown project id succeeds with a made-up empty record instead of failing.',
      expectedClauses: ['DEP-STATUS-1'],
      deviations: () => ({
        patch({ deploy, clock }) {
          const status = deploy.status.bind(deploy);
          deploy.status = (caller, projectId) => {
            try {
              return status(caller, projectId);
            } catch (error) {
              if (!hasCode(error, 'NOT_FOUND') || typeof projectId !== 'string') throw error;
              return placeholder(caller, projectId, clock.now() / 1000);
            }
          };
        },
      }),
    },
    {
      name: 'project-id-as-path',
      family: 'DEP',
      description:
        "Project ids are resolved as storage paths (users/<user>/deployments/<id>), as the real server does: '../../<other>/deployments/<id>' reaches another user's deployment.",
      expectedClauses: ['DEP-ISO-1'],
      deviations: () => ({
        patch({ store }) {
          const resolve = (userId: string, projectId: string): [string, string] => {
            const path = posix.normalize(`users/${userId}/deployments/${projectId}`);
            const match = /^users\/([^/]+)\/deployments\/(.+)$/s.exec(path);
            return match ? [match[1]!, match[2]!] : [userId, path];
          };
          const [get, has, put, del] = [store.get.bind(store), store.has.bind(store), store.put.bind(store), store.delete.bind(store)];
          store.get = (userId, projectId) => get(...resolve(userId, projectId));
          store.has = (userId, projectId) => has(...resolve(userId, projectId));
          store.delete = (userId, projectId) => del(...resolve(userId, projectId));
          store.put = (record) => {
            const [ownerId, projectId] = resolve(record.ownerId, record.projectId);
            put(ownerId === record.ownerId && projectId === record.projectId ? record : { ...record, ownerId, projectId });
          };
        },
      }),
    },
    {
      name: 'message-leaks-path',
      family: 'DEP',
      description:
        "Not-found failures say 'File not found: users/<userId>/deployments/<id>.json', leaking the storage layout (the real server's words).",
      expectedClauses: ['DEP-MSG-1'],
      deviations: () => ({
        patch({ deploy }) {
          const leak = (caller: Caller, projectId: unknown, error: unknown): never => {
            if (hasCode(error, 'NOT_FOUND'))
              throw new DeployError('NOT_FOUND', `File not found: users/${caller.userId}/deployments/${String(projectId)}.json`);
            throw error;
          };
          const [status, remove, update] = [deploy.status.bind(deploy), deploy.remove.bind(deploy), deploy.update.bind(deploy)];
          deploy.status = (caller, projectId) => {
            try {
              return status(caller, projectId);
            } catch (error) {
              return leak(caller, projectId, error);
            }
          };
          deploy.remove = (caller, projectId) => {
            try {
              return remove(caller, projectId);
            } catch (error) {
              return leak(caller, projectId, error);
            }
          };
          deploy.update = (caller, args) => {
            try {
              return update(caller, args);
            } catch (error) {
              return leak(caller, args.projectId, error);
            }
          };
        },
      }),
    },
  ],
  independent: [
    // ---- DEP-ADD-1, DEP-UPD-1, DEP-REM-1: the record's times ----
    {
      name: 'update-keeps-updated-at',
      family: 'DEP',
      description: 'update saves the new pipeline or schedule but keeps the old updatedAt (both dialects), as if nothing had changed.',
      expectedClauses: ['DEP-UPD-1'],
      deviations: () => ({
        patch(parts) {
          const update = parts.deploy.update.bind(parts.deploy);
          parts.deploy.update = (caller, args) => {
            const before = typeof args.projectId === 'string' ? parts.deploy.find(caller.userId, args.projectId) : undefined;
            const next = update(caller, args);
            return before ? amend(parts, next, { updatedAt: before.updatedAt }) : next;
          };
        },
      }),
    },
    {
      name: 'update-refreshes-created-at',
      family: 'DEP',
      description: 'update rebuilds the record as a fresh one: createdAt (both dialects) becomes the time of the update, like updatedAt.',
      expectedClauses: ['DEP-UPD-1'],
      deviations: () => ({
        patch(parts) {
          const update = parts.deploy.update.bind(parts.deploy);
          parts.deploy.update = (caller, args) => {
            const next = update(caller, args);
            return amend(parts, next, { createdAt: next.updatedAt });
          };
        },
      }),
    },
    {
      name: 'readd-keeps-created-at',
      family: 'DEP',
      description:
        'remove is a soft delete that keeps a tombstone: adding the same id again revives it with its first createdAt (updatedAt is new), instead of starting fresh.',
      expectedClauses: ['DEP-REM-1', 'DEP-ADD-1'],
      deviations: () => {
        const tombstones = new Map<string, number>();
        return {
          patch(parts) {
            const { deploy } = parts;
            const [add, remove, clear] = [deploy.add.bind(deploy), deploy.remove.bind(deploy), deploy.clear.bind(deploy)];
            deploy.remove = (caller, projectId) => {
              const removed = remove(caller, projectId);
              tombstones.set(recordKey(removed.ownerId, removed.projectId), removed.createdAt);
              return removed;
            };
            deploy.add = (caller, args) => {
              const record = add(caller, args);
              const createdAt = tombstones.get(recordKey(record.ownerId, record.projectId));
              return createdAt === undefined ? record : amend(parts, record, { createdAt });
            };
            deploy.clear = () => {
              tombstones.clear();
              clear();
            };
          },
        };
      },
    },
    {
      name: 'created-at-whole-seconds',
      family: 'DEP',
      description:
        'add stores createdAt as whole seconds (int(time)) but updatedAt with its fraction: at 10:07:01.5 the new record has createdAt ...21 and updatedAt ...21.5.',
      expectedClauses: ['DEP-ADD-1'],
      deviations: () => ({
        patch(parts) {
          const add = parts.deploy.add.bind(parts.deploy);
          parts.deploy.add = (caller, args) => {
            const record = add(caller, args);
            return Number.isInteger(record.createdAt) ? record : amend(parts, record, { createdAt: Math.floor(record.createdAt) });
          };
        },
      }),
    },

    // ---- DEP-ISO-1: hostile project ids ----
    {
      name: 'project-id-percent-decoded',
      family: 'DEP',
      description:
        "Project ids are percent-decoded once (as if they came from a URL) before they key the store: 'a%2Fb' and 'a/b', '%41' and 'A' are one deployment.",
      expectedClauses: ['DEP-ISO-1'],
      deviations: () => ({
        patch: ({ store }) => aliasStore(store, (userId, projectId) => ({ owner: userId, key: percentDecode(projectId) })),
      }),
    },
    {
      name: 'encoded-traversal-reaches-other-user',
      family: 'DEP',
      description:
        "Ids with a '/', '\\\\' or '..' are stored under a hash; other ids are percent-decoded into users/<user>/deployments/<id> and normalised, so the fully encoded '%2E%2E%2F%2E%2E%2Falice%2Fdeployments%2Fx' reaches alice's x (the literal traversal is inert).",
      expectedClauses: ['DEP-ISO-1'],
      deviations: () => ({
        patch: ({ store }) =>
          aliasStore(store, (userId, projectId) =>
            looksLikePath(projectId) ? hashed(userId, projectId) : storagePath(userId, percentDecode(projectId)),
          ),
      }),
    },
    {
      name: 'double-encoded-traversal',
      family: 'DEP',
      description:
        "The id is percent-decoded and checked for '/', '\\\\' and '..', then the storage layer decodes it a second time into a path: '%252E%252E%252F…' (encoded twice) reaches another user's deployment.",
      expectedClauses: ['DEP-ISO-1'],
      deviations: () => ({
        patch: ({ store }) =>
          aliasStore(store, (userId, projectId) => {
            const once = percentDecode(projectId);
            return looksLikePath(once) ? hashed(userId, projectId) : storagePath(userId, percentDecode(once));
          }),
      }),
    },
    {
      name: 'project-id-nfc-normalised',
      family: 'DEP',
      description: "Project ids are Unicode-normalised (NFC) before they key the store: 'caf\\u00e9' and 'cafe\\u0301' are one deployment.",
      expectedClauses: ['DEP-ISO-1'],
      deviations: () => ({
        patch: ({ store }) => aliasStore(store, (userId, projectId) => ({ owner: userId, key: projectId.normalize('NFC') })),
      }),
    },
    {
      name: 'project-id-nfkc-normalised',
      family: 'DEP',
      description:
        "Project ids are NFKC-normalised (compatibility forms folded) before they key the store: '\\ufb01le' (ligature) and 'file', '\\uff21' and 'A' are one deployment.",
      expectedClauses: ['DEP-ISO-1'],
      deviations: () => ({
        patch: ({ store }) => aliasStore(store, (userId, projectId) => ({ owner: userId, key: projectId.normalize('NFKC') })),
      }),
    },
    {
      name: 'project-id-case-folded',
      family: 'DEP',
      description:
        "Records are files on a case-insensitive file system: 'Reports' and 'reports' are one deployment (status 'reports' returns 'Reports').",
      expectedClauses: ['DEP-ISO-1'],
      deviations: () => ({
        patch: ({ store }) => aliasStore(store, (userId, projectId) => ({ owner: userId, key: projectId.toLowerCase() })),
      }),
    },
    {
      name: 'project-id-trimmed',
      family: 'DEP',
      description: "Project ids are trimmed before they key the store: ' p', 'p ' and 'p\\t' are all deployment 'p'.",
      expectedClauses: ['DEP-ISO-1'],
      deviations: () => ({ patch: ({ store }) => aliasStore(store, (userId, projectId) => ({ owner: userId, key: projectId.trim() })) }),
    },
    {
      name: 'project-id-cut-at-nul',
      family: 'DEP',
      description:
        "The storage layer takes the id as a C string: everything from the first NUL on is ignored ('p\\u0000x' is deployment 'p').",
      expectedClauses: ['DEP-ISO-1'],
      deviations: () => ({
        patch: ({ store }) => aliasStore(store, (userId, projectId) => ({ owner: userId, key: projectId.split('\u0000', 1)[0]! })),
      }),
    },
    {
      name: 'backslash-path-traversal',
      family: 'DEP',
      description:
        "Ids with a '/' are stored under a hash, others are joined into a Windows-style path where '\\\\' separates folders too: '..\\\\..\\\\alice\\\\deployments\\\\x' reaches alice's x.",
      expectedClauses: ['DEP-ISO-1'],
      deviations: () => ({
        patch: ({ store }) =>
          aliasStore(store, (userId, projectId) =>
            projectId.includes('/') ? hashed(userId, projectId) : storagePath(userId, projectId.replaceAll('\\', '/')),
          ),
      }),
    },

    // ---- DEP-ADD-5, DEP-LIST-1: two users, one project id ----
    {
      name: 'shared-id-add-refused',
      family: 'DEP',
      description:
        "Project ids are unique across users (a unique index on the id alone): a second user's add of an id another user deployed fails as already existing.",
      expectedClauses: ['DEP-ADD-5'],
      deviations: () => ({
        patch({ deploy, store }) {
          const [add, remove] = [deploy.add.bind(deploy), deploy.remove.bind(deploy)];
          deploy.add = (caller, args) => {
            const record = add(caller, args);
            if (othersWithId(store, record).length === 0) return record;
            remove(caller, record.projectId);
            throw deployErrors.alreadyExists(record.projectId);
          };
        },
      }),
    },
    {
      name: 'list-joins-shared-ids',
      family: 'DEP',
      description:
        "list joins on the project id without the owner: next to each of the caller's deployments it returns every other user's deployment with the same id.",
      expectedClauses: ['DEP-LIST-1', 'DEP-ISO-1'],
      deviations: () => ({
        patch({ deploy, store }) {
          const list = deploy.list.bind(deploy);
          deploy.list = (caller) => list(caller).flatMap((record) => [record, ...othersWithId(store, record)]);
        },
      }),
    },
    {
      name: 'shared-id-update-applies-to-all',
      family: 'DEP',
      description:
        "update writes by project id alone: updating a shared id changes every user's deployment with that id (pipeline, schedule, updatedAt).",
      expectedClauses: ['DEP-ADD-5', 'DEP-LIST-1', 'DEP-ISO-1'],
      deviations: () => ({
        patch({ deploy, store, scheduler }) {
          const update = deploy.update.bind(deploy);
          deploy.update = (caller, args) => {
            const next = update(caller, args);
            for (const other of othersWithId(store, next)) {
              const changed = withChanges(other, {
                ...(given(args, 'pipeline') && { pipelineJson: next.pipelineJson }),
                ...(given(args, 'schedule') && { schedule: next.schedule }),
                updatedAt: next.updatedAt,
              });
              store.put(changed);
              scheduler.updated(other, changed);
            }
            return next;
          };
        },
      }),
    },
    {
      name: 'shared-id-remove-removes-all',
      family: 'DEP',
      description: "remove deletes by project id alone: removing a shared id removes every user's deployment with that id.",
      expectedClauses: ['DEP-ADD-5', 'DEP-LIST-1', 'DEP-ISO-1'],
      deviations: () => ({
        patch({ deploy, store, scheduler }) {
          const remove = deploy.remove.bind(deploy);
          deploy.remove = (caller, projectId) => {
            const removed = remove(caller, projectId);
            for (const other of othersWithId(store, removed)) {
              store.delete(other.ownerId, other.projectId);
              scheduler.removed(other);
            }
            return removed;
          };
        },
      }),
    },
  ],
};

/** A shallow copy without `key` (own `__proto__` keys kept as data). */
function withoutKey(object: Readonly<Record<string, unknown>>, key: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) {
    if (k !== key) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function placeholder(caller: Caller, projectId: string, nowSeconds: number): Deployment {
  return {
    projectId,
    ownerId: caller.userId,
    ownerCredential: caller.credential,
    pipelineJson: JSON.stringify({ project_id: projectId }),
    schedule: parseSchedule(MANUAL),
    state: 'active',
    createdAt: nowSeconds,
    updatedAt: nowSeconds,
  };
}

/** Where a (user, project id) pair lands in a mutant's storage: whose records, under which key. */
type Locate = (userId: string, projectId: string) => { owner: string; key: string };

/**
 * Makes the store find records by `locate(user, id)` instead of by the id itself: two ids that
 * locate to one key are one deployment (the one stored first keeps its id), and a key located in
 * another user's records reaches them.
 */
function aliasStore(store: DeploymentStore, locate: Locate): void {
  /** The id stored under each located slot. */
  const stored = new Map<string, string>();
  const slotOf = (userId: string, projectId: string) => {
    const { owner, key } = locate(userId, projectId);
    return { owner, slot: recordKey(owner, key) };
  };
  const [get, put, del, clear] = [store.get.bind(store), store.put.bind(store), store.delete.bind(store), store.clear.bind(store)];
  store.get = (userId, projectId) => {
    const { owner, slot } = slotOf(userId, projectId);
    const id = stored.get(slot);
    return id === undefined ? undefined : get(owner, id);
  };
  store.has = (userId, projectId) => store.get(userId, projectId) !== undefined;
  store.delete = (userId, projectId) => {
    const { owner, slot } = slotOf(userId, projectId);
    const id = stored.get(slot);
    if (id === undefined) return undefined;
    stored.delete(slot);
    return del(owner, id);
  };
  store.put = (record) => {
    const { owner, slot } = slotOf(record.ownerId, record.projectId);
    const id = stored.get(slot) ?? record.projectId;
    stored.set(slot, id);
    put(owner === record.ownerId && id === record.projectId ? record : { ...record, ownerId: owner, projectId: id });
  };
  store.clear = () => {
    stored.clear();
    clear();
  };
}

/** Percent-decoding as Python's unquote does it: runs of %XX escapes are UTF-8, invalid bytes become U+FFFD. */
function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/** What a naive path-safety check refuses to use as a file name. */
function looksLikePath(id: string): boolean {
  return id.includes('/') || id.includes('\\') || id.includes('..');
}

/** An id stored under a hash of itself: opaque. */
function hashed(userId: string, projectId: string): { owner: string; key: string } {
  return { owner: userId, key: `hash:${projectId}` };
}

/** An id resolved as a storage path, `users/<user>/deployments/<id>`, normalised: `..` climbs out. */
function storagePath(userId: string, id: string): { owner: string; key: string } {
  const path = posix.normalize(`users/${userId}/deployments/${id}`);
  const match = /^users\/([^/]+)\/deployments\/(.+)$/s.exec(path);
  return match ? { owner: match[1]!, key: `path:${match[2]!}` } : { owner: userId, key: `path:${path}` };
}

/** Other users' deployments with the same project id as `record`. */
function othersWithId(store: DeploymentStore, record: Deployment): Deployment[] {
  return store.all().filter((r) => r.projectId === record.projectId && r.ownerId !== record.ownerId);
}
