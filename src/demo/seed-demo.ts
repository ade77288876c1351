/**
 * Fills a server with demo data (`serve --demo`, `control seed`): the plan of demo-plan.ts
 * carried out through the server's own mechanisms, so every record, run, tick and counter is
 * one the server made. The deployments are added as their owners (a deploy `add`, permission
 * checks and limits included); then the clock moves through one day, and the scheduler runs
 * them on the way; pauses and manual runs are the control API's own; and one deployment turns
 * errored the real way: its owner, a run-time demo user, has its key revoked during the day,
 * and its next tick finds it so (RUN-5). The clock ends one day later than it started.
 */
import type { UserDirectory, UserSpec } from '../auth/users.js';
import type { ServerClock } from '../domain/clock.js';
import { PERMISSION_CONTROL, type Caller, type DeployService } from '../domain/deploy-service.js';
import { DeployError } from '../domain/errors.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { SchedulerError } from '../scheduler/errors.js';
import { ControlError } from '../control/errors.js';
import { DAY_MS } from './demo-limits.js';
import { planDemo, type PlannedDeployment } from './demo-plan.js';

/** The run-time user who owns the errored demo deployment; its key is revoked during the demo day. @since 0.5.0 */
export const DEMO_REVOKED_USER: UserSpec = {
  userId: 'demo-ci',
  keys: ['DEMOCIKEY'],
  displayName: 'Demo CI Bot',
  defaultTeam: 'ci',
  organizations: [
    { id: 'demo', name: 'Demo', permissions: [], teams: [{ id: 'ci', name: 'CI', permissions: ['task.control', 'task.monitor'] }] },
  ],
};

export interface DemoTargets {
  readonly clock: ServerClock;
  readonly scheduler: Scheduler;
  readonly users: UserDirectory;
  readonly deploy: DeployService;
}

/** What a seed did. @since 0.5.0 */
export interface DemoSummary {
  readonly seed: number;
  /** Deployments added, by owner. */
  readonly deployments: Readonly<Record<string, number>>;
  /** Runs started during the demo day. */
  readonly runs: number;
  /** The clock before and after (epoch ms): one day apart. */
  readonly from: number;
  readonly to: number;
}

/** Adds `count` demo deployments (already validated) made from `seed`, and lets a day pass. */
export function seedDemo({ clock, scheduler, users, deploy }: DemoTargets, count: number, seed: number): DemoSummary {
  const owners = deployers(users);
  if (owners.length === 0) {
    throw new ControlError(
      'DEMO_REFUSED',
      `No user may deploy (none has ${PERMISSION_CONTROL} and a valid key): give a users file with one, or add one with addUser first`,
    );
  }
  const revokedOwner = demoUser(users);
  const plan = planDemo(
    count,
    seed,
    owners.length,
    (owner, projectId) => deploy.find(owner === 'revoked-user' ? revokedOwner.userId : owners[owner]!.userId, projectId) !== undefined,
  );
  const ownerOf = (d: PlannedDeployment): Caller => (d.owner === 'revoked-user' ? revokedOwner : owners[d.owner]!);
  const from = clock.now();
  const firstRun = scheduler.runSeq;
  const added: Record<string, number> = {};
  plan.deployments.forEach((d, i) => {
    const owner = ownerOf(d);
    try {
      deploy.add(owner, { pipeline: d.pipeline, schedule: d.schedule });
    } catch (error) {
      if (!(error instanceof DeployError)) throw error;
      throw new ControlError(
        'DEMO_REFUSED',
        `The server refused demo deployment ${i + 1} of ${count} (${String(d.pipeline['project_id'])} for ${owner.userId}): ${error.message}. ` +
          `The ${i} added before it stay; raise the limit, or seed fewer`,
      );
    }
    added[owner.userId] = (added[owner.userId] ?? 0) + 1;
    scheduler.setRunBehavior({ durationMs: d.runMs, outcome: 'completed' }, scopeOf(owner, d));
  });
  for (const action of plan.actions) {
    advanceFully(scheduler, from + action.at);
    if (action.kind === 'revoke') {
      users.revokeKey(revokedOwner.credential);
      continue;
    }
    const d = plan.deployments[action.deployment]!;
    const { userId, projectId } = scopeOf(ownerOf(d), d);
    if (action.kind === 'pause') scheduler.pause(userId, projectId);
    else if (action.kind === 'fail' || action.kind === 'recover')
      scheduler.setRunBehavior({ outcome: action.kind === 'fail' ? 'failed' : 'completed' }, { userId, projectId });
    else {
      try {
        scheduler.trigger(userId, projectId);
      } catch (error) {
        // A manual run asked for while the last one still runs is refused, as it would be for anyone.
        if (!(error instanceof SchedulerError && error.code === 'RUN_IN_PROGRESS')) throw error;
      }
    }
  }
  advanceFully(scheduler, from + DAY_MS);
  return { seed, deployments: added, runs: scheduler.runSeq - firstRun, from, to: clock.now() };
}

/** Moves the clock to `target`, in as many moves as the events-per-move cap makes (a day of 1,000 minutely deployments passes it). */
function advanceFully(scheduler: Scheduler, target: number): void {
  while (!scheduler.advanceTo(target).complete);
}

/** The users who may deploy, each as the caller of its first valid key (the demo's run-time user aside). */
function deployers(users: UserDirectory): Caller[] {
  const callers: Caller[] = [];
  for (const { user, keys } of users.list()) {
    if (user.userId === DEMO_REVOKED_USER.userId) continue;
    const key = keys.find((k) => !k.revoked)?.key;
    const auth = key === undefined ? undefined : users.authenticate(key);
    if (typeof auth === 'object' && auth.permissions.has(PERMISSION_CONTROL)) {
      callers.push({ userId: user.userId, permissions: auth.permissions, credential: auth.key });
    }
  }
  return callers;
}

/** The demo's run-time user, added (or its key restored, for a second seed) so it can deploy again. */
function demoUser(users: UserDirectory): Caller {
  const { userId, keys } = DEMO_REVOKED_USER;
  const key = keys[0]!;
  const existing = users.list().find((listing) => listing.user.userId === userId);
  if (existing === undefined) {
    try {
      users.addUser(DEMO_REVOKED_USER);
    } catch (error) {
      throw new ControlError('DEMO_REFUSED', `The demo adds the user ${userId} with key ${key}: ${(error as Error).message}`);
    }
  } else if (!existing.user.keys.includes(key)) {
    throw new ControlError('DEMO_REFUSED', `The demo needs the user ${userId} with key ${key}, and ${userId} exists without it`);
  }
  users.restoreKey(key);
  const auth = users.authenticate(key);
  if (typeof auth !== 'object') throw new Error(`the demo key ${key} does not authenticate`);
  return { userId, permissions: auth.permissions, credential: key };
}

function scopeOf(owner: Caller, d: PlannedDeployment): { userId: string; projectId: string } {
  return { userId: owner.userId, projectId: String(d.pipeline['project_id']) };
}
