/** `rocketride-deploy-kit serve [options]`: the standalone mock server. */
import { counted } from './counted.js';
import { loadUsersFile, DEFAULT_USERS_FILE } from '../auth/users-file.js';
import { ControlError } from '../control/errors.js';
import { parseChoice, parseDuration, parseInstant } from '../control/inputs.js';
import type { Limits } from '../limits.js';
import { readAllowedOrigins } from '../server/dap-access.js';
import { isLoopbackName } from '../server/loopback.js';
import { createMockServer, DEFAULT_PORT, type MockServer } from '../server/mock-server.js';
import type { SeedView } from '../control/control-api.js';
import { SHUTDOWN_LIMIT_MS } from '../persist/shutdown.js';
import { readAll } from '../control/paging.js';
import { VERSION } from '../version.js';
import { parseFlags } from './args.js';
import { LIMIT_FLAGS, SERVE_FLAGS, SERVE_OPTIONS, SERVE_USAGE } from './serve-flags.js';
import { demoRequest, withDemoDefault, type DemoRequest } from './demo-flags.js';
import { LOG_FORMATS, RequestLog } from './request-log.js';
import { DAY_MS } from '../demo/demo-limits.js';
import { NAME, UsageError } from './usage-error.js';

export async function serve(args: string[]): Promise<number> {
  const { values: given } = parseFlags(withDemoDefault(args), SERVE_FLAGS, {
    command: 'serve',
    usage: `(${NAME} serve --help lists its options)`,
  });
  if (given['help']) {
    console.log(SERVE_USAGE);
    return 0;
  }
  const text = (name: keyof typeof SERVE_OPTIONS): string | undefined => given[name] as string | undefined;
  const values = {
    host: text('host') ?? '127.0.0.1',
    port: text('port') ?? String(DEFAULT_PORT),
    users: text('users') ?? DEFAULT_USERS_FILE,
    clock: text('clock') ?? 'real',
    'start-at': text('start-at'),
    timezone: text('timezone') ?? 'UTC',
    'run-duration': text('run-duration') ?? '1s',
    'run-outcome': text('run-outcome') ?? 'completed',
    'history-limit': text('history-limit'),
    'journal-entries': text('journal-entries'),
    'control-token': text('control-token'),
    'state-file': text('state-file'),
    'allow-origin': given['allow-origin'] as string[] | undefined,
    quiet: given['quiet'] === true,
    'log-format': text('log-format') ?? 'text',
    demo: text('demo'),
    'demo-seed': text('demo-seed'),
  };
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got '${values.port}'`);
  // Flag values are checked here, so a mistake costs exit code 2 and names the flag.
  const mode = flag(() => parseChoice(values.clock, '--clock', ['fake', 'real'] as const));
  const startAt = values['start-at'] === undefined ? undefined : flag(() => parseInstant(values['start-at'], '--start-at'));
  const duration = flag(() => parseDuration(values['run-duration'], '--run-duration'));
  const outcome = flag(() => parseChoice(values['run-outcome'], '--run-outcome', ['completed', 'failed'] as const));
  const historyLimit = values['history-limit'] === undefined ? undefined : integerFlag(values['history-limit'], '--history-limit', 1);
  const journalEntries =
    values['journal-entries'] === undefined ? undefined : integerFlag(values['journal-entries'], '--journal-entries', 0);
  const limits = limitFlags(given);
  const controlToken = values['control-token'] ?? (process.env['RRDK_CONTROL_TOKEN'] || undefined);
  if (controlToken === '') throw new UsageError('--control-token must not be empty');
  const stateFile = values['state-file'];
  if (stateFile === '') throw new UsageError('--state-file must name a file');
  const logFormat = flag(() => parseChoice(values['log-format'], '--log-format', LOG_FORMATS));
  const demo = demoRequest(values.demo, values['demo-seed']);
  if (demo && stateFile !== undefined) {
    throw new UsageError(
      '--demo fills a fresh server: with --state-file, start without it and run `control seed N` once (the file keeps it)',
    );
  }

  const allowOrigins = (values['allow-origin'] ?? []).flatMap((list) => list.split(',').map((origin) => origin.trim()));
  try {
    readAllowedOrigins(allowOrigins);
  } catch (error) {
    throw new UsageError(String((error as Error).message).replace(/^allowOrigins/, '--allow-origin'));
  }

  const users = await loadUsersFile(values.users);
  const log = values.quiet ? undefined : new RequestLog(logFormat, (text) => process.stdout.write(text));
  // A closed stdout (`serve | head -5`) must not take the server down: the log stops, serving goes on.
  let stdoutGone = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (stdoutGone) return;
    stdoutGone = true;
    log?.stop();
    console.error(`${NAME}: standard output closed (${error.code ?? error.message}): nothing more is printed there; still serving`);
  });
  // A demo's day of runs ends where the clock would have started: it starts a day earlier.
  const clockStart = demo ? (startAt ?? Date.now()) - DAY_MS : startAt;
  const server = await createMockServer({
    host: values.host,
    port,
    users,
    clock: clockStart === undefined ? mode : { mode, startAt: clockStart },
    timezone: values.timezone,
    runs: { duration, outcome },
    ...(historyLimit !== undefined && { historyLimit }),
    ...(journalEntries !== undefined && { journal: { entries: journalEntries } }),
    limits,
    ...(controlToken !== undefined && { controlToken }),
    ...(stateFile !== undefined && { stateFile }),
    ...(allowOrigins.length > 0 && { allowOrigins }),
    log: (line) => console.error(line),
    ...(log && { onEvent: log.onEvent }),
  });
  const seeded = demo && (await seedOrClose(server, demo));
  // Listened for before the start-up lines: a signal sent as soon as they appear shuts down gracefully.
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const clock = server.control.clock();
  const httpHost = server.host.includes(':') ? `[${server.host}]` : server.host;
  console.log(`${NAME} ${VERSION} listening on ${server.url}`);
  // One line for the control API and the dashboard on it (readers find the URL by its `control API: ` prefix).
  console.log(
    `control API: http://${httpHost}:${server.port}/control/ ` +
      (controlToken === undefined ? '(loopback callers only; --control-token opens it to others)' : '(control token required)') +
      `; dashboard: http://${httpHost}:${server.port}/` +
      (controlToken === undefined ? '' : ' (open it as /#token=TOKEN)'),
  );
  console.log(`clock: ${clock.mode}, now ${clock.now}, time zone ${clock.timezone}`);
  console.log(`users: ${users.map((u) => `${u.userId} (key ${u.keys[0]})`).join(', ')}`);
  if (!isLoopbackName(server.host) && values.users === DEFAULT_USERS_FILE) {
    console.error(
      `warning: listening on ${server.host}, beyond this machine: anyone who can reach it can log in with the public demo keys ` +
        `(${users.flatMap((u) => u.keys).join(', ')}). Give --users FILE with keys of your own, or --host 127.0.0.1`,
    );
  }
  if (stateFile !== undefined)
    console.log(`state file: ${stateFile} (${counted(readAll((page) => server.control.deployments(page)).length, 'deployment')} loaded)`);
  if (seeded) {
    const owners = Object.entries(seeded.deployments).map(([user, n]) => `${user} ${n}`);
    console.log(
      `demo: ${counted(demo.count, 'deployment')} (${owners.join(', ')}), seed ${seeded.seed}, ${counted(seeded.runs, 'run')} in the day before now`,
    );
  }
  log?.start(); // the request log follows the start-up lines

  const signal = await stopSignal;
  const closing = server.close(); // stops listening before it returns: the line below comes after
  console.log(`${signal} received, shutting down (at most ${SHUTDOWN_LIMIT_MS / 1000} s)`);
  // Graceful, but bounded: a hung disk or client must not keep the process alive.
  const deadline = setTimeout(() => {
    console.error(`${NAME}: shutdown took longer than ${SHUTDOWN_LIMIT_MS / 1000} s; exiting without waiting`);
    process.exit(1);
  }, SHUTDOWN_LIMIT_MS);
  deadline.unref();
  await closing;
  log?.flush();
  clearTimeout(deadline);
  return 0;
}

/** The demo seeded on a new server; one that cannot be (no user may deploy) closes it and says why. */
async function seedOrClose(server: MockServer, demo: DemoRequest): Promise<SeedView> {
  try {
    return server.control.seed(demo.count, demo.seed);
  } catch (error) {
    await server.close();
    if (error instanceof ControlError) throw new Error(`--demo: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The limits given on the command line (each a positive integer, or a span of at least 1 ms). */
function limitFlags(values: Record<string, unknown>): Partial<Record<keyof Limits, number>> {
  const limits: Partial<Record<keyof Limits, number>> = {};
  for (const [name, { limit, span }] of Object.entries(LIMIT_FLAGS)) {
    const text = values[name];
    if (typeof text !== 'string') continue;
    if (!span) limits[limit] = integerFlag(text, `--${name}`, 1);
    else {
      const ms = flag(() => parseDuration(text, `--${name}`));
      if (ms < 1) throw new UsageError(`--${name} must be at least 1ms, got '${text}'`);
      limits[limit] = ms;
    }
  }
  return limits;
}

/** Runs a control-input parser on a flag value, turning its 400 into a usage error. */
function flag<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ControlError) throw new UsageError(error.message);
    throw error;
  }
}

/** A flag's whole number of at least `min` (0 or 1). */
function integerFlag(text: string, name: string, min: 0 | 1): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) {
    throw new UsageError(`${name} must be ${min === 1 ? 'a positive integer' : 'a whole number'}, got '${text}'`);
  }
  return Number(text);
}
