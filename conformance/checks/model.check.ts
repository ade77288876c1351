/**
 * The model-based property: random sequences of deploy commands by several users (full users,
 * a monitor-only user, a user without deploy permissions, when their keys are given) on a small
 * pool of project ids (hostile ones included), run against the target and against the reference
 * model (`../model.ts`), compared after every step. Each run works in a fresh namespace of
 * project ids, and removes what it created when it ends.
 *
 * The clauses it names depend on the keys given: the isolation clauses need a second user, the
 * permission clause a monitor-only user and one without permissions.
 */
import fc from 'fast-check';
import { property, target } from '../context.js';
import type { DapConnection, DapReply } from '../dap.js';
import {
  DeployModel,
  PERMISSION_CONTROL,
  PERMISSION_MONITOR,
  addedRecordProblems,
  isJsonObject,
  projectIdOf,
  show,
  storedRecordProblems,
  viewOf,
  type Expectation,
  type JsonObject,
  type ModelRecord,
  type ModelUser,
  type Permission,
  type TimeRules,
} from '../model.js';
import type { Target } from '../target.js';
import { scheduleCorpus, type CorpusEntry } from '../corpus.js';

const corpus = scheduleCorpus;
/**
 * The schedules the commands use: a core of the corpus (every corpus value is checked by
 * schedule.check.ts; the model leaves the corner cases to it, so that a target that fails one
 * of them is reported under SCHED-1/2 rather than under every clause this property names).
 * Never-firing expressions are SCHED-3 (SHOULD) and stay out.
 */
const CORE_VALID = [
  'manual',
  '@hourly',
  '@daily',
  '@weekly',
  '@monthly',
  '@yearly',
  '* * * * *',
  '*/15 * * * *',
  '0 9 * * 1-5',
  '0,30 8-18/2 * * *',
];
const CORE_INVALID = ['', '@reboot', '@HOURLY', '0 * * * * *', '* * * *', '60 * * * *', '*/0 * * * *'];
const inCorpus = (values: readonly string[], entries: readonly CorpusEntry[]) => {
  const missing = values.filter((v) => !entries.some((e) => e.value === v));
  if (missing.length > 0)
    throw new Error(`model.check: schedules missing from the corpus: ${missing.map((v) => JSON.stringify(v)).join(', ')}`);
  return values;
};
const VALID_SCHEDULES = inCorpus(CORE_VALID, corpus.valid);
const INVALID_SCHEDULES: unknown[] = [...inCorpus(CORE_INVALID, corpus.invalid), 5, null, true, ['@hourly'], { cron: '* * * * *' }];

// ---------------------------------------------------------------------------------------------
// Users

type Role = 'primary' | 'secondary' | 'monitor' | 'noPermission';

const t0 = target();
const keys = t0.config.keys;
const ROLES: Role[] = [
  'primary',
  ...(keys.secondary ? (['secondary'] as const) : []),
  ...(keys.monitor ? (['monitor'] as const) : []),
  ...(keys.noPermission ? (['noPermission'] as const) : []),
];

const PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  primary: new Set([PERMISSION_CONTROL, PERMISSION_MONITOR]),
  secondary: new Set([PERMISSION_CONTROL, PERMISSION_MONITOR]),
  monitor: new Set([PERMISSION_MONITOR]),
  noPermission: new Set(),
};

const keyOf = (t: Target, role: Role): string => {
  const key = role === 'primary' ? t.config.keys.primary : t.config.keys[role];
  if (key === undefined) throw new Error(`no key for the ${role} user`);
  return key;
};

/** Auth requests per connection before the pool opens a new one (the real server's cap is 5: WIRE-5). */
const AUTHS_PER_CONNECTION = 3;

interface Session {
  readonly connection: DapConnection;
  auths: number;
  authenticated: boolean;
}

/** One connection per user, reused by every run of the property (and re-opened if it closed). */
class Sessions {
  readonly #sessions = new Map<Role, Session>();
  readonly users = new Map<Role, ModelUser>();

  constructor(private readonly t: Target) {}

  async get(role: Role): Promise<Session> {
    const session = this.#sessions.get(role);
    if (session && session.connection.isOpen && session.authenticated) return session;
    return this.auth(role);
  }

  /** Authenticates `role` (again): on its connection while under the cap, else on a new one. */
  async auth(role: Role): Promise<Session> {
    let session = this.#sessions.get(role);
    if (!session || !session.connection.isOpen || session.auths >= AUTHS_PER_CONNECTION) {
      await session?.connection.close();
      session = { connection: await this.t.connect(), auths: 0, authenticated: false };
      this.#sessions.set(role, session);
    }
    session.auths += 1;
    session.authenticated = false;
    const reply = await session.connection.request('auth', { auth: keyOf(this.t, role), clientName: 'rocketride-deploy-kit conformance' });
    if (reply.success !== true) throw new Error(`WIRE-4: auth with the ${role} user's key failed: ${show(reply.message)}`);
    const userId: unknown = reply.body?.userId;
    if (typeof userId !== 'string' || userId === '')
      throw new Error(`WIRE-4: the ${role} user's auth reply has no userId: ${show(reply.body)}`);
    const known = this.users.get(role);
    if (known && known.userId !== userId)
      throw new Error(`WIRE-4: the ${role} user's key authenticated as '${userId}', earlier as '${known.userId}'`);
    if (!known) this.users.set(role, { userId, permissions: PERMISSIONS[role] });
    if (role === 'secondary' && this.users.get('primary')?.userId === userId) {
      throw new Error(`The second key authenticates as the same user ('${userId}') as the first: give a key of another user`);
    }
    session.authenticated = true;
    return session;
  }

  /** Every role's user, authenticating each once. */
  async all(): Promise<ReadonlyMap<Role, ModelUser>> {
    for (const role of ROLES) await this.get(role);
    return this.users;
  }

  /** Marks a role's connection as no longer authenticated (after a deauth). */
  deauthenticated(role: Role): void {
    const session = this.#sessions.get(role);
    if (session) session.authenticated = false;
  }
}

// ---------------------------------------------------------------------------------------------
// The pool of project ids: made per run from a fresh namespace (`ns`), chosen by index

interface PoolEntry {
  readonly label: string;
  readonly make: (ns: string) => string;
}
const POOL: readonly PoolEntry[] = [
  { label: 'a', make: (ns) => `${ns}a` },
  { label: 'b', make: (ns) => `${ns}b` },
  { label: 'A', make: (ns) => `${ns}A` }, // a case variant of `a`: a distinct key
  { label: '/../«ns»a', make: (ns) => `${ns}/../${ns}a` }, // `a` once a path is normalized
  { label: '/%2e%2e/«ns»b', make: (ns) => `${ns}/%2e%2e/${ns}b` }, // `b` once percent-decoded and normalized
  { label: '\u00e9 (NFC)', make: (ns) => `${ns}\u00e9` },
  { label: 'e\u0301 (NFD)', make: (ns) => `${ns}e\u0301` }, // the same text, normalized differently: a distinct key
  { label: '∞×1000', make: (ns) => `${ns}${'∞'.repeat(1000)}` },
];

// ---------------------------------------------------------------------------------------------
// Steps

type BadPipeline =
  'missing' | 'null' | 'array' | 'json-string' | 'number' | 'no-id' | 'empty-id' | 'number-id' | 'null-id' | 'array-id' | 'object-id';

/**
 * Which project id a step uses: one of the actor's own deployments (an add of it is a
 * duplicate), one of another user's, or one of the pool (maybe nobody's). Resolved when the step
 * runs, against the model; when there is no such deployment, it falls back to the pool.
 */
interface Pick {
  readonly from: 'mine' | 'theirs' | 'pool';
  readonly n: number;
}

type StepData =
  | { readonly op: 'add'; readonly actor: Role; readonly id: Pick; readonly body: JsonObject; readonly schedule?: string }
  | { readonly op: 'add-bad-pipeline'; readonly actor: Role; readonly id: Pick; readonly bad: BadPipeline }
  | { readonly op: 'add-bad-schedule'; readonly actor: Role; readonly id: Pick; readonly schedule: unknown }
  | { readonly op: 'remove'; readonly actor: Role; readonly id: Pick }
  | { readonly op: 'status'; readonly actor: Role; readonly id: Pick }
  | { readonly op: 'list'; readonly actor: Role }
  | {
      readonly op: 'update';
      readonly actor: Role;
      readonly id: Pick;
      /** A replacement pipeline whose project_id is the deployment's, absent, or another pool id. */
      readonly pipeline?: { readonly body: JsonObject; readonly projectId: 'same' | 'none' | number };
      readonly schedule?: string;
    }
  | { readonly op: 'update-bad'; readonly actor: Role; readonly id: Pick; readonly pipeline?: unknown; readonly schedule?: unknown }
  | {
      readonly op: 'no-project-id';
      readonly actor: Role;
      readonly command: 'status' | 'remove' | 'update';
      readonly value: '' | 5 | null | 'absent';
    }
  | { readonly op: 'reauth'; readonly actor: Role; readonly deauth: boolean };

interface ModelState {
  readonly deploy: DeployModel;
  readonly users: ReadonlyMap<Role, ModelUser>;
}

const MUTATES: ReadonlySet<StepData['op']> = new Set([
  'add',
  'add-bad-pipeline',
  'add-bad-schedule',
  'remove',
  'update',
  'update-bad',
  'no-project-id',
  'reauth',
]);

class Step implements fc.AsyncCommand<ModelState, World> {
  constructor(readonly data: StepData) {}

  check(): boolean {
    return true;
  }

  async run(m: ModelState, w: World): Promise<void> {
    await w.perform(m, this.data, this.toString());
    if (MUTATES.has(this.data.op)) await w.verify(m, this.toString());
  }

  toString(): string {
    const d = this.data;
    const id = (p: Pick | number) =>
      typeof p === 'number' ? `«ns»${POOL[p]!.label}` : p.from === 'pool' ? `«ns»${POOL[p.n % POOL.length]!.label}` : `${p.from}#${p.n}`;
    const sched = (s: unknown) => (s === undefined ? '' : ` schedule ${show(s)}`);
    switch (d.op) {
      case 'add':
        return `${d.actor}: add ${id(d.id)} ${show(d.body, 60)}${sched(d.schedule)}`;
      case 'add-bad-pipeline':
        return `${d.actor}: add with a bad pipeline (${d.bad}) for ${id(d.id)}`;
      case 'add-bad-schedule':
        return `${d.actor}: add ${id(d.id)} with the invalid schedule ${show(d.schedule)}`;
      case 'remove':
      case 'status':
        return `${d.actor}: ${d.op} ${id(d.id)}`;
      case 'list':
        return `${d.actor}: list`;
      case 'update': {
        const p =
          d.pipeline === undefined
            ? ''
            : ` pipeline ${show(d.pipeline.body, 60)} (project_id ${typeof d.pipeline.projectId === 'number' ? id(d.pipeline.projectId) : d.pipeline.projectId})`;
        return `${d.actor}: update ${id(d.id)}${p}${sched(d.schedule)}`;
      }
      case 'update-bad':
        return `${d.actor}: update ${id(d.id)}${'pipeline' in d ? ` pipeline ${show(d.pipeline, 60)}` : ''}${sched(d.schedule)}`;
      case 'no-project-id':
        return `${d.actor}: ${d.command} with projectId ${d.value === 'absent' ? 'absent' : show(d.value)}`;
      case 'reauth':
        return `${d.actor}: ${d.deauth ? 'deauth, then auth again' : 'auth again'}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The target side of a run

class World {
  readonly ids: readonly string[];

  constructor(
    private readonly t: Target,
    private readonly sessions: Sessions,
    readonly ns: string,
    private readonly rules: TimeRules,
  ) {
    this.ids = POOL.map((entry) => entry.make(ns));
  }

  async request(role: Role, command: string, args?: unknown): Promise<DapReply> {
    const session = await this.sessions.get(role);
    if (command === 'rrext_deploy_add') return this.t.add(session.connection, keyOf(this.t, role), args as { pipeline?: unknown });
    return session.connection.request(command, args);
  }

  /** A project id for messages: the namespace shortened. */
  label(id: unknown): string {
    return typeof id === 'string' ? show(id.split(this.ns).join('«ns»'), 80) : show(id);
  }

  /** The project id a pick stands for, now. */
  resolve(m: ModelState, actor: Role, p: Pick): string {
    const userId = m.users.get(actor)!.userId;
    const candidates =
      p.from === 'mine'
        ? m.deploy.recordsOf(userId)
        : p.from === 'theirs'
          ? [...new Set([...m.users.values()].map((u) => u.userId))].filter((u) => u !== userId).flatMap((u) => m.deploy.recordsOf(u))
          : [];
    return candidates.length > 0 ? candidates[p.n % candidates.length]!.projectId : this.ids[p.n % this.ids.length]!;
  }

  async perform(m: ModelState, d: StepData, described: string): Promise<void> {
    const user = m.users.get(d.actor)!;
    const deploy = m.deploy;
    const target = 'id' in d ? this.resolve(m, d.actor, d.id) : undefined;
    const step = target === undefined ? described : `${described} [${this.label(target)}]`;
    switch (d.op) {
      case 'add': {
        const projectId = target!;
        const args = { pipeline: { ...d.body, project_id: projectId }, ...(d.schedule !== undefined && { schedule: d.schedule }) };
        const expected = deploy.expectAdd(user, args);
        const reply = await this.request(d.actor, 'rrext_deploy_add', args);
        if (this.outcome(step, expected, reply, d.schedule === undefined ? 'DEP-ADD-1' : 'DEP-ADD-1, SCHED-1') === 'ok' && expected.ok) {
          const problems = addedRecordProblems(reply.body, expected.value, this.rules);
          if (problems.length > 0) throw this.error(step, problems);
          const view = viewOf(reply.body)!;
          deploy.commitAdd(expected.value, { createdAt: view.createdAt as number, updatedAt: view.updatedAt as number });
        }
        return;
      }
      case 'add-bad-pipeline': {
        const args = badPipeline(d.bad, target!);
        this.outcome(step, deploy.expectAdd(user, args), await this.request(d.actor, 'rrext_deploy_add', args), 'DEP-ADD-2, DEP-ADD-3');
        return;
      }
      case 'add-bad-schedule': {
        const args = { pipeline: { project_id: target!, note: 'bad schedule' }, schedule: d.schedule };
        this.outcome(step, deploy.expectAdd(user, args), await this.request(d.actor, 'rrext_deploy_add', args), 'SCHED-2');
        return;
      }
      case 'remove': {
        const args = { projectId: target! };
        const expected = deploy.expectRemove(user, args);
        if (this.outcome(step, expected, await this.request(d.actor, 'rrext_deploy_remove', args), 'DEP-REM-1') === 'ok' && expected.ok)
          deploy.commitRemove(expected.value);
        return;
      }
      case 'status': {
        const args = { projectId: target! };
        const expected = deploy.expectStatus(user, args);
        const reply = await this.request(d.actor, 'rrext_deploy_status', args);
        if (this.outcome(step, expected, reply, 'DEP-STATUS-1') === 'ok' && expected.ok) {
          const problems = storedRecordProblems(reply.body, expected.value, 'DEP-STATUS-1');
          if (problems.length > 0) throw this.error(step, problems);
          learn(deploy, expected.value, reply.body);
        }
        return;
      }
      case 'list':
        await this.compareList(m, d.actor, step);
        return;
      case 'update':
      case 'update-bad': {
        const args: Record<string, unknown> = { projectId: target! };
        if (d.op === 'update') {
          if (d.pipeline) {
            const { project_id: _ignored, ...rest } = d.pipeline.body;
            const pid = d.pipeline.projectId;
            args['pipeline'] = pid === 'none' ? rest : { ...rest, project_id: pid === 'same' ? target! : this.ids[pid]! };
          }
        } else if ('pipeline' in d) args['pipeline'] = d.pipeline;
        if (d.schedule !== undefined || (d.op === 'update-bad' && 'schedule' in d)) args['schedule'] = d.schedule;
        const expected = deploy.expectUpdate(user, args);
        if (
          this.outcome(
            step,
            expected,
            await this.request(d.actor, 'rrext_deploy_update', args),
            d.schedule !== undefined ? 'DEP-UPD-1, SCHED-1' : 'DEP-UPD-1',
          ) === 'ok' &&
          expected.ok
        )
          deploy.commitUpdate(expected.value);
        return;
      }
      case 'no-project-id': {
        const args: Record<string, unknown> = d.value === 'absent' ? {} : { projectId: d.value };
        // A server that took the id from the pipeline instead would update this one.
        if (d.command === 'update') args['pipeline'] = { project_id: this.ids[0]!, note: 'no projectId' };
        const expected =
          d.command === 'status'
            ? deploy.expectStatus(user, args)
            : d.command === 'remove'
              ? deploy.expectRemove(user, args)
              : deploy.expectUpdate(user, args);
        this.outcome(step, expected, await this.request(d.actor, `rrext_deploy_${d.command}`, args), 'DEP-STATUS-1');
        return;
      }
      case 'reauth': {
        if (d.deauth) {
          const session = await this.sessions.get(d.actor);
          const reply = await session.connection.request('deauth');
          this.sessions.deauthenticated(d.actor);
          if (reply.success !== true) throw this.error(step, [`WIRE-6: deauth failed: ${show(reply.message)}`]);
        }
        await this.sessions.auth(d.actor);
        return;
      }
    }
  }

  /**
   * Success or failure as the model says; for a failure, a non-empty message that names what a
   * MUST clause requires. 'refused' when the model allowed a refusal (DEP-UPD-2's mismatch).
   */
  outcome(step: string, expected: Expectation<unknown>, reply: DapReply, clause: string): 'ok' | 'refused' {
    const message = reply.message;
    if (expected.ok) {
      if (reply.success === true) return 'ok';
      if (reply.success === false && expected.mayRefuse !== undefined && typeof message === 'string' && message !== '') return 'refused';
      throw this.error(step, [
        `${clause}: expected success, but the target answered success=${show(reply.success)}, message ${show(message)}`,
      ]);
    }
    const { failure } = expected;
    if (reply.success === true) {
      throw this.error(step, [`${failure.clause}: expected a failure (${failure.reason}), but it succeeded with ${show(reply.body)}`]);
    }
    if (reply.success !== false || typeof message !== 'string' || message === '') {
      throw this.error(step, [`WIRE-2: a failure must have success=false and a non-empty message: ${reply.raw}`]);
    }
    if (failure.mustMatch && !failure.mustMatch.test(message)) {
      throw this.error(step, [
        `${failure.clause}: the failure (${failure.reason}) must say so: ${show(message)} does not match ${failure.mustMatch}`,
      ]);
    }
    return 'refused';
  }

  /** After a step that could change something: every user who may list sees exactly what the model holds. */
  async verify(m: ModelState, step: string): Promise<void> {
    const seen = new Set<string>();
    for (const role of ROLES) {
      const user = m.users.get(role)!;
      if (!user.permissions.has(PERMISSION_MONITOR) || seen.has(user.userId)) continue;
      seen.add(user.userId);
      await this.compareList(m, role, `${step} — then ${role}: list`);
    }
  }

  async compareList(m: ModelState, role: Role, step: string): Promise<void> {
    const user = m.users.get(role)!;
    const expected = m.deploy.expectList(user);
    const reply = await this.request(role, 'rrext_deploy_list');
    if (this.outcome(step, expected, reply, 'DEP-LIST-1') !== 'ok' || !expected.ok) return;
    const list = isJsonObject(reply.body) ? reply.body['deployments'] : undefined;
    if (!Array.isArray(list)) throw this.error(step, [`DEP-LIST-1: the body has no deployments array: ${show(reply.body)}`]);
    const problems: string[] = [];
    const mine = new Map<string, unknown>();
    for (const entry of list) {
      const view = viewOf(entry);
      if (!view) {
        problems.push(`DEP-LIST-1: an entry is not a record: ${show(entry)}`);
        continue;
      }
      if (typeof view.owner === 'string' && view.owner !== user.userId) {
        problems.push(`DEP-ISO-1: ${role}'s list shows a record of the user '${view.owner}': ${show(entry)}`);
      }
      const id = projectIdOf(entry);
      if (typeof id !== 'string' || !id.startsWith(this.ns)) continue;
      if (mine.has(id)) problems.push(`DEP-LIST-1: ${this.label(id)} is listed twice`);
      mine.set(id, entry);
    }
    for (const record of expected.value) {
      const entry = mine.get(record.projectId);
      if (entry === undefined) problems.push(`DEP-LIST-1: ${this.label(record.projectId)} is missing from ${role}'s list`);
      else problems.push(...storedRecordProblems(entry, record, 'DEP-LIST-1'));
    }
    for (const [id, entry] of mine) {
      if (!m.deploy.get(user.userId, id))
        problems.push(`DEP-LIST-1: ${role}'s list shows ${this.label(id)}, which they do not have: ${show(entry)}`);
    }
    if (problems.length > 0) throw this.error(step, problems);
    for (const record of expected.value) learn(m.deploy, record, mine.get(record.projectId));
  }

  /** Removes what this run's namespace holds, for every user who can remove (best effort). */
  async teardown(m: ModelState | undefined): Promise<void> {
    for (const role of ROLES) {
      if (!PERMISSIONS[role].has(PERMISSION_CONTROL)) continue;
      try {
        const ids = new Set<string>();
        const user = m?.users.get(role);
        if (user && m) for (const record of m.deploy.recordsOf(user.userId)) ids.add(record.projectId);
        const list = await this.request(role, 'rrext_deploy_list');
        for (const entry of (list.body?.deployments ?? []) as unknown[]) {
          const id = projectIdOf(entry);
          if (typeof id === 'string' && id.startsWith(this.ns)) ids.add(id);
        }
        for (const id of ids) await this.request(role, 'rrext_deploy_remove', { projectId: id });
      } catch {
        // best effort: the file's cleanup removes every id that was added, at the end
      }
    }
  }

  error(step: string, problems: readonly string[]): Error {
    return new Error(`after «${step}»:\n  ${problems.map((p) => p.split(this.ns).join('«ns»')).join('\n  ')}\n  («ns» is ${this.ns})`);
  }
}

function learn(deploy: DeployModel, record: ModelRecord, observed: unknown): void {
  const updatedAt = viewOf(observed)?.updatedAt;
  if (typeof updatedAt === 'number') deploy.learnUpdatedAt(record.owner, record.projectId, updatedAt);
}

function badPipeline(bad: BadPipeline, id: string): { pipeline?: unknown } {
  switch (bad) {
    case 'missing':
      return {};
    case 'null':
      return { pipeline: null };
    case 'array':
      return { pipeline: [{ project_id: id }] };
    case 'json-string':
      return { pipeline: JSON.stringify({ project_id: id }) };
    case 'number':
      return { pipeline: 42 };
    case 'no-id':
      return { pipeline: { name: 'no project id' } };
    case 'empty-id':
      return { pipeline: { project_id: '' } };
    case 'number-id':
      return { pipeline: { project_id: 7.25 } };
    case 'null-id':
      return { pipeline: { project_id: null } };
    case 'array-id':
      return { pipeline: { project_id: [id] } };
    case 'object-id':
      return { pipeline: { project_id: { id } } };
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const actor = fc.oneof(
  ...ROLES.map((role) => ({ arbitrary: fc.constant(role), weight: role === 'primary' ? 4 : role === 'secondary' ? 3 : 1 })),
);
const idIndex = fc.nat({ max: POOL.length - 1 });
/** Adds mostly aim at the pool (new ids); the other commands mostly at existing deployments. */
const pickFrom = (mine: number, pool: number, theirs: number): fc.Arbitrary<Pick> =>
  fc.record({
    from: fc.oneof(
      { arbitrary: fc.constant('mine' as const), weight: mine },
      { arbitrary: fc.constant('pool' as const), weight: pool },
      { arbitrary: fc.constant('theirs' as const), weight: theirs },
    ),
    n: fc.nat(7),
  });
const forAdd = pickFrom(1, 4, 1);
const existing = pickFrom(6, 1, 2);
const body: fc.Arbitrary<JsonObject> = fc
  .dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
  .map((d) => ({ ...d }) as JsonObject);
const validSchedule = fc.constantFrom(...VALID_SCHEDULES);
const invalidSchedule = fc.constantFrom(...INVALID_SCHEDULES);
const notAnObject = fc.constantFrom<unknown>([{ project_id: 'in an array' }], 'a string', null, 3, true);

const weighted = (weight: number, data: fc.Arbitrary<StepData>) => ({ weight, arbitrary: data.map((d) => new Step(d)) });

/** One arbitrary of weighted steps (fc.commands picks among its arbitraries uniformly). */
const commandArbs = [
  fc.oneof(
    weighted(
      6,
      fc.record(
        { op: fc.constant('add' as const), actor, id: forAdd, body, schedule: validSchedule },
        { requiredKeys: ['op', 'actor', 'id', 'body'] },
      ),
    ),
    weighted(
      1,
      fc.record({
        op: fc.constant('add-bad-pipeline' as const),
        actor,
        id: forAdd,
        bad: fc.constantFrom<BadPipeline>(
          'missing',
          'null',
          'array',
          'json-string',
          'number',
          'no-id',
          'empty-id',
          'number-id',
          'null-id',
          'array-id',
          'object-id',
        ),
      }),
    ),
    weighted(1, fc.record({ op: fc.constant('add-bad-schedule' as const), actor, id: forAdd, schedule: invalidSchedule })),
    weighted(3, fc.record({ op: fc.constant('remove' as const), actor, id: existing })),
    weighted(3, fc.record({ op: fc.constant('status' as const), actor, id: existing })),
    weighted(1, fc.record({ op: fc.constant('list' as const), actor })),
    weighted(
      4,
      fc.record(
        {
          op: fc.constant('update' as const),
          actor,
          id: existing,
          pipeline: fc.record({
            body,
            projectId: fc.oneof({ arbitrary: fc.constant('same' as const), weight: 3 }, fc.constant('none' as const), idIndex),
          }),
          schedule: validSchedule,
        },
        { requiredKeys: ['op', 'actor', 'id'] },
      ),
    ),
    weighted(
      2,
      fc.oneof(
        fc.record(
          { op: fc.constant('update-bad' as const), actor, id: existing, schedule: invalidSchedule, pipeline: body },
          { requiredKeys: ['op', 'actor', 'id', 'schedule'] },
        ),
        fc.record(
          { op: fc.constant('update-bad' as const), actor, id: existing, pipeline: notAnObject, schedule: validSchedule },
          { requiredKeys: ['op', 'actor', 'id', 'pipeline'] },
        ),
      ),
    ),
    weighted(
      1,
      fc.record({
        op: fc.constant('no-project-id' as const),
        actor,
        command: fc.constantFrom('status' as const, 'remove' as const, 'update' as const),
        value: fc.constantFrom('absent' as const, '' as const, 5 as const, null),
      }),
    ),
    weighted(1, fc.record({ op: fc.constant('reauth' as const), actor, deauth: fc.boolean() })),
  ),
];

// ---------------------------------------------------------------------------------------------
// The property

const CLAUSES = [
  'DEP-ADD-1',
  'DEP-ADD-2',
  'DEP-ADD-3',
  'DEP-ADD-4',
  ...(keys.secondary ? ['DEP-ADD-5'] : []),
  'DEP-LIST-1',
  'DEP-STATUS-1',
  'DEP-UPD-1',
  'DEP-UPD-2',
  'DEP-UPD-3',
  'DEP-REM-1',
  'DEP-REM-2',
  ...(keys.monitor && keys.noPermission ? ['DEP-PERM-1'] : []),
  ...(keys.secondary ? ['DEP-ISO-1'] : []),
  'REC-2',
  'REC-3',
  'SCHED-1',
  'SCHED-2',
];

let sessions: Sessions | undefined;

property(
  CLAUSES,
  `random command sequences of ${ROLES.length} user(s) on hostile and ordinary project ids match the reference model after every step`,
  (replayPath) => fc.commands(commandArbs, { maxCommands: 25, size: 'medium', ...(replayPath !== undefined && { replayPath }) }),
  async (t, commands) => {
    sessions ??= new Sessions(t);
    const users = await sessions.all();
    const rules: TimeRules = { sameTimeTolerance: (await t.capabilities()).has('clock-control') ? 0 : 1 };
    // A fresh namespace for every run and every shrink attempt: ids are never reused.
    const world = new World(t, sessions, `${t.projectId('model')}~`, rules);
    const state: ModelState = { deploy: new DeployModel({ valid: VALID_SCHEDULES, invalid: corpus.invalid.map((e) => e.value) }), users };
    try {
      await fc.asyncModelRun(() => ({ model: state, real: world }), commands);
    } finally {
      await world.teardown(state);
    }
  },
  // Twice the configured runs: sequences are short (about 12 steps), and this is the one check
  // that mixes every command and user.
  { runs: 2 },
);
