/** Mutant servers: the spec's core base, parts made with the named mutants' deviations, the usual assembly. */
import { assembleDeployCore, coreBase, type CoreOptions, type DeployCore } from '../../core-build.js';
import { SPEC_AUTH_POLICY, type AuthPolicy, type Session, type SessionOutput } from '../../dap/session.js';
import { DeployService, type DeploymentListener, type ScheduleParser } from '../../domain/deploy-service.js';
import { parseSchedule } from '../../domain/schedule.js';
import { DeploymentStore } from '../../domain/store.js';
import type { CredentialCheck, SchedulerOptions } from '../../scheduler/engine.js';
import { nextTickFor, type NextTickFinder } from '../../scheduler/next-tick.js';
import { Scheduler } from '../../scheduler/scheduler.js';
import { serveCore, type MockServer, type MockServerOptions } from '../../server/mock-server.js';
import { BY_NAME, MUTANT_NAMES } from './catalogue.js';
import type { Deviations, ServerParts } from './definition.js';
import { sessionOpener } from './sessions.js';

/**
 * Starts a mock server (createMockServer's options) with the named mutants built in: several may
 * be combined. Rejects a name that is not in the catalogue, listing the known ones.
 * @example
 * const server = await createMutantServer(['duplicate-add-overwrites'], { port: 0 });
 * @since 0.5.0
 */
export function createMutantServer(names: readonly string[], options: MockServerOptions = {}): Promise<MockServer> {
  return serveCore(options, (coreOptions) => createMutantCore(names, coreOptions));
}

/**
 * A server's core (see buildDeployCore) with the named mutants built in: the spec's base, parts
 * made with the mutants' deviations, assembled as every core is.
 */
export function createMutantCore(names: readonly string[], options: CoreOptions = {}): DeployCore {
  const deviations = combinedDeviations(names);
  const base = coreBase(options);
  const { clock, users, settings, signals } = base;
  const credentials = deviations.wrapCredentials?.(users) ?? users;
  const scheduler = new Scheduler(clock, credentials, { ...settings.scheduler, ...deviations.scheduler }, signals.queueChanged);
  const store = new DeploymentStore(signals.recordChanged);
  const listener = deviations.wrapListener?.(scheduler) ?? scheduler;
  const deploy = new DeployService(store, clock, listener, deviations.wrapParser?.(parseSchedule) ?? parseSchedule, settings.limits);
  deviations.patch?.({ deploy, store, scheduler, clock });
  const core = assembleDeployCore(base, { store, scheduler, deploy, ...(deviations.authPolicy && { authPolicy: deviations.authPolicy }) });
  const openSession = deviations.openSession;
  return openSession ? { ...core, openSession: (out) => openSession(core, out) } : core;
}

/** The deviations of several mutants as one server takes them. */
interface CombinedDeviations {
  readonly authPolicy?: AuthPolicy;
  readonly scheduler?: Pick<SchedulerOptions, 'runPolicy' | 'findNextTick'>;
  readonly openSession?: (core: DeployCore, out: SessionOutput) => Session;
  wrapParser?(parse: ScheduleParser): ScheduleParser;
  wrapCredentials?(check: CredentialCheck): CredentialCheck;
  wrapListener?(listener: DeploymentListener): DeploymentListener;
  patch?(parts: ServerParts): void;
}

/** Combines the named mutants' deviations, fresh for one server; refuses unknown names. */
function combinedDeviations(names: readonly string[]): CombinedDeviations {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw new TypeError(`mutants must be an array of mutant names; known mutants: ${MUTANT_NAMES.join(', ')}`);
  }
  const unknown = names.filter((n) => !BY_NAME.has(n));
  if (unknown.length > 0) {
    throw new RangeError(
      `Unknown mutant${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}. Known mutants: ${MUTANT_NAMES.join(', ')}`,
    );
  }
  const all = [...new Set(names)].map((n) => BY_NAME.get(n)!.deviations());
  const chain = <T>(pick: (d: Deviations) => ((t: T) => T) | undefined): ((t: T) => T) | undefined => {
    const wrappers = all.map(pick).filter((w): w is (t: T) => T => w !== undefined);
    return wrappers.length === 0 ? undefined : (t) => wrappers.reduce((acc, wrap) => wrap(acc), t);
  };
  const last = <T>(pick: (d: Deviations) => T | undefined): T | undefined =>
    all
      .map(pick)
      .filter((v) => v !== undefined)
      .pop();

  const maxAttempts = last((d) => d.maxAuthAttempts);
  const gate = last((d) => d.servedBeforeAuth);
  const authPolicy: AuthPolicy | undefined =
    maxAttempts === undefined && gate === undefined
      ? undefined
      : { maxAttempts: maxAttempts ?? SPEC_AUTH_POLICY.maxAttempts, servedBeforeAuth: gate ?? SPEC_AUTH_POLICY.servedBeforeAuth };
  const allowOverlap = all.some((d) => d.allowOverlap);
  const keepRunOnRemove = all.some((d) => d.keepRunOnRemove);
  const wrapNextTick = chain<NextTickFinder>((d) => d.wrapNextTick);
  const scheduler = {
    ...((allowOverlap || keepRunOnRemove) && {
      runPolicy: { skipTickDuringRun: !allowOverlap, cancelRunOnRemove: !keepRunOnRemove },
    }),
    ...(wrapNextTick && { findNextTick: wrapNextTick(nextTickFor) }),
  };
  const openSession = sessionOpener(
    chain<string>((d) => d.renameCommand),
    all.map((d) => d.wrapOutput).filter((w) => w !== undefined),
  );
  const wrapParser = chain<ScheduleParser>((d) => d.wrapParser);
  const wrapCredentials = chain<CredentialCheck>((d) => d.wrapCredentials);
  const wrapListener = chain<DeploymentListener>((d) => d.wrapListener);
  const patches = all.map((d) => d.patch).filter((p) => p !== undefined);
  return {
    ...(authPolicy && { authPolicy }),
    ...(Object.keys(scheduler).length > 0 && { scheduler }),
    ...(openSession && { openSession }),
    ...(wrapParser && { wrapParser }),
    ...(wrapCredentials && { wrapCredentials }),
    ...(wrapListener && { wrapListener }),
    ...(patches.length > 0 && { patch: (parts: ServerParts) => patches.forEach((p) => p(parts)) }),
  };
}
