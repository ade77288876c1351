/**
 * Typed errors of the deploy domain. Each has a stable `code` for programs and a `message`
 * that uses the real RocketRide server's words (wire.md), so tests written against either
 * server match the same text.
 */

/** @since 0.1.0 */
export type DeployErrorCode =
  | 'PIPELINE_REQUIRED'
  | 'PIPELINE_NOT_OBJECT'
  | 'PIPELINE_TOO_DEEP'
  | 'PIPELINE_TOO_LARGE'
  | 'PROJECT_ID_TOO_LONG'
  | 'TOO_MANY_DEPLOYMENTS'
  | 'USER_STORAGE_FULL'
  | 'SERVER_STORAGE_FULL'
  | 'PROJECT_ID_REQUIRED'
  | 'PROJECT_ID_ARG_REQUIRED'
  | 'ALREADY_EXISTS'
  | 'NOT_FOUND'
  | 'INVALID_SCHEDULE'
  | 'SCHEDULE_NEVER_FIRES'
  | 'PERMISSION_DENIED';

/** @since 0.1.0 */
export class DeployError extends Error {
  override readonly name = 'DeployError';
  constructor(
    readonly code: DeployErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const EXPECTED_SCHEDULE = 'Expected "manual", a cron preset (@hourly etc.), or a 5-field cron expression.';

/** The one factory for domain errors: every message the domain can produce is written here. */
export const deployErrors = {
  pipelineRequired: () => new DeployError('PIPELINE_REQUIRED', 'pipeline is required'),
  pipelineNotObject: () => new DeployError('PIPELINE_NOT_OBJECT', 'pipeline must be an object'),
  pipelineTooDeep: (limit: number) => new DeployError('PIPELINE_TOO_DEEP', `pipeline is nested too deeply (more than ${limit} levels)`),
  pipelineTooLarge: (limit: number) =>
    new DeployError('PIPELINE_TOO_LARGE', `pipeline is too large: its JSON is over ${bytesText(limit)} (the server's limit)`),
  projectIdTooLong: (limit: number) =>
    new DeployError('PROJECT_ID_TOO_LONG', `project_id is too long: over ${limit.toLocaleString('en-US')} characters (the server's limit)`),
  tooManyDeployments: (held: number, limit: number) =>
    new DeployError(
      'TOO_MANY_DEPLOYMENTS',
      `Too many deployments: you have ${held.toLocaleString('en-US')} and the limit is ${limit.toLocaleString('en-US')} per user. Remove one before adding another`,
    ),
  userStorageFull: (wouldHold: number, limit: number) =>
    new DeployError(
      'USER_STORAGE_FULL',
      `Too much stored: your deployments would hold ${bytesText(wouldHold)} and the limit is ${bytesText(limit)} per user ` +
        `(their pipelines' JSON and project ids, as UTF-8). Remove or shrink a deployment before adding or growing one`,
    ),
  serverStorageFull: (needed: number, limit: number) =>
    new DeployError(
      'SERVER_STORAGE_FULL',
      `The server's storage is full: this needs ${bytesText(needed)} more, and all users' deployments together may hold ` +
        `${bytesText(limit)} (the server's limit; their pipelines' JSON and project ids, as UTF-8). ` +
        `Remove or shrink a deployment, or ask whoever runs the server to raise the limit`,
    ),
  projectIdRequired: () => new DeployError('PROJECT_ID_REQUIRED', 'pipeline.project_id is required'),
  projectIdArgRequired: () => new DeployError('PROJECT_ID_ARG_REQUIRED', 'projectId is required'),
  alreadyExists: (id: string) => new DeployError('ALREADY_EXISTS', `Deployment already exists: ${id}`),
  notFound: (id: string) => new DeployError('NOT_FOUND', `Deployment not found: ${id}`),
  /** The real server's two sentences; the mock puts what is wrong (a sentence, no full stop) between them. */
  invalidSchedule: (value: unknown, reason?: string) =>
    new DeployError(
      'INVALID_SCHEDULE',
      `Invalid schedule '${describeValue(value)}'. ${reason === undefined ? '' : `${reason}. `}${EXPECTED_SCHEDULE}`,
    ),
  neverFires: (value: string) =>
    new DeployError('SCHEDULE_NEVER_FIRES', `Invalid schedule '${value}'. It never fires: no date matches it. ${EXPECTED_SCHEDULE}`),
  permissionDenied: (permission: string) => new DeployError('PERMISSION_DENIED', `Permission '${permission}' denied`),
};

/** A byte count as people read it: 4 MiB, 1,500 bytes, 1 byte. */
function bytesText(bytes: number): string {
  if (bytes === 1) return '1 byte';
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes.toLocaleString('en-US')} bytes`;
}

/** Longest quote of a non-string value in a message (a schedule of 5,000 nested arrays, say). */
const QUOTE_LIMIT = 200;

/** Strings as they are (the real server's format); anything else as compact JSON, clipped. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
  return json.length <= QUOTE_LIMIT ? json : `${json.slice(0, QUOTE_LIMIT)}... (${json.length.toLocaleString('en-US')} characters)`;
}
