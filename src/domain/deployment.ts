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
  /** Stored copy of the pipeline; `project_id` always equals `projectId`. */
  readonly pipeline: Readonly<JsonObject>;
  /** The same pipeline as JSON text, made when it was stored (records are sent from it). */
  readonly pipelineJson: string;
  readonly schedule: Schedule;
  readonly state: DeploymentState;
  /** Unix seconds. */
  readonly createdAt: number;
  /** Unix seconds. */
  readonly updatedAt: number;
}
