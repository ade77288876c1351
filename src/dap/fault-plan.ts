/**
 * Injected faults: what a test asks the server to do wrong on purpose, so an SDK's resilience
 * (and a user's own error handling) can be tested: delay answers, answer out of order, not
 * answer, fail, answer with a given body, or close the connection. Each fault is scoped (a
 * command, a connection, a user; the next `count` matching requests) and can be removed.
 * The plan only decides; the session layer carries the decisions out.
 */

/** What a fault does to the requests it matches. @since 0.5.0 */
export const FAULT_KINDS = ['delay', 'reorder', 'no-reply', 'fail', 'reply', 'close'] as const;

/** @since 0.3.0 */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault as a test describes it (validated by the control API). @since 0.3.0 */
export interface FaultSpec {
  kind: FaultKind;
  /** Only requests with this command. Default: any command. */
  command?: string;
  /** Only this connection (ids are in the journal and in `connections()`). Default: any. */
  connectionId?: number;
  /** Only connections authenticated as this user. Default: any. */
  userId?: string;
  /**
   * How many matching requests it applies to (default 1); for `reorder`, how many responses
   * are held and then sent in reverse order (default 2).
   */
  count?: number;
  /** `delay`: how long each response waits (real time, ms). `reorder`: the longest a response is held (default 1000). */
  ms?: number;
  /** `fail`: the failure message the request gets (the command is not run). */
  message?: string;
  /** `reply`: the success body the request gets (the command is not run). */
  body?: Record<string, unknown>;
  /** `close`: the close code (default 1011) and reason; the request is not run nor answered. */
  code?: number;
  reason?: string;
}

/** An active fault. @since 0.3.0 */
export interface FaultView extends FaultSpec {
  id: string;
  /** Matching requests it still applies to. */
  remaining: number;
}

/** What the session must do to one request. */
export interface FaultDecision {
  /** Instead of running the command: fail it, answer it with a body, or close the connection. */
  readonly replace?: { kind: 'fail'; message: string } | { kind: 'reply'; json: string } | { kind: 'close'; code: number; reason: string };
  /** Run the command but send no response. */
  readonly silent?: boolean;
  /** Send the response after this many ms. */
  readonly delayMs?: number;
  /** Hold the response in this group, released in reverse order once full (or after its ms). */
  readonly reorder?: ReorderGroup;
}

/** Responses held by one `reorder` fault, shared by the sessions it matched. */
export interface ReorderGroup {
  readonly size: number;
  readonly maxHoldMs: number;
  readonly held: Array<() => void>;
  timer?: ReturnType<typeof setTimeout> | undefined;
}

interface Active {
  readonly view: FaultView;
  readonly group?: ReorderGroup;
}

/** Where a request comes from, for matching. */
export interface RequestScope {
  readonly connectionId: number;
  readonly userId: string | undefined;
  readonly command: string;
}

export const DEFAULT_CLOSE_CODE = 1011;
export const DEFAULT_REORDER_HOLD_MS = 1000;

export class FaultPlan {
  readonly #active: Active[] = [];
  /** Reorder groups holding responses, used-up faults' included: clear() must send them all. */
  readonly #holding = new Set<ReorderGroup>();
  #nextId = 1;

  /** `onFired` is told each time a fault applies to a request (the request log reports it). */
  constructor(private readonly onFired?: (fault: FaultView, scope: RequestScope) => void) {}

  get size(): number {
    return this.#active.length;
  }

  add(spec: FaultSpec): FaultView {
    const count = spec.count ?? (spec.kind === 'reorder' ? 2 : 1);
    const view: FaultView = { ...spec, id: `f${this.#nextId++}`, count, remaining: count };
    if (spec.kind === 'reorder') view.ms = spec.ms ?? DEFAULT_REORDER_HOLD_MS;
    this.#active.push(spec.kind === 'reorder' ? { view, group: { size: count, maxHoldMs: view.ms!, held: [] } } : { view });
    return { ...view };
  }

  list(): FaultView[] {
    return this.#active.map((a) => ({ ...a.view }));
  }

  remove(id: string): boolean {
    const i = this.#active.findIndex((a) => a.view.id === id);
    if (i < 0) return false;
    this.#release(this.#active[i]!);
    this.#active.splice(i, 1);
    return true;
  }

  /** Removes every fault, and sends every response a reorder group still holds. */
  clear(): number {
    const n = this.#active.length;
    this.#active.length = 0;
    for (const group of [...this.#holding]) this.#releaseGroup(group);
    return n;
  }

  /**
   * Holds one response (`send`) in a reorder group: once the group is full, or its hold time
   * has passed, the held responses are sent last first.
   */
  hold(group: ReorderGroup, send: () => void): void {
    group.held.push(send);
    this.#holding.add(group);
    if (group.held.length >= group.size) this.#releaseGroup(group);
    else if (group.timer === undefined) {
      group.timer = setTimeout(() => this.#releaseGroup(group), group.maxHoldMs);
      group.timer.unref?.(); // a held answer must not keep a finished process alive
    }
  }

  /**
   * What to do with one request: the oldest matching fault that replaces or silences the
   * answer, and the oldest that changes when it is sent. Each one applied uses up one count.
   */
  decide(scope: RequestScope): FaultDecision | undefined {
    if (this.#active.length === 0) return undefined;
    let outcome: Active | undefined;
    let timing: Active | undefined;
    for (const a of this.#active) {
      if (!matches(a.view, scope)) continue;
      const isTiming = a.view.kind === 'delay' || a.view.kind === 'reorder';
      if (isTiming) timing ??= a;
      else outcome ??= a;
    }
    if (!outcome && !timing) return undefined;
    const decision: { -readonly [K in keyof FaultDecision]: FaultDecision[K] } = {};
    if (outcome) {
      const v = outcome.view;
      if (v.kind === 'no-reply') decision.silent = true;
      else if (v.kind === 'fail') decision.replace = { kind: 'fail', message: v.message ?? 'Injected failure' };
      else if (v.kind === 'reply') decision.replace = { kind: 'reply', json: JSON.stringify(v.body ?? {}) };
      else decision.replace = { kind: 'close', code: v.code ?? DEFAULT_CLOSE_CODE, reason: v.reason ?? 'Injected close' };
      this.#use(outcome, scope);
    }
    // No response will be sent: a timing fault would apply to nothing, so it is not used up.
    if (decision.silent || decision.replace?.kind === 'close') return decision;
    if (timing) {
      if (timing.view.kind === 'delay') decision.delayMs = timing.view.ms ?? 0;
      else decision.reorder = timing.group!;
      this.#use(timing, scope);
    }
    return decision;
  }

  #use(a: Active, scope: RequestScope): void {
    a.view.remaining -= 1;
    this.onFired?.(a.view, scope);
    // A used-up reorder fault stays referenced by its group until the group is released.
    if (a.view.remaining <= 0) this.#active.splice(this.#active.indexOf(a), 1);
  }

  /** A removed reorder fault sends what it holds, so nothing stays unanswered for ever. */
  #release(a: Active): void {
    if (a.group) this.#releaseGroup(a.group);
  }

  /** Sends a group's held responses, last first, and forgets them. */
  #releaseGroup(group: ReorderGroup): void {
    if (group.timer !== undefined) clearTimeout(group.timer);
    group.timer = undefined;
    this.#holding.delete(group);
    const held = group.held.splice(0);
    for (let i = held.length - 1; i >= 0; i--) held[i]!();
  }
}

function matches(v: FaultView, scope: RequestScope): boolean {
  return (
    (v.command === undefined || v.command === scope.command) &&
    (v.connectionId === undefined || v.connectionId === scope.connectionId) &&
    (v.userId === undefined || v.userId === scope.userId)
  );
}
