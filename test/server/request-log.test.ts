/**
 * The request log: the events a server reports through `onEvent` (each kind, from the session
 * layer, the scheduler, the fault plan and the control API), and their text and JSON lines
 * (`serve` printing them: test/cli-request-log.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMockServer, DeployClient, type MockServer, type ServerEvent } from '../../src/index.js';
import { formatEvent, LOG_TEXT_LIMIT, span } from '../../src/cli/request-log.js';
import { RawClient } from '../helpers/raw-client.js';

const START = '2026-11-26T10:07:00Z';
const START_MS = Date.parse(START);

const servers: MockServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function recordingServer() {
  const events: ServerEvent[] = [];
  const server = await createMockServer({ clock: { startAt: START }, onEvent: (e) => events.push(e) });
  servers.push(server);
  return { server, events };
}

/** Resolves once `predicate` holds of the events (they arrive as the server handles frames). */
async function until(events: readonly ServerEvent[], predicate: (events: readonly ServerEvent[]) => boolean): Promise<void> {
  while (!predicate(events)) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('onEvent: what a server reports', () => {
  it('connections opened and closed, each command with its outcome and elapsed real time', async () => {
    const { server, events } = await recordingServer();
    const client = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
    await client.connect();
    await client.deploy.add({ project_id: 'reports' }, { schedule: '*/15 * * * *' });
    await client.deploy.status('missing').catch(() => {});
    await client.disconnect();
    await until(events, (e) => e.some((x) => x.type === 'connection-closed'));

    const [opened, ...rest] = events;
    expect(opened).toEqual({ type: 'connection-opened', at: START_MS, connectionId: 1 });
    const commands = rest.filter((e) => e.type === 'command');
    expect(commands.map((e) => [e.command, e.userId, e.outcome])).toEqual([
      ['auth', 'local', 'ok'],
      ['rrext_deploy_add', 'local', 'ok'],
      ['rrext_deploy_status', 'local', 'error'],
      ['deauth', 'local', 'ok'],
    ]);
    expect(commands[2]).toMatchObject({ message: 'Deployment not found: missing', at: START_MS, connectionId: 1 });
    for (const command of commands) expect(command.elapsedMs).toBeGreaterThanOrEqual(0);
    // deauth came first: the line names who the connection was.
    expect(events.at(-1)).toEqual({ type: 'connection-closed', at: START_MS, connectionId: 1, userId: 'local' });
  });

  it('runs started and ended, and clock moves, at the server clock', async () => {
    const { server, events } = await recordingServer();
    const client = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
    await client.connect();
    await client.deploy.add({ project_id: 'reports' }, { schedule: '*/15 * * * *' });
    events.length = 0;
    server.control.advance('20m');
    const quarter = Date.parse('2026-11-26T10:15:00Z');
    expect(events).toEqual([
      { type: 'run-started', at: quarter, runId: 'run-1', userId: 'local', projectId: 'reports', trigger: 'schedule' },
      {
        type: 'run-ended',
        at: quarter + 1000,
        runId: 'run-1',
        userId: 'local',
        projectId: 'reports',
        outcome: 'completed',
        durationMs: 1000,
      },
      {
        type: 'clock-moved',
        at: START_MS + 20 * 60_000,
        from: START_MS,
        ticks: { fired: 1, skipped_overlap: 0, skipped_paused: 0, errored_auth: 0 },
        runsEnded: 1,
      },
    ]);
    events.length = 0;
    server.control.trigger('local', 'reports');
    expect(events).toEqual([expect.objectContaining({ type: 'run-started', trigger: 'manual', runId: 'run-2' })]);
    server.control.advance('1s');
    expect(events.map((e) => e.type)).toEqual(['run-started', 'run-ended', 'clock-moved']);
    await client.disconnect();
  });

  it('faults fired, and the command they left unanswered', async () => {
    const { server, events } = await recordingServer();
    const raw = await RawClient.authed(server.url);
    const fault = server.control.injectFault({ kind: 'no-reply', command: 'rrext_deploy_list' });
    raw.sendRaw(JSON.stringify({ type: 'request', seq: 9, command: 'rrext_deploy_list', arguments: {} }));
    await until(events, (e) => e.some((x) => x.type === 'command' && x.command === 'rrext_deploy_list'));
    const fired = events.find((e) => e.type === 'fault-fired');
    expect(fired).toEqual({
      type: 'fault-fired',
      at: START_MS,
      faultId: fault.id,
      kind: 'no-reply',
      connectionId: 1,
      command: 'rrext_deploy_list',
    });
    expect(events.find((e) => e.type === 'command' && e.command === 'rrext_deploy_list')).toMatchObject({ outcome: 'unanswered' });
    raw.close();
  });

  it('a throwing listener breaks nothing', async () => {
    const server = await createMockServer({
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    servers.push(server);
    const client = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
    await client.connect();
    expect((await client.deploy.add({ project_id: 'p' })).state).toBe('active');
    await client.disconnect();
  });
});

describe('the log lines, text and JSON', () => {
  const at = Date.parse('2026-11-26T10:15:00Z');
  const ticks = { fired: 4, skipped_overlap: 1, skipped_paused: 0, errored_auth: 0 };
  const cases: Array<[ServerEvent, string, Record<string, unknown>]> = [
    [
      { type: 'connection-opened', at, connectionId: 3 },
      '2026-11-26T10:15:00.000Z connection 3 opened',
      { at: '2026-11-26T10:15:00.000Z', type: 'connection-opened', connectionId: 3 },
    ],
    [
      { type: 'connection-closed', at, connectionId: 3, userId: 'local' },
      '2026-11-26T10:15:00.000Z connection 3 closed (local)',
      { type: 'connection-closed', connectionId: 3, userId: 'local' },
    ],
    [
      { type: 'connection-closed', at, connectionId: 4, userId: null },
      '2026-11-26T10:15:00.000Z connection 4 closed (not authenticated)',
      { userId: null },
    ],
    [
      { type: 'command', at, connectionId: 3, userId: 'local', command: 'rrext_deploy_add', outcome: 'ok', elapsedMs: 0.4242 },
      '2026-11-26T10:15:00.000Z connection 3 local rrext_deploy_add ok 0.42ms',
      { type: 'command', command: 'rrext_deploy_add', outcome: 'ok', elapsedMs: 0.42, userId: 'local' },
    ],
    [
      {
        type: 'command',
        at,
        connectionId: 3,
        userId: null,
        command: 'rrext_deploy_list',
        outcome: 'error',
        message: 'Not authenticated',
        elapsedMs: 0.1,
      },
      '2026-11-26T10:15:00.000Z connection 3 - rrext_deploy_list error 0.1ms: Not authenticated',
      { outcome: 'error', message: 'Not authenticated', userId: null },
    ],
    [
      { type: 'run-started', at, runId: 'run-7', userId: 'local', projectId: 'reports', trigger: 'schedule' },
      '2026-11-26T10:15:00.000Z run run-7 started (schedule): local/reports',
      { type: 'run-started', runId: 'run-7', projectId: 'reports', trigger: 'schedule' },
    ],
    [
      { type: 'run-ended', at, runId: 'run-7', userId: 'local', projectId: 'reports', outcome: 'failed', durationMs: 270_000 },
      '2026-11-26T10:15:00.000Z run run-7 failed after 4m30s: local/reports',
      { type: 'run-ended', outcome: 'failed', durationMs: 270_000 },
    ],
    [
      { type: 'clock-moved', at, from: at - 3_600_000, ticks, runsEnded: 4 },
      '2026-11-26T10:15:00.000Z clock moved from 2026-11-26T09:15:00.000Z (+1h): fired 4, skipped_overlap 1, runs ended 4',
      { type: 'clock-moved', from: '2026-11-26T09:15:00.000Z', ticks, runsEnded: 4 },
    ],
    [
      { type: 'fault-fired', at, faultId: 'f2', kind: 'delay', connectionId: 3, command: 'rrext_deploy_list' },
      '2026-11-26T10:15:00.000Z fault f2 (delay) fired on connection 3: rrext_deploy_list',
      { type: 'fault-fired', faultId: 'f2', kind: 'delay' },
    ],
    [
      { type: 'demo-seeded', at, from: at - 86_400_000, deployments: 25, seed: 1, runs: 900 },
      '2026-11-26T10:15:00.000Z demo seeded 25 deployments (seed 1), 900 runs; the clock moved from 2026-11-25T10:15:00.000Z (+1d)',
      { type: 'demo-seeded', from: '2026-11-25T10:15:00.000Z', deployments: 25, seed: 1, runs: 900 },
    ],
  ];

  it.each(cases)('%o', (event, text, json) => {
    expect(formatEvent(event, 'text')).toBe(text);
    const line = formatEvent(event, 'json');
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toMatchObject({ at: '2026-11-26T10:15:00.000Z', ...json });
  });

  it('keeps a hostile command name on one line, clipped', () => {
    const command = `evil\ncommand\u2028${'x'.repeat(1000)}`;
    const event: ServerEvent = {
      type: 'command',
      at,
      connectionId: 1,
      userId: null,
      command,
      outcome: 'error',
      message: 'm',
      elapsedMs: 1,
    };
    const text = formatEvent(event, 'text');
    expect(text.split('\n')).toHaveLength(1);
    expect(text).toContain('evil\\u000acommand\\u2028xxx');
    expect(text).toContain('…');
    const json = JSON.parse(formatEvent(event, 'json')) as { command: string };
    expect(json.command).toBe(`${command.slice(0, LOG_TEXT_LIMIT)}…`);
  });

  it('writes spans as people read them', () => {
    expect([0, 999, 1000, 61_000, 3_600_000, 90_061_000].map(span)).toEqual(['0ms', '999ms', '1s', '1m1s', '1h', '1d1h1m1s']);
  });
});
