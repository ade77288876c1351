/**
 * The transport-free core of one mock server: users, the deploy domain, the clock, the scheduler
 * and the control API over them. Every door (the WebSocket server, the HTTP control door, an
 * msw handler) is built on one of these, so each server instance owns its state and time, and
 * nothing is process-global.
 *
 * A core is built in three steps: its base (the options resolved, users, clock, and the signals
 * its parts report changes on), its parts (store, scheduler, deploy service, auth rules), and
 * their assembly (the wiring, the control API, sessions). buildDeployCore takes the default
 * parts; a caller with parts of its own builds the base, makes them, and assembles.
 *
 * Browser-safe, and kept so: nothing here reaches Node-only modules (the msw entry builds on
 * this module; test/doors/browser-bundle.test.ts bundles it for the browser).
 */
import { UserDirectory, type UserSpec } from './auth/users.js';
import { DEMO_USERS } from './auth/demo-users.js';
import { parseUsers } from './auth/users-parse.js';
import { createControlApi, type ControlApi } from './control/control-api.js';
import { ControlError } from './control/errors.js';
import { parseBoolean, parseChoice, parseDuration, parseInstant } from './control/inputs.js';
import { parseJournalFilter } from './control/wire-inputs.js';
import { definedFields } from './domain/json.js';
import { ServerClock, type ClockMode } from './domain/clock.js';
import { DeployService } from './domain/deploy-service.js';
import { parseSchedule } from './domain/schedule.js';
import { DeploymentStore } from './domain/store.js';
import { ConnectionRegistry } from './dap/connections.js';
import { FaultPlan } from './dap/fault-plan.js';
import {
  DEFAULT_JOURNAL_LIMITS,
  FrameJournal,
  type JournalEntryWithMessage,
  type JournalFilter,
  type JournalLimits,
} from './dap/journal.js';
import { DapSession, type AuthPolicy, type Session, type SessionContext, type SessionOutput } from './dap/session.js';
import { validateTimezone } from './scheduler/next-tick.js';
import { RealTimeDriver } from './scheduler/real-time-driver.js';
import type { SchedulerOptions, SchedulingChanges } from './scheduler/engine.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { RunBehavior } from './scheduler/types.js';
import { VERSION } from './version.js';
import { resolveLimits, type Limits, type LimitsOption } from './limits.js';
import { EventSink, type ServerEvent } from './server-events.js';

/**
 * The clock: `'fake'` (stands still until moved) or `'real'` (wall time plus manual jumps), or
 * an object with a `startAt` instant (epoch ms or ISO string) for the fake clock to start from.
 * @since 0.2.0
 */
export type ClockOption = ClockMode | { mode?: ClockMode; startAt?: number | string };

/** How runs behave by default: `duration` (ms or `"30s"`), `outcome`, or `hold`. @since 0.2.0 */
export interface RunBehaviorOption {
  duration?: number | string;
  outcome?: 'completed' | 'failed';
  hold?: boolean;
}

/** A server's state options, shared by every door (createMockServer takes them too). */
export interface CoreOptions {
  /** Users and keys (validated like a users file). Default: the demo users. */
  users?: readonly UserSpec[] | undefined;
  /**
   * `'fake'` (the default in-process: time stands still until `control` moves it), `'real'`
   * (wall time plus manual jumps; the CLI's default), or `{ mode, startAt }`.
   */
  clock?: ClockOption | undefined;
  /** IANA time zone for cron expressions. Default `UTC`. */
  timezone?: string | undefined;
  /** How runs behave by default. Default: each run takes 1 s and completes. */
  runs?: RunBehaviorOption | undefined;
  /**
   * Ticks and runs kept per deployment (counters stay exact). Default 1000. All deployments
   * together keep at most `limits.maxHistoryEntries`.
   */
  historyLimit?: number | undefined;
  /**
   * The frame journal's bounds: `entries` (default 10,000; 0 turns it off) and `bytes` (default
   * 64 MiB); the oldest entries go first.
   * @since 0.3.0
   */
  journal?: { entries?: number; bytes?: number } | undefined;
  /**
   * What clients may send and hold: frame and pipeline sizes, project id length, deployments
   * and stored bytes per user and in all, connections (see `Limits` for each default). Oversized or excessive input is
   * refused with a clear error and changes nothing stored.
   * @since 0.4.0
   */
  limits?: LimitsOption | undefined;
  /** Receives diagnostic lines: unexpected errors and dropped frames. Default: none. */
  log?: ((line: string) => void) | undefined;
  /**
   * Receives every event as it happens: connections opened and closed, each DAP command with
   * its outcome and real time taken, runs started and ended, clock moves, faults fired, demo
   * seeds (`serve` prints them as its request log). Default: none, and then nothing is measured.
   * @since 0.5.0
   */
  onEvent?: ((event: ServerEvent) => void) | undefined;
}

export interface DeployCore extends SessionContext {
  readonly journal: FrameJournal;
  readonly faultPlan: FaultPlan;
  readonly connections: ConnectionRegistry;
  readonly clock: ServerClock;
  readonly scheduler: Scheduler;
  readonly control: ControlApi;
  /** The control API for a door that serializes each answer at once: remembered pages are shared, frozen (control-api.ts). */
  readonly controlDoor: ControlApi;
  /** The limits in force (the defaults with the `limits` option over them). */
  readonly limits: Limits;
  /** Stops the real-time driver's timer. */
  stop(): void;
  /**
   * Tells `listener` of every change to what a state file keeps (deployments, users and keys,
   * the clock, runs and ticks), and what changed; one listener at a time, undefined for none.
   * The `stateFile` option uses it.
   */
  onStateChange(listener: StateListener | undefined): void;
  /** Opens a DAP session on this core for a transport's connection. */
  openSession(out: SessionOutput): Session;
}

/** The options, validated and resolved to their defaults. */
export interface CoreSettings {
  readonly limits: Limits;
  readonly scheduler: SchedulerOptions;
  readonly journal: JournalLimits;
  readonly log: ((line: string) => void) | undefined;
  readonly onEvent: ((event: ServerEvent) => void) | undefined;
}

/**
 * What a state file's writer is told after each change to what it keeps, with what changed, so
 * that it writes only that (persist/changes.ts). The scheduler tells its own changes
 * (SchedulingChanges) as it makes them.
 */
export interface StateListener extends SchedulingChanges {
  /** A stored record was put or deleted. */
  recordChanged(userId: string, projectId: string): void;
  /** A control operation that changes state ran: users, keys, run behaviors or the clock may have changed. */
  controlChanged(): void;
  // anythingChanged (SchedulingChanges): every record was cleared, or a part did not say what; the next write is whole.
}

/**
 * The changes parts report, made before anything listens: the assembly connects the listeners
 * (the real-time driver, a state file's writer).
 */
export class CoreSignals {
  /** Told of every change to what a state file keeps. */
  stateListener: StateListener | undefined = undefined;
  /** Told when the scheduler's earliest queued event may have changed. */
  onQueueChange: () => void = () => {};
  /** A change that says not what it changed: a state file's next write is whole. */
  readonly stateChanged = (): void => this.stateListener?.anythingChanged();
  /** The store's changes: one record, or (no ids) all of them. */
  readonly recordChanged = (userId?: string, projectId?: string): void => {
    if (userId === undefined || projectId === undefined) this.stateListener?.anythingChanged();
    else this.stateListener?.recordChanged(userId, projectId);
  };
  readonly controlChanged = (): void => this.stateListener?.controlChanged();
  readonly queueChanged = (): void => this.onQueueChange();
}

/** What every core starts from, and its parts are made from. */
export interface CoreBase {
  readonly settings: CoreSettings;
  readonly users: UserDirectory;
  readonly clock: ServerClock;
  readonly signals: CoreSignals;
}

/** The parts a core is assembled from. */
export interface CoreParts {
  readonly store: DeploymentStore;
  readonly scheduler: Scheduler;
  readonly deploy: DeployService;
  /** The sessions' auth rules. Default: the spec's. */
  readonly authPolicy?: AuthPolicy;
}

const DEFAULT_RUN_BEHAVIOR: RunBehavior = { durationMs: 1000, outcome: 'completed', hold: false };
const DEFAULT_HISTORY_LIMIT = 1000;

/** Builds a core from its default parts. */
export function buildDeployCore(options: CoreOptions = {}): DeployCore {
  const base = coreBase(options);
  return assembleDeployCore(base, defaultCoreParts(base));
}

/** Validates the options and makes what every part is built from. */
export function coreBase(options: CoreOptions = {}): CoreBase {
  // A removed option: failing beats quietly building a correct server where a broken one was asked for.
  if ('mutants' in options) {
    throw new TypeError("The mutants option was replaced by createMutantServer(names, options) of 'rocketride-deploy-kit/testing'");
  }
  const limits = resolveLimits(options.limits);
  const users = new UserDirectory(options.users === undefined ? DEMO_USERS : parseUsers(options.users));
  const clock = clockFrom(options.clock);
  const timezone = validateTimezone(options.timezone ?? 'UTC');
  const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(historyLimit) || historyLimit < 1)
    throw new RangeError(`historyLimit must be a positive integer, got ${historyLimit}`);
  const settings: CoreSettings = {
    limits,
    scheduler: { timezone, runBehavior: runBehaviorFrom(options.runs), historyLimit, maxHistoryEntries: limits.maxHistoryEntries },
    journal: { ...DEFAULT_JOURNAL_LIMITS, ...definedFields(options.journal ?? {}) },
    log: options.log,
    onEvent: options.onEvent,
  };
  return { settings, users, clock, signals: new CoreSignals() };
}

/** The spec's parts: the store, the scheduler checking the users' keys, the deploy service over both. */
export function defaultCoreParts({ settings, users, clock, signals }: CoreBase): CoreParts {
  const store = new DeploymentStore(signals.recordChanged);
  const scheduler = new Scheduler(clock, users, settings.scheduler, signals.queueChanged);
  const deploy = new DeployService(store, clock, scheduler, parseSchedule, settings.limits);
  return { store, scheduler, deploy };
}

/** Wires the parts together and around them the journal, the control API and the sessions. */
export function assembleDeployCore({ settings, users, clock, signals }: CoreBase, parts: CoreParts): DeployCore {
  const { scheduler, deploy } = parts;
  scheduler.attach(deploy);
  const events = settings.onEvent && new EventSink(clock, settings.onEvent);
  scheduler.events = events;
  const driver = clock.mode === 'real' ? new RealTimeDriver(clock, () => scheduler) : undefined;
  // The scheduler tells a state file's writer what it changes itself (onStateChange below).
  signals.onQueueChange = () => driver?.rearm();
  const now = () => clock.now();
  const journal = new FrameJournal(settings.journal, now);
  const faultPlan = new FaultPlan(
    events &&
      ((fault, { connectionId, command }) => events.emit('fault-fired', { faultId: fault.id, kind: fault.kind, connectionId, command })),
  );
  const connections = new ConnectionRegistry(now);
  const log = settings.log;
  const faces = createControlApi({
    clock,
    scheduler,
    users,
    deploy,
    journal,
    faultPlan,
    connections,
    changed: signals.controlChanged,
    events,
  });
  const core: DeployCore = {
    clock,
    scheduler,
    deploy,
    users,
    journal,
    faultPlan,
    connections,
    version: VERSION,
    limits: settings.limits,
    control: faces.control,
    controlDoor: faces.door,
    // On a real clock, ticks that came due since the driver last woke are processed first.
    ...(driver && { beforeCommand: () => scheduler.catchUp() }),
    stop: () => {
      driver?.stop();
      faultPlan.clear(); // sends (to no one, if closed) what reorder faults still hold, and stops their timers
    },
    onStateChange: (listener) => {
      signals.stateListener = listener;
      scheduler.changes = listener;
    },
    openSession: (out) => new DapSession(core, out),
    ...(parts.authPolicy && { authPolicy: parts.authPolicy }),
    ...(events && { events }),
    ...(log && {
      onInternalError: (error: unknown, command: string) => log(`internal error in ${command}: ${String(error)}`),
      onDroppedFrame: (reason: string) => log(`dropped a frame with ${reason}`),
    }),
  };
  return core;
}

/** The in-process doors' `journal` (`server.journal`, `mock.journal`). */
export interface InProcessJournal {
  find(filter?: JournalFilter): JournalEntryWithMessage[];
  clear(): void;
}

/**
 * `journal.find` and `clear` for the in-process doors. `find` answers every matching entry at
 * once, unpaged (a test's own process reads it: no other client waits), each with `message`; a
 * filter is refused as the control API's journal refuses it.
 */
export function inProcessJournal(core: DeployCore): InProcessJournal {
  return {
    find: (filter) => core.journal.find(parseJournalFilter(filter)),
    clear: () => void core.control.clearJournal(),
  };
}

function clockFrom(option: ClockOption | undefined): ServerClock {
  if (typeof option === 'object' && option !== null && 'now' in option) {
    throw new TypeError(
      "clock: { now() } was replaced in 0.2.0: pass 'fake', 'real' or { mode, startAt }, and move time with server.control",
    );
  }
  const { mode = 'fake', startAt } = typeof option === 'string' ? { mode: option } : (option ?? {});
  if (mode !== 'fake' && mode !== 'real') throw new RangeError(`clock mode must be 'fake' or 'real', got '${String(mode)}'`);
  return new ServerClock(mode, startAt === undefined ? undefined : optionValue(() => parseInstant(startAt, 'clock.startAt')));
}

/**
 * An option's value through the control API's parsers: an in-process mistake is a RangeError
 * (as every other bad option is), not the control API's ControlError.
 */
function optionValue<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ControlError) throw new RangeError(error.message, { cause: error });
    throw error;
  }
}

function runBehaviorFrom(option: RunBehaviorOption | undefined): RunBehavior {
  return {
    durationMs:
      option?.duration === undefined ? DEFAULT_RUN_BEHAVIOR.durationMs : optionValue(() => parseDuration(option.duration, 'runs.duration')),
    outcome:
      option?.outcome === undefined
        ? DEFAULT_RUN_BEHAVIOR.outcome
        : optionValue(() => parseChoice(option.outcome, 'runs.outcome', ['completed', 'failed'] as const)),
    hold: option?.hold === undefined ? DEFAULT_RUN_BEHAVIOR.hold : optionValue(() => parseBoolean(option.hold, 'runs.hold')),
  };
}
