/**
 * The reference model of one deployment's ticks and runs (RUN-1, 3, 4, 6, 8), and the checks of
 * a history against it.
 */
import type { Target } from '../target.js';
import { expectLines, runLine, tickLine, type Behavior, type RunView, type TickView } from './control-client.js';
import { expand, parseCron, type Cron } from './cron-oracle.js';
import { iso } from './time.js';

export interface ModelTick {
  readonly at: number;
  /** The reasons the clauses allow here (a paused deployment with a run still going may say either skip). */
  readonly reasons: readonly string[];
}

export interface ModelRun {
  readonly scheduledFor: number;
  readonly startedAt: number;
  endedAt: number | null;
  outcome: string | null;
}

/**
 * One deployment as the clauses describe it, time passing continuously: a tick at every
 * matching minute after the schedule was set (RUN-1, RUN-6), skipped while paused (RUN-4) or
 * while a run is in progress (RUN-3), a run lasting exactly its duration. Moves are exact, so
 * the model also says what advancing in any pieces must give (RUN-8). A run that ends at the instant a tick comes due has ended before it (RUN-3), so that tick fires.
 */
export class DeploymentModel {
  readonly ticks: ModelTick[] = [];
  readonly runs: ModelRun[] = [];
  #cron: Cron | undefined;
  #nextAt: number | undefined;
  #now: number;
  paused = false;
  /** The owner's key is revoked: the next tick errors the deployment (RUN-5). */
  revoked = false;
  #errored = false;

  constructor(
    readonly zone: string,
    schedule: string,
    now: number,
    readonly behavior: Behavior,
  ) {
    this.#now = now;
    this.setSchedule(schedule);
  }

  get now(): number {
    return this.#now;
  }

  get errored(): boolean {
    return this.#errored;
  }

  /** RUN-6: a new schedule counts from now; `manual` has no ticks. An errored deployment never ticks again (RUN-5). */
  setSchedule(schedule: string): void {
    this.#cron = schedule === 'manual' ? undefined : parseCron(schedule);
    this.#nextAt = this.#cron && !this.#errored ? expand(this.#cron, this.zone, this.#now, { count: 1 })[0] : undefined;
  }

  /** RUN-7: removed now; a run in progress ends cancelled, and nothing ticks again. */
  remove(): void {
    const run = this.#running();
    if (run) {
      run.endedAt = this.#now;
      run.outcome = 'cancelled';
    }
    this.#nextAt = undefined;
  }

  #running(): ModelRun | undefined {
    const last = this.runs[this.runs.length - 1];
    return last && last.endedAt === null ? last : undefined;
  }

  #endRunsUpTo(ms: number): void {
    const run = this.#running();
    if (run && !this.behavior.hold && run.startedAt + this.behavior.durationMs <= ms) {
      run.endedAt = run.startedAt + this.behavior.durationMs;
      run.outcome = this.behavior.outcome;
    }
  }

  advanceTo(target: number): void {
    while (this.#nextAt !== undefined && this.#nextAt <= target) {
      const at = this.#nextAt;
      this.#endRunsUpTo(at);
      const running = this.#running() !== undefined;
      // (A paused deployment whose key is revoked: the clauses do not order the two; no check combines them.)
      if (this.revoked && !this.paused) {
        this.ticks.push({ at, reasons: ['errored_auth'] });
        this.#errored = true;
        this.#nextAt = undefined;
        break;
      }
      if (this.paused) this.ticks.push({ at, reasons: running ? ['skipped_paused', 'skipped_overlap'] : ['skipped_paused'] });
      else if (running) this.ticks.push({ at, reasons: ['skipped_overlap'] });
      else {
        this.ticks.push({ at, reasons: ['fired'] });
        this.runs.push({ scheduledFor: at, startedAt: at, endedAt: null, outcome: null });
      }
      this.#nextAt = expand(this.#cron!, this.zone, at, { count: 1 })[0];
    }
    this.#endRunsUpTo(target);
    this.#now = target;
  }
}

/** Compares a deployment's history with the model's, as readable lines (a diff on failure). */
export function expectHistory(
  actual: { ticks: readonly TickView[]; runs: readonly RunView[] },
  model: DeploymentModel,
  what = 'history',
): void {
  const expectedTicks = model.ticks.map((tick, i) => {
    const got = actual.ticks[i];
    const reason = got && got.at === tick.at && tick.reasons.includes(got.reason) ? got.reason : tick.reasons.join(' or ');
    return `${iso(tick.at)} ${reason}`;
  });
  expectLines(
    actual.ticks.map((tick) => tickLine(tick)),
    expectedTicks,
    `${what}: tick decisions`,
  );
  const expectedRuns = model.runs.map((run) => runLine({ id: '', userId: '', trigger: 'schedule', ...run }));
  expectLines(
    actual.runs.map((run) => runLine(run)),
    expectedRuns,
    `${what}: runs`,
  );
}

/** Moves the target's clock and the model's by the same steps, one step at a time. */
export async function advanceWithModel(t: Target, model: DeploymentModel, steps: readonly number[]): Promise<void> {
  for (const step of steps) {
    await t.advance(step);
    model.advanceTo(model.now + step);
  }
}
