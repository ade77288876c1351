/**
 * The pre-flight: before any check runs, reach the target, authenticate each key, read each
 * key's permissions, detect the record dialect and whether the kit's clock control is there.
 * A problem ends the run with one line saying what is wrong and what to pass (exit 2), instead
 * of a failure block per check; otherwise the report's header says what was found and which
 * clauses will not be verified, and why.
 */
import { CLAUSES, type Capability } from './clauses.js';
import { DapConnection, NoReplyError, REPLY_TIMEOUT_MS, type DapReply } from './dap.js';
import { defaultTeamGrants, dialectOf, type Dialect } from './model.js';
import { pacer, type TargetConfig } from './target.js';
import { Transcript } from './transcript.js';

/** The run cannot start: the message says what is wrong and what to pass. */
export class PreflightError extends Error {
  override readonly name = 'PreflightError';
}

type Role = keyof TargetConfig['keys'];

const ROLE: Record<Role, { flag: string; what: string }> = {
  primary: { flag: '--key (the first)', what: 'a full user (task.control and task.monitor)' },
  secondary: { flag: '--key (the second)', what: 'a second full user, not the first one' },
  monitor: { flag: '--monitor-key', what: 'a monitor-only user (task.monitor, no task.control)' },
  noPermission: { flag: '--no-permission-key', what: 'a user with neither task.control nor task.monitor' },
};

export interface PreflightResult {
  /** Lines for the report's header. */
  readonly header: string[];
  readonly capabilities: ReadonlySet<Capability>;
  readonly dialect?: Dialect;
  /** The kit's clock when the run started, if the target has clock control. */
  readonly clock?: { readonly nowMs: number; readonly mode: string };
}

export async function preflight(config: TargetConfig, describePace: string): Promise<PreflightResult> {
  const transcript = new Transcript();
  const pace = pacer(config.maxRps);
  const open = async (): Promise<DapConnection> => {
    try {
      return await DapConnection.open(config.url, 'preflight', transcript, pace);
    } catch (error) {
      throw new PreflightError(
        `Cannot reach the target at ${config.url}: ${reason(error)}. Is the server running there? Pass its DAP URL with --target (ws://host:port/task/service).`,
      );
    }
  };

  const users = new Map<Role, { userId: string; permissions: ReadonlySet<string> }>();
  const header: string[] = [];
  /** Roles whose auth answered in a way the checks must judge (a protocol fault is a finding, not a setup error). */
  const odd: Role[] = [];
  for (const role of Object.keys(ROLE) as Role[]) {
    const key = config.keys[role];
    if (key === undefined) continue;
    const c = await open();
    try {
      let reply: DapReply;
      try {
        reply = await c.request('auth', { auth: key, clientName: 'rocketride-deploy-kit conformance (pre-flight)' });
      } catch (error) {
        if (error instanceof NoReplyError && !error.closed)
          throw new PreflightError(
            `The target at ${config.url} did not answer auth within ${REPLY_TIMEOUT_MS / 1000} s: is it a RocketRide DAP server?`,
          );
        odd.push(role);
        header.push(
          `pre-flight: auth with ${ROLE[role].flag} was answered in a way the checks will judge (${reason(error).slice(0, 160)})`,
        );
        continue;
      }
      if (reply.success === false) {
        throw new PreflightError(
          `The target refused the key given as ${ROLE[role].flag}: ${JSON.stringify(reply.message ?? reply.raw)}. Pass the key of ${ROLE[role].what}.`,
        );
      }
      if (reply.success !== true || typeof reply.body?.userId !== 'string') {
        odd.push(role);
        header.push(`pre-flight: auth with ${ROLE[role].flag} succeeded without a ConnectResult the checks can read: they will say why`);
        continue;
      }
      const permissions = permissionsOf(reply);
      if (permissions === undefined) {
        odd.push(role);
        header.push(
          `pre-flight: the ConnectResult of ${reply.body.userId} (${ROLE[role].flag}) names no permissions of its default team: taken as given`,
        );
        continue;
      }
      users.set(role, { userId: reply.body.userId, permissions });
    } finally {
      await c.close();
    }
  }
  checkRoles(users);
  header.unshift(
    `target reached; users: ${[...users].map(([role, u]) => `${u.userId} (${roleName(role)})`).join(', ') || 'none identified'}`,
  );

  const dialect = await detectDialect(config, open);
  if (dialect !== undefined) {
    header.push(
      `record field names: ${dialect}` +
        (config.profile === 'spec' && dialect === 'snake_case'
          ? ' (profile spec requires the documented names: REC-1 will fail; --profile compat accepts either)'
          : ''),
    );
  }

  const capabilities = new Set<Capability>();
  const given = (role: Role) => users.has(role) || odd.includes(role);
  if (given('secondary')) capabilities.add('second-user');
  if (given('monitor')) capabilities.add('monitor-user');
  if (given('noPermission')) capabilities.add('no-permission-user');
  let clockAtStart: { nowMs: number; mode: string } | undefined;
  const clock = await readClock(config);
  if (clock && 'refused' in clock) {
    header.push(
      `clock control: the control API at ${config.controlUrl} refused the run (${clock.refused}): pass its token with --control-token to verify what needs it`,
    );
  } else if (clock) {
    capabilities.add('clock-control');
    if (clock.mode === 'fake') capabilities.add('fake-clock');
    clockAtStart = clock;
    header.push(`clock control: yes (${clock.mode} clock at ${new Date(clock.nowMs).toISOString()})`);
    if (clock.mode !== 'fake')
      header.push(
        'not verified: the checks that pin instants to the millisecond (they need a fake clock: start the mock with --clock fake)',
      );
  } else {
    header.push('clock control: none: scheduled runs cannot be observed on this target');
  }
  header.push(...notVerified(capabilities), describePace);
  return { header, capabilities, ...(dialect !== undefined && { dialect }), ...(clockAtStart !== undefined && { clock: clockAtStart }) };
}

/** The kit's clock over its control API, or undefined when the target has none. */
export async function readClock(
  config: Pick<TargetConfig, 'controlUrl' | 'controlToken'>,
): Promise<{ nowMs: number; mode: string } | { refused: number } | undefined> {
  if (!config.controlUrl) return undefined;
  try {
    const response = await fetch(`${config.controlUrl}/clock`, {
      headers: config.controlToken ? { authorization: `Bearer ${config.controlToken}` } : {},
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json().catch(() => undefined)) as { nowMs?: unknown; mode?: unknown } | undefined;
    if (response.status === 401 || response.status === 403) return { refused: response.status };
    return response.ok && typeof body?.nowMs === 'number' ? { nowMs: body.nowMs, mode: String(body.mode) } : undefined;
  } catch {
    return undefined;
  }
}

/** The clauses the missing capabilities leave unverified, one line per reason. */
function notVerified(have: ReadonlySet<Capability>): string[] {
  const lines: string[] = [];
  const reasons: Array<[Capability, string]> = [
    ['clock-control', 'no clock control'],
    ['second-user', 'no second user (give --key twice)'],
    ['monitor-user', 'no monitor-only user (--monitor-key)'],
    ['no-permission-user', 'no user without deploy permissions (--no-permission-key)'],
  ];
  const reported = new Set<string>();
  for (const [capability, why] of reasons) {
    if (have.has(capability)) continue;
    const ids = CLAUSES.filter((c) => c.family !== 'SDK' && c.needs.includes(capability) && !reported.has(c.id)).map((c) => c.id);
    for (const id of ids) reported.add(id);
    if (ids.length > 0) lines.push(`not verified: ${ranges(ids)} (${why})`);
  }
  return lines;
}

/** `RUN-1, RUN-2, … RUN-9, SCHED-4` -> `RUN-1..9, SCHED-4`. */
function ranges(ids: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length;) {
    const [family, n] = split(ids[i]!);
    let j = i;
    while (j + 1 < ids.length && split(ids[j + 1]!)[0] === family && split(ids[j + 1]!)[1] === split(ids[j]!)[1] + 1) j++;
    out.push(j > i + 1 ? `${family}-${n}..${split(ids[j]!)[1]}` : ids.slice(i, j + 1).join(', '));
    i = j + 1;
  }
  return out.join(', ');
}

function split(id: string): [string, number] {
  const m = /^(.*)-(\d+)$/.exec(id);
  return m ? [m[1]!, Number(m[2])] : [id, NaN];
}

/** Full users need both permissions, and two distinct ids; the others exactly what their role says. */
function checkRoles(users: ReadonlyMap<Role, { userId: string; permissions: ReadonlySet<string> }>): void {
  const has = (role: Role, p: string) => users.get(role)!.permissions.has(p);
  for (const [role, user] of users) {
    const control = has(role, 'task.control');
    const monitor = has(role, 'task.monitor');
    const fits =
      role === 'primary' || role === 'secondary' ? control && monitor : role === 'monitor' ? monitor && !control : !control && !monitor;
    if (!fits) {
      throw new PreflightError(
        `The key given as ${ROLE[role].flag} belongs to ${user.userId}, whose permissions are ${[...user.permissions].join(', ') || 'none'}: pass the key of ${ROLE[role].what}.`,
      );
    }
  }
  const a = users.get('primary');
  const b = users.get('secondary');
  if (a && b && a.userId === b.userId)
    throw new PreflightError(`Both --key values log in as ${a.userId}: the isolation clauses need the keys of two different users.`);
}

/**
 * Permissions of the ConnectResult's default team, `org.admin` granting both deploy permissions.
 * Undefined when the ConnectResult names no such team (the checks judge that, WIRE-4).
 */
function permissionsOf(reply: DapReply): ReadonlySet<string> | undefined {
  const { home, granted } = defaultTeamGrants(reply.body);
  if (!home) return undefined;
  return granted.has('org.admin') ? new Set([...granted, 'task.control', 'task.monitor']) : granted;
}

/** Adds and removes one deployment (with the run's prefix) to see which field names records carry. */
async function detectDialect(config: TargetConfig, open: () => Promise<DapConnection>): Promise<Dialect | undefined> {
  const c = await open();
  try {
    await c.request('auth', { auth: config.keys.primary });
    const projectId = `${config.prefix}preflight`;
    const added = await c.request('rrext_deploy_add', { pipeline: { project_id: projectId } });
    if (added.success !== true) return undefined;
    await c.request('rrext_deploy_remove', { projectId });
    return dialectOf(added.body);
  } catch {
    return undefined;
  } finally {
    await c.close();
  }
}

function roleName(role: Role): string {
  return { primary: 'first user', secondary: 'second user', monitor: 'monitor-only', noPermission: 'no deploy permissions' }[role];
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = /\b(E[A-Z]{3,})\b/.exec(message)?.[1];
  return code ? `${code} (${message.replace(/^Cannot connect to \S+: /, '')})` : message.replace(/^Cannot connect to \S+: /, '');
}
