import type { Deployment } from '../domain/deployment.js';

/**
 * A deployment as it goes on the wire: the documented names (REC-1) and the names the real
 * server and SDKs use (REC-2), with equal values, so both kinds of client work.
 */
export interface WireDeploymentRecord {
  pipeline: Readonly<Record<string, unknown>>;
  schedule: string;
  state: string;
  userId: string;
  createdAt: number;
  updatedAt: number;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export function toWireRecord(d: Deployment): WireDeploymentRecord {
  return {
    pipeline: d.pipeline,
    schedule: d.schedule.source,
    state: d.state,
    userId: d.ownerId,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    created_by: d.ownerId,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  };
}

// Records are immutable (a change stores a new object), so each one's JSON can be computed
// once and reused by every status and list until it is replaced; the WeakMap lets replaced
// records and their text be collected. `list` was the server's main cost before this.
const jsonOf = new WeakMap<Deployment, string>();

/**
 * The wire record as JSON text, equal to `JSON.stringify(toWireRecord(d))` (a test holds it to
 * that), made once per record version around the pipeline JSON stored with the record.
 */
export function wireRecordJson(d: Deployment): string {
  let json = jsonOf.get(d);
  if (json === undefined) {
    const owner = JSON.stringify(d.ownerId);
    const created = JSON.stringify(d.createdAt);
    const updated = JSON.stringify(d.updatedAt);
    json =
      `{"pipeline":${d.pipelineJson},"schedule":${JSON.stringify(d.schedule.source)},"state":${JSON.stringify(d.state)},` +
      `"userId":${owner},"createdAt":${created},"updatedAt":${updated},` +
      `"created_by":${owner},"created_at":${created},"updated_at":${updated}}`;
    jsonOf.set(d, json);
  }
  return json;
}

/** `{"deployments":[...]}` from cached record texts. */
export function deploymentListJson(records: readonly Deployment[]): string {
  return `{"deployments":[${records.map(wireRecordJson).join(',')}]}`;
}
