/** What a mutant is: its catalogue entry, and the deviations from the spec it builds into a server. */
import type { ServerClock } from '../../domain/clock.js';
import type { DeployService, DeploymentListener, ScheduleParser } from '../../domain/deploy-service.js';
import type { DeploymentStore } from '../../domain/store.js';
import type { SessionOutput } from '../../dap/session.js';
import type { CredentialCheck } from '../../scheduler/engine.js';
import type { NextTickFinder } from '../../scheduler/next-tick.js';
import type { Scheduler } from '../../scheduler/scheduler.js';

/** The spec's clause families (semantics.md). */
export type MutantFamily = 'WIRE' | 'REC' | 'DEP' | 'SCHED' | 'RUN';

/** One mutant as data: what it breaks, and the clause(s) the conformance suite must catch it by. */
export interface MutantInfo {
  readonly name: string;
  readonly family: MutantFamily;
  readonly description: string;
  /**
   * Clause IDs of semantics.md: the suite catches the mutant when at least one of them fails
   * (or warns, for a SHOULD clause). The first is the clause the mutant is aimed at.
   */
  readonly expectedClauses: readonly string[];
}

/** The parts of one server a mutant may wrap the methods of, once they are made. */
export interface ServerParts {
  readonly deploy: DeployService;
  readonly store: DeploymentStore;
  readonly scheduler: Scheduler;
  readonly clock: ServerClock;
}

/** How one mutant deviates from the spec, made fresh for each server (some keep per-server state). */
export interface Deviations {
  wrapOutput?(out: SessionOutput): SessionOutput;
  /**
   * Renames the `command` of every incoming request before the session reads it; the response
   * echoes the name as the client sent it.
   */
  renameCommand?(command: string): string;
  maxAuthAttempts?: number;
  servedBeforeAuth?(command: string): boolean;
  allowOverlap?: boolean;
  keepRunOnRemove?: boolean;
  wrapNextTick?(next: NextTickFinder): NextTickFinder;
  wrapParser?(parse: ScheduleParser): ScheduleParser;
  wrapCredentials?(check: CredentialCheck): CredentialCheck;
  wrapListener?(listener: DeploymentListener): DeploymentListener;
  patch?(parts: ServerParts): void;
}

export interface Definition extends MutantInfo {
  readonly deviations: () => Deviations;
}

/**
 * One family's mutants: those written with the conformance checks, and those written later,
 * independently of them, from the spec alone (the catalogue lists every family's first ones
 * before any family's independent ones).
 */
export interface FamilyMutants {
  readonly withChecks: readonly Definition[];
  readonly independent: readonly Definition[];
}
