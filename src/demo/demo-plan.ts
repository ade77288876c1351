/**
 * Demo data, planned: N deployments with realistic project names, pipelines of several
 * components and a mix of schedules, and what happens to them during their day (pauses, manual
 * runs, a flaky spell, the revoked key that turns one errored). Only a plan: seed-demo.ts
 * carries it out through the server's own mechanisms, so nothing here touches a server.
 *
 * Made with @faker-js/faker on a local instance seeded with the demo seed: the same seed (and
 * the same owners) gives the same plan, and faker's shared instance is never touched.
 */
import { faker as englishFaker } from '@faker-js/faker/locale/en';
import type { Faker } from '@faker-js/faker';
import type { JsonObject } from '../domain/json.js';
import { DAY_MS } from './demo-limits.js';

/** What one planned deployment is for the mix: its schedule's kind, and whether it ends paused or errored. */
export type DemoRole = 'cron' | 'preset' | 'manual' | 'paused' | 'errored';

export interface PlannedDeployment {
  /** Index into the plan's owners (the errored one belongs to the demo's run-time user). */
  readonly owner: number | 'revoked-user';
  readonly role: DemoRole;
  readonly pipeline: JsonObject;
  readonly schedule: string;
  /** How long its runs take (ms); `flaky`: from when (ms into the day) its runs fail, and until when. */
  readonly runMs: number;
  readonly flaky?: { readonly from: number; readonly to: number };
}

/** Something done to a deployment during the day, `at` ms after the day starts. */
export type PlannedAction =
  | { readonly at: number; readonly kind: 'pause' | 'trigger'; readonly deployment: number }
  | { readonly at: number; readonly kind: 'fail' | 'recover'; readonly deployment: number }
  | { readonly at: number; readonly kind: 'revoke' };

export interface DemoPlan {
  readonly deployments: readonly PlannedDeployment[];
  /** In time order. */
  readonly actions: readonly PlannedAction[];
}

const MINUTE_MS = 60_000;

/** Schedules people write, every one of them accepted by the schedule rules (SCHED-1..4). */
const CRON_SCHEDULES = [
  '*/5 * * * *',
  '*/10 * * * *',
  '*/15 * * * *',
  '*/30 * * * *',
  '0 * * * *',
  '15 */2 * * *',
  '0 */4 * * *',
  '30 6 * * 1-5',
  '0 9-17 * * 1-5',
  '45 23 * * *',
  '0 2 * * *',
] as const;
const PRESET_SCHEDULES = ['@hourly', '@daily', '@midnight', '@weekly'] as const;

/** Pipeline shapes: a source, the stages that may follow it, and a sink. */
const SOURCES = ['webhook', 'filesys', 's3', 'gdrive', 'sharepoint', 'postgres', 'kafka'] as const;
const STAGES = [
  'parse',
  'ocr',
  'preprocessor_langchain',
  'dedupe',
  'anonymize',
  'classify',
  'summarize_llm',
  'embedding_openai',
  'embedding_transformer',
  'llm_openai',
  'llm_anthropic',
] as const;
const SINKS = ['qdrant', 'pinecone', 'chroma', 'postgres_writer', 'response', 'slack_notify'] as const;
const PURPOSES = ['ingest', 'sync', 'digest', 'report', 'index', 'etl', 'triage', 'backfill', 'export'] as const;

/**
 * Plans `count` deployments for `owners` (the users who may deploy: at least one) from `seed`.
 * `taken(owner, projectId)` says whether an id is already used, so a seed on a server that has
 * deployments plans new ids beside them.
 */
export function planDemo(
  count: number,
  seed: number,
  owners: number,
  taken: (owner: PlannedDeployment['owner'], projectId: string) => boolean,
): DemoPlan {
  const f = seededFaker(seed);
  const roles = rolesFor(count, f);
  const used = new Set<string>();
  const deployments = roles.map((role, i): PlannedDeployment => {
    const owner = role === 'errored' ? 'revoked-user' : i % owners;
    const projectId = uniqueId(f, (id) => used.has(`${String(owner)}\n${id}`) || taken(owner, id));
    used.add(`${String(owner)}\n${projectId}`);
    const schedule =
      role === 'manual' ? 'manual' : role === 'preset' ? f.helpers.arrayElement(PRESET_SCHEDULES) : f.helpers.arrayElement(CRON_SCHEDULES);
    const flakyFrom = f.number.int({ min: 2, max: 16 }) * 60 * MINUTE_MS;
    return {
      owner,
      role,
      pipeline: pipelineFor(f, projectId),
      schedule: role === 'errored' ? '*/30 * * * *' : schedule,
      runMs: f.number.int({ min: 5, max: 240 }) * 1000,
      ...(role !== 'manual' &&
        f.number.float() < 0.15 && { flaky: { from: flakyFrom, to: flakyFrom + f.number.int({ min: 1, max: 6 }) * 60 * MINUTE_MS } }),
    };
  });
  return { deployments, actions: actionsFor(f, deployments) };
}

/** A Faker of its own (English), seeded: faker's shared instance keeps its own sequence. */
function seededFaker(seed: number): Faker {
  // The English entry point exports only its instance; its class makes a fresh one from the same data.
  const FakerClass = englishFaker.constructor as new (options: { locale: Faker['rawDefinitions'] }) => Faker;
  const f = new FakerClass({ locale: englishFaker.rawDefinitions });
  f.seed(seed);
  return f;
}

/** Every kind at least once (count ≥ DEMO_LIMITS.min), then a realistic mix, in a shuffled order. */
function rolesFor(count: number, f: Faker): DemoRole[] {
  const roles: DemoRole[] = ['errored', 'paused', 'cron', 'preset', 'manual'];
  while (roles.length < count) {
    roles.push(
      f.helpers.weightedArrayElement<DemoRole>([
        { weight: 50, value: 'cron' },
        { weight: 20, value: 'preset' },
        { weight: 18, value: 'manual' },
        { weight: 12, value: 'paused' },
      ]),
    );
  }
  return f.helpers.shuffle(roles);
}

function uniqueId(f: Faker, taken: (id: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    const subject = f.helpers.arrayElement([f.hacker.noun(), f.commerce.department(), f.commerce.product()]);
    const words = [f.hacker.adjective(), subject, f.helpers.arrayElement(PURPOSES)];
    const id = f.helpers.slugify(words.join('-')).toLowerCase() + (attempt >= 5 ? `-${attempt}` : '');
    if (!taken(id)) return id;
  }
}

/** A pipeline of 3 to 6 components chained by their lanes, as RocketRide pipelines are written. */
function pipelineFor(f: Faker, projectId: string): JsonObject {
  const providers = [
    f.helpers.arrayElement(SOURCES),
    ...f.helpers.arrayElements(STAGES, { min: 1, max: 4 }),
    f.helpers.arrayElement(SINKS),
  ];
  const components = providers.map((provider, i) => ({
    id: `${provider}_${i + 1}`,
    provider,
    config: configFor(f, provider),
    ...(i > 0 && { input: [{ lane: i === 1 ? 'documents' : 'text', from: `${providers[i - 1]}_${i}` }] }),
  }));
  return {
    project_id: projectId,
    name: f.company.catchPhrase(),
    description: `${f.company.buzzVerb()} ${f.company.buzzNoun()} for ${f.company.name()}`,
    source: components[0]!.id,
    components,
  };
}

function configFor(f: Faker, provider: string): JsonObject {
  if (provider === 's3')
    return {
      bucket: f.helpers.slugify(`${f.word.noun()}-${f.word.noun()}`).toLowerCase(),
      prefix: `${f.system.directoryPath().slice(1)}/`,
    };
  if (provider === 'filesys') return { path: f.system.directoryPath(), include: [`*.${f.system.fileExt()}`] };
  if (provider === 'webhook') return { path: `/hooks/${f.string.alphanumeric(8).toLowerCase()}` };
  if (provider === 'postgres' || provider === 'postgres_writer') return { table: f.database.column(), host: f.internet.domainName() };
  if (provider.startsWith('llm_') || provider === 'summarize_llm')
    return { temperature: f.number.float({ min: 0, max: 1, fractionDigits: 1 }) };
  if (provider === 'slack_notify') return { channel: `#${f.word.noun()}` };
  return {};
}

/** Pauses, manual runs, flaky spells and the revocation, at whole minutes of the day, in time order. */
function actionsFor(f: Faker, deployments: readonly PlannedDeployment[]): PlannedAction[] {
  const minute = (min: number, max: number) => f.number.int({ min, max }) * MINUTE_MS;
  const actions: PlannedAction[] = [];
  deployments.forEach((d, i) => {
    if (d.role === 'paused') actions.push({ at: minute(60, 22 * 60), kind: 'pause', deployment: i });
    if (d.role === 'manual') {
      for (let n = f.number.int({ min: 1, max: 3 }); n > 0; n--)
        actions.push({ at: minute(1, 24 * 60 - 10), kind: 'trigger', deployment: i });
    }
    if (d.flaky) {
      actions.push({ at: d.flaky.from, kind: 'fail', deployment: i });
      actions.push({ at: Math.min(d.flaky.to, DAY_MS - MINUTE_MS), kind: 'recover', deployment: i });
    }
  });
  // The revoked key: the errored deployment runs for part of the day, then its next tick finds the key revoked.
  actions.push({ at: minute(6 * 60, 18 * 60) + 1000, kind: 'revoke' });
  return actions.sort((a, b) => a.at - b.at);
}
