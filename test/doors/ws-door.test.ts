/**
 * The shared deploy scenarios (scenarios.ts) through the WebSocket server door: createMockServer
 * and a `ws`-package client, as an SDK under Node talks to it. msw-door.test.ts runs the same
 * list through the msw handler and compares the two doors' transcripts.
 */
import { describe, it } from 'vitest';
import { openWsDoor } from './doors.js';
import { runScenario, scenarios } from './scenarios.js';

describe('the WebSocket server door passes the shared deploy scenarios', () => {
  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
    await runScenario(openWsDoor, scenario);
  });
});
