/**
 * Side A of the isolation proof (see isolation-suite.ts); isolation-b.test.ts runs the same
 * tests in parallel, on the same project id and the same clock start, with other moves.
 */
import { isolationSuite } from './isolation-suite.js';

isolationSuite({
  name: 'A',
  schedule: '*/15 * * * *',
  span: '1h',
  expectedNow: '2026-11-26T11:07:00.000Z',
  expectedRuns: ['10:15', '10:30', '10:45', '11:00'].map((t) => `2026-11-26T${t}:00.000Z`),
  faultMessage: 'Fault injected by side A',
});
