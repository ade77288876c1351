/** The program's top-level help: every command and its options. */
import { CONTROL_USAGE } from './control.js';
import { SERVE_SECTIONS } from './serve-flags.js';
import { NAME } from './usage-error.js';

/** The commands, for dispatch and "did you mean". */
export const COMMAND_NAMES = ['serve', 'control', 'conformance'] as const;

export const USAGE = `Usage: ${NAME} <command> [options]

Commands:
  serve        Start the mock RocketRide server (deploy API over DAP/WebSocket, control API over HTTP)
  control      Call a running server's control API (clock, keys, deployments, runs)
  conformance  Check a server (default: the in-process mock) against the spec, clause by clause

Each command has its own help: ${NAME} serve --help, ${NAME} control --help,
${NAME} control <operation> --help, ${NAME} conformance --help.

${SERVE_SECTIONS}

${CONTROL_USAGE.replace(/^Usage: /, 'control: ')}

  -h, --help     Show this help
  -v, --version  Show the version`;
