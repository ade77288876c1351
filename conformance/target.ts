/**
 * The one small driver interface every check talks to a server through: connections (raw or
 * authenticated), the keys of the users it may act as, the control API when the target has one,
 * project ids that carry the run's unique prefix, and cleanup of everything the run created.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Capability } from './clauses.js';
import type { ReplaySpec } from './replay.js';
import { DapConnection, type DapReply, type Pacer } from './dap.js';
import { Transcript } from './transcript.js';

/** Which field names a record must use: the documented ones (`spec`) or either dialect (`compat`). */
export type Profile = 'spec' | 'compat';

/** Everything a check needs to know about the target; plain JSON, handed to the test workers. */
export interface TargetConfig {
  /** `ws://host:port/task/service`. */
  readonly url: string;
  /** A full user's key (required), a second full user's, a monitor-only user's, one without deploy permissions. */
  readonly keys: { primary: string; secondary?: string; monitor?: string; noPermission?: string };
  /** The kit's control API (`http://host:port/control`), when the target is a kit mock. */
  readonly controlUrl?: string;
  readonly controlToken?: string;
  readonly profile: Profile;
  /** Most requests per second over all connections of one check file (Infinity: unpaced). */
  readonly maxRps: number;
  /** fast-check runs per property. */
  readonly runs: number;
  /** fast-check seed. */
  readonly seed: number;
  /** Every project id the run creates starts with this, so it never touches anything else. */
  readonly prefix: string;
  /** Set when replaying one failure: the check's name and fast-check's path and replay path. */
  readonly replay?: { check: string; seed: number; path: string; replayPath?: string };
  /** The command line that re-runs one case, `TOKEN` standing for the token (keys as the run was given them). */
  readonly replayCommand: string;
  /** What a replay token records of this run. */
  readonly replayRun: Omit<ReplaySpec, 'check' | 'seed' | 'path' | 'replayPath'>;
  /** A folder where each check file notes every deployment it created (a remote target's cleanup reads it). */
  readonly ledger?: string;
  /** What the pre-flight found the target offers (clock control, the extra users). */
  readonly capabilities?: readonly Capability[];
}

/** Paces requests to at most `rps` per second (a token bucket of one second's worth). */
export function pacer(rps: number): Pacer {
  if (!Number.isFinite(rps)) return { take: () => Promise.resolve() };
  const interval = 1000 / rps;
  let next = 0;
  return {
    take() {
      const now = Date.now();
      next = Math.max(next, now - 1000) + interval;
      const wait = next - now;
      return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
    },
  };
}

export interface ControlReply {
  readonly status: number;
  readonly body: any;
}

export class Target {
  readonly transcript = new Transcript();
  readonly #pacer: Pacer;
  readonly #open = new Set<DapConnection>();
  /** key -> project ids created with it, for cleanup. */
  readonly #created = new Map<string, Set<string>>();
  /** Deployments created under a project id that is not a string (a target that accepts `7.25`). */
  readonly #createdOther: Array<{ key: string; projectId: unknown }> = [];
  #connections = 0;
  #ids = 0;
  /** Check files run side by side against one server: a per-file part keeps their ids apart. */
  readonly #fileTag = randomBytes(2).toString('hex');
  #capabilities: Set<Capability> | undefined;
  /** Frames sent by this file's connections so far. */
  requests = 0;
  /** Facts checks observed for the report (e.g. which record dialect the target sent). */
  readonly notes: Record<string, string> = {};

  constructor(readonly config: TargetConfig) {
    for (const [role, key] of Object.entries(config.keys)) if (key !== undefined) this.transcript.redact(key, `${role} key`);
    if (config.controlToken) this.transcript.redact(config.controlToken, 'control token');
    const paced = pacer(config.maxRps);
    // Every frame any connection sends goes through here: count them for the report.
    this.#pacer = {
      take: () => {
        this.requests += 1;
        return paced.take();
      },
    };
  }

  /** What this target offers: the pre-flight's finding, or detected once (the control API answers, extra keys were given). */
  async capabilities(): Promise<ReadonlySet<Capability>> {
    if (!this.#capabilities && this.config.capabilities) this.#capabilities = new Set(this.config.capabilities);
    if (!this.#capabilities) {
      const found = new Set<Capability>();
      if (this.config.keys.secondary) found.add('second-user');
      if (this.config.keys.monitor) found.add('monitor-user');
      if (this.config.keys.noPermission) found.add('no-permission-user');
      if (this.config.controlUrl) {
        const answer = await this.control('GET', '/clock').catch(() => undefined);
        if (answer?.status === 200 && typeof answer.body?.nowMs === 'number') found.add('clock-control');
        if (answer?.status === 200 && answer.body?.mode === 'fake') found.add('fake-clock');
      }
      this.#capabilities = found;
    }
    return this.#capabilities;
  }

  /** What is missing for these needs, as a reason to print; undefined if nothing is. */
  async missing(needs: readonly Capability[]): Promise<string | undefined> {
    const have = await this.capabilities();
    const lacking = needs.filter((need) => !have.has(need));
    if (lacking.length === 0) return undefined;
    return `needs ${lacking.map(describeCapability).join(' and ')}`;
  }

  replayCommand(token: string): string {
    return this.config.replayCommand.replace('TOKEN', token);
  }

  /** A new connection, not authenticated. Every add that succeeds on it is noted, whatever its id, for cleanup. */
  async connect(): Promise<DapConnection> {
    const connection = await DapConnection.open(this.config.url, `c${++this.#connections}`, this.transcript, this.#pacer);
    this.#open.add(connection);
    let key: string | undefined;
    connection.onReply = (command, args, reply) => {
      const a = (args ?? {}) as { auth?: unknown; pipeline?: { project_id?: unknown } };
      if (command === 'auth') {
        key = reply.success === true && typeof a.auth === 'string' ? a.auth : undefined;
        // A userToken logs in again (wire.md): as secret as the key.
        if (typeof reply.body?.userToken === 'string') this.transcript.redact(reply.body.userToken, 'userToken');
      } else if (command === 'deauth' && reply.success === true) key = undefined;
      else if (command === 'rrext_deploy_add' && reply.success === true && key !== undefined) this.#note(key, a.pipeline?.project_id);
    };
    return connection;
  }

  /** Notes a deployment the target created (the ledger outlives this worker: the runner removes what is left). */
  #note(key: string, projectId: unknown): void {
    if (projectId === undefined) return;
    if (typeof projectId === 'string') this.created(key, projectId);
    else this.#createdOther.push({ key, projectId });
    if (!this.config.ledger) return;
    const role = (Object.keys(this.config.keys) as Array<keyof TargetConfig['keys']>).find((r) => this.config.keys[r] === key);
    appendFileSync(
      join(this.config.ledger, `${this.#fileTag}.jsonl`),
      `${JSON.stringify(role ? { role, projectId } : { key, projectId })}\n`,
      { mode: 0o600 },
    );
  }

  /** A new connection authenticated with `key` (default: the primary user's). */
  async session(key = this.config.keys.primary): Promise<DapConnection> {
    const connection = await this.connect();
    const reply = await connection.request('auth', { auth: key, clientName: 'rocketride-deploy-kit conformance' });
    if (reply.success !== true) throw new Error(`auth with the configured key failed: ${String(reply.message)}`);
    return connection;
  }

  /** A project id unique to this run (the prefix), to this check file and to this call. */
  projectId(label = 'p'): string {
    return `${this.config.prefix}${this.#fileTag}-${label}-${++this.#ids}`;
  }

  /** Remembers that `key`'s user may now own `projectId`, so cleanup removes it. */
  created(key: string, projectId: string): void {
    let ids = this.#created.get(key);
    if (!ids) this.#created.set(key, (ids = new Set()));
    ids.add(projectId);
  }

  /** Sends `rrext_deploy_add` and records the id for cleanup whatever the answer. */
  async add(connection: DapConnection, key: string, args: { pipeline?: unknown; schedule?: unknown }): Promise<DapReply> {
    const pipeline = args.pipeline as { project_id?: unknown } | undefined;
    if (typeof pipeline?.project_id === 'string') this.created(key, pipeline.project_id);
    return connection.request('rrext_deploy_add', args);
  }

  /** A control API call; records it in the transcript. Throws if the target has no control API. */
  async control(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ControlReply> {
    if (!this.config.controlUrl) throw new Error('this target has no control API');
    await this.#pacer.take(); // control calls count against --max-rps like frames do
    const text = body === undefined ? undefined : JSON.stringify(body);
    this.transcript.record('control', '>', `${method} ${path}${text ? ` ${text}` : ''}`);
    const response = await fetch(`${this.config.controlUrl}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(this.config.controlToken && { authorization: `Bearer ${this.config.controlToken}` }),
      },
      ...(text !== undefined && { body: text }),
      signal: AbortSignal.timeout(30_000),
    });
    const reply = { status: response.status, body: await response.json().catch(() => undefined) };
    this.transcript.record('control', '<', `${reply.status} ${JSON.stringify(reply.body)}`);
    return reply;
  }

  /** Moves the target's clock (control API) by a span such as `15m`. */
  async advance(by: string | number): Promise<void> {
    const reply = await this.control('POST', '/clock/advance', { by });
    if (reply.status !== 200) throw new Error(`the control API refused to advance the clock: ${JSON.stringify(reply.body)}`);
  }

  /**
   * Removes every deployment this file created (whatever happened), then closes its connections.
   * Best effort: an unreachable target must not hide the check's own result.
   */
  async cleanup(): Promise<void> {
    for (const [key, ids] of this.#created) {
      try {
        const connection = await this.session(key);
        for (const id of ids) await connection.request('rrext_deploy_remove', { projectId: id }).catch(() => undefined);
      } catch {
        // the key may have been revoked by a check; the runner's final sweep covers it
      }
    }
    this.#created.clear();
    for (const { key, projectId } of this.#createdOther.splice(0)) {
      try {
        const connection = await this.session(key);
        await connection.request('rrext_deploy_remove', { projectId }).catch(() => undefined);
      } catch {
        // the runner's final sweep reads the ledger
      }
    }
    await Promise.all([...this.#open].map((connection) => connection.close()));
    this.#open.clear();
  }
}

function describeCapability(capability: Capability): string {
  switch (capability) {
    case 'clock-control':
      return "clock control (the kit's control API)";
    case 'fake-clock':
      return 'a fake clock (a kit mock with --clock fake)';
    case 'second-user':
      return 'a second user (--key twice)';
    case 'monitor-user':
      return 'a monitor-only user (--monitor-key)';
    case 'no-permission-user':
      return 'a user without deploy permissions (--no-permission-key)';
    case 'sdk':
      return 'an SDK under test (the SDK runner)';
  }
}
