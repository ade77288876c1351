/**
 * `rocketride-deploy-kit conformance`: the suite lives in dist/conformance/, loaded only when asked
 * for. Its flags and help (dist/conformance/usage.js) import no vitest: they are checked, and
 * `--help` printed, before the suite (which runs on vitest, an optional peer) is loaded.
 */
import { parseFlags, type FlagTable } from './args.js';
import { NAME } from './usage-error.js';

/** The suite is compiled apart from src/ (conformance/ -> dist/conformance/); load it at run time. */
export async function conformance(args: string[]): Promise<number> {
  const usagePath = '../conformance/usage.js'; // from dist/cli/
  const { CONFORMANCE_FLAGS, CONFORMANCE_USAGE } = (await import(usagePath)) as { CONFORMANCE_FLAGS: FlagTable; CONFORMANCE_USAGE: string };
  const { values } = parseFlags(args, CONFORMANCE_FLAGS, {
    command: 'conformance',
    usage: `(${NAME} conformance --help lists its options)`,
  });
  if (values['help']) {
    console.log(CONFORMANCE_USAGE);
    return 0;
  }
  const modulePath = '../conformance/cli.js';
  let suite: { conformanceMain(args: string[]): Promise<number> };
  try {
    suite = (await import(modulePath)) as typeof suite;
  } catch (error) {
    // vitest is an optional peer dependency: the server alone installs without it.
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /'vitest'/.test((error as Error).message)) {
      console.error(`${NAME}: the conformance suite runs on vitest, which is not installed here: npm install --save-dev vitest@^4.1`);
      return 1;
    }
    throw error;
  }
  return suite.conformanceMain(args);
}
