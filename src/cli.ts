#!/usr/bin/env node
/**
 * `rocketride-deploy-kit serve [--host H] [--port P] [--users FILE]`: the standalone mock server.
 */
import { parseArgs } from 'node:util';
import { loadUsersFile, DEFAULT_USERS_FILE } from './auth/users-file.js';
import { createMockServer, DEFAULT_PORT } from './server/mock-server.js';
import { VERSION } from './version.js';

const USAGE = `Usage: rocketride-deploy-kit <command> [options]

Commands:
  serve        Start the mock RocketRide server (deploy API over DAP/WebSocket)

serve options:
  --host HOST    Interface to listen on (default 127.0.0.1)
  --port PORT    Port to listen on; 0 picks a free one (default ${DEFAULT_PORT})
  --users FILE   Users file (default: the demo users in fixtures/users.json)

  -h, --help     Show this help
  -v, --version  Show the version`;

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
  if (command === 'serve') return serve(rest);
  console.error(`Unknown command '${command}'.\n\n${USAGE}`);
  return 2;
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      users: { type: 'string', default: DEFAULT_USERS_FILE },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    console.error(`--port must be a number from 0 to 65535, got '${values.port}'`);
    return 2;
  }
  const users = await loadUsersFile(values.users);
  const server = await createMockServer({
    host: values.host,
    port,
    users,
    log: (line) => console.error(line),
  });
  console.log(`rocketride-deploy-kit ${VERSION} listening on ${server.url}`);
  console.log(`users: ${users.map((u) => `${u.userId} (key ${u.keys[0]})`).join(', ')}`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.log(`${signal} received, shutting down`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await server.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Known, user-fixable problems (bad flags, bad users file, port in use) print one line.
    const e = error as NodeJS.ErrnoException;
    const message =
      e?.code === 'EADDRINUSE'
        ? `Port already in use (${e.message.replace(/^listen EADDRINUSE: address already in use /, '')}); pick another with --port`
        : (e?.message ?? String(error));
    console.error(`rocketride-deploy-kit: ${message}`);
    process.exitCode = 1;
  },
);
