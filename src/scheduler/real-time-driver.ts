/**
 * For a `real` clock: wakes the scheduler when its next event comes due on the wall clock.
 * (A `fake` clock needs no driver: time moves only when the control API moves it.)
 */
import type { Scheduler } from './scheduler.js';
import type { ServerClock } from '../domain/clock.js';

/** Longest single timer; Node timers overflow past 2^31-1 ms, and re-arming is cheap. */
const MAX_SLEEP_MS = 60 * 60 * 1000;

export class RealTimeDriver {
  #timer: NodeJS.Timeout | undefined;
  #armedFor: number | undefined;
  #stopped = false;

  constructor(
    private readonly clock: ServerClock,
    private readonly scheduler: () => Scheduler,
  ) {}

  /**
   * Re-arms the timer for the scheduler's earliest event (called when the queue changes, so on
   * every deploy command: keep it cheap). A timer already armed for the same or an earlier time
   * stays: waking early only re-arms.
   */
  rearm(): void {
    if (this.#stopped) return;
    const due = this.scheduler().nextEventAt();
    if (this.#timer && (due === undefined || (this.#armedFor !== undefined && this.#armedFor <= due))) return;
    clearTimeout(this.#timer);
    this.#armedFor = due;
    this.#timer = undefined;
    if (due === undefined) return;
    const wait = Math.min(Math.max(0, due - this.clock.now()), MAX_SLEEP_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#armedFor = undefined;
      this.scheduler().catchUp();
      this.rearm();
    }, wait);
    this.#timer.unref?.(); // Node: a pending tick must not keep the process alive (browsers have no unref)
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
