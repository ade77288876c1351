/**
 * The schedule corpus (fixtures/schedules.json: valid and invalid values, each with its reason),
 * read at run time beside the compiled checks (dist/conformance/ -> the package's fixtures/), or
 * beside the sources when the checks run from source (conformance/ -> fixtures/: the mutation run).
 */
import { readFileSync } from 'node:fs';

export interface CorpusEntry {
  readonly value: string;
  readonly why: string;
}

const fromSource = import.meta.url.endsWith('.ts');

export const scheduleCorpus = JSON.parse(
  readFileSync(new URL(fromSource ? '../fixtures/schedules.json' : '../../fixtures/schedules.json', import.meta.url), 'utf8'),
) as {
  valid: CorpusEntry[];
  invalid: CorpusEntry[];
};
