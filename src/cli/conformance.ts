/** `rocketride-deploy-kit conformance`: the suite lives in dist/conformance/, loaded only when asked for. */
import { NAME } from './usage-error.js';

/** The suite is compiled apart from src/ (conformance/ -> dist/conformance/); load it at run time. */
export async function conformance(args: string[]): Promise<number> {
  const modulePath = '../conformance/cli.js'; // from dist/cli/
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
