/**
 * rocketride-deploy-kit: an in-memory mock of the RocketRide deploy API and a reference client.
 */
export { createMockServer, DAP_PATH, DEFAULT_PORT, DEFAULT_MAX_FRAME_BYTES } from './server/mock-server.js';
export type { MockServer, MockServerOptions } from './server/mock-server.js';
export { DeployClient } from './client/client.js';
export type {
  DeployClientOptions,
  DeployApi,
  DeploymentRecord,
  PipelineConfig,
  ConnectResult,
} from './client/client.js';
export { DapError, ConnectionClosedError } from './client/errors.js';
export { toServiceUrl } from './client/uri.js';
export { DeployService, PERMISSION_CONTROL, PERMISSION_MONITOR } from './domain/deploy-service.js';
export type { Caller, AddArgs, UpdateArgs } from './domain/deploy-service.js';
export { DeploymentStore } from './domain/store.js';
export type { Deployment, DeploymentState } from './domain/deployment.js';
export { DeployError, type DeployErrorCode } from './domain/errors.js';
export { parseSchedule, PRESETS, MANUAL, type Schedule } from './domain/schedule.js';
export { systemClock, type Clock } from './domain/clock.js';
export { UserDirectory, connectResult } from './auth/users.js';
export type { UserSpec, OrganizationSpec, TeamSpec } from './auth/users.js';
export { loadUsersFile, parseUsers, UsersFileError, DEFAULT_USERS_FILE } from './auth/users-file.js';
export { VERSION } from './version.js';
