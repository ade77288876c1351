/**
 * The transport-free core of one mock server: users, the deploy domain and its clock. Every
 * door (the WebSocket server today; the msw handler and control API next) is built on one of
 * these, so each server instance owns its state and nothing is process-global.
 */
import { UserDirectory, type UserSpec } from './auth/users.js';
import { loadUsersFile, parseUsers } from './auth/users-file.js';
import { systemClock, type Clock } from './domain/clock.js';
import { DeployService } from './domain/deploy-service.js';
import { DeploymentStore } from './domain/store.js';
import type { SessionContext } from './dap/session.js';
import { VERSION } from './version.js';

export interface CoreOptions {
  /** Users and keys: an array (validated like a users file), or a users file path. Default: the demo users. */
  users?: readonly UserSpec[] | string | undefined;
  /** Time source for record times. Default: the system clock. */
  clock?: Clock | undefined;
  /** Receives diagnostic lines: unexpected errors and dropped frames. Default: none. */
  log?: ((line: string) => void) | undefined;
}

export interface DeployCore extends SessionContext {
  readonly clock: Clock;
}

export async function createDeployCore(options: CoreOptions = {}): Promise<DeployCore> {
  const specs = typeof options.users === 'object' ? parseUsers(options.users) : await loadUsersFile(options.users);
  const clock = options.clock ?? systemClock;
  const log = options.log;
  return {
    clock,
    deploy: new DeployService(new DeploymentStore(), clock),
    users: new UserDirectory(specs),
    version: VERSION,
    ...(log && {
      onInternalError: (error: unknown, command: string) => log(`internal error in ${command}: ${String(error)}`),
      onDroppedFrame: (reason: string) => log(`dropped a frame with ${reason}`),
    }),
  };
}
