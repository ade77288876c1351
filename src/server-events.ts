/**
 * What happens in a server, as events: connections opening and closing, each DAP command and
 * its outcome, runs starting and ending, clock moves, injected faults firing, demo data seeded.
 * The session layer, the scheduler, the fault plan and the control API report to one EventSink;
 * a listener (`onEvent`, the `serve` request log) reads them. The core never formats or prints
 * them: the request log's text and JSON lines are the CLI's (src/cli/request-log.ts).
 *
 * A server without a listener has no sink at all (`undefined`): every reporting site is one
 * optional-chaining check, so the in-process and msw doors pay nothing when nobody listens.
 *
 * Browser-safe: no Node imports (`performance.now` is a global in browsers and in Node).
 */
import type { Clock } from './domain/clock.js';
import type { FaultKind } from './dap/fault-plan.js';
import type { RunOutcome, TickReason } from './scheduler/types.js';

/** How a command ended: answered with success, answered with a failure, or left unanswered. @since 0.5.0 */
export type CommandOutcome = 'ok' | 'error' | 'unanswered';

/** Every event carries `at`: the server clock's time (epoch ms) when it happened. @since 0.5.0 */
export type ServerEvent =
  | { readonly type: 'connection-opened'; readonly at: number; readonly connectionId: number }
  | {
      readonly type: 'connection-closed';
      readonly at: number;
      readonly connectionId: number;
      /** Who it was last authenticated as (a `deauth` before closing keeps it), or null. */
      readonly userId: string | null;
    }
  | {
      readonly type: 'command';
      readonly at: number;
      readonly connectionId: number;
      /** Who sent it (for `auth`, the user it authenticated). */
      readonly userId: string | null;
      readonly command: string;
      readonly outcome: CommandOutcome;
      /** The failure message, for `error`. */
      readonly message?: string;
      /** Real time from the request's arrival to its answer being handed to the transport (ms). */
      readonly elapsedMs: number;
    }
  | {
      readonly type: 'run-started';
      readonly at: number;
      readonly runId: string;
      readonly userId: string;
      readonly projectId: string;
      readonly trigger: 'schedule' | 'manual';
    }
  | {
      readonly type: 'run-ended';
      readonly at: number;
      readonly runId: string;
      readonly userId: string;
      readonly projectId: string;
      readonly outcome: RunOutcome;
      /** On the server clock, ms. */
      readonly durationMs: number;
    }
  | {
      readonly type: 'clock-moved';
      readonly at: number;
      readonly from: number;
      readonly ticks: Readonly<Record<TickReason, number>>;
      readonly runsEnded: number;
    }
  | {
      readonly type: 'fault-fired';
      readonly at: number;
      readonly faultId: string;
      readonly kind: FaultKind;
      readonly connectionId: number;
      readonly command: string;
    }
  | {
      readonly type: 'demo-seeded';
      readonly at: number;
      readonly from: number;
      readonly deployments: number;
      readonly seed: number;
      readonly runs: number;
    };

/** @since 0.5.0 */
export type ServerEventType = ServerEvent['type'];

/** What every event kind carries besides `type` and `at`. */
type Fields<T extends ServerEventType> = Omit<Extract<ServerEvent, { type: T }>, 'type' | 'at'>;

/**
 * Where the parts report. It stamps each event with the server clock's time, and measures the
 * time commands take on its own stopwatch (real time: a log's figure, never the core's clock).
 */
export class EventSink {
  /** While a demo seeds, its runs and clock move are told as one `demo-seeded` event. */
  #muted = 0;

  constructor(
    private readonly clock: Clock,
    private readonly listener: (event: ServerEvent) => void,
    private readonly stopwatch: () => number = () => performance.now(),
  ) {}

  /** Tells the listener one event; an exception it throws is its own, never the server's. */
  emit<T extends ServerEventType>(type: T, fields: Fields<T>): void {
    if (this.#muted > 0 && type !== 'demo-seeded') return;
    try {
      this.listener({ type, at: this.clock.now(), ...fields } as unknown as ServerEvent);
    } catch {
      // A broken listener must not break a request or a clock move.
    }
  }

  /** A mark to pass to `elapsedSince` later. */
  mark(): number {
    return this.stopwatch();
  }

  elapsedSince(mark: number): number {
    return this.stopwatch() - mark;
  }

  /** Runs `fn` with every event but `demo-seeded` held back (not queued: dropped). */
  muted<T>(fn: () => T): T {
    this.#muted += 1;
    try {
      return fn();
    } finally {
      this.#muted -= 1;
    }
  }
}
