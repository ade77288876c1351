/**
 * Side B of the isolation proof (see isolation-suite.ts); isolation-a.test.ts runs the same
 * tests in parallel, on the same project id and the same clock start, with other moves.
 */
import { isolationSuite } from './isolation-suite.js';

// Every 10 minutes from 10:10 to 12:30: 15 runs.
const every10 = Array.from({ length: 15 }, (_, i) => new Date(Date.UTC(2026, 10, 26, 10, 10 + 10 * i)).toISOString());
isolationSuite({
  name: 'B',
  schedule: '*/10 * * * *',
  span: '2h30m',
  expectedNow: '2026-11-26T12:37:00.000Z',
  expectedRuns: every10,
  faultMessage: 'Fault injected by side B',
});
