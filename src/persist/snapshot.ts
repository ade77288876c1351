/**
 * A core's state as state-file text (in chunks), and a loaded state put back into a core. No
 * I/O here: state-file.ts reads and writes, validate.ts checks what was read.
 */
import type { DeployCore } from '../core-build.js';
import type { Deployment } from '../domain/deployment.js';
import { VERSION } from '../version.js';
import { MOVE_IT_AWAY, StateFileError } from './errors.js';
import { STATE_FORMAT, STATE_VERSION, type LoadedState } from './format.js';
import { pushMembers } from './json-chunks.js';
import { checkWithinLimits } from './validate.js';

/**
 * The whole state as the state file's first line, in chunks whose concatenation is the file, taken at once
 * (one consistent moment). The file may be longer than the longest string V8 can make, so it
 * is never joined: no chunk grows with the number of deployments, users or history entries
 * (one holds a record's field, a pipeline, or a few KiB of history). Pipelines go in as the
 * JSON text stored with their record, not serialized again: they are most of the bytes, and
 * this runs on every write.
 */
export function snapshotChunks(core: DeployCore, savedAt: Date = new Date()): string[] {
  const head = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    savedBy: `rocketride-deploy-kit ${VERSION}`,
    savedAt: savedAt.toISOString(),
    clock: core.clock.exportState(),
    timezone: core.scheduler.timezone,
    users: core.users.exportState(),
    scheduler: core.scheduler.exportState(),
  };
  const chunks = ['{'];
  pushMembers(head, chunks);
  chunks.push(',"deployments":[');
  core.deploy.exportRecords().forEach((record, i) => {
    if (i > 0) chunks.push(',');
    chunks.push(...deploymentChunks(record));
  });
  // The first line of the file: changes are appended after it (change-log.ts).
  chunks.push(']}\n');
  return chunks;
}

/** A deployment as the state file keeps it, JSON text in three chunks (the pipeline alone in the middle). */
export function deploymentChunks(d: Deployment): [string, string, string] {
  const fields = JSON.stringify({
    ownerId: d.ownerId,
    projectId: d.projectId,
    ownerCredential: d.ownerCredential,
    schedule: d.schedule.source,
    state: d.state,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  });
  return [`${fields.slice(0, -1)},"pipeline":`, d.pipelineJson, '}'];
}

/**
 * Puts a loaded state into a core just built (nothing served yet). On a real clock, ticks that
 * came due while no server ran are neither run nor recorded (unlike a paused deployment's, which
 * are recorded as skipped_paused), and runs whose planned end passed end at it.
 * Returns whether the state changed on the way (then it should be written again).
 * Throws StateFileError when the state does not fit this server.
 */
export function restoreState(core: DeployCore, state: LoadedState, path: string): { changed: boolean } {
  if (state.clock.mode !== core.clock.mode) {
    throw new StateFileError(
      'STATE_FILE_MISMATCH',
      `State file ${path} was saved by a server with a ${state.clock.mode} clock, and this one has a ${core.clock.mode} clock: ` +
        `start it with the ${state.clock.mode} clock (--clock ${state.clock.mode}), or ${MOVE_IT_AWAY}`,
    );
  }
  checkWithinLimits(state, core.limits, path);
  try {
    core.users.importState(state.users);
  } catch (error) {
    throw new StateFileError(
      'STATE_FILE_MISMATCH',
      `State file ${path} adds users at run time that clash with this server's users (${(error as Error).message}): ` +
        `start with the users it was saved with, or ${MOVE_IT_AWAY}`,
    );
  }
  core.clock.importState(state.clock);
  core.deploy.importRecords(state.deployments);
  try {
    core.scheduler.importState(state.scheduler);
  } catch (error) {
    throw new StateFileError('STATE_FILE_INVALID', `State file ${path} is inconsistent: ${(error as Error).message}; ${MOVE_IT_AWAY}`);
  }
  let changed = false;
  if (state.timezone !== core.scheduler.timezone) changed = core.scheduler.replanTicks('all') > 0;
  if (core.clock.mode === 'real') {
    changed = core.scheduler.replanTicks('due') > 0 || changed;
    const due = core.scheduler.nextEventAt();
    if (due !== undefined && due <= core.clock.now()) {
      core.scheduler.catchUp(); // runs whose planned end passed end at it
      changed = true;
    }
  }
  return { changed };
}
