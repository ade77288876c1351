/**
 * One client's sequential model of its own project ids, and the checks of the records the
 * server returns. Each client owns its ids, so whatever other clients do at the same time,
 * every answer about them is exactly determined by this client's earlier commands.
 * The expected failure texts are the conformance model's (written from wire.md, not taken from the server's code).
 */
import { isDeepStrictEqual } from 'node:util';
import { INVALID_SCHEDULES, VALID_SCHEDULES, pipelineOf, type ClientIds, type Command } from './concurrency-commands.js';
import { WORDS, invalidScheduleWords } from '../conformance/model.js';
import { show } from './concurrency-errors.js';

/** The server's words (wire.md), from the conformance model: one list of them in the tree. */
export const expectedMessages = WORDS;

export interface ModelRecord {
  readonly pipeline: Record<string, unknown>;
  readonly schedule: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What a record must hold; times absent where the model cannot know them yet. */
export interface RecordExpectation {
  readonly pipeline: Record<string, unknown>;
  readonly schedule: string;
  readonly userId: string;
  readonly createdAt?: number;
  readonly updatedAt?: number;
  /** updatedAt may not be earlier than this (DEP-UPD-1). */
  readonly updatedAtAtLeast?: number;
  /** A fresh record: createdAt equals updatedAt (DEP-ADD-1). */
  readonly fresh?: boolean;
}

/** Every way `body` differs from the expected record (REC-1/2/3, DEP-ADD-1, DEP-UPD-1). */
export function recordProblems(body: unknown, e: RecordExpectation): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [`not a record: ${show(body)}`];
  const r = body as Record<string, unknown>;
  const problems: string[] = [];
  if (!isDeepStrictEqual(r['pipeline'], e.pipeline)) problems.push(`pipeline ${show(r['pipeline'])}, expected ${show(e.pipeline)}`);
  if (r['schedule'] !== e.schedule) problems.push(`schedule ${show(r['schedule'])}, expected ${show(e.schedule)}`);
  if (r['state'] !== 'active') problems.push(`state ${show(r['state'])}, expected "active"`);
  if (r['userId'] !== e.userId) problems.push(`userId ${show(r['userId'])}, expected ${show(e.userId)}`);
  const created = r['createdAt'];
  const updated = r['updatedAt'];
  if (typeof created !== 'number' || typeof updated !== 'number')
    problems.push(`createdAt/updatedAt not numbers: ${show(created)}, ${show(updated)}`);
  else {
    if (e.createdAt !== undefined && created !== e.createdAt) problems.push(`createdAt ${created}, expected ${e.createdAt}`);
    if (e.updatedAt !== undefined && updated !== e.updatedAt) problems.push(`updatedAt ${updated}, expected ${e.updatedAt}`);
    if (e.updatedAtAtLeast !== undefined && updated < e.updatedAtAtLeast)
      problems.push(`updatedAt ${updated} went back from ${e.updatedAtAtLeast}`);
    if (e.fresh && created !== updated) problems.push(`a new record's createdAt ${created} and updatedAt ${updated} differ`);
  }
  // REC-2: where the compatibility names are sent, they hold the same values.
  for (const [compat, documented] of [
    ['created_by', 'userId'],
    ['created_at', 'createdAt'],
    ['updated_at', 'updatedAt'],
  ] as const) {
    if (compat in r && r[compat] !== r[documented])
      problems.push(`${compat} ${show(r[compat])} differs from ${documented} ${show(r[documented])}`);
  }
  return problems;
}

/**
 * What one answer must be: a failure with an exact text (or, for a schedule, the real server's
 * sentences around a reason: invalidScheduleWords), or a success whose body is checked.
 */
export type Expectation =
  | { readonly ok: false; readonly message: string | RegExp }
  | { readonly ok: true; readonly check: (body: unknown) => string[]; readonly commit: (body: any) => void };

const succeedWith = (check: (body: unknown) => string[], commit: (body: any) => void = () => {}): Expectation => ({
  ok: true,
  check,
  commit,
});
const failWith = (message: string | RegExp): Expectation => ({ ok: false, message });

/** The model of one client's own ids (slots and the unknown id; never its contended id). */
export class ClientModel {
  readonly records = new Map<string, ModelRecord>();

  constructor(
    readonly userId: string,
    readonly ids: ClientIds,
  ) {}

  expectationOf(id: string, record: ModelRecord): RecordExpectation {
    return {
      pipeline: record.pipeline,
      schedule: record.schedule,
      userId: this.userId,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }

  /** The expected answer to a private command (not `list`, not `shared-*`). */
  expect(command: Command, tag: string): Expectation {
    const ids = this.ids;
    switch (command.op) {
      case 'add': {
        const id = ids.slots[command.slot]!;
        if (this.records.has(id)) return failWith(expectedMessages.alreadyExists(id));
        const pipeline = pipelineOf(id, tag, command.data);
        const schedule = command.schedule === undefined ? 'manual' : VALID_SCHEDULES[command.schedule]!;
        return succeedWith(
          (body) => recordProblems(body, { pipeline, schedule, userId: this.userId, fresh: true }),
          (body) => this.records.set(id, { pipeline, schedule, createdAt: body.createdAt, updatedAt: body.updatedAt }),
        );
      }
      case 'add-bad-schedule':
        return failWith(invalidScheduleWords(INVALID_SCHEDULES[command.bad]));
      case 'update': {
        const id = ids.slots[command.slot]!;
        const current = this.records.get(id);
        if (!current) return failWith(expectedMessages.notFound(id));
        // DEP-UPD-2: the stored pipeline's project_id is the key, whether sent or not.
        const pipeline = command.pipeline ? { ...pipelineOf(undefined, tag, command.pipeline.data), project_id: id } : current.pipeline;
        const schedule = command.schedule === undefined ? current.schedule : VALID_SCHEDULES[command.schedule]!;
        return succeedWith(
          (body) =>
            recordProblems(body, {
              pipeline,
              schedule,
              userId: this.userId,
              createdAt: current.createdAt,
              updatedAtAtLeast: current.updatedAt,
            }),
          (body) => this.records.set(id, { pipeline, schedule, createdAt: current.createdAt, updatedAt: body.updatedAt }),
        );
      }
      case 'update-bad-schedule': {
        const id = ids.slots[command.slot]!;
        return failWith(this.records.has(id) ? invalidScheduleWords(INVALID_SCHEDULES[command.bad]) : expectedMessages.notFound(id));
      }
      case 'update-bad-pipeline': {
        const id = ids.slots[command.slot]!;
        return failWith(this.records.has(id) ? expectedMessages.pipelineNotObject : expectedMessages.notFound(id));
      }
      case 'remove': {
        const id = ids.slots[command.slot]!;
        if (!this.records.has(id)) return failWith(expectedMessages.notFound(id));
        return succeedWith(
          () => [],
          () => this.records.delete(id),
        );
      }
      case 'status': {
        const id = ids.slots[command.slot]!;
        const current = this.records.get(id);
        if (!current) return failWith(expectedMessages.notFound(id));
        return succeedWith((body) => recordProblems(body, this.expectationOf(id, current)));
      }
      case 'unknown-id':
        return failWith(expectedMessages.notFound(ids.unknown));
      case 'list':
      case 'shared-add':
      case 'shared-remove':
      case 'shared-status':
        throw new Error(`ClientModel.expect: ${command.op} is checked by the runner`);
    }
  }
}
