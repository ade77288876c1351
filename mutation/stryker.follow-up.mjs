// A follow-up conformance run after the checks changed: the same run as stryker.conformance.json,
// on the files or line ranges given with --mutate, reported apart (reports/mutation/follow-up/) and
// laid over the full run's report by the summary: npm run mutation:summary -- --also
// reports/mutation/follow-up/mutation.json (see docs/mutation.md). A file whose source changed
// since the full run must be mutated whole.
import { readFileSync } from 'node:fs';

const base = JSON.parse(readFileSync(new URL('./stryker.conformance.json', import.meta.url), 'utf8'));
const dir = 'reports/mutation/follow-up';
delete base.$schema;

export default {
  ...base,
  incremental: false,
  incrementalFile: `${dir}/stryker-incremental.json`,
  jsonReporter: { fileName: `${dir}/mutation.json` },
  htmlReporter: { fileName: `${dir}/mutation.html` },
};
