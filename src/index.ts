/**
 * rocketride-deploy-kit: an in-memory mock of the RocketRide deploy API and a reference client.
 * Internals (the deploy service, store, session layer) are not exported: the mock server, the
 * client and the schedule rules are the public surface.
 */
export { createMockServer, DAP_PATH, DEFAULT_PORT, DEFAULT_MAX_FRAME_BYTES, REPLY_BACKLOG_LIMIT } from './server/mock-server.js';
export type { MockServer, MockServerOptions } from './server/mock-server.js';
export { DeployClient } from './client/client.js';
export type { DeployClientOptions, DeployApi, DeploymentRecord, PipelineConfig, ConnectResult } from './client/client.js';
export { DapError, ConnectionClosedError } from './client/errors.js';
export { toServiceUrl } from './client/uri.js';
export { MAX_PIPELINE_DEPTH } from './domain/deploy-service.js';
export { DEFAULT_LIMITS, type Limits, type LimitsOption } from './limits.js';
export { StateFileError, type StateFileErrorCode } from './persist/errors.js';
export { DeployError, type DeployErrorCode } from './domain/errors.js';
export { parseSchedule, PRESETS, MANUAL, type Schedule } from './domain/schedule.js';
export type { Clock } from './domain/clock.js';
export type { UserSpec, OrganizationSpec, TeamSpec } from './auth/users.js';
export { loadUsersFile, parseUsers, UsersFileError, DEFAULT_USERS_FILE } from './auth/users-file.js';
export type { ClockOption, RunBehaviorOption } from './core-build.js';
export type {
  ControlApi,
  ClockView,
  AdvanceView,
  RunView,
  TickView,
  DeploymentView,
  RunBehaviorView,
  Scope,
  UserView,
  HistoryQuery,
  SeedView,
} from './control/control-api.js';
export type { ServerEvent, ServerEventType, CommandOutcome } from './server-events.js';
export { DEMO_LIMITS, DEFAULT_DEMO_SEED } from './demo/demo-limits.js';
export { JOURNAL_PAGE_BYTES, PAGE_LIMITS, readAll, type Page, type PageOptions, type PageOrder, type NextPage } from './control/paging.js';
export { ControlError, type ControlErrorCode } from './control/errors.js';
export { createControlClient, ControlClientError, type ControlClient, type ControlClientOptions } from './control/client.js';
export { controlOpenApi } from './control/openapi.js';
export type { JournalEntry, JournalEntryWithMessage, JournalFilter } from './dap/journal.js';
export type { FaultKind, FaultSpec, FaultView } from './dap/fault-plan.js';
export type { ConnectionView } from './dap/connections.js';
export { MAX_EVENTS_PER_ADVANCE } from './scheduler/engine.js';
export { validateTimezone } from './scheduler/next-tick.js';
export type { ClockMode } from './domain/clock.js';
export { VERSION } from './version.js';
