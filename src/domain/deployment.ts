import type { JsonObject } from './json.js';
import type { Schedule } from './schedule.js';

/** @since 0.1.0 */
export type DeploymentState = 'active' | 'paused' | 'errored';

/**
 * One stored deployment. Immutable: every change stores a new object, so a failed update can
 * never leave a half-applied record behind (DEP-UPD-3).
 * @since 0.1.0
 */
export interface Deployment {
  readonly projectId: string;
  readonly ownerId: string;
  /** The credential (API key) the deployment was added with; scheduled runs use it (RUN-5). */
  readonly ownerCredential: string;
  /** The pipeline; `project_id` always equals `projectId`. Stored records parse it from `pipelineJson` on each read. */
  readonly pipeline: Readonly<JsonObject>;
  /** The pipeline as JSON text, made when it was stored: the stored copy, and what records are sent from. */
  readonly pipelineJson: string;
  readonly schedule: Schedule;
  readonly state: DeploymentState;
  /** Unix seconds. */
  readonly createdAt: number;
  /** Unix seconds. */
  readonly updatedAt: number;
}

/** What a stored record holds: everything but the parsed pipeline, which is derived. */
export type DeploymentFields = Omit<Deployment, 'pipeline'>;

/**
 * A stored record. It keeps the pipeline as JSON text only: parsed, the same document takes
 * about 1.4 times the text's memory again, and only tests read it (the wire is written from the
 * text), so `pipeline` parses a fresh copy when read. Make records with `storedDeployment` or
 * `withChanges`, never by spreading one (`pipeline` lives on the prototype; a spread drops it).
 */
class StoredDeployment implements Deployment {
  readonly projectId: string;
  readonly ownerId: string;
  readonly ownerCredential: string;
  readonly pipelineJson: string;
  readonly schedule: Schedule;
  readonly state: DeploymentState;
  readonly createdAt: number;
  readonly updatedAt: number;

  constructor(fields: DeploymentFields) {
    this.projectId = fields.projectId;
    this.ownerId = fields.ownerId;
    this.ownerCredential = fields.ownerCredential;
    this.pipelineJson = fields.pipelineJson;
    this.schedule = fields.schedule;
    this.state = fields.state;
    this.createdAt = fields.createdAt;
    this.updatedAt = fields.updatedAt;
  }

  get pipeline(): Readonly<JsonObject> {
    return JSON.parse(this.pipelineJson) as JsonObject;
  }
}

export function storedDeployment(fields: DeploymentFields): Deployment {
  return new StoredDeployment({ ...fields, pipelineJson: flatText(fields.pipelineJson) });
}

/** A new record: `record` with `changes` applied (a pipeline text it has already is kept as it is). */
export function withChanges(record: Deployment, changes: Partial<DeploymentFields>): Deployment {
  const text = changes.pipelineJson;
  const pipelineJson = text === undefined || text === record.pipelineJson ? record.pipelineJson : flatText(text);
  return new StoredDeployment({ ...fieldsOf(record), ...changes, pipelineJson });
}

function fieldsOf(d: Deployment): DeploymentFields {
  const { projectId, ownerId, ownerCredential, pipelineJson, schedule, state, createdAt, updatedAt } = d;
  return { projectId, ownerId, ownerCredential, pipelineJson, schedule, state, createdAt, updatedAt };
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
