/**
 * A mock server's core without sockets, for scheduler tests: add deployments as a user would
 * (through the deploy service, as the DAP session does), move the clock, read runs and ticks.
 */
import { buildDeployCore, type CoreOptions, type DeployCore } from '../../src/core-build.js';
import type { Caller } from '../../src/domain/deploy-service.js';
import { readAll } from '../../src/control/paging.js';

export const START = '2026-11-26T10:07:00Z';

export interface Harness {
  readonly core: DeployCore;
  readonly control: DeployCore['control'];
  /** Adds a deployment as the user owning `key` (default MYAPIKEY). */
  add(projectId: string, schedule?: string, key?: string): void;
  update(projectId: string, change: { schedule?: string; pipeline?: object }, key?: string): void;
  remove(projectId: string, key?: string): void;
  /** A deployment's state, read without a credential (a revoked key must not hide it). */
  state(projectId: string, userId?: string): string;
  /** Run start times (ISO, no milliseconds) of one deployment of `local`. */
  starts(projectId: string): string[];
}

export async function harness(options: CoreOptions = {}): Promise<Harness> {
  const core = buildDeployCore({ clock: { mode: 'fake', startAt: START }, ...options });
  const caller = (key: string): Caller => {
    const auth = core.users.authenticate(key);
    if (typeof auth === 'string') throw new Error(`key ${key}: ${auth}`);
    return { userId: auth.user.userId, permissions: auth.permissions, credential: auth.key };
  };
  return {
    core,
    control: core.control,
    add: (projectId, schedule, key = 'MYAPIKEY') => {
      core.deploy.add(caller(key), { pipeline: { project_id: projectId }, ...(schedule !== undefined && { schedule }) });
    },
    update: (projectId, change, key = 'MYAPIKEY') => {
      core.deploy.update(caller(key), { projectId, ...change });
    },
    remove: (projectId, key = 'MYAPIKEY') => {
      core.deploy.remove(caller(key), projectId);
    },
    state: (projectId, userId = 'local') => core.deploy.find(userId, projectId)!.state,
    starts: (projectId) =>
      readAll((page) => core.control.runs({ ...page, userId: 'local', projectId })).map((run) => run.startedAt.replace(/:00\.000Z$/, 'Z')),
  };
}
