/**
 * One run of the concurrent model check: connects the clients, runs their command sequences at
 * once (pipelined, a bounded window each), checks every answer, then the final state, then
 * removes what the run left. See concurrency.ts for the idea.
 */
import { describe, requestOf, SLOTS, type ClientIds, type Command } from './concurrency-commands.js';
import { ConcurrencyError, show } from './concurrency-errors.js';
import { ClientModel, expectedMessages, recordProblems } from './concurrency-model.js';
import { DapPipe, type DapReply } from './concurrency-pipe.js';
import { describeChain, hasSerialOrder, type SharedEvent } from './concurrency-shared.js';

/** What a run needs of concurrentModel's options. */
export interface RunOptions {
  readonly url: string;
  readonly seed: number;
  readonly commandsPerClient: number;
  readonly keys?: readonly string[];
  readonly window?: number;
  readonly contenders?: number;
  readonly onProgress?: (line: string) => void;
}

const PROGRESS_EVERY_MS = 3000;

/** Where a project id of this run belongs. */
type Owner =
  | { readonly kind: 'slot'; readonly client: number }
  | { readonly kind: 'unknown'; readonly client: number }
  | { readonly kind: 'shared'; readonly userId: string; readonly group: number };

interface Client {
  readonly index: number;
  readonly pipe: DapPipe;
  readonly userId: string;
  readonly ids: ClientIds;
  readonly model: ClientModel;
  readonly commands: readonly Command[];
  /** What this client saw of its contended id, in its order. */
  readonly shared: SharedEvent[];
}

export class ConcurrentRun {
  readonly #owners = new Map<string, Owner>();
  /** Pipelines sent by adds of contended ids, by tag: what a read of one may show. */
  readonly #sharedPipelines = new Map<string, Record<string, unknown>>();
  readonly #pipes: DapPipe[] = [];
  #clients: readonly Client[] = [];
  #failure: unknown;
  #done = 0;

  constructor(
    private readonly options: RunOptions,
    private readonly sequences: readonly (readonly Command[])[],
    private readonly ns: string,
  ) {}

  async execute(): Promise<void> {
    try {
      const clients = (this.#clients = await this.#connect());
      const progress = this.options.onProgress;
      const timer =
        progress &&
        setInterval(
          () =>
            progress(
              `concurrentModel (seed ${this.options.seed}): ${this.#done} of ${this.sequences.length * this.options.commandsPerClient} commands checked`,
            ),
          PROGRESS_EVERY_MS,
        );
      try {
        await Promise.all(clients.map((client) => this.#guard(() => this.#runClient(client))));
      } finally {
        if (timer) clearInterval(timer);
      }
      if (this.#failure !== undefined) throw this.#failure;
      await this.#checkFinal(clients);
      await this.#cleanup(clients);
    } finally {
      await Promise.all(this.#pipes.map((pipe) => pipe.close()));
    }
  }

  /** Opens and authenticates every client (each on its own, none waiting for all to open). */
  async #connect(): Promise<Client[]> {
    const keys = this.options.keys ?? ['MYAPIKEY', 'ALICEKEY'];
    const contenders = this.options.contenders ?? 3;
    // allSettled: every connection that opens is known (and closed) even when another fails.
    const settled = await Promise.allSettled(
      this.sequences.map(async (_, index) => {
        const pipe = await DapPipe.open(this.options.url, `client ${index}`);
        this.#pipes.push(pipe);
        return { pipe, userId: await pipe.auth(keys[index % keys.length]!) };
      }),
    );
    const refused = settled.find((s) => s.status === 'rejected');
    if (refused) throw refused.reason;
    const authed = settled.map((s) => (s as PromiseFulfilledResult<{ pipe: DapPipe; userId: string }>).value);
    const users = [...new Set(authed.map((a) => a.userId))];
    const seenPerUser = new Map<string, number>();
    return authed.map(({ pipe, userId }, index) => {
      const nth = seenPerUser.get(userId) ?? 0;
      seenPerUser.set(userId, nth + 1);
      const group = Math.floor(nth / contenders);
      const shared = `${this.ns}u${users.indexOf(userId)}.s${group}`;
      const ids: ClientIds = {
        slots: Array.from({ length: SLOTS }, (_, s) => `${this.ns}c${index}.p${s}`),
        unknown: `${this.ns}c${index}.none`,
        shared,
      };
      for (const id of ids.slots) this.#owners.set(id, { kind: 'slot', client: index });
      this.#owners.set(ids.unknown, { kind: 'unknown', client: index });
      this.#owners.set(shared, { kind: 'shared', userId, group });
      return { index, pipe, userId, ids, model: new ClientModel(userId, ids), commands: this.sequences[index]!, shared: [] };
    });
  }

  /** Runs `work`; the first failure of any client stops them all (their connections close). */
  async #guard(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (this.#failure === undefined) {
        this.#failure = error;
        for (const pipe of this.#pipes) void pipe.close();
      }
    }
  }

  /** Sends the client's commands with at most `window` in flight, checking each answer in order. */
  async #runClient(client: Client): Promise<void> {
    const window = this.options.window ?? 32;
    const { commands } = client;
    const answers: Array<Promise<DapReply> | undefined> = [];
    let sent = 0;
    const fill = (upTo: number) => {
      for (; sent < commands.length && sent < upTo; sent++) {
        const command = commands[sent]!;
        const request = requestOf(command, client.ids, tagOf(client, sent));
        if (command.op === 'shared-add')
          this.#sharedPipelines.set(tagOf(client, sent), request.args!['pipeline'] as Record<string, unknown>);
        answers[sent] = client.pipe.request(request.command, request.args);
        // An unread answer must not become an unhandled rejection while earlier ones are checked.
        answers[sent]!.catch(() => {});
      }
    };
    fill(window);
    for (let i = 0; i < commands.length; i++) {
      const reply = await answers[i]!;
      answers[i] = undefined;
      if (this.#failure !== undefined) return;
      this.#check(client, i, reply);
      this.#done++;
      fill(i + 1 + window);
    }
  }

  #check(client: Client, index: number, reply: DapReply): void {
    const command = client.commands[index]!;
    const tag = tagOf(client, index);
    const fail = (expected: string, got: string) => this.#mismatch(client, index, expected, got);
    const failureText = (r: DapReply) => (r.success ? `success with ${show(r.body)}` : `failure ${show(r.message)}`);
    const sharedId = client.ids.shared;
    switch (command.op) {
      case 'list':
        return this.#checkList(client, index, reply);
      case 'shared-add': {
        const pipeline = this.#sharedPipelines.get(tag)!;
        if (reply.success) {
          const problems = recordProblems(reply.body, { pipeline, schedule: 'manual', userId: client.userId, fresh: true });
          if (problems.length > 0) fail('the added record', problems.join('; '));
          client.shared.push({ kind: 'add', tag, ok: true, index });
        } else if (reply.message === expectedMessages.alreadyExists(sharedId)) client.shared.push({ kind: 'add', tag, ok: false, index });
        else fail(`success, or ${show(expectedMessages.alreadyExists(sharedId))}`, failureText(reply));
        return;
      }
      case 'shared-remove':
        if (reply.success) client.shared.push({ kind: 'remove', ok: true, index });
        else if (reply.message === expectedMessages.notFound(sharedId)) client.shared.push({ kind: 'remove', ok: false, index });
        else fail(`success, or ${show(expectedMessages.notFound(sharedId))}`, failureText(reply));
        return;
      case 'shared-status':
        if (reply.success) {
          const seen = this.#sharedRecord(client, reply.body);
          if (typeof seen !== 'string') fail(`a record one of this id's adds sent`, seen.problem);
          else client.shared.push({ kind: 'read', tag: seen, index });
        } else if (reply.message === expectedMessages.notFound(sharedId)) client.shared.push({ kind: 'read', tag: null, index });
        else fail(`a record, or ${show(expectedMessages.notFound(sharedId))}`, failureText(reply));
        return;
      default: {
        const expected = client.model.expect(command, tag);
        if (!expected.ok) {
          const wanted = expected.message;
          const matches = !reply.success && (typeof wanted === 'string' ? reply.message === wanted : wanted.test(reply.message ?? ''));
          if (!matches) fail(`failure ${typeof wanted === 'string' ? show(wanted) : String(wanted)}`, failureText(reply));
          return;
        }
        if (!reply.success) fail('success', failureText(reply));
        const problems = expected.check(reply.body);
        if (problems.length > 0) fail('the model’s record', `${problems.join('; ')} in ${show(reply.body)}`);
        expected.commit(reply.body);
      }
    }
  }

  /** The tag of a contended id's record, if it is exactly what that tag's add sent. */
  #sharedRecord(client: Client, body: any): string | { problem: string } {
    const tag: unknown = body?.pipeline?.tag;
    const pipeline = typeof tag === 'string' ? this.#sharedPipelines.get(tag) : undefined;
    if (pipeline === undefined || pipeline['project_id'] !== client.ids.shared)
      return { problem: `a record no add of ${show(client.ids.shared)} sent: ${show(body)}` };
    const problems = recordProblems(body, { pipeline, schedule: 'manual', userId: client.userId, fresh: true });
    return problems.length > 0 ? { problem: `${problems.join('; ')} in ${show(body)}` } : (tag as string);
  }

  /**
   * A list during the run: the client's own ids exactly as its model says, its contended id as
   * a read, other ids of the run only the same user's, every record the caller's, none twice.
   */
  #checkList(client: Client, index: number, reply: DapReply): void {
    const entries = this.#listEntries(client, reply, (expected, got) => this.#mismatch(client, index, expected, got));
    const problems: string[] = [];
    const own = new Map<string, unknown>();
    let sharedTag: string | null = null;
    for (const [id, entry] of entries) {
      const owner = this.#owners.get(id)!;
      if (owner.kind === 'slot' && owner.client === client.index) own.set(id, entry);
      else if (owner.kind === 'shared' && id === client.ids.shared) {
        const seen = this.#sharedRecord(client, entry);
        if (typeof seen !== 'string') problems.push(seen.problem);
        else sharedTag = seen;
      } else problems.push(...this.#foreignProblems(client, id, owner));
    }
    problems.push(...this.#ownProblems(client, own));
    if (problems.length > 0)
      this.#mismatch(
        client,
        index,
        `a list holding exactly this client's records: ${show([...client.model.records.keys()])}`,
        problems.join('; '),
      );
    client.shared.push({ kind: 'read', tag: sharedTag, index });
  }

  /** The run's entries of a list answer, by project id; records of other runs are skipped. */
  #listEntries(client: Client, reply: DapReply, fail: (expected: string, got: string) => never): Map<string, unknown> {
    const list: unknown = reply.success ? reply.body?.deployments : undefined;
    if (!Array.isArray(list))
      fail('success with {deployments: [...]}', reply.success ? show(reply.body) : `failure ${show(reply.message)}`);
    const entries = new Map<string, unknown>();
    const problems: string[] = [];
    for (const entry of list as unknown[]) {
      const e = entry as { pipeline?: { project_id?: unknown }; userId?: unknown };
      if (e?.userId !== client.userId) problems.push(`a record of another user (DEP-ISO-1): ${show(entry)}`);
      const id = e?.pipeline?.project_id;
      if (typeof id !== 'string') problems.push(`an entry without a project id: ${show(entry)}`);
      else if (!id.startsWith(this.ns)) continue;
      else if (entries.has(id)) problems.push(`${show(id)} listed twice`);
      else if (!this.#owners.has(id)) problems.push(`${show(id)}, which no client of this run uses`);
      else entries.set(id, entry);
    }
    if (problems.length > 0) fail('only the caller’s records, each once', problems.join('; '));
    return entries;
  }

  /** Problems of an id in `client`'s list that is not its own: it must be its user's. */
  #foreignProblems(client: Client, id: string, owner: Owner): string[] {
    if (owner.kind === 'unknown') return [`${show(id)} is listed, but nothing ever added it`];
    const ownerUser = owner.kind === 'shared' ? owner.userId : this.#userOf(owner.client);
    return ownerUser === client.userId ? [] : [`${show(id)}, an id only ${show(ownerUser)} used, is listed (DEP-ISO-1)`];
  }

  /** Every own record present and exactly as modelled, nothing more. */
  #ownProblems(client: Client, own: ReadonlyMap<string, unknown>): string[] {
    const problems: string[] = [];
    for (const [id, record] of client.model.records) {
      const entry = own.get(id);
      if (entry === undefined) problems.push(`${show(id)} is missing`);
      else problems.push(...recordProblems(entry, client.model.expectationOf(id, record)).map((p) => `${show(id)}: ${p}`));
    }
    for (const id of own.keys())
      if (!client.model.records.has(id)) problems.push(`${show(id)} is listed, but the model removed it or never added it`);
    return problems;
  }

  #userOf(clientIndex: number): string | undefined {
    return this.#clients[clientIndex]?.userId;
  }

  /**
   * After every client is done: each user's list is exactly the union of its clients' models
   * and the contended ids' final records; each contended id's history has a serial order.
   */
  async #checkFinal(clients: readonly Client[]): Promise<void> {
    const byUser = new Map<string, Client[]>();
    for (const client of clients) byUser.set(client.userId, [...(byUser.get(client.userId) ?? []), client]);
    for (const [userId, mine] of byUser) {
      const reader = mine[0]!;
      const fail = (expected: string, got: string): never => {
        throw new ConcurrencyError(
          'MISMATCH',
          `final list of user ${show(userId)} (on client ${reader.index}): expected ${expected}, got ${got}`,
        );
      };
      const entries = this.#listEntries(reader, await reader.pipe.request('rrext_deploy_list'), fail);
      const problems: string[] = [];
      const finals = new Map<string, string | null>();
      for (const client of mine) {
        const own = new Map(
          [...entries].filter(([id]) => {
            const o = this.#owners.get(id)!;
            return o.kind === 'slot' && o.client === client.index;
          }),
        );
        problems.push(...this.#ownProblems(client, own).map((p) => `client ${client.index}: ${p}`));
        const shared = client.ids.shared;
        if (!finals.has(shared)) {
          const entry = entries.get(shared);
          const seen = entry === undefined ? null : this.#sharedRecord(client, entry);
          if (seen !== null && typeof seen !== 'string') problems.push(seen.problem);
          else finals.set(shared, seen);
        }
      }
      for (const [id] of entries) {
        const owner = this.#owners.get(id)!;
        if (owner.kind === 'slot' && !mine.some((c) => c.index === owner.client))
          problems.push(...this.#foreignProblems(reader, id, owner));
        if (owner.kind !== 'slot') problems.push(...this.#foreignProblems(reader, id, owner));
      }
      if (problems.length > 0)
        fail('exactly the union of its clients’ models (nothing lost, duplicated or extra)', problems.slice(0, 30).join('\n    '));
      for (const [shared, final] of finals) {
        const group = mine.filter((c) => c.ids.shared === shared);
        if (
          !hasSerialOrder(
            group.map((c) => c.shared),
            final,
          )
        ) {
          const chains = group.map((c) => `client ${c.index}: ${describeChain(c.shared)}`).join('\n    ');
          throw new ConcurrencyError(
            'MISMATCH',
            `contended id ${show(shared)} of user ${show(userId)}: no serial order of these answers (each connection's in its order) is a valid history ending ${final === null ? 'absent' : `with ${final}`} as the final list shows:\n    ${chains}`,
          );
        }
      }
    }
  }

  /**
   * Removes what the run left, so runs on one long-lived server do not pile up records. Every
   * record the models hold must be removable; a contended id may already be gone.
   */
  async #cleanup(clients: readonly Client[]): Promise<void> {
    const removals: Array<Promise<string | undefined>> = [];
    const sharedDone = new Set<string>();
    for (const client of clients) {
      for (const id of client.model.records.keys()) {
        removals.push(
          client.pipe
            .request('rrext_deploy_remove', { projectId: id })
            .then((r) => (r.success ? undefined : `removing ${show(id)} (client ${client.index}) failed: ${show(r.message)}`)),
        );
      }
      if (!sharedDone.has(client.ids.shared)) {
        sharedDone.add(client.ids.shared);
        removals.push(client.pipe.request('rrext_deploy_remove', { projectId: client.ids.shared }).then(() => undefined));
      }
    }
    const problems = (await Promise.all(removals)).filter((p) => p !== undefined);
    if (problems.length > 0) throw new ConcurrencyError('MISMATCH', `cleanup after the run: ${problems.slice(0, 10).join('; ')}`);
  }

  #mismatch(client: Client, index: number, expected: string, got: string): never {
    throw new ConcurrencyError(
      'MISMATCH',
      `client ${client.index} (user ${show(client.userId)}), command #${index} «${describe(client.commands[index]!, client.ids, tagOf(client, index))}»:\n  expected ${expected}\n  got      ${got}`,
    );
  }
}

function tagOf(client: Client, index: number): string {
  return `c${client.index}#${index}`;
}
