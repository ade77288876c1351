/**
 * WIRE-1..9: the session and the transport. Wherever the spec or wire.md gives an exact value (the
 * first `seq`, the auth cap, a message, a body), the check asserts that value, not a relation
 * that a wrong server could also satisfy.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { check, property, soft } from '../context.js';
import type { DapConnection, DapReply } from '../dap.js';
import { defaultTeamGrants, show, WORDS } from '../model.js';

/** The commands wire.md names: their exact spelling is the only one served (WIRE-8). */
const COMMANDS = [
  'auth',
  'deauth',
  'rrext_ping',
  'rrext_public_probe',
  'rrext_deploy_add',
  'rrext_deploy_remove',
  'rrext_deploy_list',
  'rrext_deploy_status',
  'rrext_deploy_update',
];
const TOO_MANY = WORDS.tooManyAttempts;
const NOT_AUTHENTICATED = WORDS.notAuthenticated;

/** WIRE-2's envelope, softly: every finding is reported, not only the first. */
function envelope(reply: DapReply, seq: number, command: string, what: string): void {
  soft('WIRE-2', () => expect(reply.type, `${what}: type`).toBe('response'));
  soft('WIRE-2', () => expect(reply.request_seq, `${what}: request_seq`).toBe(seq));
  soft('WIRE-2', () => expect(reply.command, `${what}: command must be echoed exactly`).toBe(command));
  soft('WIRE-2', () => expect(typeof reply.success, `${what}: success must be a boolean`).toBe('boolean'));
  if (reply.success === false) {
    soft('WIRE-2', () =>
      expect(typeof reply.message === 'string' && reply.message !== '', `${what}: a failure needs a non-empty message: ${reply.raw}`).toBe(
        true,
      ),
    );
    soft('WIRE-2', () => expect(reply, `${what}: a failure carries no body`).not.toHaveProperty('body'));
  }
}

check(
  ['WIRE-1', 'WIRE-2', 'WIRE-4'],
  'auth with a valid key answers one single-line response with a ConnectResult: user, token, organizations and teams with permissions',
  async (t) => {
    const c = await t.connect();
    const reply = await c.request('auth', { auth: t.config.keys.primary, clientName: 'TypeScript SDK', clientVersion: '1.1.0' }, 1);
    soft('WIRE-1', () => expect(reply.raw, 'a frame the server sends is single-line JSON').not.toMatch(/[\r\n]/));
    envelope(reply, 1, 'auth', 'auth');
    expect(reply.success, `auth: ${show(reply.message)}`).toBe(true);
    const body = reply.body as Record<string, any>;
    soft('WIRE-4', () =>
      expect(typeof body?.userToken, 'ConnectResult.userToken must be a string (the SDKs reconnect with it when it is not empty)').toBe(
        'string',
      ),
    );
    for (const field of ['userId', 'displayName', 'defaultTeam']) {
      soft('WIRE-4', () =>
        expect(
          typeof body?.[field] === 'string' && body[field] !== '',
          `ConnectResult.${field} must be a non-empty string: ${show(body?.[field])}`,
        ).toBe(true),
      );
    }
    const organizations: any[] = Array.isArray(body?.organizations) ? body.organizations : [];
    soft('WIRE-4', () =>
      expect(organizations.length, `ConnectResult.organizations must be a non-empty array: ${show(body?.organizations)}`).toBeGreaterThan(
        0,
      ),
    );
    const teams = organizations.flatMap((org) => (Array.isArray(org?.teams) ? org.teams : []));
    for (const org of organizations) {
      soft('WIRE-4', () =>
        expect(
          [typeof org?.id, typeof org?.name, Array.isArray(org?.permissions), Array.isArray(org?.teams)],
          `an organization has id, name, permissions, teams: ${show(org)}`,
        ).toEqual(['string', 'string', true, true]),
      );
    }
    for (const team of teams) {
      soft('WIRE-4', () =>
        expect(
          [typeof team?.id, typeof team?.name, Array.isArray(team?.permissions)],
          `a team has id, name, permissions: ${show(team)}`,
        ).toEqual(['string', 'string', true]),
      );
    }
    // The SDKs read the permissions of the team named by defaultTeam (org.admin grants them all):
    // the primary key is a full user's, so that team must grant both deploy permissions.
    const { home, granted } = defaultTeamGrants(body);
    soft('WIRE-4', () => expect(home, `defaultTeam ${show(body?.defaultTeam)} must name a team of an organization`).toBeDefined());
    if (!granted.has('org.admin')) {
      for (const permission of ['task.control', 'task.monitor'])
        soft('WIRE-4', () => expect([...granted], `the full user's default team grants ${permission}`).toContain(permission));
    }
  },
);

check(
  ['WIRE-2'],
  "the server's seq starts at 1 on every connection and grows by exactly one per message sent there, whatever the requests' seq",
  async (t) => {
    // Three connections used in turn, with failures, a deauth, a re-auth and an auth after the
    // deauth among the messages: a counter shared between connections, one that starts anywhere
    // but 1, restarts on (re-)auth, or skips or repeats a value shows at once.
    const anon = await t.connect();
    const a = await t.connect();
    const b = await t.connect();
    const seen = new Map<DapConnection, unknown[]>([
      [anon, []],
      [a, []],
      [b, []],
    ]);
    const steps: Array<[DapConnection, string, unknown, number]> = [
      [anon, 'rrext_public_probe', undefined, 900],
      [a, 'auth', { auth: t.config.keys.primary }, 1],
      [b, 'auth', { auth: t.config.keys.primary }, 42],
      [a, 'rrext_ping', {}, 7],
      [anon, 'rrext_public_probe', {}, 3],
      [b, 'rrext_no_such_command', {}, 43],
      [a, 'rrext_deploy_list', undefined, 8],
      [b, 'rrext_ping', undefined, 0],
      [a, 'rrext_deploy_status', { projectId: t.projectId('wire-seq') }, 9],
      [anon, 'rrext_public_probe', {}, 2],
      [b, 'deauth', undefined, 44],
      [b, 'rrext_public_probe', undefined, 45],
      [a, 'auth', { auth: t.config.keys.secondary ?? t.config.keys.primary }, 10],
      [b, 'auth', { auth: t.config.keys.primary }, 46],
      [a, 'rrext_ping', undefined, 1_000_000],
      [b, 'rrext_ping', undefined, 47],
    ];
    for (const [c, command, args, seq] of steps) {
      const reply = await c.request(command, args, seq);
      envelope(reply, seq, command, `${c.name} ${command} (seq ${seq})`);
      seen.get(c)!.push(reply.seq);
    }
    for (const [c, seqs] of seen) {
      soft('WIRE-2', () =>
        expect(seqs, `${c.name}: the server's seq on this connection, message by message`).toEqual(seqs.map((_, i) => i + 1)),
      );
    }
  },
);

check(['WIRE-2', 'WIRE-8'], 'an unknown command fails with a message naming it, and the connection stays open', async (t) => {
  const c = await t.session();
  const reply = await c.request('rrext_no_such_command', {}, 5);
  envelope(reply, 5, 'rrext_no_such_command', 'rrext_no_such_command');
  expect(reply.success).toBe(false);
  soft('WIRE-8', () => expect(String(reply.message)).toContain('rrext_no_such_command'));
  expect((await c.request('rrext_ping')).success, 'the connection must stay open and authenticated').toBe(true);
});

/** Ways to misspell a command that a server normalising names would still serve. */
function variants(command: string): string[] {
  const swapped = [...command].map((ch, i) => (i % 2 === 0 ? ch.toUpperCase() : ch)).join('');
  return [
    command.toUpperCase(),
    command[0]!.toUpperCase() + command.slice(1),
    swapped,
    ` ${command}`,
    `${command} `,
    `${command}\n`,
    `${command}\t`,
    `${command}\u0000`,
    command.replace(/_/g, '-'),
    command.replace(/_/g, '\uff3f'), // FULLWIDTH LOW LINE: NFKC makes it '_'
    `${command}s`,
    command.slice(0, -1),
  ].filter((v) => v !== command);
}

check(
  ['WIRE-8', 'WIRE-2'],
  'command names are case-sensitive and exact: case, whitespace, lookalike and near variants of every command are unknown commands that change nothing',
  async (t) => {
    const c = await t.session();
    const kept = t.projectId('wire-names');
    const added = await t.add(c, t.config.keys.primary, { pipeline: { project_id: kept, v: 1 }, schedule: '@daily' });
    expect(added.success, `add ${kept}: ${show(added.message)}`).toBe(true);
    const before = (await c.request('rrext_deploy_status', { projectId: kept })).body;
    const fresh = t.projectId('wire-names-new');
    t.created(t.config.keys.primary, fresh);
    const argsOf: Record<string, unknown> = {
      auth: { auth: t.config.keys.secondary ?? t.config.keys.primary },
      rrext_deploy_add: { pipeline: { project_id: fresh } },
      rrext_deploy_remove: { projectId: kept },
      rrext_deploy_status: { projectId: kept },
      rrext_deploy_update: { projectId: kept, schedule: '@hourly' },
    };
    for (const command of COMMANDS) {
      for (const variant of variants(command)) {
        const reply = await c.request(variant, argsOf[command] ?? {});
        const what = `${show(variant)} (a variant of ${command})`;
        soft('WIRE-8', () => expect(reply.success, `${what} must be an unknown command: ${reply.raw}`).toBe(false));
        soft('WIRE-8', () => expect(String(reply.message), `${what}: the message must name the command`).toContain(variant.trim()));
        soft('WIRE-2', () => expect(reply.command, `${what}: command must be echoed exactly`).toBe(variant));
        if (!c.isOpen) {
          soft('WIRE-8', () =>
            expect.fail(`${what}: the connection must stay open after an unknown command (closed ${show(c.closeInfo)})`),
          );
          return;
        }
      }
    }
    // Nothing a variant asked for happened: still authenticated (as the same user), nothing added, nothing changed.
    const ping = await c.request('rrext_ping');
    soft('WIRE-8', () =>
      expect(ping.success, `after the variants of deauth the connection must still be authenticated: ${ping.raw}`).toBe(true),
    );
    const after = await c.request('rrext_deploy_status', { projectId: kept });
    soft('WIRE-8', () => expect(after.body, `${kept} must be unchanged by the variants of remove and update`).toEqual(before));
    const created = await c.request('rrext_deploy_status', { projectId: fresh });
    soft('WIRE-8', () => expect(created.success, `a variant of rrext_deploy_add created ${fresh}`).toBe(false));
  },
);

check(
  ['WIRE-3', 'WIRE-8'],
  'before auth, a gated command (variants of auth and of rrext_public_ included) fails with exactly "Not authenticated" and the connection is closed',
  async (t) => {
    const gated = [
      'rrext_ping',
      'rrext_deploy_list',
      'deauth',
      'rrext_nope',
      'AUTH',
      'Auth',
      ' auth',
      'RREXT_PUBLIC_PROBE',
      'Rrext_public_probe',
    ];
    for (const command of gated) {
      const c = await t.connect();
      const reply = await c.request(command, command.trim().toLowerCase() === 'auth' ? { auth: t.config.keys.primary } : {});
      soft('WIRE-3', () => expect([reply.success, reply.message], `${show(command)} before auth`).toEqual([false, NOT_AUTHENTICATED]));
      const closed = await c.waitForClose();
      soft('WIRE-3', () => expect(closed, `${show(command)} before auth: the connection should close`).toBeDefined());
    }
    // A public command that does not exist is an unknown command, not a gated one: the connection stays open.
    const c = await t.connect();
    const reply = await c.request('rrext_public_no_such_probe', {});
    soft('WIRE-8', () => expect(reply.success, `rrext_public_no_such_probe: ${reply.raw}`).toBe(false));
    soft('WIRE-3', () => expect(reply.message, 'rrext_public_* is served before auth (as an unknown command)').not.toBe(NOT_AUTHENTICATED));
    soft('WIRE-8', () => expect(c.isOpen, 'rrext_public_no_such_probe: the connection stays open').toBe(true));
  },
);

check(
  ['WIRE-4'],
  'a valid credential is also the key with a "Bearer " prefix, and the userToken a ConnectResult gave (the SDKs reconnect with it): each authenticates as the same user',
  async (t) => {
    const first = await t.connect();
    const reply = await first.request('auth', { auth: t.config.keys.primary });
    expect(reply.success, `auth: ${reply.raw}`).toBe(true);
    const { userId, userToken } = reply.body as { userId: string; userToken: string };
    const credentials: Array<[string, string]> = [
      ['the key with a "Bearer " prefix (wire.md: stripped)', `Bearer ${t.config.keys.primary}`],
    ];
    // An empty userToken means "keep the key" (wire.md): then there is no token to try.
    if (userToken !== '') credentials.push(['the userToken of an earlier ConnectResult, on a new connection', userToken]);
    for (const [what, auth] of credentials) {
      const c = await t.connect();
      const again = await c.request('auth', { auth });
      soft('WIRE-4', () =>
        expect([again.success, again.body?.userId], `auth with ${what}: ${again.raw.slice(0, 200)}`).toEqual([true, userId]),
      );
    }
  },
);

check(
  ['WIRE-4'],
  "every login's userToken is its own: tokens of two logins differ, and each still authenticates as its own user after the other logins",
  async (t) => {
    const keys = [t.config.keys.primary, t.config.keys.primary, ...(t.config.keys.secondary ? [t.config.keys.secondary] : [])];
    const logins: Array<{ userId: string; userToken: string }> = [];
    for (const key of keys) {
      const reply = await (await t.connect()).request('auth', { auth: key });
      expect(reply.success, `auth: ${reply.raw.slice(0, 200)}`).toBe(true);
      logins.push(reply.body as { userId: string; userToken: string });
    }
    // An empty userToken means "keep the key" (wire.md): nothing to compare or reconnect with.
    const issued = logins.filter((login) => login.userToken !== '');
    const tokens = issued.map((login) => login.userToken);
    soft('WIRE-4', () =>
      expect(new Set(tokens).size, `each login gets a fresh userToken (wire.md), got ${show(tokens)}`).toBe(tokens.length),
    );
    for (const login of issued) {
      const again = await (await t.connect()).request('auth', { auth: login.userToken });
      soft('WIRE-4', () =>
        expect(
          [again.success, again.body?.userId],
          `the userToken issued to ${login.userId}, after the other logins: ${again.raw.slice(0, 200)}`,
        ).toEqual([true, login.userId]),
      );
    }
  },
);

check(['WIRE-4'], 'an invalid, empty, missing or non-string credential fails, then the connection is closed', async (t) => {
  // A credential that is not a string is no valid credential either: a failure, never an
  // internal error left open.
  for (const auth of ['', `${t.config.prefix}not-a-key`, 42, null, [t.config.keys.primary], { key: t.config.keys.primary }, undefined]) {
    const c = await t.connect();
    const reply = await c.request('auth', auth === undefined ? {} : { auth });
    soft('WIRE-4', () => expect(reply.success, `auth with ${show(auth)}: ${reply.raw}`).toBe(false));
    soft('WIRE-4', () =>
      expect(String(reply.message ?? '').length, `auth with ${show(auth)}: a failure needs a message`).toBeGreaterThan(0),
    );
    const closed = await c.waitForClose();
    soft('WIRE-4', () => expect(closed, `auth with ${show(auth)}: the connection should close`).toBeDefined());
  }
});

check(
  ['WIRE-3', 'WIRE-4', 'WIRE-5'],
  'frames sent right behind a request that closes the connection (a gated command before auth, an invalid key, a 6th auth) are never executed',
  async (t) => {
    const frame = (seq: number, command: string, args?: unknown) =>
      JSON.stringify({ type: 'request', seq, command, ...(args === undefined ? {} : { arguments: args }) });
    const key = t.config.keys.primary;
    const scenarios: Array<[string, number, string[]]> = [
      ['a gated command before auth', 0, [frame(1, 'rrext_ping'), frame(2, 'auth', { auth: key })]],
      ['an invalid key', 0, [frame(1, 'auth', { auth: `${t.config.prefix}not-a-key` }), frame(2, 'auth', { auth: key })]],
      ['a 6th auth', 5, [frame(6, 'auth', { auth: key })]],
    ];
    const checker = await t.session();
    for (const [what, auths, closing] of scenarios) {
      const c = await t.connect();
      for (let i = 1; i <= auths; i++) expect((await c.request('auth', { auth: key }, i)).success, `auth ${i} of 5`).toBe(true);
      const id = `${t.config.prefix}behind-close-${auths}-${closing.length}`;
      // Sent at once, without waiting: they reach the server before it has closed the connection.
      for (const text of [...closing, frame(90, 'rrext_deploy_add', { pipeline: { project_id: id } })]) await c.sendRaw(text);
      await c.waitForClose();
      const status = await checker.request('rrext_deploy_status', { projectId: id });
      soft(() => expect(status.success, `an add sent right behind ${what} was executed: ${status.raw.slice(0, 200)}`).toBe(false));
      if (status.success) await checker.request('rrext_deploy_remove', { projectId: id });
    }
  },
);

check(
  ['WIRE-5'],
  'exactly 5 auth per connection lifetime: successes, re-auths and auths after deauth all count; the 6th fails (Too many authentication attempts) and closes; each connection counts its own',
  async (t) => {
    const second = t.config.keys.secondary ?? t.config.keys.primary;
    const x = await t.connect();
    const y = await t.connect();
    // Connection x: auth, re-auth, deauth, auth, deauth, auth (another user), auth: five, all successes.
    // Connection y, in between: five plain auths. Probes count for nothing.
    const steps: Array<[DapConnection, string, unknown]> = [
      [x, 'auth', { auth: t.config.keys.primary }],
      [y, 'auth', { auth: t.config.keys.primary }],
      [x, 'auth', { auth: t.config.keys.primary }],
      [x, 'rrext_public_probe', {}],
      [x, 'deauth', {}],
      [y, 'auth', { auth: t.config.keys.primary }],
      [x, 'auth', { auth: t.config.keys.primary }],
      [x, 'deauth', {}],
      [y, 'auth', { auth: second }],
      [x, 'auth', { auth: second }],
      [y, 'auth', { auth: t.config.keys.primary }],
      [x, 'auth', { auth: t.config.keys.primary }],
      [y, 'auth', { auth: t.config.keys.primary }],
    ];
    const counted = new Map<DapConnection, number>();
    for (const [c, command, args] of steps) {
      const reply = await c.request(command, args);
      if (command === 'auth') counted.set(c, (counted.get(c) ?? 0) + 1);
      expect(
        reply.success,
        `${c.name}: ${command} number ${counted.get(c) ?? 0} of the connection's life must succeed (the cap is 5): ${reply.raw}`,
      ).toBe(true);
    }
    for (const c of [x, y]) {
      expect((await c.request('rrext_ping')).success, `${c.name}: authenticated after its fifth auth`).toBe(true);
      const sixth = await c.request('auth', { auth: t.config.keys.primary });
      soft('WIRE-5', () => expect([sixth.success, sixth.message], `${c.name}: the 6th auth of the connection`).toEqual([false, TOO_MANY]));
      const closed = await c.waitForClose();
      soft('WIRE-5', () => expect(closed, `${c.name}: the connection must close after the 6th auth`).toBeDefined());
    }
  },
);

check(
  ['WIRE-6', 'WIRE-3', 'WIRE-7'],
  'deauth answers {} and the connection is unauthenticated again: public commands still served, anything else "Not authenticated" and the close',
  async (t) => {
    const c = await t.session();
    const reply = await c.request('deauth');
    expect(reply.success, `deauth: ${reply.raw}`).toBe(true);
    soft('WIRE-6', () => expect(reply.body, 'deauth answers body {} (wire.md)').toEqual({}));
    const probe = await c.request('rrext_public_probe');
    soft('WIRE-7', () => expect(probe.success, `rrext_public_probe after deauth: ${probe.raw}`).toBe(true));
    const gated = await c.request('rrext_ping');
    soft('WIRE-6', () => expect([gated.success, gated.message], 'rrext_ping after deauth').toEqual([false, NOT_AUTHENTICATED]));
    const closed = await c.waitForClose();
    soft('WIRE-3', () => expect(closed, 'a gated request after deauth closes the connection').toBeDefined());
  },
);

check(
  ['WIRE-7'],
  'rrext_ping answers {"pong": true} once authenticated; rrext_public_probe answers version, capabilities, platform and apps before and after',
  async (t) => {
    const c = await t.connect();
    const probes = [await c.request('rrext_public_probe')];
    expect((await c.request('auth', { auth: t.config.keys.primary })).success).toBe(true);
    const ping = await c.request('rrext_ping');
    soft('WIRE-7', () => expect([ping.success, ping.body], 'rrext_ping').toEqual([true, { pong: true }]));
    probes.push(await c.request('rrext_public_probe', {}));
    for (const [i, probe] of probes.entries()) {
      const what = `rrext_public_probe ${i === 0 ? 'before' : 'after'} auth`;
      soft('WIRE-7', () => expect(probe.success, `${what}: ${probe.raw}`).toBe(true));
      const b = probe.body;
      soft('WIRE-7', () =>
        expect(
          [typeof b?.version, Array.isArray(b?.capabilities), typeof b?.platform, Array.isArray(b?.apps)],
          `${what}: body {version, capabilities, platform, apps}: ${show(b)}`,
        ).toEqual(['string', true, 'string', true]),
      );
    }
  },
);

check(['WIRE-1'], 'a binary frame: JSON header, newline, payload; and without the newline, plain JSON', async (t) => {
  const c = await t.session();
  const header = JSON.stringify({ type: 'request', seq: 41, command: 'rrext_ping' });
  await c.sendRaw(Buffer.concat([Buffer.from(header), Buffer.from([0x0a, 0x00, 0xff, 0x0a])]));
  expect(await c.replyTo(41)).toMatchObject({ success: true, request_seq: 41 });
  await c.sendRaw(Buffer.from(JSON.stringify({ type: 'request', seq: 42, command: 'rrext_ping' })));
  expect(await c.replyTo(42)).toMatchObject({ success: true, request_seq: 42 });
  // A text frame is one JSON object whatever whitespace it holds: a newline in it splits nothing.
  await c.sendRaw('{"type":"request",\n"seq":43,\n"command":"rrext_ping"}\n');
  expect(await c.replyTo(43), 'a text frame with newlines between its tokens').toMatchObject({ success: true, request_seq: 43 });
});

check(
  ['WIRE-9', 'WIRE-2'],
  'malformed frames: unreadable ones are dropped unanswered, ones with a readable seq get exactly one failed response, and this connection and others are served on',
  async (t) => {
    const noisy = await t.session();
    const quiet = await t.session();
    const unreadable: Array<string | Buffer> = [
      'not json',
      '[1,2]',
      '42',
      'null',
      '"a string"',
      '{"type":"request","command":"rrext_ping"}',
      Buffer.from([0xff, 0x00, 0x7b]),
      // A binary frame's header ends at its first newline: here it is empty, the request after it a payload.
      Buffer.from(`\n${JSON.stringify({ type: 'request', seq: 76, command: 'rrext_ping' })}`),
      '['.repeat(10_000),
    ];
    for (const frame of unreadable) {
      const what = typeof frame === 'string' ? show(frame, 60) : `bytes ${frame.toString('hex')}`;
      const from = noisy.received.length;
      await noisy.sendRaw(frame);
      const quietPing = await quiet.request('rrext_ping');
      soft('WIRE-9', () => expect(quietPing.success, `another connection, after ${what}`).toBe(true));
      // Two pings answered: an answer to the frame, even one sent out of order, would have come by then.
      const pings = [await noisy.request('rrext_ping'), await noisy.request('rrext_ping')];
      soft('WIRE-9', () =>
        expect(
          pings.map((p) => p.success),
          `the connection itself, after ${what}`,
        ).toEqual([true, true]),
      );
      const extra = noisy.received.slice(from).filter((text) => !pings.some((p) => p.raw === text));
      soft('WIRE-9', () => expect(extra, `${what} has no readable seq: it must be dropped, unanswered`).toEqual([]));
    }
    // A request whose seq can be read gets exactly one failed response, even with wrong field types.
    for (const [seq, frame] of [
      [77, '{"type":"request","seq":77,"command":7}'],
      [78, '{"type":"request","seq":78,"command":"rrext_ping","arguments":[1]}'],
      [79, '{"type":"request","seq":79,"command":"rrext_ping","arguments":"x"}'],
      [80, '{"type":"request","seq":80,"command":""}'],
      [81, '{"type":"request","seq":81,"command":["rrext_ping"]}'],
      [82, '{"type":7,"seq":82,"command":"rrext_ping"}'],
      [83, '{"type":["request"],"seq":83,"command":"rrext_ping"}'],
    ] as const) {
      const from = noisy.received.length;
      await noisy.sendRaw(frame);
      const reply = await noisy.replyOrNothing(seq, from);
      if (!reply) {
        soft('WIRE-9', () =>
          expect.fail(`${frame} got no answer at all (a request whose seq can be read gets exactly one failed response)`),
        );
        continue;
      }
      soft('WIRE-9', () => expect(reply.success, `${frame}: a failed response to seq ${seq}: ${reply.raw}`).toBe(false));
      soft('WIRE-2', () =>
        expect(
          typeof reply.message === 'string' && reply.message !== '',
          `${frame}: a failure needs a non-empty message: ${reply.raw}`,
        ).toBe(true),
      );
      await noisy.request('rrext_ping');
      // Every frame since, but the answers to this check's own pings and probes.
      const answers = noisy.received.slice(from).filter((text) => {
        const message = JSON.parse(text) as { type?: unknown; request_seq?: unknown };
        if (message.type === 'event') return false; // events are no answers
        return typeof message.request_seq !== 'number' || message.request_seq === seq;
      });
      soft('WIRE-9', () => expect(answers.length, `${frame}: exactly one response: ${answers.join(' ')}`).toBe(1));
    }
  },
);

check(
  ['WIRE-9', 'WIRE-3'],
  'malformed frames before auth: one with a readable seq gets one failed response (Not authenticated) and the close, and other connections are served on',
  async (t) => {
    const quiet = await t.session();
    for (const [seq, frame] of [
      [91, '{"type":"request","seq":91,"command":7}'],
      [92, '{"type":"request","seq":92,"command":["auth"]}'],
      [93, '{"type":"request","seq":93,"command":{"auth":1}}'],
      [94, '{"type":"request","seq":94,"command":"rrext_ping","arguments":[1]}'],
      [95, '{"type":7,"seq":95,"command":"rrext_ping"}'],
    ] as const) {
      const c = await t.connect();
      await c.sendRaw(frame);
      const reply = await c.replyOrNothing(seq);
      if (!reply) {
        soft('WIRE-9', () =>
          expect.fail(`${frame} before auth got no answer at all (a request whose seq can be read gets exactly one failed response)`),
        );
        await c.close();
        continue;
      }
      const refused = soft('WIRE-3', () =>
        expect([reply.success, reply.message], `${frame} before auth: ${reply.raw}`).toEqual([false, NOT_AUTHENTICATED]),
      );
      // The close follows "Not authenticated"; after another answer that finding says it all.
      if (refused) {
        const closed = await c.waitForClose();
        soft('WIRE-3', () => expect(closed, `${frame} before auth: the connection should close`).toBeDefined());
      } else await c.close();
      const ping = await quiet.request('rrext_ping');
      soft('WIRE-9', () => expect(ping.success, `another connection, after ${frame} before auth`).toBe(true));
    }
  },
);

check(
  ['WIRE-4'],
  'only a "Bearer " prefix is stripped: the key with "Bearer " after it, or inside it, is no valid credential',
  async (t) => {
    const key = t.config.keys.primary;
    for (const auth of [`${key}Bearer `, `${key.slice(0, 1)}Bearer ${key.slice(1)}`]) {
      const c = await t.connect();
      const reply = await c.request('auth', { auth });
      soft(() => expect(reply.success, `auth with ${show(auth)}: ${reply.raw.slice(0, 200)}`).toBe(false));
    }
  },
);

/** A scalar for the bottom of a deep frame: strings with brackets, quotes and escapes inside, numbers, literals. */
const LEAVES = ['"a]}\\"[{,:"', '"\\u005b\\u007d\\\\"', '-0.5e+3', '0', '1E-7', 'true', 'false', 'null', '""', '"\\ud83d\\ude00"'];

/**
 * A request whose arguments nest `depth` levels (past the 4096 a server may parse in one go):
 * arrays and objects mixed, with other JSON values beside the deep one at some levels (empty
 * containers, strings with brackets, quotes and escapes, numbers), optionally broken at one place
 * (often deep inside, where a server cutting the frame short would not look). What JSON.parse
 * makes of the frame decides what the server must do with it.
 */
const sibling = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v));
const deepFrame = fc
  .record({
    depth: fc.integer({ min: 4097, max: 6000 }),
    kinds: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
    leaf: fc.oneof(fc.constantFrom(...LEAVES), sibling),
    siblings: fc.array(fc.tuple(fc.nat(6000), sibling, fc.boolean()), { maxLength: 12 }),
    corruption: fc.option(
      fc.record({
        at: fc.double({ min: 0, max: 1, noNaN: true }),
        how: fc.constantFrom('delete', 'insert', 'duplicate'),
        char: fc.constantFrom(']', '}', '"', ',', ':', 'x', '\\', '[', '{', '1', ' '),
      }),
      { nil: undefined, freq: 1 },
    ),
  })
  .map(({ depth, kinds, leaf, siblings, corruption }) => {
    const at = new Map(siblings.map(([level, value, before]) => [level % depth, { value, before }]));
    const open: string[] = [];
    const close: string[] = [];
    for (let i = 0; i < depth; i++) {
      const object = kinds[i % kinds.length]!;
      const extra = at.get(i);
      if (object) {
        open.push(extra?.before ? `{"s":${extra.value},"k":` : '{"k":');
        close.push(extra && !extra.before ? `,"z":${extra.value}}` : '}');
      } else {
        open.push(extra?.before ? `[${extra.value},` : '[');
        close.push(extra && !extra.before ? `,${extra.value}]` : ']');
      }
    }
    const inner = `${open.join('')}${leaf}${close.reverse().join('')}`;
    let frame = `{"type":"request","seq":SEQ,"command":"rrext_ping","arguments":{"deep":${inner}}}`;
    if (corruption) {
      const at = Math.floor(corruption.at * (frame.length - 1));
      frame =
        corruption.how === 'delete'
          ? frame.slice(0, at) + frame.slice(at + 1)
          : corruption.how === 'insert'
            ? frame.slice(0, at) + corruption.char + frame.slice(at)
            : frame.slice(0, at) + frame[at] + frame.slice(at);
    }
    return { frame, depth, corrupted: corruption !== undefined };
  });

let deepConnection: DapConnection | undefined;
let deepSeq = 1000;

property(
  ['WIRE-9'],
  'frames nested past 4096 levels: a broken one is dropped unanswered (as JSON.parse would judge it), a valid one answered at most once, and the connection serves on',
  () => deepFrame,
  async (t, { frame: template }) => {
    if (!deepConnection?.isOpen) deepConnection = await t.session();
    const c = deepConnection;
    const seq = ++deepSeq;
    const frame = template.replace('"seq":SEQ', `"seq":${seq}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(frame);
    } catch {
      parsed = undefined;
    }
    const answerable =
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && typeof (parsed as { seq?: unknown }).seq === 'number';
    const from = c.received.length;
    await c.sendRaw(frame);
    // The server answers in order: once the ping after it is answered, an answer to the frame would have come.
    const ping = await c.request('rrext_ping');
    expect(ping.success, `the connection must serve on after the frame: ${ping.raw}`).toBe(true);
    const answers = c.received.slice(from).filter((text) => {
      try {
        return (JSON.parse(text) as { request_seq?: unknown }).request_seq === (answerable ? (parsed as { seq: number }).seq : seq);
      } catch {
        return false;
      }
    });
    // A server may refuse to read JSON this deep (Python's json stops far earlier): its seq is
    // then unreadable and the frame dropped. What it must never do is answer a broken frame, or
    // answer a valid one twice.
    if (answerable)
      expect(
        answers.length,
        `a valid request (JSON.parse reads it) is answered at most once: ${frame.length} characters`,
      ).toBeLessThanOrEqual(1);
    else expect(answers, `a frame JSON.parse refuses must be dropped, unanswered: ${frame.length} characters`).toEqual([]);
  },
  { runs: 0.8 },
);
