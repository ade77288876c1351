/**
 * The five deploy operations (DEP-*), with the real server's validation order and error words.
 * No I/O: callers pass already-decoded arguments and get records or a DeployError.
 */
import { unixSeconds, type Clock } from './clock.js';
import { storedDeployment, withChanges, type Deployment, type DeploymentState } from './deployment.js';
import { deployErrors } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import { codePointsOver, isJsonObject, nestsDeeperThan, utf8BytesOver, type JsonObject } from './json.js';
import { MANUAL, parseSchedule, type Schedule } from './schedule.js';
import { DeploymentStore, storedBytes } from './store.js';

/**
 * Deepest nesting of objects and arrays a pipeline may have (the pipeline object is level 1).
 * Far beyond any real pipeline, and far below what JSON.stringify can recurse through, so a
 * stored record can always be serialized again, from any call stack.
 */
export const MAX_PIPELINE_DEPTH = 1000;

/** Permission names (wire.md): control for add/update/remove, monitor for list/status. */
export const PERMISSION_CONTROL = 'task.control';
export const PERMISSION_MONITOR = 'task.monitor';

/**
 * Who is calling: the authenticated user, what they may do, and the credential that
 * authenticated them (stored with new deployments so scheduled runs can re-check it).
 * @since 0.1.0
 */
export interface Caller {
  readonly userId: string;
  readonly permissions: ReadonlySet<string>;
  readonly credential: string;
}

/** Arguments as decoded from a request; every field is untrusted. */
export interface AddArgs {
  readonly pipeline?: unknown;
  readonly schedule?: unknown;
}
export interface UpdateArgs {
  readonly projectId?: unknown;
  readonly pipeline?: unknown;
  readonly schedule?: unknown;
}

/**
 * Told of every change to the stored deployments, after it is stored (the scheduler is one).
 */
export interface DeploymentListener {
  added(record: Deployment): void;
  updated(previous: Deployment, next: Deployment): void;
  removed(record: Deployment): void;
}

const NO_LISTENER: DeploymentListener = { added() {}, updated() {}, removed() {} };

/** Reads and validates a client-supplied schedule: which schedules a server accepts (the spec's: parseSchedule). */
export type ScheduleParser = (value: unknown) => Schedule;

/** The limits the deploy operations enforce (the connection limits belong to the WebSocket door). */
export type DeployLimits = Pick<
  Limits,
  'maxPipelineBytes' | 'maxProjectIdLength' | 'maxDeploymentsPerUser' | 'maxStoredBytesPerUser' | 'maxStoredBytes'
>;

/** @since 0.1.0 */
export class DeployService {
  constructor(
    private readonly store: DeploymentStore,
    private readonly clock: Clock,
    private readonly listener: DeploymentListener = NO_LISTENER,
    private readonly parse: ScheduleParser = parseSchedule,
    private readonly limits: DeployLimits = DEFAULT_LIMITS,
  ) {}

  /** A record by owner and id, without permission checks (for the scheduler and controls). */
  find(userId: string, projectId: string): Deployment | undefined {
    return this.store.get(userId, projectId);
  }

  /**
   * Sets a deployment's state (pause, resume, errored): not a DAP command, so no permission
   * check, and `updatedAt` stays: it tracks the owner's changes, not the scheduler's.
   */
  setState(record: Deployment, state: DeploymentState): Deployment {
    const next = withChanges(record, { state });
    this.store.put(next);
    this.listener.updated(record, next);
    return next;
  }

  /** Forgets every deployment (the control API's reset); listeners are not told one by one. */
  /** The store's version: moves with every change to any record. */
  get version(): number {
    return this.store.version;
  }

  clear(): void {
    this.store.clear();
  }

  /** Every stored record, of every user (a state file keeps them). */
  exportRecords(): Deployment[] {
    return this.store.all();
  }

  /**
   * Replaces every record with saved ones (already validated). Listeners are not told: the
   * scheduler restores its own state from the same file.
   */
  importRecords(records: readonly Deployment[]): void {
    this.store.clear();
    for (const record of records) this.store.put(record);
  }

  /**
   * DEP-ADD-1..5: permission, pipeline, project_id, schedule, then the duplicate check; the
   * per-user count and the stored bytes come last, so re-adding an existing id still says it exists.
   */
  add(caller: Caller, args: AddArgs): Deployment {
    require(caller, PERMISSION_CONTROL);
    // The real server's add tests `if not pipeline` (wire.md): an empty or false value is missing.
    if (isEmptyJson(args.pipeline)) throw deployErrors.pipelineRequired();
    const { pipeline, pipelineJson } = this.#copyPipeline(args.pipeline);
    const projectId = pipeline['project_id'];
    if (typeof projectId !== 'string' || projectId === '') throw deployErrors.projectIdRequired();
    this.#checkIdLength(projectId);
    const schedule = this.parse(hasKey(args, 'schedule') ? args.schedule : MANUAL);
    if (this.store.has(caller.userId, projectId)) throw deployErrors.alreadyExists(projectId);
    const held = this.store.countFor(caller.userId);
    if (held >= this.limits.maxDeploymentsPerUser) throw deployErrors.tooManyDeployments(held, this.limits.maxDeploymentsPerUser);

    const now = unixSeconds(this.clock);
    const record = storedDeployment({
      projectId,
      ownerId: caller.userId,
      ownerCredential: caller.credential,
      pipelineJson,
      schedule,
      state: 'active',
      createdAt: now,
      updatedAt: now,
    });
    this.#checkStorage(caller.userId, storedBytes(record));
    this.store.put(record);
    this.listener.added(record);
    return record;
  }

  /** DEP-REM-1/2. Returns the removed record. */
  remove(caller: Caller, projectId: unknown): Deployment {
    require(caller, PERMISSION_CONTROL);
    const id = this.#projectIdArg(projectId);
    const removed = this.store.delete(caller.userId, id);
    if (!removed) throw deployErrors.notFound(id);
    this.listener.removed(removed);
    return removed;
  }

  /** DEP-LIST-1. */
  list(caller: Caller): Deployment[] {
    require(caller, PERMISSION_MONITOR);
    return this.store.listFor(caller.userId);
  }

  /** DEP-STATUS-1. */
  status(caller: Caller, projectId: unknown): Deployment {
    require(caller, PERMISSION_MONITOR);
    return this.#load(caller, this.#projectIdArg(projectId));
  }

  /**
   * DEP-UPD-1..3: load first (unknown id wins over a bad schedule), validate everything, then
   * store one new record or nothing. The pipeline's project_id is forced to the key.
   */
  update(caller: Caller, args: UpdateArgs): Deployment {
    require(caller, PERMISSION_CONTROL);
    const current = this.#load(caller, this.#projectIdArg(args.projectId));
    let { pipelineJson } = current;
    if (hasKey(args, 'pipeline')) {
      if (!isJsonObject(args.pipeline)) throw deployErrors.pipelineNotObject();
      const pipeline = { ...this.#copyPipeline(args.pipeline).pipeline, project_id: current.projectId };
      pipelineJson = JSON.stringify(pipeline);
      // project_id was replaced: the stored text may be longer than what was checked.
      this.#checkPipelineSize(pipelineJson);
    }
    const schedule: Schedule = hasKey(args, 'schedule') ? this.parse(args.schedule) : current.schedule;

    const next = withChanges(current, {
      pipelineJson,
      schedule,
      // Never earlier than before, even if the clock was moved back (DEP-UPD-1).
      updatedAt: Math.max(current.updatedAt, unixSeconds(this.clock)),
    });
    if (next.pipelineJson !== current.pipelineJson) this.#checkStorage(caller.userId, storedBytes(next) - storedBytes(current));
    this.store.put(next);
    this.listener.updated(current, next);
    return next;
  }

  /**
   * Validates a pipeline and deep-copies it through JSON, which is exactly what round-trips on
   * the wire (REC-3), so no caller keeps a reference into stored state.
   */
  #copyPipeline(value: unknown): { pipeline: JsonObject; pipelineJson: string } {
    if (value === undefined || value === null) throw deployErrors.pipelineRequired();
    if (!isJsonObject(value)) throw deployErrors.pipelineNotObject();
    if (nestsDeeperThan(value, MAX_PIPELINE_DEPTH)) throw deployErrors.pipelineTooDeep(MAX_PIPELINE_DEPTH);
    const pipelineJson = JSON.stringify(value);
    this.#checkPipelineSize(pipelineJson);
    return { pipeline: JSON.parse(pipelineJson) as JsonObject, pipelineJson };
  }

  #checkPipelineSize(json: string): void {
    const limit = this.limits.maxPipelineBytes;
    if (utf8BytesOver(json, limit)) throw deployErrors.pipelineTooLarge(limit);
  }

  /**
   * Refuses a change that would grow what is stored by `growth` bytes past the user's or the
   * server's limit. A change that grows nothing (a smaller pipeline) is always allowed.
   */
  #checkStorage(userId: string, growth: number): void {
    if (growth <= 0) return;
    const mine = this.store.bytesFor(userId) + growth;
    if (mine > this.limits.maxStoredBytesPerUser) throw deployErrors.userStorageFull(mine, this.limits.maxStoredBytesPerUser);
    // Names what this change needs, not what the others hold: their sizes are theirs.
    if (this.store.bytes + growth > this.limits.maxStoredBytes) throw deployErrors.serverStorageFull(growth, this.limits.maxStoredBytes);
  }

  #checkIdLength(projectId: string): void {
    if (codePointsOver(projectId, this.limits.maxProjectIdLength)) throw deployErrors.projectIdTooLong(this.limits.maxProjectIdLength);
  }

  /**
   * A `projectId` argument: a non-empty string within the length limit (an id that could not
   * have been stored is refused as too long, not echoed back in a "not found").
   */
  #projectIdArg(value: unknown): string {
    const id = requireProjectId(value);
    this.#checkIdLength(id);
    return id;
  }

  #load(caller: Caller, projectId: string): Deployment {
    const record = this.store.get(caller.userId, projectId);
    if (!record) throw deployErrors.notFound(projectId);
    return record;
  }
}

function require(caller: Caller, permission: string): void {
  if (!caller.permissions.has(permission)) throw deployErrors.permissionDenied(permission);
}

function requireProjectId(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw deployErrors.projectIdArgRequired();
  return value;
}

function hasKey(args: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(args, key) && (args as Record<string, unknown>)[key] !== undefined;
}

/** Python's `not value` for a JSON value: absent, null, false, 0, '', [] or {}. */
function isEmptyJson(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
  return typeof value === 'object' && Object.keys(value).length === 0;
}
