/**
 * The clause catalogue: every clause of the spec's semantics.md as data. Each check names the
 * clauses it covers; a clause no check covers is reported as uncovered. A test keeps this list
 * equal to semantics.md (IDs, levels, text).
 */

/** MUST clauses fail a run; SHOULD clauses warn; NOTE clauses (no keyword in the spec) inform. */
export type ClauseLevel = 'MUST' | 'SHOULD' | 'NOTE';
export type ClauseFamily = 'WIRE' | 'REC' | 'DEP' | 'SCHED' | 'RUN' | 'SDK';
/**
 * What a target must offer for a clause to be checked: `clock-control` (the kit's control API,
 * to move the clock), `fake-clock` (that clock stands still between moves, so a check can pin
 * instants to the millisecond), a second full user, a monitor-only user, a user without deploy
 * permissions, or an SDK under test (the SDK runner, not the server runner).
 */
export type Capability = 'clock-control' | 'fake-clock' | 'second-user' | 'monitor-user' | 'no-permission-user' | 'sdk';

export interface Clause {
  readonly id: string;
  readonly level: ClauseLevel;
  readonly family: ClauseFamily;
  readonly needs: readonly Capability[];
  readonly text: string;
}

export const CLAUSES: readonly Clause[] = [
  {
    id: 'WIRE-1',
    level: 'MUST',
    family: 'WIRE',
    needs: [],
    text: 'DAP messages travel over a WebSocket at path `/task/service`. A text frame holds one JSON object. A binary frame holds a JSON object, optionally followed by `\\n` and a binary payload that belongs in `arguments.data`.',
  },
  {
    id: 'WIRE-2',
    level: 'MUST',
    family: 'WIRE',
    needs: [],
    text: 'every request (`type: "request"`) gets exactly one response: `type: "response"`, `request_seq` equal to the request\'s `seq`, `command` echoed, `success` a boolean; a failed response carries a non-empty `message`. The server\'s own `seq` starts at 1 on each connection and grows by one per message sent on that connection.',
  },
  {
    id: 'WIRE-3',
    level: 'MUST',
    family: 'WIRE',
    needs: [],
    text: 'before a successful `auth`, only `auth` and commands starting with `rrext_public_` are served; any other request gets a failed response (`Not authenticated`) and the server then closes the connection.',
  },
  {
    id: 'WIRE-4',
    level: 'MUST',
    family: 'WIRE',
    needs: [],
    text: '`auth` with a valid credential (`arguments.auth`) succeeds with a ConnectResult body (see `wire.md`: at least `userId`, `userToken`, `displayName`, and the organization/team data the SDKs read). An invalid or empty credential gets a failed response, then the close.',
  },
  {
    id: 'WIRE-5',
    level: 'MUST',
    family: 'WIRE',
    needs: [],
    text: 'a connection may send `auth` at most 5 times in its lifetime: successful attempts, re-auths and attempts after a `deauth` all count. The 6th `auth` gets a failed response (`Too many authentication attempts`) and the connection is closed.',
  },
  {
    id: 'WIRE-6',
    level: 'MUST',
    family: 'WIRE',
    needs: [],
    text: '`deauth` returns the connection to the unauthenticated state (WIRE-3 applies again).',
  },
  {
    id: 'WIRE-7',
    level: 'MUST',
    family: 'WIRE',
    needs: [],
    text: '`rrext_ping` succeeds once authenticated; `rrext_public_probe` succeeds at any time.',
  },
  {
    id: 'WIRE-8',
    level: 'MUST',
    family: 'WIRE',
    needs: [],
    text: 'an unknown command gets a failed response naming the command; the connection stays open. Command names are case-sensitive: `RREXT_DEPLOY_LIST` is an unknown command.',
  },
  {
    id: 'WIRE-9',
    level: 'MUST',
    family: 'WIRE',
    needs: [],
    text: "no frame can crash the server or disturb other connections: a non-JSON frame, a JSON value that is not an object, a request without `seq` or `command`, wrong field types, or a frame over the size limit. Where the request's `seq` can be read, it gets a failed response; otherwise the frame is dropped (an oversized frame closes that connection with code 1009).",
  },
  {
    id: 'REC-1',
    level: 'MUST',
    family: 'REC',
    needs: [],
    text: 'a DeploymentRecord is a JSON object with `pipeline` (object), `schedule` (string), `state` (`active` | `paused` | `errored`), and the owner and times under the documented names `userId` (string), `createdAt` and `updatedAt` (numbers, Unix **seconds**, fractions allowed).',
  },
  {
    id: 'REC-2',
    level: 'NOTE',
    family: 'REC',
    needs: [],
    text: "the real server and both SDKs use `created_by`, `created_at`, `updated_at` instead. The mock sends both sets with equal values (after every change, not only on a fresh record), so the real SDKs and code written from the documentation both work. The conformance suite's `spec` profile (default) requires REC-1's names; its `compat` profile accepts either set, and the report always says which set a target sent.",
  },
  {
    id: 'REC-3',
    level: 'MUST',
    family: 'REC',
    needs: [],
    text: '`pipeline` round-trips exactly: what was sent (any JSON object: nested objects, arrays, unicode, numbers) is what `add`, `status` and `list` return.',
  },
  {
    id: 'DEP-ADD-1',
    level: 'MUST',
    family: 'DEP',
    needs: [],
    text: '`rrext_deploy_add` `{pipeline, schedule?}` with a project id the caller has no deployment for succeeds; the body is the new record: the pipeline as sent, `schedule` as sent or `"manual"` when absent, `state: "active"`, the caller\'s user id, and `createdAt` and `updatedAt` both the server\'s current time (equal up to the clock\'s resolution; on the mock\'s fake clock, exactly equal).',
  },
  {
    id: 'DEP-ADD-2',
    level: 'MUST',
    family: 'DEP',
    needs: [],
    text: 'a missing `pipeline`, or one that is not a JSON object, fails.',
  },
  {
    id: 'DEP-ADD-3',
    level: 'MUST',
    family: 'DEP',
    needs: [],
    text: 'a missing, empty or non-string `pipeline.project_id` fails.',
  },
  {
    id: 'DEP-ADD-4',
    level: 'MUST',
    family: 'DEP',
    needs: [],
    text: 'a second `add` for a project id the caller already deployed fails, with a message that says it already exists; the existing record is unchanged.',
  },
  {
    id: 'DEP-ADD-5',
    level: 'MUST',
    family: 'DEP',
    needs: ['second-user'],
    text: 'one deployment exists per project per user: two users may each deploy the same project id, independently.',
  },
  {
    id: 'DEP-LIST-1',
    level: 'MUST',
    family: 'DEP',
    needs: [],
    text: "`rrext_deploy_list` succeeds with body `{deployments: [...]}` holding exactly the caller's deployments, each a full record. Order is unspecified (the mock sorts by project id, as the real server does).",
  },
  {
    id: 'DEP-STATUS-1',
    level: 'MUST',
    family: 'DEP',
    needs: [],
    text: "`rrext_deploy_status` `{projectId}` returns the caller's record; an unknown or missing `projectId` fails.",
  },
  {
    id: 'DEP-UPD-1',
    level: 'MUST',
    family: 'DEP',
    needs: [],
    text: '`rrext_deploy_update` `{projectId, pipeline?, schedule?}` replaces what is given and keeps what is omitted; `updatedAt` becomes now (never earlier than before); `createdAt`, owner and `state` are unchanged (an errored deployment stays errored).',
  },
  {
    id: 'DEP-UPD-2',
    level: 'MUST',
    family: 'DEP',
    needs: [],
    text: "the deployment's key never changes: a replacement pipeline is stored with `project_id` equal to `projectId` (the real server overwrites it; rejecting a mismatch is also conformant); no record appears under another id.",
  },
  {
    id: 'DEP-UPD-3',
    level: 'MUST',
    family: 'DEP',
    needs: [],
    text: 'an unknown `projectId`, an invalid schedule, or a non-object pipeline fails, and a failed update changes nothing (no half-applied update).',
  },
  {
    id: 'DEP-UPD-4',
    level: 'NOTE',
    family: 'DEP',
    needs: [],
    text: 'the documentation leaves the success body of `update` open; the real server sends `{}`. The mock sends the updated record; the suite accepts any body.',
  },
  {
    id: 'DEP-REM-1',
    level: 'MUST',
    family: 'DEP',
    needs: [],
    text: '`rrext_deploy_remove` `{projectId}` succeeds; afterwards the deployment is gone from `list`, and `status`, `update`, `remove` on it fail; `add` of the same id works again and starts fresh (new `createdAt`, `state: "active"`).',
  },
  {
    id: 'DEP-REM-2',
    level: 'MUST',
    family: 'DEP',
    needs: [],
    text: 'removing an unknown id fails.',
  },
  {
    id: 'DEP-PERM-1',
    level: 'MUST',
    family: 'DEP',
    needs: ['monitor-user', 'no-permission-user'],
    text: '`add`, `update`, `remove` need the `task.control` permission; `list` and `status` need `task.monitor`. Without it the request fails with a message naming the missing permission, and nothing changes.',
  },
  {
    id: 'DEP-MSG-1',
    level: 'SHOULD',
    family: 'DEP',
    needs: [],
    text: "failure messages use the real server's words listed in `wire.md`, and never reveal storage paths, file contents, the server's source locations (file names, line numbers) or another user's data.",
  },
  {
    id: 'DEP-ISO-1',
    level: 'MUST',
    family: 'DEP',
    needs: ['second-user'],
    text: "a user can never see, read, change or remove another user's deployment, whatever the project id string (slashes, `..`, percent-escapes, unicode, very long strings): project ids are opaque keys, never paths. Nothing decodes, normalises, folds or trims them: two ids that differ in any character are two deployments, and a fully percent-encoded traversal (`%2E%2E%2F…`) is as inert as a literal one.",
  },
  {
    id: 'SCHED-1',
    level: 'MUST',
    family: 'SCHED',
    needs: [],
    text: 'accepted values are exactly `"manual"`, the presets `@hourly @daily @midnight @weekly @monthly @yearly @annually`, and standard 5-field cron expressions (minute hour day-of-month month day-of-week; lists, ranges, steps, `*`, month and weekday names, 0 or 7 for Sunday). When day-of-month and day-of-week are both restricted, a time matches if either does (classic cron).',
  },
  {
    id: 'SCHED-2',
    level: 'MUST',
    family: 'SCHED',
    needs: [],
    text: 'everything else fails `add` and `update` with a clear message: 6- or 7-field expressions (seconds, years), `@reboot`, `@every …`, other `@` words, out-of-range values, malformed lists, ranges or steps (`*/0`), the empty or blank string, and non-strings. Presets are matched exactly, in lower case (`@HOURLY` fails).',
  },
  {
    id: 'SCHED-3',
    level: 'SHOULD',
    family: 'SCHED',
    needs: [],
    text: 'an expression that can never fire (`0 0 30 2 *`) is rejected as never firing.',
  },
  {
    id: 'SCHED-4',
    level: 'MUST',
    family: 'SCHED',
    needs: ['clock-control'],
    text: 'presets mean `@hourly = 0 * * * *`, `@daily = @midnight = 0 0 * * *`, `@weekly = 0 0 * * 0`, `@monthly = 0 0 1 * *`, `@yearly = @annually = 0 0 1 1 *`.',
  },
  {
    id: 'RUN-1',
    level: 'MUST',
    family: 'RUN',
    needs: ['clock-control'],
    text: "an `active` deployment with a cron schedule starts one run, as its owner, at every minute its expression matches (second 0), in the server's time zone (the mock: UTC unless configured otherwise).",
  },
  {
    id: 'RUN-2',
    level: 'MUST',
    family: 'RUN',
    needs: ['clock-control'],
    text: 'a `manual` deployment never starts a scheduled run.',
  },
  {
    id: 'RUN-3',
    level: 'MUST',
    family: 'RUN',
    needs: ['clock-control'],
    text: 'runs of one deployment never overlap: a tick that comes due while a run of the same deployment is in progress is skipped (recorded as skipped, not queued or delayed); the following tick is computed as usual. A run that ends at the very instant the next tick comes due has ended: that tick fires (run ends are processed before the ticks of the same instant).',
  },
  {
    id: 'RUN-4',
    level: 'MUST',
    family: 'RUN',
    needs: ['clock-control'],
    text: 'a `paused` deployment fires nothing; ticks missed while paused or manual are never made up later.',
  },
  {
    id: 'RUN-5',
    level: 'MUST',
    family: 'RUN',
    needs: ['clock-control'],
    text: "when a tick comes due and the owner's credential no longer authenticates (key revoked), no run starts, the deployment becomes `errored`, and it never fires again, even if the key is restored or the schedule updated. Removing it and adding it again with a valid credential resumes scheduled runs.",
  },
  {
    id: 'RUN-6',
    level: 'MUST',
    family: 'RUN',
    needs: ['clock-control'],
    text: 'an update of the schedule takes effect at once: the next tick follows the new expression from the moment of the update; switching to `manual` stops ticks, switching back resumes them without backfill.',
  },
  {
    id: 'RUN-7',
    level: 'MUST',
    family: 'RUN',
    needs: ['clock-control'],
    text: 'after `remove` no further tick fires for that deployment; a run in progress is ended as cancelled.',
  },
  {
    id: 'RUN-8',
    level: 'MUST',
    family: 'RUN',
    needs: ['clock-control'],
    text: 'advancing the clock by a span processes every tick and every run end in time order, exactly as if the time had passed: advancing by `a + b` in one step and by `a` then `b` give identical run histories.',
  },
  {
    id: 'RUN-9',
    level: 'NOTE',
    family: 'RUN',
    needs: ['clock-control'],
    text: 'a manual (explicit) start of a deployment is a mock control, not a DAP command; it obeys RUN-3 (refused while a run is in progress).',
  },
  {
    id: 'SDK-1',
    level: 'MUST',
    family: 'SDK',
    needs: ['sdk'],
    text: '`add(pipeline)` sends `rrext_deploy_add` whose `arguments.pipeline` equals the pipeline and which has no `schedule` key; `add(pipeline, schedule)` also sends `schedule`.',
  },
  {
    id: 'SDK-2',
    level: 'MUST',
    family: 'SDK',
    needs: ['sdk'],
    text: '`update(id, options)` sends `rrext_deploy_update` with `projectId` and exactly the option keys that were given.',
  },
  {
    id: 'SDK-3',
    level: 'MUST',
    family: 'SDK',
    needs: ['sdk'],
    text: '`remove(id)` and `status(id)` send `rrext_deploy_remove` / `rrext_deploy_status` with `{projectId: id}`; `list()` sends `rrext_deploy_list`.',
  },
  {
    id: 'SDK-4',
    level: 'MUST',
    family: 'SDK',
    needs: ['sdk'],
    text: '`list()` returns the `deployments` array of the body (an empty array when the key is missing); `add()` and `status()` return the record exactly as received, unknown keys included.',
  },
  {
    id: 'SDK-5',
    level: 'MUST',
    family: 'SDK',
    needs: ['sdk'],
    text: "a failed response makes the call raise the language's documented error (Python `RuntimeError`, TypeScript `Error`) whose message contains the server's `message`.",
  },
  {
    id: 'SDK-6',
    level: 'MUST',
    family: 'SDK',
    needs: ['sdk'],
    text: 'every request is a JSON object with `type: "request"`, a numeric `seq` unique on the connection, and the documented command name; responses are matched by `request_seq`, so concurrent calls each get their own result even when the server answers out of order.',
  },
  {
    id: 'SDK-7',
    level: 'SHOULD',
    family: 'SDK',
    needs: ['sdk'],
    text: 'when the server closes the connection under a pending call, the call fails promptly with a connection error (it neither hangs nor fails with an unrelated error type).',
  },
  {
    id: 'SDK-8',
    level: 'SHOULD',
    family: 'SDK',
    needs: ['sdk'],
    text: '`disconnect()` completes even when the server does not answer `deauth` within a few seconds.',
  },
];

const BY_ID = new Map(CLAUSES.map((c) => [c.id, c]));

/** The clause with this ID; throws for an unknown ID, so a check cannot cite a clause that does not exist. */
export function clause(id: string): Clause {
  const found = BY_ID.get(id);
  if (!found) throw new Error(`Unknown clause ${id}`);
  return found;
}

export function isClause(id: string): boolean {
  return BY_ID.has(id);
}
