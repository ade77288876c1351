/**
 * The registry of control operations and what is generated from it: every ControlApi operation
 * has an entry; the typed HTTP client reaches each one and answers what the in-process API
 * answers; every answer fits its JSON Schema in the OpenAPI document, which is valid OpenAPI
 * 3.1; and the docs' generated tables, docs/control-openapi.json and the pytest plugin's Python
 * control client are what the registry says.
 */
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTROL_DOCS, OPENAPI_FILE, renderControlDocs, renderOpenApiFile } from '../../scripts/control-docs.js';
import {
  PLUGIN_DOCS,
  PYTHON_CLIENT_FILE,
  PYTHON_VERSION_FILE,
  renderPluginDocs,
  renderPythonControlClient,
  renderPythonVersion,
  snakeCase,
} from '../../scripts/python-control-client.js';
import { ControlClientError, createControlClient, type ControlClient } from '../../src/control/client.js';
import { controlOpenApi } from '../../src/control/openapi.js';
import { OPERATION_LIST, OPERATIONS, pathParameters, type OperationName } from '../../src/control/operations.js';
import { COMMANDS } from '../../src/cli/control.js';
import { VIEW_SCHEMAS } from '../../src/control/openapi-schemas.js';
import { createMockServer, DeployClient, type MockServer, type MockServerOptions } from '../../src/index.js';

const START = '2026-11-26T10:07:00Z';
const PROJECT = 'etl/nightly';

const servers: MockServer[] = [];
const clients: DeployClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.disconnect().catch(() => {})));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: MockServerOptions = {}) {
  const server = await createMockServer({ port: 0, clock: { mode: 'fake', startAt: START }, ...options });
  servers.push(server);
  const deploy = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
  clients.push(deploy);
  await deploy.connect();
  await deploy.deploy.add({ project_id: PROJECT }, { schedule: '*/15 * * * *' });
  return server;
}

const ajv = addFormats.default(new Ajv2020({ strict: false, allErrors: true }));
ajv.addSchema({ $id: 'control', components: { schemas: VIEW_SCHEMAS } });

/** Wraps a client so each answer is checked against its operation's schema, and each operation called is noted. */
function checked(client: ControlClient, called: Set<OperationName>): ControlClient {
  const wrapped: Record<string, unknown> = { url: client.url };
  for (const { name, result } of OPERATION_LIST) {
    wrapped[name] = async (...args: unknown[]) => {
      const answer = await (client[name] as (...a: unknown[]) => Promise<unknown>)(...args);
      const validate = ajv.getSchema(`control#/components/schemas/${result}`)!;
      expect(validate(answer), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      called.add(name);
      return answer;
    };
  }
  return wrapped as ControlClient;
}

const NEW_USER = {
  userId: 'bob',
  keys: ['BOBKEY'],
  displayName: 'Bob',
  defaultTeam: 't',
  organizations: [{ id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: ['task.control'] }] }],
};

describe('the registry', () => {
  it('has one entry per ControlApi operation, and each CLI word once', async () => {
    const server = await start();
    expect(Object.keys(server.control).sort()).toEqual(Object.keys(OPERATIONS).sort());
    const words = OPERATION_LIST.map((o) => o.cli.word);
    expect(new Set(words).size).toBe(words.length);
  });

  it('names only inputs an operation has, wherever an entry refers to one', () => {
    for (const { name, inputs, params, http, alsoAt, cli } of OPERATION_LIST) {
      const names = inputs.map((i) => i.name as string);
      const referred = [
        ...cli.args,
        ...(cli.file ? [cli.file] : []),
        ...[http, alsoAt].flatMap((b) =>
          b ? [...pathParameters(b.path), ...(b.selector ? [b.selector.field] : []), ...(b.wholeBody ? [b.wholeBody] : [])] : [],
        ),
        ...params.flatMap((p) => (typeof p === 'string' ? [p] : p.fields)),
      ];
      expect(
        referred.filter((r) => !names.includes(r)),
        name,
      ).toEqual([]);
      if (cli.file) expect(cli.args, name).toContain(cli.file);
    }
  });

  it('gives each CLI flag one meaning, apart from the options every operation takes', () => {
    const meaning = new Map<string, string>();
    for (const { operation, flags } of COMMANDS) {
      const own = flags.map((f) => f.flag ?? f.name);
      expect(new Set(own).size, operation.cli.word).toBe(own.length);
      for (const flag of own) expect(['url', 'token', 'help', 'h'], flag).not.toContain(flag);
      for (const f of flags) {
        const flag = f.flag ?? f.name;
        expect(meaning.get(flag) ?? f.name, `--${flag}`).toBe(f.name);
        meaning.set(flag, f.name);
      }
    }
  });
});

describe('createControlClient', () => {
  it('calls every operation over HTTP; each answer fits its schema and equals the in-process answer', async () => {
    const server = await start();
    const called = new Set<OperationName>();
    const c = checked(createControlClient(server.url), called); // the ws:// URL works, as the server prints it

    expect(await c.clock()).toEqual({ now: '2026-11-26T10:07:00.000Z', nowMs: Date.parse(START), mode: 'fake', timezone: 'UTC' });
    expect(await c.advance('15m')).toMatchObject({ to: '2026-11-26T10:22:00.000Z', ticks: { fired: 1 } });
    expect(await c.setClock('2026-11-26T10:40:00Z')).toMatchObject({ to: '2026-11-26T10:40:00.000Z' });
    expect(await c.runToNextTick()).toMatchObject({ to: '2026-11-26T10:45:00.000Z' });
    expect(await c.addUser(NEW_USER)).toEqual({ userId: 'bob' });
    expect(await c.revokeKey('BOBKEY')).toEqual({ key: 'BOBKEY', revoked: true });
    expect(await c.restoreKey('BOBKEY')).toEqual({ key: 'BOBKEY', revoked: false });
    expect(await c.users()).toEqual(server.control.users());
    expect(await c.deployments({ userId: 'local' })).toEqual(server.control.deployments({ userId: 'local' }));
    expect(await c.deployment('local', PROJECT)).toEqual(server.control.deployment('local', PROJECT));
    expect(await c.pause('local', PROJECT)).toMatchObject({ state: 'paused' });
    expect(await c.resume('local', PROJECT)).toMatchObject({ state: 'active' });
    expect(await c.setRunBehavior({ hold: true }, { userId: 'local', projectId: PROJECT })).toEqual({
      durationMs: 1000,
      outcome: 'completed',
      hold: true,
    });
    await c.advance(1000); // the 10:45 run ends
    const run = await c.trigger('local', PROJECT);
    expect(run).toMatchObject({ trigger: 'manual', endedAt: null });
    expect(await c.deployment('local', PROJECT)).toMatchObject({ runInProgress: { id: run.id } });
    expect(await c.runs({ userId: 'local', projectId: PROJECT })).toEqual(server.control.runs({ userId: 'local', projectId: PROJECT }));
    expect(await c.ticks({ userId: 'local' })).toEqual(server.control.ticks({ userId: 'local' }));
    expect(await c.endRun(run.id, 'failed')).toMatchObject({ id: run.id, outcome: 'failed' });
    expect(await c.setRunBehavior({ duration: '5s', outcome: 'failed' })).toEqual({ durationMs: 5000, outcome: 'failed', hold: false });
    expect((await c.journal({ direction: 'in', command: 'rrext_deploy_add' })).items).toHaveLength(1);
    expect(await c.clearJournal()).toMatchObject({ cleared: expect.any(Number) });
    expect(await c.connections()).toEqual(server.control.connections());
    const fault = await c.injectFault({ kind: 'delay', ms: 10, command: 'rrext_deploy_list', count: 2 });
    expect(fault).toMatchObject({ kind: 'delay', remaining: 2 });
    expect(await c.faults()).toEqual([fault]);
    expect(await c.removeFault(fault.id)).toEqual({ id: fault.id, removed: true });
    await c.injectFault({ kind: 'fail', message: 'no' });
    await c.injectFault({ kind: 'reorder', count: 3, ms: 2000 });
    await c.injectFault({ kind: 'reply', body: { deployments: [] }, userId: 'alice' });
    await c.injectFault({ kind: 'close', code: 4000, reason: 'bye', connectionId: 1 });
    expect(await c.faults()).toHaveLength(4);
    expect(await c.clearFaults()).toEqual({ cleared: 4 });
    const seeded = await c.seed(5, 3);
    expect(seeded).toMatchObject({ seed: 3, deployments: { 'demo-ci': 1 } });
    expect(Object.values(seeded.deployments).reduce((sum, n) => sum + n)).toBe(5);
    expect(Date.parse(seeded.to) - Date.parse(seeded.from)).toBe(86_400_000);
    expect(await c.reset()).toEqual({ reset: true });

    expect([...called].sort()).toEqual(Object.keys(OPERATIONS).sort());
  });

  it('lists the users with their keys, revocations and whether they were added at run time', async () => {
    const server = await start();
    const c = createControlClient(server.url);
    const initial = (await c.users()).map((u) => u.userId);
    expect(initial.slice(0, 2)).toEqual(['local', 'alice']); // the demo users
    await c.addUser(NEW_USER);
    await c.revokeKey('BOBKEY');
    const users = await c.users();
    expect(users.map((u) => u.userId)).toEqual([...initial, 'bob']); // added ones come last
    expect(users.find((u) => u.userId === 'local')).toEqual({
      userId: 'local',
      displayName: 'RocketRide Developer',
      keys: [{ key: 'MYAPIKEY', revoked: false }],
      addedAtRunTime: false,
    });
    expect(users.find((u) => u.userId === 'bob')).toEqual({
      userId: 'bob',
      displayName: 'Bob',
      keys: [{ key: 'BOBKEY', revoked: true }],
      addedAtRunTime: true,
    });
    await c.reset();
    expect((await c.users()).map((u) => u.userId)).not.toContain('bob');
    expect(server.control.users().every((u) => u.keys.every((k) => !k.revoked))).toBe(true);
  });

  it("throws a ControlClientError with the server's status, code and message", async () => {
    const server = await start();
    const c = createControlClient(`http://127.0.0.1:${server.port}/control/`);
    await expect(c.deployment('local', 'nope')).rejects.toMatchObject({
      name: 'ControlClientError',
      status: 404,
      code: 'DEPLOYMENT_NOT_FOUND',
    });
    await expect(c.advance('15 minutes')).rejects.toMatchObject({ status: 400, code: 'BAD_INPUT', message: /by must be a duration/ });
    // Unknown fields reach the server, which names them (they are not dropped on the way).
    await expect(c.setRunBehavior({ holdd: true } as never)).rejects.toMatchObject({ code: 'BAD_INPUT', message: /'holdd'/ });
    await expect(c.setRunBehavior({}, { userId: 'local' } as never)).rejects.toMatchObject({ message: /go together/ });
    // Refusals have the schema the OpenAPI document gives them.
    const refusal = await fetch(`${c.url}/control/deployments/local/nope`);
    const validate = ajv.getSchema('control#/components/schemas/Error')!;
    expect(validate(await refusal.json()), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('refuses, as a rejected TypeError, what a request cannot carry', async () => {
    const server = await start();
    const c = createControlClient(server.url);
    // A field of the scope inside the behavior would silently change one deployment only.
    await expect(c.setRunBehavior({ hold: true, userId: 'local' } as never)).rejects.toThrow(TypeError);
    // "." and ".." are resolved away by URLs (even percent-encoded), so they cannot be path values.
    for (const id of ['..', '.', '']) await expect(c.deployment('local', id)).rejects.toThrow(/projectId as a non-empty string/);
    await expect(c.pause('local', undefined as never)).rejects.toThrow(TypeError);
    expect(server.control.deployment('local', PROJECT).state).toBe('active');
  });

  it('sends the control token, and says when no server answers', async () => {
    const server = await start({ controlToken: 'sesame' });
    await expect(createControlClient(server.url).clock()).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(await createControlClient(server.url, { token: 'sesame' }).clock()).toMatchObject({ mode: 'fake' });
    const port = server.port;
    await server.close();
    const error = await createControlClient(`http://127.0.0.1:${port}`)
      .clock()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlClientError);
    expect(error).toMatchObject({ status: 0, code: 'UNREACHABLE', message: expect.stringContaining('no server answers') });
  });

  it('refuses a URL that is not http(s) or ws(s)', () => {
    expect(() => createControlClient('ftp://x')).toThrow(/must be an http:\/\/ URL/);
    expect(() => createControlClient('not a url')).toThrow(TypeError);
  });
});

describe('the OpenAPI document', () => {
  it('its schemas refuse answers of another shape (so the checks above can fail)', () => {
    const clock = ajv.getSchema('control#/components/schemas/ClockView')!;
    expect(clock({ now: '2026-11-26T10:07:00.000Z', nowMs: 1, mode: 'fake' })).toBe(false); // no timezone
    expect(clock({ now: 'yesterday', nowMs: 1, mode: 'fake', timezone: 'UTC' })).toBe(false);
    const runs = ajv.getSchema('control#/components/schemas/RunPage')!;
    expect(runs([])).toBe(false); // a list is not a page
    expect(runs({ items: [{ id: 'run-1' }], next: null })).toBe(false);
    expect(runs({ items: [], next: 3 })).toBe(false);
    expect(runs({ items: [], next: null })).toBe(true);
  });

  it('is valid OpenAPI 3.1, served at GET /control/openapi.json, and shipped as docs/control-openapi.json', async () => {
    const result = await new Validator().validate(controlOpenApi() as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const server = await start();
    const served = await fetch(`http://127.0.0.1:${server.port}/control/openapi.json`);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(controlOpenApi());
    expect(readFileSync(OPENAPI_FILE, 'utf8'), 'docs/control-openapi.json is stale: run npm run docs').toBe(renderOpenApiFile());
  });

  it('has an operation for every endpoint the server lists', async () => {
    const server = await start();
    const index = (await (await fetch(`http://127.0.0.1:${server.port}/control/`)).json()) as { endpoints: string[]; openapi: string };
    expect(index.openapi).toBe('/control/openapi.json');
    const { endpoints } = index;
    const paths = controlOpenApi()['paths'] as Record<string, Record<string, unknown>>;
    const documented = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.sort()).toEqual([...endpoints].sort());
  });
});

describe('docs/control-api.md', () => {
  it('has the endpoint and CLI tables the registry generates', () => {
    const docs = readFileSync(CONTROL_DOCS, 'utf8');
    expect(docs, 'docs/control-api.md is stale: run npm run docs').toBe(renderControlDocs(docs));
  });
});

describe("the pytest plugin's Python control client", () => {
  it('control.py, _version.py and the method table of docs/pytest-plugin.md are what the registry generates', () => {
    const stale = 'stale: run npm run docs';
    expect(readFileSync(PYTHON_CLIENT_FILE, 'utf8'), `${PYTHON_CLIENT_FILE} is ${stale}`).toBe(renderPythonControlClient());
    expect(readFileSync(PYTHON_VERSION_FILE, 'utf8'), `${PYTHON_VERSION_FILE} is ${stale}`).toBe(renderPythonVersion());
    const docs = readFileSync(PLUGIN_DOCS, 'utf8');
    expect(docs, `docs/pytest-plugin.md is ${stale}`).toBe(renderPluginDocs(docs));
  });

  it('has a method per operation, in snake_case, sending each input under its name, and a TypedDict per answer', () => {
    const text = renderPythonControlClient();
    expect(snakeCase('runToNextTick')).toBe('run_to_next_tick');
    expect(snakeCase('userId')).toBe('user_id');
    for (const { name, inputs, http, result } of OPERATION_LIST) {
      const method = new RegExp(
        `    def ${snakeCase(name)}\\([^]*?\\) -> ${result}:\\n[^]*?return self\\._call\\(([^]*?)\\n(    def|$)`,
      ).exec(text);
      expect(method, name).not.toBeNull();
      const call = method![1]!;
      expect(call, name).toContain(`'${name}'`);
      expect(call, name).toContain(`'${http.method}'`);
      expect(call, name).toContain(`'${http.path}'`);
      if (http.wholeBody) expect(call, name).toContain(`whole_body='${http.wholeBody}'`);
      for (const input of inputs)
        expect(call, `${name}: ${input.name}`).toContain(`'${input.name}': ${input.type === 'marker' ? 'True' : snakeCase(input.name)}`);
    }
    for (const result of new Set(OPERATION_LIST.map((o) => o.result))) expect(text).toMatch(new RegExp(`^(class )?${result}\\b`, 'm'));
    // A Python keyword as a key (functional syntax), and an optional key (a total=False subclass).
    expect(text).toContain("_AdvanceViewRequired = TypedDict('_AdvanceViewRequired', {\n    'from': str,");
    expect(text).toContain('class AdvanceView(_AdvanceViewRequired, total=False):\n');
  });

  it('follows a registry change without a change to the generator: new inputs, and pages for answers', () => {
    const page = {
      type: 'object',
      properties: {
        items: { type: 'array', items: { $ref: '#/components/schemas/RunView' } },
        next: { oneOf: [{ type: 'string' }, { type: 'null' }] },
      },
      required: ['items', 'next'],
      additionalProperties: false,
    };
    const extra = (name: string, type: 'whole' | 'text' | 'choice', choices?: string[]) =>
      ({ name, type, optional: true, placeholder: 'X', description: `the ${name}`, ...(choices && { choices }) }) as never;
    const runs = {
      name: 'runs',
      ...OPERATIONS.runs,
      inputs: [...OPERATIONS.runs.inputs, extra('limit', 'whole'), extra('cursor', 'text'), extra('order', 'choice', ['asc', 'desc'])],
      result: 'RunPage' as never,
    };
    const text = renderPythonControlClient({ operations: [runs], schemas: { ...VIEW_SCHEMAS, RunPage: page } });
    expect(text).toContain("RunPage = TypedDict('RunPage', {\n    'items': List[RunView],\n    'next': Optional[str],\n})");
    expect(text).toContain("        order: Optional[Literal['asc', 'desc']] = None,\n    ) -> RunPage:");
    expect(text).toContain("'limit': limit,");
    expect(text).toContain("'cursor': cursor,");
    expect(text).toContain("OPERATIONS = (\n        'runs',\n    )");
  });
});
