/**
 * `serve`'s request log as a real child process prints it: text by default, JSON lines with
 * --log-format json, nothing with --quiet; always after the start-up lines, on stdout.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DeployClient } from '../src/index.js';
import { spawnCli } from './helpers/cli.js';

const START = '2026-11-26T10:07:00Z';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('serve prints the log after its start-up lines', () => {
  /** Starts serve; resolves once the start-up lines are out. */
  async function serve(extra: string[]) {
    const cli = spawnCli(['serve', '--port', '0', '--clock', 'fake', '--start-at', START, ...extra], children);
    const url = await new Promise<string>((resolve, reject) => {
      const check = () => {
        const { stdout } = cli.output();
        const match = /ws:\/\/\S+\/task\/service/.exec(stdout);
        if (match && /^users: .*\n/m.test(stdout)) resolve(match[0]);
      };
      cli.child.stdout.on('data', check);
      cli.child.on('exit', () => reject(new Error(`serve exited: ${cli.output().stderr}`)));
    });
    return { ...cli, url, base: url.replace(/^ws:/, 'http:').replace(/\/task\/service$/, '') };
  }

  /**
   * A client's session, an injected fault and a clock move: every kind of line but a demo's.
   * Then SIGTERM: answers what serve printed after its four start-up lines.
   */
  async function logOf(cli: Awaited<ReturnType<typeof serve>>): Promise<string[]> {
    const post = (path: string, body: object) => fetch(`${cli.base}/control/${path}`, { method: 'POST', body: JSON.stringify(body) });
    await post('faults', { kind: 'delay', ms: 1, command: 'rrext_deploy_list' });
    const client = new DeployClient({ uri: cli.url, auth: 'MYAPIKEY' });
    await client.connect();
    await client.deploy.add({ project_id: 'reports' }, { schedule: '*/15 * * * *' });
    await client.deploy.list();
    await client.disconnect();
    // The server has seen the close once no connection is left open.
    while (((await (await fetch(`${cli.base}/control/connections`)).json()) as unknown[]).length > 0);
    await post('clock/advance', { by: '15m' });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const lines = cli.output().stdout.split('\n');
    expect(lines[0]).toContain('listening on ws://');
    expect(lines[3]).toMatch(/^users: /);
    expect(lines.at(-2)).toMatch(/^SIGTERM received, shutting down/);
    return lines.slice(4, -2);
  }

  it('as text by default', async () => {
    const lines = await logOf(await serve([]));
    expect(lines.map((line) => line.replace(/ \d+(\.\d+)?ms/, ' Tms'))).toEqual([
      '2026-11-26T10:07:00.000Z connection 1 opened',
      '2026-11-26T10:07:00.000Z connection 1 local auth ok Tms',
      '2026-11-26T10:07:00.000Z connection 1 local rrext_deploy_add ok Tms',
      '2026-11-26T10:07:00.000Z fault f1 (delay) fired on connection 1: rrext_deploy_list',
      '2026-11-26T10:07:00.000Z connection 1 local rrext_deploy_list ok Tms',
      '2026-11-26T10:07:00.000Z connection 1 local deauth ok Tms',
      '2026-11-26T10:07:00.000Z connection 1 closed (local)',
      '2026-11-26T10:15:00.000Z run run-1 started (schedule): local/reports',
      '2026-11-26T10:15:01.000Z run run-1 completed after 1s: local/reports',
      '2026-11-26T10:22:00.000Z clock moved from 2026-11-26T10:07:00.000Z (+15m): fired 1, runs ended 1',
    ]);
  });

  it('as JSON lines with --log-format json', async () => {
    const events = (await logOf(await serve(['--log-format', 'json']))).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((e) => e['type'])).toEqual([
      'connection-opened',
      'command',
      'command',
      'fault-fired',
      'command',
      'command',
      'connection-closed',
      'run-started',
      'run-ended',
      'clock-moved',
    ]);
    expect(events[4]).toMatchObject({
      at: '2026-11-26T10:07:00.000Z',
      connectionId: 1,
      userId: 'local',
      command: 'rrext_deploy_list',
      outcome: 'ok',
    });
    expect(events[4]!['elapsedMs']).toBeGreaterThanOrEqual(1); // the injected 1 ms delay, in real time
    expect(events[9]).toMatchObject({ at: '2026-11-26T10:22:00.000Z', from: '2026-11-26T10:07:00.000Z', runsEnded: 1 });
  });

  it('not at all with --quiet', async () => {
    expect(await logOf(await serve(['--quiet']))).toEqual([]);
  });

  it('stops, and serving goes on, when whoever read stdout goes away (serve | head)', async () => {
    const cli = await serve([]);
    cli.child.stdout.destroy(); // the reading end of the pipe closes: the next log line gets EPIPE
    const client = new DeployClient({ uri: cli.url, auth: 'MYAPIKEY' });
    await client.connect();
    for (let i = 0; i < 20; i++) await client.deploy.add({ project_id: `p${i}` }, { schedule: '*/15 * * * *' });
    expect(await client.deploy.list()).toHaveLength(20);
    await client.disconnect();
    expect(cli.child.exitCode).toBeNull();
    expect(cli.output().stderr).toMatch(/standard output closed \(EPIPE\): nothing more is printed there; still serving\n$/);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('refuses an unknown --log-format', async () => {
    const cli = spawnCli(['serve', '--log-format', 'xml'], children);
    expect(await cli.exited).toBe(2);
    expect(cli.output().stderr).toMatch(/--log-format must be one of "text", "json" \(got "xml"\)/);
  });
});
