/**
 * SCHED-1..3: which schedules add and update accept. The corpus (`fixtures/schedules.json`,
 * hand-written, each invalid value with its reason) is checked value by value through both
 * commands; a property adds generated 5-field expressions, valid ones and ones broken in one
 * known way. SCHED-4 (what presets mean) needs the clock: the RUN checks cover it.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { check, property, soft } from '../context.js';
import { expectNone } from '../evidence.js';
import type { DapConnection } from '../dap.js';
import { show, viewOf } from '../model.js';
import type { Target } from '../target.js';
import { scheduleCorpus, type CorpusEntry } from '../corpus.js';

const corpus = scheduleCorpus;
const neverFires = (entry: CorpusEntry) => /^never fires/i.test(entry.why);
const NON_STRINGS: unknown[] = [5, 0, null, true, ['@hourly'], { cron: '* * * * *' }];
const PRESETS = ['@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@yearly', '@annually'];

interface User {
  readonly c: DapConnection;
  readonly key: string;
}

async function login(t: Target): Promise<User> {
  const c = await t.connect();
  const reply = await c.request('auth', { auth: t.config.keys.primary, clientName: 'rocketride-deploy-kit conformance' });
  if (reply.success !== true) throw new Error(`auth failed: ${reply.raw}`);
  return { c, key: t.config.keys.primary };
}

/** A deployment the checks update, and the schedule it has now. */
interface Subject {
  readonly id: string;
  schedule: unknown;
}

async function deployment(t: Target, u: User, label: string): Promise<Subject> {
  const id = t.projectId(label);
  const reply = await t.add(u.c, u.key, { pipeline: { project_id: id }, schedule: '@daily' });
  expect(reply.success, `add ${id}: ${show(reply.message)}`).toBe(true);
  return { id, schedule: '@daily' };
}

async function scheduleOf(u: User, id: string): Promise<unknown> {
  const reply = await u.c.request('rrext_deploy_status', { projectId: id });
  expect(reply.success, `status ${id}: ${show(reply.message)}`).toBe(true);
  return viewOf(reply.body)?.schedule;
}

/** add and update must both accept `value`, and the record must show it as sent. Problems, or []. */
async function accepts(t: Target, u: User, target: Subject, value: string, why: string): Promise<string[]> {
  const problems: string[] = [];
  const id = t.projectId('sched-ok');
  const added = await t.add(u.c, u.key, { pipeline: { project_id: id }, schedule: value });
  if (added.success !== true) problems.push(`add refused ${show(value)} (${why}): ${show(added.message)}`);
  else {
    if (viewOf(added.body)?.schedule !== value)
      problems.push(`add of ${show(value)} answered the schedule ${show(viewOf(added.body)?.schedule)}`);
    await u.c.request('rrext_deploy_remove', { projectId: id });
  }
  const updated = await u.c.request('rrext_deploy_update', { projectId: target.id, schedule: value });
  if (updated.success !== true) problems.push(`update refused ${show(value)} (${why}): ${show(updated.message)}`);
  target.schedule = await scheduleOf(u, target.id);
  if (updated.success === true && target.schedule !== value)
    problems.push(`after the update to ${show(value)}, status shows ${show(target.schedule)}`);
  return problems;
}

/**
 * add and update must both refuse `value` with a non-empty message (matching `says`, if given).
 * Problems, or []. (`unchanged` then checks that the refused updates changed nothing.)
 */
async function refuses(t: Target, u: User, target: Subject, value: unknown, why: string, says?: RegExp): Promise<string[]> {
  const problems: string[] = [];
  const id = t.projectId('sched-bad');
  const added = await t.add(u.c, u.key, { pipeline: { project_id: id }, schedule: value });
  if (added.success !== false) {
    problems.push(`add accepted ${show(value)} (${why})`);
    await u.c.request('rrext_deploy_remove', { projectId: id });
  } else if (typeof added.message !== 'string' || added.message === '') problems.push(`add refused ${show(value)} without a message`);
  else if (says && !says.test(added.message))
    problems.push(`add refused ${show(value)} (${why}), but the message ${show(added.message)} does not match ${says}`);
  const updated = await u.c.request('rrext_deploy_update', { projectId: target.id, schedule: value });
  if (updated.success !== false) {
    problems.push(`update accepted ${show(value)} (${why})`);
    // What it holds now: the accepted update is this finding, not a change by a refused one.
    target.schedule = await scheduleOf(u, target.id);
  } else if (typeof updated.message !== 'string' || updated.message === '')
    problems.push(`update refused ${show(value)} without a message`);
  else if (says && !says.test(updated.message))
    problems.push(`update refused ${show(value)} (${why}), but the message ${show(updated.message)} does not match ${says}`);
  return problems;
}

/** After refused updates the schedule is still the one it had (if not, it shows which value got through). */
async function unchanged(u: User, target: Subject): Promise<string[]> {
  const now = await scheduleOf(u, target.id);
  return now === target.schedule ? [] : [`after the refused updates the schedule is ${show(now)}, not ${show(target.schedule)}`];
}

check(
  ['SCHED-1'],
  'every valid schedule of the corpus (manual, the seven presets, 5-field cron with lists, ranges, steps, names, 0/7 Sunday) is accepted by add and update, as sent',
  async (t) => {
    const u = await login(t);
    const target = await deployment(t, u, 'sched-valid');
    const problems: string[] = [];
    for (const { value, why } of corpus.valid) problems.push(...(await accepts(t, u, target, value, why)));
    expectNone(problems, 'SCHED-1: valid schedules refused');
  },
);

check(
  ['SCHED-2', 'DEP-UPD-3'],
  'every invalid schedule of the corpus, and every non-string, is refused by add and update with a message, and changes nothing',
  async (t) => {
    const u = await login(t);
    const target = await deployment(t, u, 'sched-invalid');
    const problems: string[] = [];
    for (const { value, why } of corpus.invalid.filter((e) => !neverFires(e))) problems.push(...(await refuses(t, u, target, value, why)));
    for (const value of NON_STRINGS) problems.push(...(await refuses(t, u, target, value, 'not a string')));
    soft('SCHED-2', () => expectNone(problems, 'invalid schedules accepted'));
    const changed = await unchanged(u, target);
    soft('DEP-UPD-3', () => expectNone(changed, 'refused updates changed the schedule'));
  },
);

check(['SCHED-2'], 'presets and "manual" match exactly, in lower case: any other casing is refused', async (t) => {
  const u = await login(t);
  const target = await deployment(t, u, 'sched-case');
  const variants = [...PRESETS, 'manual'].flatMap((word) => [
    word.toUpperCase(),
    word.replace(/^(@?)(.)/, (_, at: string, first: string) => at + first.toUpperCase()),
    [...word].map((ch, i) => (i % 2 === 1 ? ch.toUpperCase() : ch)).join(''),
  ]);
  const problems: string[] = [];
  for (const value of new Set(variants)) problems.push(...(await refuses(t, u, target, value, 'presets are lower case only')));
  soft('SCHED-2', () => expectNone(problems, 'case variants of presets and "manual" accepted'));
  const changed = await unchanged(u, target);
  soft('DEP-UPD-3', () => expectNone(changed, 'refused updates changed the schedule'));
});

check(['SCHED-3'], 'an expression that can never fire (0 0 30 2 * and friends) is refused as never firing', async (t) => {
  const u = await login(t);
  const target = await deployment(t, u, 'sched-never');
  const problems: string[] = [];
  for (const { value, why } of corpus.invalid.filter(neverFires)) problems.push(...(await refuses(t, u, target, value, why, /never/i)));
  soft('SCHED-3', () => expectNone(problems, 'never-firing expressions accepted'));
  const changed = await unchanged(u, target);
  soft('DEP-UPD-3', () => expectNone(changed, 'refused updates changed the schedule'));
});

// ---------------------------------------------------------------------------------------------
// Generated expressions

interface Field {
  readonly min: number;
  readonly max: number;
  /** The largest value the generator uses for valid expressions (day-of-month stops at 28, so every month has it). */
  readonly validMax: number;
  readonly names?: readonly string[];
  /** What a name counts as: month names start at 1, weekday names at 0. */
  readonly nameBase?: number;
}
const FIELDS: readonly Field[] = [
  { min: 0, max: 59, validMax: 59 },
  { min: 0, max: 23, validMax: 23 },
  { min: 1, max: 31, validMax: 28 },
  {
    min: 1,
    max: 12,
    validMax: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
    nameBase: 1,
  },
  { min: 0, max: 7, validMax: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], nameBase: 0 },
];

const anyCase = (word: string) =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((upper) => [...word].map((ch, i) => (upper[i] ? ch : ch.toLowerCase())).join(''));

function validItem(f: Field): fc.Arbitrary<string> {
  const span = f.max - f.min;
  const value = fc.integer({ min: f.min, max: f.validMax });
  const step = fc.integer({ min: 1, max: span });
  const range = fc.tuple(value, value).map(([a, b]) => (a <= b ? `${a}-${b}` : `${b}-${a}`));
  const items = [fc.constant('*'), step.map((s) => `*/${s}`), value.map(String), range, fc.tuple(range, step).map(([r, s]) => `${r}/${s}`)];
  if (f.names) {
    const index = fc.nat({ max: f.names.length - 1 });
    items.push(index.chain((i) => anyCase(f.names![i]!)));
    items.push(
      fc
        .tuple(index, index)
        .chain(([i, j]) => fc.tuple(anyCase(f.names![Math.min(i, j)]!), anyCase(f.names![Math.max(i, j)]!)).map(([a, b]) => `${a}-${b}`)),
    );
  }
  return fc.oneof(...items);
}

const validFields = fc.tuple(...FIELDS.map((f) => fc.array(validItem(f), { minLength: 1, maxLength: 3 }).map((items) => items.join(','))));

/** One way to break a valid expression, each invalid under SCHED-2 whatever the rest is. */
const corruption = fc.oneof(
  fc.record({ kind: fc.constant('out of range' as const), field: fc.nat({ max: 4 }), low: fc.boolean(), extra: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant('step of zero' as const), field: fc.nat({ max: 4 }) }),
  fc.record({ kind: fc.constant('six fields' as const), extra: fc.nat({ max: 59 }) }),
  fc.record({ kind: fc.constant('four fields' as const) }),
  fc.record({ kind: fc.constant('reversed range' as const), field: fc.nat({ max: 4 }), extra: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant('empty list item' as const), field: fc.nat({ max: 4 }), low: fc.boolean() }),
  fc.record({ kind: fc.constant('two steps' as const), field: fc.nat({ max: 4 }) }),
);

function corrupt(fields: readonly string[], c: CorruptionValue): string {
  const out = [...fields];
  const f = 'field' in c ? FIELDS[c.field]! : undefined;
  switch (c.kind) {
    case 'out of range': {
      // Below the minimum where there is one (day-of-month and month start at 1), else above the maximum.
      const bad = c.low && f!.min > 0 ? f!.min - 1 : f!.max + 1 + (c.extra % (99 - f!.max));
      out[c.field] = `${out[c.field]},${bad}`;
      break;
    }
    case 'step of zero':
      out[c.field] = '*/0';
      break;
    case 'six fields':
      out.unshift(String(c.extra));
      break;
    case 'four fields':
      out.pop();
      break;
    case 'reversed range': {
      const a = f!.min + (c.extra % (f!.max - f!.min));
      out[c.field] = `${a + 1}-${a}`;
      break;
    }
    case 'empty list item':
      out[c.field] = c.low ? `,${out[c.field]}` : `${out[c.field]},`;
      break;
    case 'two steps':
      out[c.field] = '*/2/3';
      break;
  }
  return out.join(' ');
}
type CorruptionValue = typeof corruption extends fc.Arbitrary<infer V> ? V : never;

const expression = fc.oneof(
  validFields.map((fields) => ({ value: fields.join(' '), valid: true, why: 'a valid 5-field expression' })),
  fc.tuple(validFields, corruption).map(([fields, c]) => ({ value: corrupt(fields, c), valid: false, why: c.kind })),
);

let shared: { u: User; target: Subject } | undefined;

property(
  ['SCHED-1', 'SCHED-2'],
  'generated 5-field expressions: valid ones (lists, ranges, steps, names in any case) are accepted, ones broken in one known way refused, by add and update',
  () => fc.array(expression, { minLength: 1, maxLength: 6 }),
  async (t, expressions) => {
    if (!shared?.u.c.isOpen) {
      const u = await login(t);
      shared = { u, target: await deployment(t, u, 'sched-gen') };
    }
    const s = shared;
    const [first] = expressions;
    // add, once per run
    const id = t.projectId('sched-gen-add');
    const added = await t.add(s.u.c, s.u.key, { pipeline: { project_id: id }, schedule: first!.value });
    if (added.success === true) await s.u.c.request('rrext_deploy_remove', { projectId: id });
    if ((added.success === true) !== first!.valid) {
      throw new Error(
        `${first!.valid ? 'SCHED-1' : 'SCHED-2'}: add ${first!.valid ? 'refused' : 'accepted'} ${show(first!.value)} (${first!.why}): ${show(added.message ?? '')}`,
      );
    }
    // update, for each
    for (const { value, valid, why } of expressions) {
      const reply = await s.u.c.request('rrext_deploy_update', { projectId: s.target.id, schedule: value });
      // What the deployment holds, right or wrong: the next run starts from there.
      if (reply.success === true) s.target.schedule = value;
      if ((reply.success === true) !== valid) {
        throw new Error(
          `${valid ? 'SCHED-1' : 'SCHED-2'}: update ${valid ? 'refused' : 'accepted'} ${show(value)} (${why}): ${show(reply.message ?? '')}`,
        );
      }
    }
    const now = await scheduleOf(s.u, s.target.id);
    if (now !== s.target.schedule)
      throw new Error(`DEP-UPD-3: the schedule is ${show(now)}, expected the last accepted one, ${show(s.target.schedule)}`);
  },
);
