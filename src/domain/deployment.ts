import type { JsonObject } from './json.js';
import type { Schedule } from './schedule.js';

/** @since 0.1.0 */
export type DeploymentState = 'active' | 'paused' | 'errored';

/**
 * One stored deployment: plain data, every field its own property, so a copy made by spreading
 * (`{ ...record, state }`) loses nothing. Immutable: every change stores a new object, so a
 * failed update can never leave a half-applied record behind (DEP-UPD-3).
 *
 * The pipeline is kept as JSON text only: parsed, the same document takes about 1.4 times the
 * text's memory again, and the wire is written from the text. Read it with `pipelineOf`.
 * @since 0.1.0
 */
export interface Deployment {
  readonly projectId: string;
  readonly ownerId: string;
  /** The credential (API key) the deployment was added with; scheduled runs use it (RUN-5). */
  readonly ownerCredential: string;
  /**
   * The pipeline as JSON text (its `project_id` always equals `projectId`), made when it was
   * stored: the stored copy, and what records are sent from.
   */
  readonly pipelineJson: string;
  readonly schedule: Schedule;
  readonly state: DeploymentState;
  /** Unix seconds. */
  readonly createdAt: number;
  /** Unix seconds. */
  readonly updatedAt: number;
}

/**
 * The record's pipeline as an object: a fresh parse of `pipelineJson` on every call, so the
 * caller may change it without touching stored state. Costs a parse: the wire path sends
 * `pipelineJson` itself and never calls this.
 */
export function pipelineOf(record: Deployment): JsonObject {
  return JSON.parse(record.pipelineJson) as JsonObject;
}

/** A record to store: `fields` with the pipeline text stored flat (see `flatText`). */
export function storedDeployment(fields: Deployment): Deployment {
  return record(fields, flatText(fields.pipelineJson));
}

/** A new record: `record` with `changes` applied (a pipeline text it has already is kept as it is). */
export function withChanges(current: Deployment, changes: Partial<Deployment>): Deployment {
  const text = changes.pipelineJson;
  const pipelineJson = text === undefined || text === current.pipelineJson ? current.pipelineJson : flatText(text);
  return record({ ...current, ...changes }, pipelineJson);
}

/**
 * Every record is built here, one literal with the fields in one order: all records share one
 * object shape, with no room for extra keys a caller's object might carry.
 */
function record(fields: Deployment, pipelineJson: string): Deployment {
  return {
    projectId: fields.projectId,
    ownerId: fields.ownerId,
    ownerCredential: fields.ownerCredential,
    pipelineJson,
    schedule: fields.schedule,
    state: fields.state,
    createdAt: fields.createdAt,
    updatedAt: fields.updatedAt,
  };
}

/**
 * The same text, stored in one piece. V8 returns long strings (JSON.stringify's output, `+`
 * chains) as trees of fragments, about 20 % bigger than the text; slicing one makes V8 copy it
 * flat once, and the slice points into that copy. A pure memory measure: the value is unchanged
 * (the memory bench, `BENCH_ONLY=memory npm run bench`, shows its effect).
 */
function flatText(text: string): string {
  return ` ${text}`.slice(1);
}
