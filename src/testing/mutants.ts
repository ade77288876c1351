/**
 * TEST-ONLY. Deliberately broken variants ("mutants") of the mock server, for mutation testing of
 * the conformance suite: each one breaks the spec in one known way, and the suite must catch it
 * with the clause named here (`test/conformance/mutants.test.ts` holds it to that).
 *
 * A mutant server is made by `createMutantServer(names, options)` (or a core by
 * `createMutantCore`), and nowhere else: production code never imports this module. Each mutant
 * is a set of deviations built from outside the core's modules: a session output or an incoming
 * request rewritten, another auth or run policy, a wrapped schedule parser, next-tick search,
 * credential check or deployment listener, and methods of the deploy service, the store or the
 * scheduler wrapped after the parts are made.
 *
 * Never use a mutant for anything but testing a test suite: a mutated server is wrong on purpose.
 * @since 0.3.0
 */
import { posix } from 'node:path';
import { unixSeconds, type ServerClock } from '../domain/clock.js';
import { DeployService, PERMISSION_CONTROL, type Caller, type DeploymentListener, type ScheduleParser } from '../domain/deploy-service.js';
import { pipelineOf, withChanges, type Deployment } from '../domain/deployment.js';
import { DeployError, deployErrors, type DeployErrorCode } from '../domain/errors.js';
import { MANUAL, PRESETS, parseSchedule } from '../domain/schedule.js';
import { assembleDeployCore, coreBase, type CoreOptions, type DeployCore } from '../core-build.js';
import {
  MAX_AUTH_ATTEMPTS,
  messages as sessionMessages,
  SPEC_AUTH_POLICY,
  type AuthPolicy,
  type Session,
  type SessionOutput,
} from '../dap/session.js';
import { splitFrame } from '../dap/frames.js';
import { DeploymentStore } from '../domain/store.js';
import { nextTickFor, type NextTickFinder } from '../scheduler/next-tick.js';
import { MAX_EVENTS_PER_ADVANCE, type AdvanceReport, type CredentialCheck, type SchedulerOptions } from '../scheduler/engine.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { serveCore, type MockServer, type MockServerOptions } from '../server/mock-server.js';
import type { TickRecord } from '../scheduler/types.js';

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

/** The parts of one server a mutant may wrap the methods of, once they are made. */
interface ServerParts {
  readonly deploy: DeployService;
  readonly store: DeploymentStore;
  readonly scheduler: Scheduler;
  readonly clock: ServerClock;
}

/** How one mutant deviates from the spec, made fresh for each server (some keep per-server state). */
interface Deviations {
  wrapOutput?(out: SessionOutput): SessionOutput;
  /**
   * Renames the `command` of every incoming request before the session reads it; the response
   * echoes the name as the client sent it.
   */
  renameCommand?(command: string): string;
  maxAuthAttempts?: number;
  servedBeforeAuth?(command: string): boolean;
  allowOverlap?: boolean;
  keepRunOnRemove?: boolean;
  wrapNextTick?(next: NextTickFinder): NextTickFinder;
  wrapParser?(parse: ScheduleParser): ScheduleParser;
  wrapCredentials?(check: CredentialCheck): CredentialCheck;
  wrapListener?(listener: DeploymentListener): DeploymentListener;
  patch?(parts: ServerParts): void;
}

interface Definition extends MutantInfo {
  readonly deviations: () => Deviations;
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
function editRecords(edit: (record: Record<string, any>) => void, only?: ReadonlySet<string>): (out: SessionOutput) => SessionOutput {
  return editReplies((text) => {
    if (!text.includes('"command":"rrext_deploy_')) return text;
    const reply = JSON.parse(text) as Reply;
    if (reply.success !== true || typeof reply.body !== 'object' || reply.body === null) return text;
    if (only && !only.has(String(reply.command))) return text;
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
    deviations: () => ({
      wrapOutput: editReplies((text) => text.replace(/^(\{"type":"response","seq":\d+,"request_seq":)(-?[0-9.eE+-]+)/, '$1"$2"')),
    }),
  },
  {
    name: 'multiline-replies',
    family: 'WIRE',
    description: 'Replies are pretty-printed JSON with raw newlines (the TS SDK drops them and hangs).',
    expectedClauses: ['WIRE-2', 'WIRE-1'],
    deviations: () => ({ wrapOutput: editReplies((text) => JSON.stringify(JSON.parse(text), null, 2)) }),
  },
  {
    name: 'seq-not-incremented',
    family: 'WIRE',
    description: "The server's own seq stays 1 on every message instead of growing by one.",
    expectedClauses: ['WIRE-2'],
    deviations: () => ({ wrapOutput: editReplies((text) => text.replace(/^\{"type":"response","seq":\d+/, '{"type":"response","seq":1')) }),
  },
  {
    name: 'no-deauth-reply',
    family: 'WIRE',
    description: 'deauth logs the connection out but sends no response (both SDKs wait for it forever).',
    expectedClauses: ['WIRE-6', 'WIRE-2'],
    deviations: () => ({
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
    deviations: () => ({
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
    deviations: () => ({ maxAuthAttempts: Infinity }),
  },
  {
    name: 'gate-open',
    family: 'WIRE',
    description: 'rrext_ping is served before auth (the not-authenticated gate lets it through).',
    expectedClauses: ['WIRE-3'],
    deviations: () => ({
      servedBeforeAuth: (command) => command === 'auth' || command === 'rrext_ping' || command.startsWith('rrext_public_'),
    }),
  },
  {
    name: 'unknown-command-closes',
    family: 'WIRE',
    description: 'An unknown command is answered with a failure, then the connection is closed.',
    expectedClauses: ['WIRE-8'],
    deviations: () => ({
      wrapOutput: (out) => ({
        send(text) {
          out.send(text);
          const reply = JSON.parse(text) as Reply;
          if (reply.success === false && typeof reply.message === 'string' && reply.message.startsWith('Invalid command:'))
            out.close(1000, 'Invalid command');
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

  // ---- SCHED: what schedules are accepted ----
  {
    name: 'six-field-cron-accepted',
    family: 'SCHED',
    description: "A 6-field cron expression (seconds first, e.g. '0 */5 * * * *') is accepted.",
    expectedClauses: ['SCHED-2'],
    deviations: () => ({
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
    deviations: () => ({
      wrapParser: (parse) => (value) => {
        const expression = typeof value === 'string' && value.startsWith('@') ? PRESETS[value.toLowerCase()] : undefined;
        return expression !== undefined && value !== (value as string).toLowerCase()
          ? { source: value as string, expression }
          : parse(value);
      },
    }),
  },
  {
    name: 'never-firing-accepted',
    family: 'SCHED',
    description: "An expression no date matches ('0 0 30 2 *') is accepted (it simply never fires).",
    expectedClauses: ['SCHED-3'],
    deviations: () => ({
      wrapParser: (parse) => (value) => {
        try {
          return parse(value);
        } catch (error) {
          if (!hasCode(error, 'SCHEDULE_NEVER_FIRES') || typeof value !== 'string') throw error;
          return {
            source: value,
            expression: value
              .trim()
              .split(/[ \t]+/)
              .join(' '),
          };
        }
      },
    }),
  },
  {
    name: 'cron-names-rejected',
    family: 'SCHED',
    description: "Month and weekday names in cron fields ('0 9 * JAN MON-FRI') are refused.",
    expectedClauses: ['SCHED-1'],
    deviations: () => ({
      wrapParser: (parse) => (value) => {
        if (typeof value === 'string' && value !== MANUAL && !value.startsWith('@') && /[a-z]/i.test(value))
          throw deployErrors.invalidSchedule(value);
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
  // =============================================================================================
  // Independent mutants (0.4.x): one realistic bug each, written from the spec without looking at
  // the conformance checks, so they test the suite rather than mirror it.
  // =============================================================================================

  // ---- WIRE-2: the server's own seq ----
  {
    name: 'seq-starts-at-zero',
    family: 'WIRE',
    description: "The server's seq counter is read before it is incremented: the first message on a connection has seq 0, then 1, 2...",
    expectedClauses: ['WIRE-2'],
    deviations: () => ({ wrapOutput: renumberReplies(() => (seq) => seq - 1) }),
  },
  {
    name: 'seq-starts-at-two',
    family: 'WIRE',
    description: 'The server counts a connection-opened event it never sends: the first message on a connection has seq 2, then 3, 4...',
    expectedClauses: ['WIRE-2'],
    deviations: () => ({ wrapOutput: renumberReplies(() => (seq) => seq + 1) }),
  },
  {
    name: 'seq-shared-across-connections',
    family: 'WIRE',
    description:
      "One seq counter for the whole server instead of one per connection: a second connection's first message continues where the first left off.",
    expectedClauses: ['WIRE-2'],
    deviations: () => {
      let shared = 0;
      return { wrapOutput: renumberReplies(() => () => ++shared) };
    },
  },
  {
    name: 'seq-restarts-on-auth',
    family: 'WIRE',
    description:
      'Every successful auth starts a new session object whose seq counter starts again at 1 (the auth reply itself is 1), so seq falls back after a re-auth.',
    expectedClauses: ['WIRE-2'],
    deviations: () => ({
      wrapOutput: renumberReplies(() => {
        let n = 0;
        return (_seq, text) => {
          if (text.includes(',"command":"auth","success":true,')) n = 0;
          return ++n;
        };
      }),
    }),
  },

  // ---- WIRE-5: the auth cap ----
  {
    name: 'auth-cap-six',
    family: 'WIRE',
    description:
      'The auth cap is checked before the attempt is counted (off by one): six auth requests are served on one connection, the 7th is refused.',
    expectedClauses: ['WIRE-5'],
    deviations: () => ({ maxAuthAttempts: MAX_AUTH_ATTEMPTS + 1 }),
  },
  {
    name: 'auth-count-resets-on-deauth',
    family: 'WIRE',
    description:
      'The auth attempt counter lives in the login state and is reset by deauth: auth, deauth, auth... can go on forever on one connection.',
    expectedClauses: ['WIRE-5'],
    deviations: () => ({ maxAuthAttempts: Infinity, wrapOutput: authCap({ countReauth: true, resetOnDeauth: true }) }),
  },
  {
    name: 'auth-reauth-not-counted',
    family: 'WIRE',
    description:
      'Only an auth on an unauthenticated connection counts towards the cap of 5: re-auths of an authenticated connection are never refused.',
    expectedClauses: ['WIRE-5'],
    deviations: () => ({ maxAuthAttempts: Infinity, wrapOutput: authCap({ countReauth: false, resetOnDeauth: false }) }),
  },

  // ---- WIRE-8: command names ----
  {
    name: 'deploy-commands-case-insensitive',
    family: 'WIRE',
    description:
      "Extension commands are looked up lower-cased ('RREXT_DEPLOY_LIST', 'Rrext_Ping', 'RREXT_PUBLIC_PROBE' are served); auth and deauth are matched exactly.",
    expectedClauses: ['WIRE-8', 'WIRE-3'],
    deviations: () => ({
      renameCommand: (command) => {
        const lower = command.toLowerCase();
        return lower.startsWith('rrext_') ? lower : command;
      },
    }),
  },
  {
    name: 'auth-command-case-insensitive',
    family: 'WIRE',
    description:
      "The handshake compares auth and deauth lower-cased: 'Auth', 'AUTH' authenticate and 'DeAuth' signs out; other commands are matched exactly.",
    expectedClauses: ['WIRE-8', 'WIRE-3'],
    deviations: () => ({
      renameCommand: (command) => {
        const lower = command.toLowerCase();
        return lower === 'auth' || lower === 'deauth' ? lower : command;
      },
    }),
  },
  {
    name: 'command-whitespace-trimmed',
    family: 'WIRE',
    description: "Command names are trimmed before they are matched: ' auth', 'rrext_deploy_list\\n', 'rrext_ping ' are served.",
    expectedClauses: ['WIRE-8', 'WIRE-3'],
    deviations: () => ({ renameCommand: (command) => command.trim() }),
  },

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

  // ---- SCHED-4: what the presets mean ----
  {
    name: 'weekly-preset-on-monday',
    family: 'SCHED',
    description: "@weekly is accepted but runs as '0 0 * * 1' (Mondays, the ISO week start) instead of '0 0 * * 0' (Sundays).",
    expectedClauses: ['SCHED-4'],
    deviations: () => ({ wrapParser: presetMeaning('@weekly', '0 0 * * 1') }),
  },
  {
    name: 'midnight-preset-at-noon',
    family: 'SCHED',
    description: "@midnight is accepted but runs as '0 12 * * *' (12 read as 12 a.m. on a 12-hour clock) instead of '0 0 * * *'.",
    expectedClauses: ['SCHED-4'],
    deviations: () => ({ wrapParser: presetMeaning('@midnight', '0 12 * * *') }),
  },
  {
    name: 'monthly-preset-every-other-month',
    family: 'SCHED',
    description: "@monthly is accepted but runs as '0 0 1 */2 *' (every other month) instead of '0 0 1 * *'.",
    expectedClauses: ['SCHED-4'],
    deviations: () => ({ wrapParser: presetMeaning('@monthly', '0 0 1 */2 *') }),
  },
  {
    name: 'annually-preset-in-december',
    family: 'SCHED',
    description: "@annually is accepted but runs as '0 0 1 12 *' (December 1st), so it differs from @yearly ('0 0 1 1 *').",
    expectedClauses: ['SCHED-4'],
    deviations: () => ({ wrapParser: presetMeaning('@annually', '0 0 1 12 *') }),
  },

  // ---- RUN-3: a run ending at the instant of the next tick ----
  {
    name: 'tick-before-run-end',
    family: 'RUN',
    description:
      'At an instant where a run ends and the next tick of the same deployment comes due, the tick is processed first: it finds the run still in progress and is skipped (the spec processes the run end first and fires the tick).',
    expectedClauses: ['RUN-3'],
    deviations: tickBeforeRunEnd,
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

// ---------------------------------------------------------------------------------------------
// helpers of the independent mutants
// ---------------------------------------------------------------------------------------------

/** Owner and project id as one map key. */
function recordKey(userId: unknown, projectId: unknown): string {
  const owner = String(userId);
  return `${owner.length}:${owner}${String(projectId)}`;
}

/** recordKey of a wire record (its owner and its pipeline's project_id). */
function wireRecordKey(record: Record<string, any>): string {
  return recordKey(record['userId'] ?? record['created_by'], record['pipeline']?.['project_id']);
}

/**
 * Stores `next` again with `changes` applied, and tells the scheduler (so its copy of the record
 * is the stored one): a mutant's after-the-fact edit of a record the deploy service just stored.
 */
function amend({ store, scheduler }: ServerParts, next: Deployment, changes: Partial<Deployment>): Deployment {
  const fixed = withChanges(next, changes);
  store.put(fixed);
  scheduler.updated(next, fixed);
  return fixed;
}

/** Rewrites the `seq` of every message a session sends; `make` is called once per connection. */
function renumberReplies(make: () => (seq: number, text: string) => number): (out: SessionOutput) => SessionOutput {
  return (out) => {
    const renumber = make();
    return editReplies((text) =>
      text.replace(/^\{"type":"response","seq":(\d+)/, (_all, seq: string) => `{"type":"response","seq":${renumber(Number(seq), text)}`),
    )(out);
  };
}

/**
 * The auth cap of 5 enforced on the replies (the session's own cap is off), with a counting rule
 * of its own: whether re-auths of an authenticated connection count, and whether deauth resets
 * the count. An attempt over the cap is answered `Too many authentication attempts`, then closed.
 */
function authCap(rule: { countReauth: boolean; resetOnDeauth: boolean }): (out: SessionOutput) => SessionOutput {
  return (out) => {
    let count = 0;
    let authenticated = false;
    let refused = false;
    return {
      send(text) {
        if (refused) return;
        const reply = JSON.parse(text) as Reply;
        if (reply.command === 'deauth' && reply.success === true) {
          authenticated = false;
          if (rule.resetOnDeauth) count = 0;
        } else if (reply.command === 'auth' && !String(reply.message ?? '').startsWith('Invalid request:')) {
          if (rule.countReauth || !authenticated) count += 1;
          if (count > MAX_AUTH_ATTEMPTS) {
            refused = true;
            const { type, seq, request_seq } = reply;
            out.send(
              JSON.stringify({ type, seq, request_seq, command: reply.command, success: false, message: sessionMessages.tooManyAttempts }),
            );
            out.close(1000, sessionMessages.tooManyAttempts);
            return;
          }
          if (reply.success === true) authenticated = true;
        }
        out.send(text);
      },
      close(code, reason) {
        if (!refused) out.close(code, reason);
      },
    };
  };
}

// ---- renaming incoming commands (WIRE-8) ----

/** The request being served under another name: its seq, the name it was renamed to, and the name it came with. */
interface Echo {
  current: { readonly seq: unknown; readonly command: string; readonly original: string } | undefined;
}

/**
 * A session whose incoming requests have their command renamed before it reads them; while it
 * serves a renamed one, `echo` says so (for restoreEcho).
 */
function renamingSession(session: Session, rename: (command: string) => string, echo: Echo): Session {
  return {
    get id() {
      return session.id;
    },
    get userId() {
      return session.userId;
    },
    ended: () => session.ended(),
    receive(data, isBinary) {
      const renamed = renameFrame(data, isBinary, rename);
      if (!renamed) return session.receive(data, isBinary);
      const outer = echo.current;
      echo.current = renamed.echo;
      try {
        session.receive(renamed.data, isBinary);
      } finally {
        echo.current = outer;
      }
    },
  };
}

/** The frame with its command renamed, or undefined when the name stays (or the frame is no request object). */
function renameFrame(
  data: Uint8Array | string,
  isBinary: boolean,
  rename: (command: string) => string,
): { data: Uint8Array | string; echo: NonNullable<Echo['current']> } | undefined {
  const { header, payload } = splitFrame(data, isBinary);
  let message: unknown;
  try {
    message = JSON.parse(header);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const fields = message as Record<string, unknown>;
  const original = fields['command'];
  if (typeof original !== 'string') return undefined;
  const command = rename(original);
  if (command === original) return undefined;
  fields['command'] = command;
  let text: string;
  try {
    text = JSON.stringify(fields);
  } catch {
    return undefined;
  }
  return {
    data: payload === undefined ? text : Buffer.concat([Buffer.from(text), Buffer.from('\n'), payload]),
    echo: { seq: fields['seq'], command, original },
  };
}

/** The response to a renamed request echoes the command as the client sent it. */
function restoreEcho(echo: Echo): (out: SessionOutput) => SessionOutput {
  return editReplies((text) => {
    const current = echo.current;
    if (!current) return text;
    const head = /^(\{"type":"response","seq":\d+,"request_seq":)([^,]*),"command":("(?:[^"\\]|\\.)*")/.exec(text);
    if (!head || head[2] !== JSON.stringify(current.seq) || JSON.parse(head[3]!) !== current.command) return text;
    return `${head[1]}${head[2]},"command":${JSON.stringify(current.original)}${text.slice(head[0].length)}`;
  });
}

// ---- hostile ids (DEP-ISO-1) ----

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

/** A schedule parser under which `preset` is accepted as always but runs as `expression`. */
function presetMeaning(preset: string, expression: string): (parse: ScheduleParser) => ScheduleParser {
  return (parse) => (value) => {
    const schedule = parse(value);
    return schedule.source === preset ? { source: schedule.source, expression } : schedule;
  };
}

// ---- RUN-3: ticks before run ends at one instant ----

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

/** Every mutant, as data (name, family, description, expected clauses). */
export const MUTANTS: readonly MutantInfo[] = Object.freeze(
  DEFINITIONS.map(({ name, family, description, expectedClauses }) =>
    Object.freeze({ name, family, description, expectedClauses: Object.freeze([...expectedClauses]) }),
  ),
);

/** The mutants' names, in catalogue order. */
export const MUTANT_NAMES: readonly string[] = Object.freeze(MUTANTS.map((m) => m.name));

const BY_NAME = new Map(DEFINITIONS.map((d) => [d.name, d]));

/**
 * Starts a mock server (createMockServer's options) with the named mutants built in: several may
 * be combined. Rejects a name that is not in the catalogue, listing the known ones.
 * @example
 * const server = await createMutantServer(['duplicate-add-overwrites'], { port: 0 });
 * @since 0.5.0
 */
export function createMutantServer(names: readonly string[], options: MockServerOptions = {}): Promise<MockServer> {
  return serveCore(options, (coreOptions) => createMutantCore(names, coreOptions));
}

/**
 * A server's core (see buildDeployCore) with the named mutants built in: the spec's base, parts
 * made with the mutants' deviations, assembled as every core is.
 */
export function createMutantCore(names: readonly string[], options: CoreOptions = {}): DeployCore {
  const deviations = combinedDeviations(names);
  const base = coreBase(options);
  const { clock, users, settings, signals } = base;
  const credentials = deviations.wrapCredentials?.(users) ?? users;
  const scheduler = new Scheduler(clock, credentials, { ...settings.scheduler, ...deviations.scheduler }, signals.queueChanged);
  const store = new DeploymentStore(signals.stateChanged);
  const listener = deviations.wrapListener?.(scheduler) ?? scheduler;
  const deploy = new DeployService(store, clock, listener, deviations.wrapParser?.(parseSchedule) ?? parseSchedule, settings.limits);
  deviations.patch?.({ deploy, store, scheduler, clock });
  const core = assembleDeployCore(base, { store, scheduler, deploy, ...(deviations.authPolicy && { authPolicy: deviations.authPolicy }) });
  const openSession = deviations.openSession;
  return openSession ? { ...core, openSession: (out) => openSession(core, out) } : core;
}

/** The deviations of several mutants as one server takes them. */
interface CombinedDeviations {
  readonly authPolicy?: AuthPolicy;
  readonly scheduler?: Pick<SchedulerOptions, 'runPolicy' | 'findNextTick'>;
  readonly openSession?: (core: DeployCore, out: SessionOutput) => Session;
  wrapParser?(parse: ScheduleParser): ScheduleParser;
  wrapCredentials?(check: CredentialCheck): CredentialCheck;
  wrapListener?(listener: DeploymentListener): DeploymentListener;
  patch?(parts: ServerParts): void;
}

/** Combines the named mutants' deviations, fresh for one server; refuses unknown names. */
function combinedDeviations(names: readonly string[]): CombinedDeviations {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw new TypeError(`mutants must be an array of mutant names; known mutants: ${MUTANT_NAMES.join(', ')}`);
  }
  const unknown = names.filter((n) => !BY_NAME.has(n));
  if (unknown.length > 0) {
    throw new RangeError(
      `Unknown mutant${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}. Known mutants: ${MUTANT_NAMES.join(', ')}`,
    );
  }
  const all = [...new Set(names)].map((n) => BY_NAME.get(n)!.deviations());
  const chain = <T>(pick: (d: Deviations) => ((t: T) => T) | undefined): ((t: T) => T) | undefined => {
    const wrappers = all.map(pick).filter((w): w is (t: T) => T => w !== undefined);
    return wrappers.length === 0 ? undefined : (t) => wrappers.reduce((acc, wrap) => wrap(acc), t);
  };
  const last = <T>(pick: (d: Deviations) => T | undefined): T | undefined =>
    all
      .map(pick)
      .filter((v) => v !== undefined)
      .pop();

  const maxAttempts = last((d) => d.maxAuthAttempts);
  const gate = last((d) => d.servedBeforeAuth);
  const authPolicy: AuthPolicy | undefined =
    maxAttempts === undefined && gate === undefined
      ? undefined
      : { maxAttempts: maxAttempts ?? SPEC_AUTH_POLICY.maxAttempts, servedBeforeAuth: gate ?? SPEC_AUTH_POLICY.servedBeforeAuth };
  const allowOverlap = all.some((d) => d.allowOverlap);
  const keepRunOnRemove = all.some((d) => d.keepRunOnRemove);
  const wrapNextTick = chain<NextTickFinder>((d) => d.wrapNextTick);
  const scheduler = {
    ...((allowOverlap || keepRunOnRemove) && {
      runPolicy: { skipTickDuringRun: !allowOverlap, cancelRunOnRemove: !keepRunOnRemove },
    }),
    ...(wrapNextTick && { findNextTick: wrapNextTick(nextTickFor) }),
  };
  const openSession = sessionOpener(
    chain<string>((d) => d.renameCommand),
    all.map((d) => d.wrapOutput).filter((w) => w !== undefined),
  );
  const wrapParser = chain<ScheduleParser>((d) => d.wrapParser);
  const wrapCredentials = chain<CredentialCheck>((d) => d.wrapCredentials);
  const wrapListener = chain<DeploymentListener>((d) => d.wrapListener);
  const patches = all.map((d) => d.patch).filter((p) => p !== undefined);
  return {
    ...(authPolicy && { authPolicy }),
    ...(Object.keys(scheduler).length > 0 && { scheduler }),
    ...(openSession && { openSession }),
    ...(wrapParser && { wrapParser }),
    ...(wrapCredentials && { wrapCredentials }),
    ...(wrapListener && { wrapListener }),
    ...(patches.length > 0 && { patch: (parts: ServerParts) => patches.forEach((p) => p(parts)) }),
  };
}

/**
 * How sessions are opened when mutants rewrite what a session sends or receives: the output
 * wrapped (the transport's own `unanswered` kept), the incoming commands renamed.
 */
function sessionOpener(
  rename: ((command: string) => string) | undefined,
  outputWrappers: ReadonlyArray<(out: SessionOutput) => SessionOutput>,
): ((core: DeployCore, out: SessionOutput) => Session) | undefined {
  if (!rename && outputWrappers.length === 0) return undefined;
  const echo: Echo = { current: undefined };
  // The echo is restored outermost, on the session's own text, before any other output mutant sees it.
  const wrappers = rename ? [...outputWrappers, restoreEcho(echo)] : outputWrappers;
  return (core, out) => {
    const wrapped = wrappers.reduce((acc, wrap) => wrap(acc), out);
    const session = core.openSession({
      send: (text) => wrapped.send(text),
      close: (code, reason) => wrapped.close(code, reason),
      unanswered: () => out.unanswered?.(),
    });
    return rename ? renamingSession(session, rename, echo) : session;
  };
}
