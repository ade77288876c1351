/**
 * REC-1..3: what a deployment record looks like on the wire, under the profile (`spec` requires
 * the documented names, `compat` either dialect), which dialect the target sent (noted for the
 * report), and the exact round trip of any JSON pipeline through add, status and list.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { check, property } from '../context.js';
import { expectNone } from '../evidence.js';
import type { DapConnection } from '../dap.js';
import {
  dialectOf,
  isJsonObject,
  jsonEqual,
  whereDiffer,
  projectIdOf,
  shapeProblems,
  show,
  wireCopy,
  type Dialect,
  type JsonObject,
} from '../model.js';
import type { Target } from '../target.js';

async function login(t: Target, key: string): Promise<{ c: DapConnection; userId: string }> {
  const c = await t.connect();
  const reply = await c.request('auth', { auth: key, clientName: 'rocketride-deploy-kit conformance' });
  if (reply.success !== true || typeof reply.body?.userId !== 'string') throw new Error(`auth failed: ${reply.raw}`);
  return { c, userId: reply.body.userId };
}

/** The records of these ids in the caller's list (in list order). */
async function listed(c: DapConnection, ids: readonly string[]): Promise<unknown[]> {
  const reply = await c.request('rrext_deploy_list');
  expect(reply.success, `list failed: ${show(reply.message)}`).toBe(true);
  const all: unknown = reply.body?.deployments;
  expect(Array.isArray(all), `list's body has no deployments array: ${show(reply.body)}`).toBe(true);
  return (all as unknown[]).filter((record) => ids.includes(projectIdOf(record) as string));
}

/** Adds, reads back by status and list: the three places a record is sent. */
async function threeWays(
  t: Target,
  c: DapConnection,
  args: { pipeline: JsonObject; schedule?: string },
): Promise<Array<[string, unknown]>> {
  const id = args.pipeline['project_id'] as string;
  const added = await t.add(c, t.config.keys.primary, args);
  expect(added.success, `add ${show(id)} failed: ${show(added.message)}`).toBe(true);
  const status = await c.request('rrext_deploy_status', { projectId: id });
  expect(status.success, `status ${show(id)} failed: ${show(status.message)}`).toBe(true);
  const inList = await listed(c, [id]);
  expect(inList, `the list shows ${show(id)} ${inList.length} times, expected once`).toHaveLength(1);
  return [
    [`add ${id}`, added.body],
    [`status ${id}`, status.body],
    [`list entry ${id}`, inList[0]],
  ];
}

function noteDialect(t: Target, records: ReadonlyArray<[string, unknown]>): Dialect[] {
  const dialects = [...new Set(records.map(([, record]) => dialectOf(record)))];
  t.notes['dialect'] = dialects.join('+');
  return dialects;
}

check(
  ['REC-1', 'REC-2'],
  "records from add, status and list carry pipeline, schedule, state, owner and Unix-seconds times under the profile's names",
  async (t) => {
    const { c } = await login(t, t.config.keys.primary);
    const records = [
      ...(await threeWays(t, c, { pipeline: { project_id: t.projectId('rec-shape'), name: 'shape' } })),
      ...(await threeWays(t, c, { pipeline: { project_id: t.projectId('rec-shape'), steps: [1, 2] }, schedule: '@daily' })),
    ];
    // Noted before judging, so the report says which dialect a failing target sent.
    noteDialect(t, records);
    const problems = records.flatMap(([where, record]) => shapeProblems(record, t.config.profile).map((p) => `${where}: ${p}`));
    expectNone(
      problems,
      `REC-1: records not in the shape of profile ${t.config.profile}${t.config.profile === 'spec' ? " (the documented names userId, createdAt, updatedAt are required; --profile compat accepts the real server's snake_case names)" : ''}`,
    );
  },
);

check(['REC-2'], 'a record that carries both dialects gives them equal values', async (t) => {
  const { c } = await login(t, t.config.keys.primary);
  const records = await threeWays(t, c, { pipeline: { project_id: t.projectId('rec-both') }, schedule: '@hourly' });
  noteDialect(t, records);
  for (const [where, record] of records) {
    if (dialectOf(record) !== 'both' || !isJsonObject(record)) continue;
    expect(
      [record['created_by'], record['created_at'], record['updated_at']],
      `${where}: created_by/created_at/updated_at differ from userId/createdAt/updatedAt`,
    ).toEqual([record['userId'], record['createdAt'], record['updatedAt']]);
  }
});

/** A pipeline that takes every corner of JSON at once; built through JSON.parse so `__proto__` is an own key. */
function awkwardPipeline(id: string): JsonObject {
  const text = JSON.stringify({
    project_id: id,
    name: 'Ünïcödé ✓ 😀 👩‍👩‍👧 שלום مرحبا e\u0301 \u200b\ufeff \u0000 \u2028\u2029 "quotes" \\backslash\\ \t tab \n newline </script>',
    numbers: [0, -1, 1.5, -2.25e-7, 1e21, 1.7976931348623157e308, 5e-324, 9007199254740991, -9007199254740991, 0.1],
    flags: [true, false, null],
    nothing: null,
    empty: { object: {}, array: [], string: '' },
    nested: { a: [{ b: [[{ c: [[[]]] }]] }], d: { e: { f: { g: { h: 'deep' } } } } },
    keys: { '': 'empty key', 'with space': 1, ключ: 2, 键: 3, '😀': 4, 'a.b': 5, 'a/b': 6, $ref: 7, project_id: 'not the top-level one' },
    long: 'x'.repeat(5000),
  }).replace('"keys":{', '"keys":{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"hasOwnProperty":0,');
  return JSON.parse(text) as JsonObject;
}

check(
  ['REC-3'],
  'an awkward pipeline (unicode, control characters, extreme numbers, deep nesting, __proto__ keys, empty containers) round-trips exactly',
  async (t) => {
    const { c } = await login(t, t.config.keys.primary);
    const pipeline = awkwardPipeline(t.projectId('rec-awkward'));
    for (const [where, record] of await threeWays(t, c, { pipeline })) {
      const got = isJsonObject(record) ? record['pipeline'] : undefined;
      expect(
        jsonEqual(got, wireCopy(pipeline)),
        `${where}: the pipeline changed ${whereDiffer(got, wireCopy(pipeline))}.\n sent: ${show(pipeline, 2000)}\n got:  ${show(got, 2000)}`,
      ).toBe(true);
    }
  },
);

/** Any JSON object (unicode keys and strings, nested arrays and objects, numbers), modest in size. */
const anyPipeline = fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' }), {
  maxKeys: 6,
});

let shared: DapConnection | undefined;

property(
  ['REC-3'],
  'any JSON pipeline round-trips exactly through add, status and list',
  () => anyPipeline,
  async (t, fields) => {
    if (!shared?.isOpen) shared = (await login(t, t.config.keys.primary)).c;
    const c = shared;
    const id = t.projectId('rec-rt');
    const pipeline = { ...fields, project_id: id } as JsonObject;
    try {
      for (const [where, record] of await threeWays(t, c, { pipeline })) {
        const got = isJsonObject(record) ? record['pipeline'] : undefined;
        if (!jsonEqual(got, wireCopy(pipeline)))
          throw new Error(
            `REC-3: ${where}: the pipeline changed ${whereDiffer(got, wireCopy(pipeline))}.\n sent: ${show(pipeline, 1000)}\n got:  ${show(got, 1000)}`,
          );
      }
    } finally {
      await c.request('rrext_deploy_remove', { projectId: id });
    }
  },
);
