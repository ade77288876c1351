/**
 * No error carries a file path, a stack trace or another user's data (DEP-MSG-1, DEP-ISO-1,
 * issue 7), from every door: DAP failures (ids that look like paths, `../` ids, schedule
 * garbage, an internal error), the HTTP control API's error answers, and one user's lists and
 * errors against another user's deployments. The same probes run against mutants that leak
 * (the real server's faults), so the checks are shown to catch what they look for.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeaks } from '../../fuzz/oracle-replies.js';
import { buildDeployCore } from '../../src/core-build.js';
import { DapSession, messages } from '../../src/dap/session.js';
import { createMockServer, type MockServer } from '../../src/index.js';
import type { UserSpec } from '../../src/auth/users.js';
import { createMutantServer } from '../../src/testing/mutants/index.js';
import { RawClient } from '../helpers/raw-client.js';

/** Two users whose data is recognisable: no answer to one may carry the other's. */
const A = 'leakprobe-a';
const B = 'leakprobe-b';
const user = (id: string): UserSpec => ({
  userId: `${id}-user`,
  keys: [`${id}-KEY`],
  defaultTeam: 't',
  organizations: [{ id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: ['task.control', 'task.monitor'] }] }],
});
const USERS = [user(A), user(B)];
/** B's data: its user id, key, project ids and pipeline contents. */
const B_SECRETS = [`${B}-user`, `${B}-KEY`, `${B}-p1`, `${B}-p2`, `${B}-secret`];

/** One request and what came back, as text. */
interface Exchange {
  readonly sent: string;
  readonly received: string;
}

/** B stores deployments; then A probes every DAP error it can provoke, and lists. */
async function dapExchanges(url: string): Promise<Exchange[]> {
  const b = await RawClient.authed(url, `${B}-KEY`);
  for (const id of [`${B}-p1`, `${B}-p2`]) {
    const added = await b.request('rrext_deploy_add', {
      pipeline: { project_id: id, secret: `${B}-secret`, steps: [`${B}-secret`] },
      schedule: '@daily',
    });
    expect(added.success).toBe(true);
  }
  b.close();

  const a = await RawClient.authed(url, `${A}-KEY`);
  await a.request('rrext_deploy_add', { pipeline: { project_id: `${A}-own` } });
  const ids = [
    'unknown',
    '/etc/passwd',
    '../../etc/passwd',
    `../${B}-p1`,
    `../../${B}-user/deployments/${B}-p1`,
    `users/${B}-user/deployments/${B}-p1.json`,
    `${B}-p1`, // B's own id, asked for by A: A has no such deployment
    '%2e%2e%2f%2e%2e%2f',
    'C:\\Windows\\win.ini',
    '.',
    '..',
    'x'.repeat(20_000), // over the id length limit
  ];
  const probes: Array<[string, unknown]> = [
    ...ids.flatMap((id): Array<[string, unknown]> => [
      ['rrext_deploy_status', { projectId: id }],
      ['rrext_deploy_remove', { projectId: id }],
      ['rrext_deploy_update', { projectId: id, schedule: '@daily' }],
    ]),
    ...[42, null, '@reboot', '* * * * * *', { cron: '/tmp/x' }, ['0', '*'], 'x'.repeat(5_000), '0 0 30 2 *'].map(
      (schedule): [string, unknown] => ['rrext_deploy_update', { projectId: `${A}-own`, schedule }],
    ),
    ['rrext_deploy_add', { pipeline: { project_id: `${A}-bad` }, schedule: { a: [1, { b: '../' }] } }],
    ['rrext_deploy_add', { pipeline: { project_id: `${A}-own` } }], // already exists
    ['rrext_deploy_add', { pipeline: { project_id: 7 } }],
    ['rrext_deploy_add', { pipeline: '../../etc/passwd' }],
    ['rrext_deploy_update', { projectId: `${A}-own`, pipeline: [] }],
    ['rrext_deploy_status', {}],
    ['rrext_deploy_list', {}],
    ['rrext_../../etc/passwd', {}],
    ['rrext_deploy_statuz', { projectId: `${B}-p1` }],
  ];
  const exchanges: Exchange[] = [];
  for (const [command, args] of probes) {
    const reply = await a.request(command, args);
    exchanges.push({ sent: JSON.stringify({ command, arguments: args }), received: JSON.stringify(reply) });
  }
  a.close();
  return exchanges;
}

/** Every leak in the exchanges: paths and stack frames the asker did not send, and B's data. */
function leaksIn(exchanges: readonly Exchange[], forbidden: readonly string[]): string[] {
  return exchanges.flatMap(({ sent, received }) =>
    findLeaks(received, sent, forbidden).map((leak) => `${leak}\n  (asked: ${sent.slice(0, 120)})`),
  );
}

describe('DAP errors and lists (DEP-MSG-1, DEP-ISO-1)', () => {
  let server: MockServer;
  beforeAll(async () => {
    server = await createMockServer({ users: USERS });
  });
  afterAll(() => server.close());

  it("carry no path, no stack frame, and none of another user's data", async () => {
    const exchanges = await dapExchanges(server.url);
    expect(exchanges.length).toBeGreaterThan(40);
    expect(leaksIn(exchanges, B_SECRETS)).toEqual([]);
    // A's list holds exactly A's own deployment.
    const list = JSON.parse(exchanges.find((e) => e.sent.includes('rrext_deploy_list'))!.received);
    expect(list.body.deployments.map((d: { pipeline: { project_id: string } }) => d.pipeline.project_id)).toEqual([`${A}-own`]);
  });

  // The probes find the leaks of servers that have them: the real server's faults, as mutants.
  it.each([
    ['message-leaks-path', /the storage layout/],
    ['list-leaks-other-users', /another user's data/],
    ['project-id-as-path', /another user's data/],
  ])('catch a server with the fault %s', async (mutant, finding) => {
    const broken = await createMutantServer([mutant], { users: USERS });
    try {
      const leaks = leaksIn(await dapExchanges(broken.url), B_SECRETS);
      expect(leaks.join('\n')).toMatch(finding);
    } finally {
      await broken.close();
    }
  });
});

describe('an internal error', () => {
  it('reaches the client only as "Internal error while handling <command>"; the details go to the log', () => {
    const core = buildDeployCore({ users: USERS });
    const logged: unknown[] = [];
    const sent: string[] = [];
    const secretError = new Error(`ENOENT: open '/home/ci/.rrdk/users/${B}-user/deployments/${B}-p1.json'`);
    secretError.stack = `${secretError.message}\n    at Store.get (/work/main/src/domain/store.ts:12:3)\n    at file:///work/main/node_modules/x/index.js:1:1`;
    const deploy = Object.create(core.deploy) as typeof core.deploy;
    deploy.list = () => {
      throw secretError;
    };
    const session = new DapSession(
      { ...core, deploy, onInternalError: (error) => logged.push(error) },
      { send: (t) => sent.push(t), close: () => {} },
    );
    session.receive(JSON.stringify({ type: 'request', seq: 1, command: 'auth', arguments: { auth: `${A}-KEY` } }), false);
    const request = JSON.stringify({ type: 'request', seq: 2, command: 'rrext_deploy_list' });
    session.receive(request, false);

    const reply = JSON.parse(sent[1]!);
    expect(reply).toMatchObject({ request_seq: 2, success: false, message: messages.internal('rrext_deploy_list') });
    expect(reply.message).toBe('Internal error while handling rrext_deploy_list');
    expect(findLeaks(sent[1]!, request, B_SECRETS)).toEqual([]);
    expect(logged).toEqual([secretError]);
    // The check itself would have seen the error's text, had it been sent.
    expect(findLeaks(JSON.stringify({ message: secretError.stack }), request, B_SECRETS)).not.toEqual([]);
    core.stop();
  });
});

describe('the HTTP control API', () => {
  let server: MockServer;
  beforeAll(async () => {
    server = await createMockServer({ users: USERS });
    const b = await RawClient.authed(server.url, `${B}-KEY`);
    await b.request('rrext_deploy_add', { pipeline: { project_id: `${B}-p1`, secret: `${B}-secret` } });
    b.close();
  });
  afterAll(() => server.close());

  /** A request sent as written (no URL normalisation: `..` and bad escapes reach the server). */
  function raw(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: server.host, port: server.port, method, path, headers: body === undefined ? {} : { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  const errors: Array<[string, string, string?]> = [
    ['POST', '/control/clock', '{"to": '],
    ['POST', '/control/clock', '[1, 2]'],
    ['POST', '/control/clock', '{"to": "/tmp/not-a-time"}'],
    ['POST', '/control/clock/advance', '{"by": "forever"}'],
    ['GET', '/control/nope'],
    ['GET', '/control/../../etc/passwd'],
    ['GET', '/control/deployments/%2e%2e/%2e%2e'],
    ['GET', '/control/deployments/%E0%A4%A/x'],
    ['GET', `/control/deployments/${B}-user/unknown`],
    ['GET', '/control/deployments/ghost-user/x'],
    ['POST', `/control/deployments/ghost-user/${B}-p1/pause`],
    ['POST', '/control/runs/ghost-run/end', '{}'],
    ['POST', '/control/runs/1/end', '{"outcome": "exploded"}'],
    ['POST', '/control/faults/ghost/remove'],
    ['POST', '/control/faults', '{"kind": "teleport"}'],
    ['POST', '/control/keys/revoke', '{"key": "/home/ghost/.key"}'],
    ['POST', '/control/users', '{"userId": 7}'],
    ['GET', '/control/runs?bogus=/tmp/x'],
    ['DELETE', '/control/clock'],
  ];
  it.each(errors)('%s %s answers a JSON error with no path, stack frame or stored data', async (method, path, body) => {
    const { status, text } = await raw(method, path, body);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    const parsed = JSON.parse(text);
    expect(parsed.error.message).toEqual(expect.any(String));
    expect(parsed.error.code).toEqual(expect.any(String));
    // Another user's stored pipeline never appears in an error (ids may, when asked for).
    expect(findLeaks(text, `${method} ${path} ${body ?? ''} ${decodeURIComponentSafe(path)}`, [`${B}-secret`])).toEqual([]);
  });
});

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
