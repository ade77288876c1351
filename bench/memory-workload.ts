/**
 * What the memory bench stores: deterministic pipelines of realistic shape and size (a
 * project_id, a source, 3-8 components with configs and lanes; 0.5-1.7 KB of JSON for 90 % of
 * them, 1 KB typical), spread over several users, with a mix of manual, preset and cron
 * schedules. Same index, same document, on every run and machine.
 */
import type { UserSpec } from '../src/index.js';
import { mulberry32 } from '../test/helpers/seeded-random.js';

/** Users the deployments are spread over (each stays far below the per-user deployment limit). */
export const MEMORY_USERS = 25;

/** Roughly what users pick: many manual, then the presets, then a few cron expressions. */
const SCHEDULES: readonly string[] = [
  'manual',
  'manual',
  'manual',
  '@hourly',
  '@daily',
  '@weekly',
  '@monthly',
  '*/5 * * * *',
  '*/15 * * * *',
  '0,30 8-18 * * 1-5',
  '15 2 1,15 * *',
];

const PROVIDERS = ['parse', 'prompt', 'llm_openai', 'llm_anthropic', 'embedding_openai', 'vector_qdrant', 'text_splitter', 'ocr'] as const;
const MODELS = ['gpt-4o-mini', 'gpt-4.1', 'claude-sonnet-4', 'text-embedding-3-small'] as const;
const LANES = ['text', 'tags', 'documents', 'questions', 'answers', 'embeddings'] as const;
const WORDS = [
  'summarize',
  'the',
  'incoming',
  'document',
  'and',
  'extract',
  'every',
  'customer',
  'name',
  'order',
  'number',
  'with',
  'its',
  'date',
  'answer',
  'briefly',
  'in',
  'plain',
  'english',
  'ignore',
  'signatures',
] as const;

export function memoryUsers(): UserSpec[] {
  return Array.from({ length: MEMORY_USERS }, (_, u) => ({
    userId: `mem-user-${u}`,
    keys: [memoryUserKey(u)],
    defaultTeam: 'mem',
    organizations: [{ id: 'mem', name: 'Memory bench', permissions: ['org.admin'], teams: [{ id: 'mem', name: 'Mem', permissions: [] }] }],
  }));
}

export function memoryUserKey(user: number): string {
  return `MEMKEY${user}`;
}

/** Deployment `i`: its owner (round robin), schedule and pipeline. */
export function memoryDeployment(i: number): { user: number; schedule: string; pipeline: Record<string, unknown> } {
  const random = mulberry32(i + 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const sentence = (min: number, max: number): string =>
    Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, () => pick(WORDS)).join(' ');

  const projectId = `proj-${i.toString(36).padStart(6, '0')}-${Math.floor(random() * 0xffffff).toString(16)}`;
  const components: Record<string, unknown>[] = [
    {
      id: 'webhook_1',
      provider: 'webhook',
      config: { mode: 'Source', type: 'webhook', authentication: random() < 0.5 ? 'none' : 'apikey' },
    },
  ];
  const count = 1 + Math.floor(random() * 6);
  for (let c = 1; c <= count; c++) {
    const provider = pick(PROVIDERS);
    const config: Record<string, unknown> = { profile: pick(['default', 'fast', 'accurate']) };
    if (provider.startsWith('llm') || provider === 'prompt') {
      config['model'] = pick(MODELS);
      config['temperature'] = Math.round(random() * 100) / 100;
      config['max_tokens'] = 256 * (1 + Math.floor(random() * 8));
      config['instructions'] = sentence(4, 24);
    } else if (provider === 'text_splitter') {
      config['chunk_size'] = 500 + Math.floor(random() * 1500);
      config['overlap'] = Math.floor(random() * 200);
    } else if (provider.startsWith('vector')) {
      config['collection'] = `col_${Math.floor(random() * 1000)}`;
      config['host'] = 'http://localhost:6333';
    }
    const from = c === 1 ? 'webhook_1' : `${components[c - 1]!['id'] as string}`;
    components.push({ id: `${provider}_${c}`, provider, config, input: [{ lane: pick(LANES), from }] });
  }
  components.push({ id: 'response_1', provider: 'response', config: {}, input: [{ lane: 'answers', from: components.at(-1)!['id'] }] });
  return {
    user: i % MEMORY_USERS,
    schedule: SCHEDULES[i % SCHEDULES.length]!,
    pipeline: { project_id: projectId, name: `Pipeline ${i}`, description: sentence(2, 10), source: 'webhook_1', version: 1, components },
  };
}
