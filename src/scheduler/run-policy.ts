/**
 * What happens to a run in progress when the next tick comes due, and when its deployment is
 * removed. The spec fixes both (RUN-3, RUN-7); the policy states the choice in one place, and a
 * scheduler given another one models a server that decides otherwise.
 */
export interface RunPolicy {
  /** A tick that comes due during a run is recorded as skipped (RUN-3); otherwise it starts another run. */
  readonly skipTickDuringRun: boolean;
  /** Removing a deployment ends its run in progress as cancelled (RUN-7); otherwise the run goes on to its end. */
  readonly cancelRunOnRemove: boolean;
}

/** The spec's policy: runs never overlap, and a removal cancels the run in progress. */
export const SPEC_RUN_POLICY: RunPolicy = { skipTickDuringRun: true, cancelRunOnRemove: true };
