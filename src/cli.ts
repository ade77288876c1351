#!/usr/bin/env node
/**
 * The command line: `serve` (cli/serve.ts), `control` (cli/control.ts) and `conformance`
 * (cli/conformance.ts), dispatched here; usage mistakes print one line and exit 2.
 */
import { conformance } from './cli/conformance.js';
import { control } from './cli/control.js';
import { serve } from './cli/serve.js';
import { nearest } from './cli/args.js';
import { describeListenError } from './cli/listen-error.js';
import { COMMAND_NAMES, USAGE } from './cli/usage.js';
import { NAME, UsageError } from './cli/usage-error.js';
import { VERSION } from './version.js';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    console.log(VERSION);
    return 0;
  }
  try {
    if (command === 'serve') return await serve(rest);
    if (command === 'control') return await control(rest);
    if (command === 'conformance') return await conformance(rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${NAME}: ${error.message}${error.usage ? `\n\n${error.usage}` : ''}`);
    return 2;
  }
  const near = nearest(command, COMMAND_NAMES);
  console.error(
    `${NAME}: unknown command '${command}'${near ? ` (did you mean ${near}?)` : ''}; the commands are ${COMMAND_NAMES.join(', ')} (${NAME} --help)`,
  );
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Known, user-fixable problems (bad flags, bad users file, port in use) print one line.
    const e = error as NodeJS.ErrnoException;
    console.error(`${NAME}: ${(e && describeListenError(e)) ?? e?.message ?? String(error)}`);
    process.exitCode = 1;
  },
);
