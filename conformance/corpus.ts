/**
 * The schedule corpus (fixtures/schedules.json: valid and invalid values, each with its reason),
 * read at run time beside the compiled checks (dist/conformance/ -> the package's fixtures/).
 */
import { readFileSync } from 'node:fs';

export interface CorpusEntry {
  readonly value: string;
  readonly why: string;
}

export const scheduleCorpus = JSON.parse(readFileSync(new URL('../../fixtures/schedules.json', import.meta.url), 'utf8')) as {
  valid: CorpusEntry[];
  invalid: CorpusEntry[];
};
