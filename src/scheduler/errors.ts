/** Errors of scheduler and control operations, with stable codes. @since 0.2.0 */
export type SchedulerErrorCode =
  | 'DEPLOYMENT_NOT_FOUND'
  | 'DEPLOYMENT_ERRORED'
  | 'RUN_IN_PROGRESS'
  | 'RUN_NOT_FOUND'
  | 'RUN_NOT_IN_PROGRESS'
  | 'CLOCK_BACKWARDS'
  | 'CLOCK_OUT_OF_RANGE';

export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';
  constructor(
    readonly code: SchedulerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
