/** How runs behave: the server's behavior and each deployment's own changes over it. */
import { keyOf, splitKey } from './entry.js';
import type { RunBehavior } from './types.js';

/** The run behaviors as a state file keeps them. */
export interface RunBehaviorsState {
  /** Server-wide run behavior changes over the configured default. */
  readonly runBehavior: Partial<RunBehavior>;
  readonly runBehaviors: ReadonlyArray<{ readonly userId: string; readonly projectId: string; readonly behavior: Partial<RunBehavior> }>;
}

export class RunBehaviors {
  #server: RunBehavior;
  /** Each deployment's changes, by keyOf(owner, project id). */
  readonly #own = new Map<string, Partial<RunBehavior>>();
  #version = 0;

  constructor(private readonly configured: RunBehavior) {
    this.#server = configured;
  }

  /** Bumped by every change, reset and import: a behavior read at one version holds until it moves. */
  get version(): number {
    return this.#version;
  }

  /** A deployment's behavior: its own changes over the server's. */
  of(userId: string, projectId: string): RunBehavior {
    return { ...this.#server, ...this.#own.get(keyOf(userId, projectId)) };
  }

  /** Changes the server's behavior, or one deployment's; returns the behavior that results. */
  change(behavior: Partial<RunBehavior>, scope?: { userId: string; projectId: string }): RunBehavior {
    this.#version += 1;
    if (!scope) {
      this.#server = { ...this.#server, ...behavior };
      return this.#server;
    }
    const key = keyOf(scope.userId, scope.projectId);
    this.#own.set(key, { ...this.#own.get(key), ...behavior });
    return this.of(scope.userId, scope.projectId);
  }

  /** Back to the configured behavior, with no deployment's own. */
  reset(): void {
    this.#version += 1;
    this.#own.clear();
    this.#server = this.configured;
  }

  exportState(): RunBehaviorsState {
    return {
      runBehavior: changedFields(this.#server, this.configured),
      runBehaviors: [...this.#own].map(([key, behavior]) => ({ ...splitKey(key), behavior: { ...behavior } })),
    };
  }

  /** Restores saved behaviors in place of these. */
  importState(state: RunBehaviorsState): void {
    this.reset();
    this.#server = { ...this.configured, ...state.runBehavior };
    for (const { userId, projectId, behavior } of state.runBehaviors) this.#own.set(keyOf(userId, projectId), { ...behavior });
  }
}

/** The fields of `behavior` that differ from `base`. */
function changedFields(behavior: RunBehavior, base: RunBehavior): Partial<RunBehavior> {
  return Object.fromEntries(Object.entries(behavior).filter(([field, value]) => base[field as keyof RunBehavior] !== value));
}
