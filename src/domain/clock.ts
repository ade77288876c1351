/**
 * The core's only time source. Everything in the domain reads time through a Clock passed in,
 * never through Date.now(), so tests (and the fake-clock scheduler) decide what "now" is.
 */

/** @since 0.1.0 */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
}

/** Unix seconds (fractions kept), the unit records carry (REC-1). */
export function unixSeconds(clock: Clock): number {
  return clock.now() / 1000;
}

/**
 * `fake`: time stands still until moved (the default in-process, for tests).
 * `real`: wall-clock time plus every manual jump (the default of `rocketride-deploy-kit serve`).
 * @since 0.2.0
 */
export type ClockMode = 'fake' | 'real';

/**
 * One server's clock. It only moves forward, and only the scheduler moves it (so every tick and
 * run end on the way is processed in order: RUN-8). Never process-global: each server has one.
 * @since 0.2.0
 */
export class ServerClock implements Clock {
  #fakeNow: number;
  #offset = 0;

  constructor(
    readonly mode: ClockMode,
    startAtMs: number | undefined = undefined,
    private readonly wall: () => number = Date.now,
  ) {
    this.#fakeNow = startAtMs ?? wall();
    if (mode === 'real' && startAtMs !== undefined) this.#offset = startAtMs - wall();
  }

  now(): number {
    return this.mode === 'fake' ? this.#fakeNow : this.wall() + this.#offset;
  }

  /** What a state file keeps of the clock: its mode, its time and (real) its offset from wall time. */
  exportState(): ClockState {
    return { mode: this.mode, nowMs: this.now(), offsetMs: this.#offset };
  }

  /**
   * Restores a saved clock of the same mode. A fake clock resumes at its saved time; a real one
   * at its saved offset, but never before its saved time (the wall clock may have been set back).
   */
  importState(state: ClockState): void {
    if (state.mode !== this.mode) throw new Error(`a ${state.mode} clock cannot be restored into a ${this.mode} one`);
    if (this.mode === 'fake') this.#fakeNow = state.nowMs;
    else this.#offset = Math.max(state.offsetMs, state.nowMs - this.wall());
  }

  /** Moves to `ms` (ignored if that is not later than now). For the scheduler only. */
  moveTo(ms: number): void {
    const now = this.now();
    if (ms <= now) return;
    if (this.mode === 'fake') this.#fakeNow = ms;
    else this.#offset += ms - now;
  }
}

/** A clock as a state file keeps it (plain JSON). */
export interface ClockState {
  readonly mode: ClockMode;
  /** The clock's time, epoch ms. */
  readonly nowMs: number;
  /** Real clocks: how far ahead of wall time the clock runs (ms); 0 for fake clocks. */
  readonly offsetMs: number;
}
