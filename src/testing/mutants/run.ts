/** The RUN mutants: scheduled runs on the server's clock (RUN-*). */
import { PERMISSION_CONTROL } from '../../domain/deploy-service.js';
import type { Deployment } from '../../domain/deployment.js';
import type { AdvanceReport, CredentialCheck } from '../../scheduler/engine.js';
import { MAX_EVENTS_PER_ADVANCE } from '../../scheduler/engine.js';
import { nextTickFor } from '../../scheduler/next-tick.js';
import type { TickRecord } from '../../scheduler/types.js';
import { mergePage } from '../../scheduler/pages.js';
import type { Deviations, FamilyMutants } from './definition.js';
import { recordKey } from './shared.js';

export const RUN_MUTANTS: FamilyMutants = {
  withChecks: [
    {
      name: 'overlapping-runs',
      family: 'RUN',
      description: 'A tick that comes due while a run is in progress starts another run instead of being skipped.',
      expectedClauses: ['RUN-3'],
      deviations: () => ({ allowOverlap: true }),
    },
    {
      name: 'paused-still-fires',
      family: 'RUN',
      description: 'A paused deployment keeps firing (the scheduler is never told it was paused).',
      expectedClauses: ['RUN-4'],
      deviations: () => ({
        wrapListener: (listener) => {
          const active = (record: Deployment): Deployment => (record.state === 'paused' ? { ...record, state: 'active' } : record);
          return {
            added: (record) => listener.added(active(record)),
            updated: (previous, next) => listener.updated(previous, active(next)),
            removed: (record) => listener.removed(record),
          };
        },
      }),
    },
    {
      name: 'errored-revived-by-update',
      family: 'RUN',
      description: 'update of an errored deployment makes it active again (and a new schedule fires again).',
      expectedClauses: ['RUN-5', 'DEP-UPD-1'],
      deviations: () => ({
        patch({ deploy }) {
          const update = deploy.update.bind(deploy);
          deploy.update = (caller, args) => {
            const current = typeof args.projectId === 'string' ? deploy.find(caller.userId, args.projectId) : undefined;
            if (current?.state !== 'errored' || !caller.permissions.has(PERMISSION_CONTROL)) return update(caller, args);
            const revived = deploy.setState(current, 'active');
            try {
              return update(caller, args);
            } catch (error) {
              deploy.setState(revived, 'errored');
              throw error;
            }
          };
        },
      }),
    },
    {
      name: 'revoked-key-still-fires',
      family: 'RUN',
      description: "Ticks never re-check the owner's key: a deployment whose key was revoked keeps firing and never turns errored.",
      expectedClauses: ['RUN-5'],
      deviations: () => ({ wrapCredentials: () => ({ isKeyValid: () => true }) }),
    },
    {
      name: 'manual-fires',
      family: 'RUN',
      description: "A 'manual' deployment fires every minute as if it were '* * * * *'.",
      expectedClauses: ['RUN-2'],
      deviations: () => ({
        wrapParser: (parse) => (value) => {
          const schedule = parse(value);
          return schedule.expression === undefined ? { source: schedule.source, expression: '* * * * *' } : schedule;
        },
      }),
    },
    {
      name: 'remove-keeps-run',
      family: 'RUN',
      description: 'remove leaves a run in progress running to its normal end instead of ending it as cancelled.',
      expectedClauses: ['RUN-7'],
      deviations: () => ({ keepRunOnRemove: true }),
    },
    {
      name: 'schedule-update-ignored',
      family: 'RUN',
      description:
        'A schedule update is stored but the scheduler keeps following the old expression (manual keeps ticking; manual -> cron never ticks).',
      expectedClauses: ['RUN-6'],
      deviations: () => ({
        wrapListener: (listener) => ({
          added: (record) => listener.added(record),
          updated: (previous, next) => listener.updated({ ...previous, schedule: next.schedule }, next),
          removed: (record) => listener.removed(record),
        }),
      }),
    },
    {
      name: 'ticks-one-minute-late',
      family: 'RUN',
      description: 'Every scheduled tick fires one minute after the minute its expression matches.',
      expectedClauses: ['RUN-1'],
      deviations: () => ({
        wrapNextTick: (inner) => (expression, timezone) => {
          const tick = inner(expression, timezone);
          return { next: (afterMs) => shift(tick.next(afterMs - MINUTE_MS), MINUTE_MS) };
        },
      }),
    },
    {
      name: 'long-advance-coalesces-ticks',
      family: 'RUN',
      description:
        'A clock move that passes several due ticks of a deployment fires it once, then resumes after the target (missed ticks coalesced): advancing a+b at once differs from a then b.',
      expectedClauses: ['RUN-8', 'RUN-1'],
      deviations: () => {
        let horizon = -Infinity;
        return {
          patch({ scheduler }) {
            const advanceTo = scheduler.advanceTo.bind(scheduler);
            scheduler.advanceTo = (target) => {
              horizon = target;
              try {
                return advanceTo(target);
              } finally {
                horizon = -Infinity;
              }
            };
          },
          wrapNextTick: (inner) => (expression, timezone) => {
            const tick = inner(expression, timezone);
            return { next: (afterMs) => tick.next(Math.max(afterMs, horizon)) };
          },
        };
      },
    },
  ],
  independent: [
    // ---- RUN-3: a run ending at the instant of the next tick ----
    {
      name: 'tick-before-run-end',
      family: 'RUN',
      description:
        'At an instant where a run ends and the next tick of the same deployment comes due, the tick is processed first: it finds the run still in progress and is skipped (the spec processes the run end first and fires the tick).',
      expectedClauses: ['RUN-3'],
      deviations: tickBeforeRunEnd,
    },
  ],
};

const MINUTE_MS = 60 * 1000;

function shift(ms: number | undefined, by: number): number | undefined {
  return ms === undefined ? undefined : ms + by;
}

const LAST_INSTANT_MS = 8.64e15;

/**
 * The scheduler orders a run end before a tick of the same instant, inside advanceTo; this
 * mutant reverses that order from outside. A move is cut at every instant where a run end and a
 * tick of one deployment may coincide: the clock stops 1 ms short, and where they do coincide
 * the deployment's tick is taken first: it is recorded as skipped (the run is still in
 * progress), and its next tick is queued from that instant, as the scheduler does after a
 * skipped tick; then the move goes on and the run ends. ticks(), describe() counters and the
 * move's report show the skipped tick (a state file does not keep it).
 */
function tickBeforeRunEnd(): Deviations {
  /** While set, a tick at this instant is passed over when the next tick is looked up. */
  let passOver: number | undefined;
  let credentials: CredentialCheck | undefined;
  const skippedTicks = new Map<string, TickRecord[]>();
  const skippedCounts = new Map<string, number>();
  return {
    wrapCredentials: (check) => (credentials = check),
    wrapNextTick: (inner) => (expression, timezone) => {
      const tick = inner(expression, timezone);
      return {
        next: (afterMs) => {
          const at = tick.next(afterMs);
          return at !== undefined && at === passOver ? tick.next(at) : at;
        },
      };
    },
    patch({ scheduler, deploy, clock }) {
      const [advanceTo, ticks, describe, added, reset] = [
        scheduler.advanceTo.bind(scheduler),
        scheduler.ticks.bind(scheduler),
        scheduler.describe.bind(scheduler),
        scheduler.added.bind(scheduler),
        scheduler.reset.bind(scheduler),
      ];

      /** The earliest instant up to `target` where a run end may meet a tick (or a safe stop), if any. */
      const nextMeeting = (target: number): number | undefined => {
        let best: number | undefined;
        for (const d of scheduler.describeAll()) {
          const limit = best ?? target;
          const first = d.nextDue[0];
          if (d.state !== 'active' || first === undefined || first > limit) continue;
          if (d.runInProgress) {
            best = first; // the run in progress may end exactly then: look there
            continue;
          }
          const duration = d.runBehavior.durationMs;
          const expression = deploy.find(d.userId, d.projectId)?.schedule.expression;
          if (d.runBehavior.hold || !(duration > 0) || expression === undefined) continue;
          const cron = nextTickFor(expression, scheduler.timezone);
          // A run that starts at tick t ends at t + duration: does a tick come due right then?
          let t: number | undefined = first;
          for (let scanned = 0; t !== undefined && t + duration <= limit; scanned++) {
            if (scanned >= MAX_EVENTS_PER_ADVANCE) {
              best = t; // nothing meets before t: a safe place to stop and look again
              break;
            }
            if (cron.next(t + duration - 1) === t + duration) {
              best = t + duration;
              break;
            }
            t = cron.next(t);
          }
        }
        return best;
      };

      /** At `at - 1`: takes the tick first for every deployment whose run ends at `at` when its tick is due. */
      const takeTicksFirst = (at: number): number => {
        // Cheap first: only a deployment with a run in progress and its tick due at `at` can meet there.
        if (!scheduler.describeAll().some((d) => d.runInProgress && d.nextDue[0] === at)) return 0;
        let taken = 0;
        for (const entry of scheduler.exportState().entries) {
          if (entry.tickAt !== at || entry.run?.endAt !== at) continue;
          const record = deploy.find(entry.userId, entry.projectId);
          if (!record || record.state !== 'active' || record.schedule.expression === undefined) continue;
          if (credentials && !credentials.isKeyValid(record.ownerCredential)) continue; // errors the deployment in either order
          passOver = at;
          try {
            // A changed schedule source makes the scheduler queue the next tick again, from now (at - 1), passing over `at`.
            scheduler.updated(
              { ...record, schedule: { source: `${record.schedule.source}\u0000`, expression: record.schedule.expression } },
              record,
            );
          } finally {
            passOver = undefined;
          }
          const key = recordKey(entry.userId, entry.projectId);
          const list = skippedTicks.get(key) ?? [];
          list.push({ at, userId: entry.userId, projectId: entry.projectId, reason: 'skipped_overlap' });
          skippedTicks.set(key, list);
          skippedCounts.set(key, (skippedCounts.get(key) ?? 0) + 1);
          taken += 1;
        }
        return taken;
      };

      const merge = (total: AdvanceReport | undefined, step: AdvanceReport, skipped = 0): AdvanceReport => ({
        from: total?.from ?? step.from,
        to: step.to,
        complete: step.complete,
        ticks: {
          fired: (total?.ticks.fired ?? 0) + step.ticks.fired,
          skipped_overlap: (total?.ticks.skipped_overlap ?? 0) + step.ticks.skipped_overlap + skipped,
          skipped_paused: (total?.ticks.skipped_paused ?? 0) + step.ticks.skipped_paused,
          errored_auth: (total?.ticks.errored_auth ?? 0) + step.ticks.errored_auth,
        },
        runsEnded: (total?.runsEnded ?? 0) + step.runsEnded,
      });

      scheduler.advanceTo = (target) => {
        if (clock.mode !== 'fake' || !(target > clock.now()) || !(target <= LAST_INSTANT_MS)) return advanceTo(target);
        let total: AdvanceReport | undefined;
        for (;;) {
          const at = nextMeeting(target);
          if (at === undefined) return merge(total, advanceTo(target));
          total = merge(total, advanceTo(at - 1));
          if (!total.complete) return total;
          const skipped = takeTicksFirst(at);
          total = merge(total, advanceTo(at), skipped);
          if (!total.complete || at >= target) return total;
        }
      };
      scheduler.ticks = (filter) => {
        const all = ticks(filter);
        const mine = [...skippedTicks.values()]
          .flat()
          .filter(
            (t) =>
              (filter.userId === undefined || t.userId === filter.userId) &&
              (filter.projectId === undefined || t.projectId === filter.projectId),
          );
        return mine.length === 0 ? all : [...all, ...mine].sort((a, b) => a.at - b.at);
      };
      // The control API reads pages: they are cut from the list above (a place in it is its index).
      scheduler.tickPage = (filter, request) => {
        const list = scheduler.ticks(filter);
        return mergePage([{ size: list.length, primary: (i) => list[i]!.at, secondary: (i) => i, item: (i) => list[i]! }], request);
      };
      scheduler.describe = (userId, projectId, upcoming) => {
        const description = describe(userId, projectId, upcoming);
        const extra = skippedCounts.get(recordKey(userId, projectId));
        return extra
          ? { ...description, counters: { ...description.counters, skipped_overlap: description.counters.skipped_overlap + extra } }
          : description;
      };
      scheduler.added = (record) => {
        skippedCounts.delete(recordKey(record.ownerId, record.projectId)); // a new deployment counts from zero
        added(record);
      };
      scheduler.reset = () => {
        skippedTicks.clear();
        skippedCounts.clear();
        reset();
      };
    },
  };
}
