import { pipelineOf, type Deployment } from '../domain/deployment.js';

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
    pipeline: pipelineOf(d),
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

// Records are immutable (a change stores a new object), so the text after each one's pipeline
// can be made once and reused by every status and list until the record is replaced; the
// WeakMap lets replaced records and their text be collected. Only that tail is kept: the
// pipeline's text is the record's own, and a cached whole record would hold it a second time.
const tailOf = new WeakMap<Deployment, string>();

/**
 * The wire record as JSON text, equal to `JSON.stringify(toWireRecord(d))` (a test holds it to
 * that), around the pipeline JSON stored with the record.
 */
export function wireRecordJson(d: Deployment): string {
  return `{"pipeline":${d.pipelineJson}${recordTail(d)}`;
}

/** `{"deployments":[...]}`, written in one piece. */
export function deploymentListJson(records: readonly Deployment[]): string {
  const parts: string[] = ['{"deployments":['];
  for (let i = 0; i < records.length; i++) {
    const d = records[i]!;
    parts.push(i === 0 ? '{"pipeline":' : ',{"pipeline":', d.pipelineJson, recordTail(d));
  }
  parts.push(']}');
  return parts.join('');
}

/** Everything after the pipeline: `,"schedule":...,"updated_at":...}`, made once per record version. */
function recordTail(d: Deployment): string {
  let tail = tailOf.get(d);
  if (tail === undefined) {
    const owner = JSON.stringify(d.ownerId);
    const created = JSON.stringify(d.createdAt);
    const updated = JSON.stringify(d.updatedAt);
    // Joined rather than concatenated: a join writes one flat string, a `+` chain a tree of pieces.
    tail = [
      ',"schedule":',
      JSON.stringify(d.schedule.source),
      ',"state":',
      JSON.stringify(d.state),
      ',"userId":',
      owner,
      ',"createdAt":',
      created,
      ',"updatedAt":',
      updated,
      ',"created_by":',
      owner,
      ',"created_at":',
      created,
      ',"updated_at":',
      updated,
      '}',
    ].join('');
    tailOf.set(d, tail);
  }
  return tail;
}
