/**
 * Honest traffic beside the fuzz: a user on its own connection runs a deploy workload (add,
 * status, list, update, remove) against a model of its deployments, and every answer must be
 * what the model says. Its data carries a marker, so a leak of it into anyone else's answer is
 * recognisable; its answers must carry none of the other users' markers.
 */
import { isDeepStrictEqual } from 'node:util';
import { mulberry32 } from '../test/helpers/seeded-random.js';
import { FrameClient } from './frame-client.js';
import { clip, findLeaks, parseReply, type Reply } from './oracle-replies.js';

/** An honest user: its key, its id, and the marker all its data carries (its id holds it too). */
export interface HonestIdentity {
  readonly userId: string;
  readonly key: string;
  readonly marker: string;
}

interface ModelRecord {
  pipeline: Record<string, unknown>;
  schedule: string;
}

const SCHEDULES = ['manual', '@daily', '0 * * * *', '*/5 1-3 * * MON'];
const IDS_PER_USER = 6;
const REPLY_TIMEOUT_MS = 30_000;

export class HonestUser {
  readonly #model = new Map<string, ModelRecord>();
  readonly #random: () => number;
  #client: FrameClient | undefined;
  #seq = 0;
  #serverSeq = 0;
  #version = 0;
  /** Requests answered (auth included). */
  requests = 0;

  constructor(
    readonly identity: HonestIdentity,
    /** Tokens no answer to this user may carry: other users' markers and ids. */
    readonly forbidden: readonly string[],
    seed: number,
  ) {
    // Seeded: the honest workload is reproducible from the run's seed.
    this.#random = mulberry32(seed);
  }

  /** Opens a connection and authenticates; every server life starts empty, and so does the model. */
  async connect(url: string): Promise<string[]> {
    this.#client?.terminate();
    this.#model.clear();
    this.#client = await FrameClient.open(url);
    this.#seq = 0;
    this.#serverSeq = 0;
    const { reply, problems } = await this.#call('auth', { auth: this.identity.key });
    if (reply?.success !== true) problems.push(`auth as ${this.identity.userId} failed: ${String(reply?.message)}`);
    return problems;
  }

  /** One random operation, its answer checked against the model. */
  async step(): Promise<string[]> {
    const id = `${this.identity.marker}-p${Math.floor(this.#random() * IDS_PER_USER)}`;
    const pick = this.#random();
    if (pick < 0.25) return this.#add(id);
    if (pick < 0.45) return this.#status(id);
    if (pick < 0.6) return this.#list();
    if (pick < 0.8) return this.#update(id);
    return this.#remove(id);
  }

  /** The user's `list` equals the model (the fuzz changed nothing it should not). */
  checkList(): Promise<string[]> {
    return this.#list();
  }

  close(): void {
    this.#client?.close();
  }

  #pipeline(id: string): Record<string, unknown> {
    this.#version += 1;
    const m = this.identity.marker;
    return {
      project_id: id,
      secret: `${m}-secret-${this.#version}`,
      steps: [{ name: `${m}-step`, n: this.#version }, [1, 2.5, null, true]],
      note: 'ünïcødé 🚀',
    };
  }

  #schedule(): string {
    return SCHEDULES[Math.floor(this.#random() * SCHEDULES.length)]!;
  }

  async #add(id: string): Promise<string[]> {
    const pipeline = this.#pipeline(id);
    const schedule = this.#schedule();
    const { reply, problems } = await this.#call('rrext_deploy_add', { pipeline, schedule });
    if (!reply) return problems;
    if (this.#model.has(id)) {
      if (reply.success !== false || !String(reply.message).includes('already exists'))
        problems.push(`add of existing ${id}: expected "already exists", got ${describe(reply)}`);
    } else if (reply.success !== true) problems.push(`add of new ${id} failed: ${describe(reply)}`);
    else {
      this.#model.set(id, { pipeline, schedule });
      problems.push(...this.#recordProblems('add', id, reply.body));
    }
    return problems;
  }

  async #status(id: string): Promise<string[]> {
    const { reply, problems } = await this.#call('rrext_deploy_status', { projectId: id });
    if (!reply) return problems;
    if (!this.#model.has(id)) {
      if (reply.success !== false) problems.push(`status of unknown ${id} must fail, got ${describe(reply)}`);
    } else if (reply.success !== true) problems.push(`status of ${id} failed: ${describe(reply)}`);
    else problems.push(...this.#recordProblems('status', id, reply.body));
    return problems;
  }

  async #update(id: string): Promise<string[]> {
    const args: Record<string, unknown> = { projectId: id };
    const changePipeline = this.#random() < 0.7;
    // A stale project_id inside the pipeline: the server keys it by projectId (DEP-UPD-2).
    if (changePipeline) args['pipeline'] = { ...this.#pipeline(id), project_id: `${this.identity.marker}-stale` };
    if (!changePipeline || this.#random() < 0.5) args['schedule'] = this.#schedule();
    const { reply, problems } = await this.#call('rrext_deploy_update', args);
    if (!reply) return problems;
    const current = this.#model.get(id);
    if (!current) {
      if (reply.success !== false) problems.push(`update of unknown ${id} must fail, got ${describe(reply)}`);
      return problems;
    }
    if (reply.success !== true) return [...problems, `update of ${id} failed: ${describe(reply)}`];
    if (changePipeline) current.pipeline = { ...(args['pipeline'] as object), project_id: id };
    if (args['schedule'] !== undefined) current.schedule = args['schedule'] as string;
    // DEP-UPD-4 leaves the body open; when it is a record, it must be the updated one.
    if (reply.body !== null && typeof reply.body === 'object' && 'pipeline' in reply.body)
      problems.push(...this.#recordProblems('update', id, reply.body));
    return problems;
  }

  async #remove(id: string): Promise<string[]> {
    const { reply, problems } = await this.#call('rrext_deploy_remove', { projectId: id });
    if (!reply) return problems;
    if (!this.#model.has(id)) {
      if (reply.success !== false) problems.push(`remove of unknown ${id} must fail, got ${describe(reply)}`);
    } else if (reply.success !== true) problems.push(`remove of ${id} failed: ${describe(reply)}`);
    else this.#model.delete(id);
    return problems;
  }

  async #list(): Promise<string[]> {
    const { reply, problems } = await this.#call('rrext_deploy_list', {});
    if (!reply) return problems;
    const deployments = (reply.body as { deployments?: unknown } | undefined)?.deployments;
    if (reply.success !== true || !Array.isArray(deployments))
      return [...problems, `list failed or has no deployments array: ${describe(reply)}`];
    const listed = new Map<string, unknown>();
    for (const d of deployments) listed.set(String((d as { pipeline?: { project_id?: unknown } })?.pipeline?.project_id), d);
    const want = [...this.#model.keys()].sort();
    const got = [...listed.keys()].sort();
    if (!isDeepStrictEqual(got, want)) problems.push(`list holds ${JSON.stringify(got)}, the model ${JSON.stringify(want)}`);
    else for (const id of want) problems.push(...this.#recordProblems('list', id, listed.get(id)));
    return problems;
  }

  /** A record as the model says: pipeline as sent (project_id forced), schedule, state, owner. */
  #recordProblems(op: string, id: string, record: unknown): string[] {
    const want = this.#model.get(id)!;
    const r = record as Record<string, unknown> | undefined;
    const problems: string[] = [];
    if (!isDeepStrictEqual(r?.['pipeline'], want.pipeline))
      problems.push(`${op} ${id}: pipeline ${clip(JSON.stringify(r?.['pipeline']))}, the model ${clip(JSON.stringify(want.pipeline))}`);
    if (r?.['schedule'] !== want.schedule)
      problems.push(`${op} ${id}: schedule ${JSON.stringify(r?.['schedule'])}, the model ${JSON.stringify(want.schedule)}`);
    if (r?.['state'] !== 'active')
      problems.push(`${op} ${id}: state ${JSON.stringify(r?.['state'])}, expected "active" (the clock stands still)`);
    if (r?.['userId'] !== this.identity.userId)
      problems.push(`${op} ${id}: userId ${JSON.stringify(r?.['userId'])}, expected ${this.identity.userId}`);
    return problems;
  }

  /** Sends one request and checks the envelope of its answer, and that nothing leaks into it. */
  async #call(command: string, args: unknown): Promise<{ reply: Reply | undefined; problems: string[] }> {
    const client = this.#client!;
    const seq = ++this.#seq;
    const request = JSON.stringify({ type: 'request', seq, command, arguments: args });
    client.send(request, false);
    const next = await client.next(REPLY_TIMEOUT_MS);
    const who = `honest user ${this.identity.userId}, ${command} seq ${seq}`;
    if ('closed' in next)
      return { reply: undefined, problems: [`${who}: connection closed (${next.closed.code} ${next.closed.reason}) before the answer`] };
    if ('timeout' in next) return { reply: undefined, problems: [`${who}: no answer within ${REPLY_TIMEOUT_MS} ms`] };
    this.requests += 1;
    const { reply, problems } = parseReply(next.text, ++this.#serverSeq);
    if (reply && reply.request_seq !== seq) problems.push(`request_seq ${JSON.stringify(reply.request_seq)}, expected ${seq}`);
    if (reply && reply.command !== command) problems.push(`command ${JSON.stringify(reply.command)}, expected ${command}`);
    problems.push(...findLeaks(next.text, request, this.forbidden));
    return { reply, problems: problems.map((p) => `${who}: ${p}`) };
  }
}

function describe(reply: Reply): string {
  return reply.success === true ? `success ${clip(JSON.stringify(reply.body))}` : `failure ${JSON.stringify(reply.message)}`;
}
