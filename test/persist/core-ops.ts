/**
 * Random operations on a core, as the state-file tests apply them: deploy calls, control
 * calls and clock moves, refusals included.
 */
import fc from 'fast-check';
import { buildDeployCore, type CoreOptions, type DeployCore } from '../../src/core-build.js';
import { openStateFile, type Persistence } from '../../src/persist/persistence.js';
import type { Caller } from '../../src/domain/deploy-service.js';

export const OPTIONS: CoreOptions = { clock: { mode: 'fake', startAt: '2026-11-26T10:07:00Z' }, limits: { maxDeploymentsPerUser: 5_000 } };

/** A new core on the state file `file` (loaded if it exists), its writes followed from now on. */
export async function opened(file: string, options: CoreOptions = OPTIONS): Promise<{ core: DeployCore; persistence: Persistence }> {
  const core = buildDeployCore(options);
  return { core, persistence: await openStateFile(file, core, undefined) };
}

export function callerOf(core: DeployCore, key: string): Caller {
  const auth = core.users.authenticate(key);
  if (typeof auth === 'string') throw new Error(`key ${key}: ${auth}`);
  return { userId: auth.user.userId, permissions: auth.permissions, credential: auth.key };
}

const KEYS = ['MYAPIKEY', 'ALICEKEY', 'MONITORKEY'] as const;
const USER_OF: Record<string, string> = { MYAPIKEY: 'local', ALICEKEY: 'alice', MONITORKEY: 'monty' };
const key = fc.constantFrom(...KEYS, 'MYAPIKEY', 'MYAPIKEY'); // mostly one user: its changes meet
const project = fc.constantFrom('p0', 'p1', 'ü/../x', 'q"\\\u2028😀');
const schedule = fc.constantFrom('manual', '* * * * *', '*/7 * * * *', '@hourly');
/** Pipelines as a client may send them (escapes, unicode, nesting); the server stores their text. */
const pipelineExtra = fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });

export type Op =
  | { kind: 'add'; key: string; project: string; schedule: string; extra: Record<string, unknown> }
  | { kind: 'update'; key: string; project: string; schedule: string; extra: Record<string, unknown> }
  | { kind: 'remove' | 'pause' | 'resume' | 'trigger'; key: string; project: string }
  | { kind: 'end-run'; index: number }
  | { kind: 'reset' }
  | { kind: 'revoke' | 'restore'; key: string }
  | { kind: 'add-user'; id: string; key: string }
  | { kind: 'advance'; ms: number }
  | { kind: 'behavior'; key: string | null; duration: number; hold: boolean };

export const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('add' as const), key, project, schedule, extra: pipelineExtra }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('update' as const), key, project, schedule, extra: pipelineExtra }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('end-run' as const), index: fc.nat(3) }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'reset' as const }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('remove' as const, 'pause' as const, 'resume' as const, 'trigger' as const),
      key,
      project,
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constantFrom('revoke' as const, 'restore' as const), key }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('add-user' as const),
      id: fc.string({ minLength: 1, maxLength: 8 }),
      key: fc.string({ minLength: 4, maxLength: 12 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3 * 3_600_000 }) }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('behavior' as const),
      key: fc.option(key, { nil: null }),
      duration: fc.nat(600_000),
      hold: fc.boolean(),
    }),
    weight: 1,
  },
);

/** Applies one operation; refusals (unknown deployment, a key taken...) are part of the game. */
export function apply(core: DeployCore, o: Op): void {
  try {
    switch (o.kind) {
      case 'add':
        core.deploy.add(callerOf(core, o.key), { pipeline: { ...o.extra, project_id: o.project }, schedule: o.schedule });
        return;
      case 'update':
        core.deploy.update(callerOf(core, o.key), {
          projectId: o.project,
          pipeline: { ...o.extra, project_id: o.project },
          schedule: o.schedule,
        });
        return;
      case 'remove':
        core.deploy.remove(callerOf(core, o.key), o.project);
        return;
      case 'end-run': {
        const open = core.control.runs({ limit: 100 }).items.filter((run) => run.endedAt === null);
        if (open.length > 0) core.control.endRun(open[o.index % open.length]!.id, 'failed');
        return;
      }
      case 'reset':
        core.control.reset();
        return;
      case 'pause':
      case 'resume':
      case 'trigger':
        core.control[o.kind](USER_OF[o.key]!, o.project);
        return;
      case 'revoke':
        core.control.revokeKey(o.key);
        return;
      case 'restore':
        core.control.restoreKey(o.key);
        return;
      case 'add-user':
        core.control.addUser({
          userId: o.id,
          keys: [o.key],
          defaultTeam: 't',
          organizations: [{ id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: ['task.control'] }] }],
        });
        return;
      case 'advance':
        core.control.advance(o.ms);
        return;
      case 'behavior': {
        const behavior = { duration: o.duration, hold: o.hold };
        if (o.key === null) core.control.setRunBehavior(behavior);
        else core.control.setRunBehavior(behavior, { userId: USER_OF[o.key]!, projectId: 'p0' });
        return;
      }
    }
  } catch {
    // refused: nothing changed
  }
}
