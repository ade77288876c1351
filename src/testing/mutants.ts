/**
 * TEST-ONLY. Deliberately broken variants ("mutants") of the mock server, for mutation testing of
 * the conformance suite: each one breaks the spec in one known way, and the suite must catch it
 * with the clause named here (`test/conformance/mutants.test.ts` holds it to that).
 *
 * A mutant is switched on by `createMockServer({ mutants: [name] })` (or `createDeployCore`),
 * and nowhere else: this module is only imported when that option is given, so a normal server
 * never loads it. Mutants are applied by wrapping at layer boundaries (the session's output, the
 * deploy service's methods, the store, the schedule parser, the scheduler's listener and
 * credential check); where a fault has to live inside a module, that module has one small
 * `faults` seam read once at construction (`SessionFaults`, `SchedulerFaults`).
 *
 * Never use a mutant for anything but testing a test suite: a mutated server is wrong on purpose.
 * @since 0.3.0
 */
import { posix } from 'node:path';
import type { ServerClock } from '../domain/clock.js';
import type { Caller, DeployService, DeploymentListener, ScheduleParser } from '../domain/deploy-service.js';
import { PERMISSION_CONTROL } from '../domain/deploy-service.js';
import { pipelineOf, type Deployment } from '../domain/deployment.js';
import { DeployError, deployErrors, type DeployErrorCode } from '../domain/errors.js';
import { MANUAL, PRESETS, parseSchedule } from '../domain/schedule.js';
import type { DeploymentStore } from '../domain/store.js';
import type { SessionFaults, SessionOutput } from '../dap/session.js';
import { nextTickFor, type NextTick } from '../scheduler/next-tick.js';
import type { CredentialCheck, Scheduler, SchedulerFaults } from '../scheduler/scheduler.js';

/** The spec's clause families (semantics.md). */
export type MutantFamily = 'WIRE' | 'REC' | 'DEP' | 'SCHED' | 'RUN';

/** One mutant as data: what it breaks, and the clause(s) the conformance suite must catch it by. */
export interface MutantInfo {
  readonly name: string;
  readonly family: MutantFamily;
  readonly description: string;
  /**
   * Clause IDs of semantics.md: the suite catches the mutant when at least one of them fails
   * (or warns, for a SHOULD clause). The first is the clause the mutant is aimed at.
   */
  readonly expectedClauses: readonly string[];
}

/** What the core builds a server from when mutants are on: each piece is optional. */
export interface CoreFaults {
  readonly session?: SessionFaults;
  readonly scheduler?: SchedulerFaults;
  wrapParser?(parse: ScheduleParser): ScheduleParser;
  wrapCredentials?(check: CredentialCheck): CredentialCheck;
  wrapListener?(listener: DeploymentListener): DeploymentListener;
  /** Patches the assembled pieces (wraps their methods), after they are wired together. */
  patch?(parts: CoreParts): void;
}

/** The pieces of one core a mutant may patch. */
export interface CoreParts {
  readonly deploy: DeployService;
  readonly store: DeploymentStore;
  readonly scheduler: Scheduler;
  readonly clock: ServerClock;
}

type NextTickFor = (expression: string, timezone: string) => NextTick;

/** One mutant's hooks, made fresh for each server (some keep per-server state). */
interface Hooks {
  wrapOutput?(out: SessionOutput): SessionOutput;
  maxAuthAttempts?: number;
  servedBeforeAuth?(command: string): boolean;
  allowOverlap?: boolean;
  keepRunOnRemove?: boolean;
  wrapNextTick?(next: NextTickFor): NextTickFor;
  wrapParser?(parse: ScheduleParser): ScheduleParser;
  wrapCredentials?(check: CredentialCheck): CredentialCheck;
  wrapListener?(listener: DeploymentListener): DeploymentListener;
  patch?(parts: CoreParts): void;
}

interface Definition extends MutantInfo {
  readonly hooks: () => Hooks;
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

type Reply = { [key: string]: unknown; command?: unknown; success?: unknown; message?: unknown; body?: any };

/** Wraps the session's output so every reply passes through `edit` (undefined: not sent). */
function editReplies(edit: (text: string) => string | undefined): (out: SessionOutput) => SessionOutput {
  return (out) => ({
    send(text) {
      const edited = edit(text);
      if (edited !== undefined) out.send(edited);
    },
    close: (code, reason) => out.close(code, reason),
  });
}

const RECORD_COMMANDS = new Set(['rrext_deploy_add', 'rrext_deploy_status', 'rrext_deploy_update']);

/** Wraps the session's output so every deployment record in a successful reply passes through `edit`. */
function editRecords(edit: (record: Record<string, any>) => void): (out: SessionOutput) => SessionOutput {
  return editReplies((text) => {
    if (!text.includes('"command":"rrext_deploy_')) return text;
    const reply = JSON.parse(text) as Reply;
    if (reply.success !== true || typeof reply.body !== 'object' || reply.body === null) return text;
    if (reply.command === 'rrext_deploy_list' && Array.isArray(reply.body.deployments)) reply.body.deployments.forEach(edit);
    else if (RECORD_COMMANDS.has(String(reply.command)) && 'pipeline' in reply.body) edit(reply.body);
    else return text;
    return JSON.stringify(reply);
  });
}

/** Rebuilds a JSON value bottom-up; `keep(key, value)` false drops an object's entry. */
function rebuild(value: unknown, map: (value: unknown) => unknown, keep: (key: string, value: unknown) => boolean = () => true): unknown {
  if (Array.isArray(value)) return value.map((v) => rebuild(v, map, keep));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (keep(k, v)) Object.defineProperty(out, map(k) as string, { value: rebuild(v, map, keep), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return map(value);
}

/** A shallow copy without `key` (own `__proto__` keys kept as data). */
function withoutKey(object: Readonly<Record<string, unknown>>, key: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) {
    if (k !== key) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function hasCode(error: unknown, ...codes: DeployErrorCode[]): error is DeployError {
  return error instanceof DeployError && codes.includes(error.code);
}

function given(args: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(args, key) && (args as Record<string, unknown>)[key] !== undefined;
}

const HOUR_MS = 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

// ---------------------------------------------------------------------------------------------
// the catalogue
// ---------------------------------------------------------------------------------------------

const DEFINITIONS: readonly Definition[] = [
  // ---- WIRE: the session and the envelope ----
  {
    name: 'request-seq-as-string',
    family: 'WIRE',
    description: 'Responses carry request_seq as a JSON string ("7") instead of a number, so SDKs never match them.',
    expectedClauses: ['WIRE-2'],
    hooks: () => ({ wrapOutput: editReplies((text) => text.replace(/^(\{"type":"response","seq":\d+,"request_seq":)(-?[0-9.eE+-]+)/, '$1"$2"')) }),
  },
  {
    name: 'multiline-replies',
    family: 'WIRE',
    description: 'Replies are pretty-printed JSON with raw newlines (the TS SDK drops them and hangs).',
    expectedClauses: ['WIRE-2', 'WIRE-1'],
    hooks: () => ({ wrapOutput: editReplies((text) => JSON.stringify(JSON.parse(text), null, 2)) }),
  },
  {
    name: 'seq-not-incremented',
    family: 'WIRE',
    description: "The server's own seq stays 1 on every message instead of growing by one.",
    expectedClauses: ['WIRE-2'],
    hooks: () => ({ wrapOutput: editReplies((text) => text.replace(/^\{"type":"response","seq":\d+/, '{"type":"response","seq":1')) }),
  },
  {
    name: 'no-deauth-reply',
    family: 'WIRE',
    description: 'deauth logs the connection out but sends no response (both SDKs wait for it forever).',
    expectedClauses: ['WIRE-6', 'WIRE-2'],
    hooks: () => ({
      wrapOutput: editReplies((text) => {
        const reply = JSON.parse(text) as Reply;
        return reply.command === 'deauth' && reply.success === true ? undefined : text;
      }),
    }),
  },
  {
    name: 'no-close-after-auth-failure',
    family: 'WIRE',
    description: 'A failed auth (bad or empty key, too many attempts) is answered but the connection is left open.',
    expectedClauses: ['WIRE-4', 'WIRE-5'],
    hooks: () => ({
      wrapOutput: (out) => {
        let authFailed = false;
        return {
          send(text) {
            const reply = JSON.parse(text) as Reply;
            authFailed = reply.command === 'auth' && reply.success === false;
            out.send(text);
          },
          close(code, reason) {
            if (!authFailed) out.close(code, reason);
          },
        };
      },
    }),
  },
  {
    name: 'unlimited-auth-attempts',
    family: 'WIRE',
    description: 'auth may be tried any number of times on one connection (no cap of 5).',
    expectedClauses: ['WIRE-5'],
    hooks: () => ({ maxAuthAttempts: Infinity }),
  },
  {
    name: 'gate-open',
    family: 'WIRE',
    description: 'rrext_ping is served before auth (the not-authenticated gate lets it through).',
    expectedClauses: ['WIRE-3'],
    hooks: () => ({ servedBeforeAuth: (command) => command === 'auth' || command === 'rrext_ping' || command.startsWith('rrext_public_') }),
  },
  {
    name: 'unknown-command-closes',
    family: 'WIRE',
    description: 'An unknown command is answered with a failure, then the connection is closed.',
    expectedClauses: ['WIRE-8'],
    hooks: () => ({
      wrapOutput: (out) => ({
        send(text) {
          out.send(text);
          const reply = JSON.parse(text) as Reply;
          if (reply.success === false && typeof reply.message === 'string' && reply.message.startsWith('Invalid command:')) out.close(1000, 'Invalid command');
        },
        close: (code, reason) => out.close(code, reason),
      }),
    }),
  },

  // ---- REC: the record on the wire ----
  {
    name: 'snake-case-only',
    family: 'REC',
    description: 'Records carry only created_by/created_at/updated_at: the documented userId, createdAt, updatedAt are missing.',
    expectedClauses: ['REC-1'],
    hooks: () => ({
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
    hooks: () => ({
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
    hooks: () => ({
      wrapOutput: editRecords((record) => {
        record['pipeline'] = rebuild(record['pipeline'], (v) => v, (_k, v) => !Array.isArray(v));
      }),
    }),
  },
  {
    name: 'pipeline-unicode-mangled',
    family: 'REC',
    description: "The pipeline's non-ASCII characters (keys and strings, project_id aside) come back as '?'.",
    expectedClauses: ['REC-3'],
    hooks: () => ({
      wrapOutput: editRecords((record) => {
        const pipeline = record['pipeline'] as Record<string, unknown>;
        const projectId = pipeline['project_id'];
        const mangled = rebuild(pipeline, (v) => (typeof v === 'string' ? v.replace(/[^\x00-\x7f]/gu, '?') : v)) as Record<string, unknown>;
        if (projectId !== undefined) mangled['project_id'] = projectId;
        record['pipeline'] = mangled;
      }),
    }),
  },

  // ---- DEP: the five commands ----
  {
    name: 'duplicate-add-overwrites',
    family: 'DEP',
    description: 'A second add of a deployed project id succeeds and replaces the existing record.',
    expectedClauses: ['DEP-ADD-4'],
    hooks: () => ({
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
    hooks: () => ({
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
    hooks: () => ({
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
    hooks: () => ({
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
    hooks: () => ({
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
    description: "add does not check task.control: a monitor-only (or permission-less) user can deploy.",
    expectedClauses: ['DEP-PERM-1'],
    hooks: () => ({
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
    hooks: () => ({
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
    hooks: () => ({
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
    description: "Not-found failures say 'File not found: users/<userId>/deployments/<id>.json', leaking the storage layout (the real server's words).",
    expectedClauses: ['DEP-MSG-1'],
    hooks: () => ({
      patch({ deploy }) {
        const leak = (caller: Caller, projectId: unknown, error: unknown): never => {
          if (hasCode(error, 'NOT_FOUND')) throw new DeployError('NOT_FOUND', `File not found: users/${caller.userId}/deployments/${String(projectId)}.json`);
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

  // ---- SCHED: what schedules are accepted ----
  {
    name: 'six-field-cron-accepted',
    family: 'SCHED',
    description: "A 6-field cron expression (seconds first, e.g. '0 */5 * * * *') is accepted.",
    expectedClauses: ['SCHED-2'],
    hooks: () => ({
      wrapParser: (parse) => (value) => {
        if (typeof value !== 'string') return parse(value);
        const fields = value.trim().split(/[ \t]+/);
        if (fields.length !== 6) return parse(value);
        try {
          return { source: value, expression: parse(fields.slice(1).join(' ')).expression };
        } catch {
          throw deployErrors.invalidSchedule(value);
        }
      },
    }),
  },
  {
    name: 'uppercase-presets-accepted',
    family: 'SCHED',
    description: "Presets are matched case-insensitively: '@HOURLY', '@Daily' are accepted.",
    expectedClauses: ['SCHED-2'],
    hooks: () => ({
      wrapParser: (parse) => (value) => {
        const expression = typeof value === 'string' && value.startsWith('@') ? PRESETS[value.toLowerCase()] : undefined;
        return expression !== undefined && value !== (value as string).toLowerCase() ? { source: value as string, expression } : parse(value);
      },
    }),
  },
  {
    name: 'never-firing-accepted',
    family: 'SCHED',
    description: "An expression no date matches ('0 0 30 2 *') is accepted (it simply never fires).",
    expectedClauses: ['SCHED-3'],
    hooks: () => ({
      wrapParser: (parse) => (value) => {
        try {
          return parse(value);
        } catch (error) {
          if (!hasCode(error, 'SCHEDULE_NEVER_FIRES') || typeof value !== 'string') throw error;
          return { source: value, expression: value.trim().split(/[ \t]+/).join(' ') };
        }
      },
    }),
  },
  {
    name: 'cron-names-rejected',
    family: 'SCHED',
    description: "Month and weekday names in cron fields ('0 9 * JAN MON-FRI') are refused.",
    expectedClauses: ['SCHED-1'],
    hooks: () => ({
      wrapParser: (parse) => (value) => {
        if (typeof value === 'string' && value !== MANUAL && !value.startsWith('@') && /[a-z]/i.test(value)) throw deployErrors.invalidSchedule(value);
        return parse(value);
      },
    }),
  },

  // ---- RUN: scheduled runs on the server's clock ----
  {
    name: 'overlapping-runs',
    family: 'RUN',
    description: 'A tick that comes due while a run is in progress starts another run instead of being skipped.',
    expectedClauses: ['RUN-3'],
    hooks: () => ({ allowOverlap: true }),
  },
  {
    name: 'paused-still-fires',
    family: 'RUN',
    description: 'A paused deployment keeps firing (the scheduler is never told it was paused).',
    expectedClauses: ['RUN-4'],
    hooks: () => ({
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
    hooks: () => ({
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
    hooks: () => ({ wrapCredentials: () => ({ isKeyValid: () => true }) }),
  },
  {
    name: 'manual-fires',
    family: 'RUN',
    description: "A 'manual' deployment fires every minute as if it were '* * * * *'.",
    expectedClauses: ['RUN-2'],
    hooks: () => ({
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
    hooks: () => ({ keepRunOnRemove: true }),
  },
  {
    name: 'schedule-update-ignored',
    family: 'RUN',
    description: 'A schedule update is stored but the scheduler keeps following the old expression (manual keeps ticking; manual -> cron never ticks).',
    expectedClauses: ['RUN-6'],
    hooks: () => ({
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
    hooks: () => ({
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
    hooks: () => {
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
];

function shift(ms: number | undefined, by: number): number | undefined {
  return ms === undefined ? undefined : ms + by;
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

/** Every mutant, as data (name, family, description, expected clauses). */
export const MUTANTS: readonly MutantInfo[] = Object.freeze(
  DEFINITIONS.map(({ name, family, description, expectedClauses }) => Object.freeze({ name, family, description, expectedClauses: Object.freeze([...expectedClauses]) })),
);

/** The mutants' names, in catalogue order. */
export const MUTANT_NAMES: readonly string[] = Object.freeze(MUTANTS.map((m) => m.name));

const BY_NAME = new Map(DEFINITIONS.map((d) => [d.name, d]));

/**
 * Builds the faults of the named mutants (several may be combined), fresh for one server.
 * Throws for a name that is not in the catalogue, listing the known ones.
 */
export function mutantFaults(names: readonly string[]): CoreFaults {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw new TypeError(`mutants must be an array of mutant names; known mutants: ${MUTANT_NAMES.join(', ')}`);
  }
  const unknown = names.filter((n) => !BY_NAME.has(n));
  if (unknown.length > 0) {
    throw new RangeError(`Unknown mutant${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}. Known mutants: ${MUTANT_NAMES.join(', ')}`);
  }
  const hooks = [...new Set(names)].map((n) => BY_NAME.get(n)!.hooks());
  const chain = <T>(pick: (h: Hooks) => ((t: T) => T) | undefined): ((t: T) => T) | undefined => {
    const wrappers = hooks.map(pick).filter((w): w is (t: T) => T => w !== undefined);
    return wrappers.length === 0 ? undefined : (t) => wrappers.reduce((acc, wrap) => wrap(acc), t);
  };
  const last = <T>(pick: (h: Hooks) => T | undefined): T | undefined => hooks.map(pick).filter((v) => v !== undefined).pop();

  const wrapOutput = chain<SessionOutput>((h) => h.wrapOutput);
  const maxAuthAttempts = last((h) => h.maxAuthAttempts);
  const gate = last((h) => h.servedBeforeAuth);
  const session: SessionFaults = {
    ...(wrapOutput && { wrapOutput }),
    ...(maxAuthAttempts !== undefined && { maxAuthAttempts }),
    ...(gate && { servedBeforeAuth: gate }),
  };
  const wrapNextTick = chain<NextTickFor>((h) => h.wrapNextTick);
  const scheduler: SchedulerFaults = {
    ...(hooks.some((h) => h.allowOverlap) && { allowOverlap: true }),
    ...(hooks.some((h) => h.keepRunOnRemove) && { keepRunOnRemove: true }),
    ...(wrapNextTick && { nextTickFor: wrapNextTick(nextTickFor) }),
  };
  const wrapParser = chain<ScheduleParser>((h) => h.wrapParser);
  const wrapCredentials = chain<CredentialCheck>((h) => h.wrapCredentials);
  const wrapListener = chain<DeploymentListener>((h) => h.wrapListener);
  const patches = hooks.map((h) => h.patch).filter((p) => p !== undefined);
  return {
    ...(Object.keys(session).length > 0 && { session }),
    ...(Object.keys(scheduler).length > 0 && { scheduler }),
    ...(wrapParser && { wrapParser }),
    ...(wrapCredentials && { wrapCredentials }),
    ...(wrapListener && { wrapListener }),
    ...(patches.length > 0 && { patch: (parts: CoreParts) => patches.forEach((p) => p(parts)) }),
  };
}
