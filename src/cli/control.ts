/**
 * `rocketride-deploy-kit control <operation> [args]`: a running server's control API over HTTP.
 * Its words, arguments, flags and usage text are generated from the registry of operations
 * (control/operations.ts); the request goes through the typed client's request builder.
 */
import { readFile } from 'node:fs/promises';
import {
  ControlClientError,
  controlBaseUrl,
  controlRequest,
  DEFAULT_CONTROL_URL,
  sendControlRequest,
  type ControlRequest,
} from '../control/control-requests.js';
import { OPERATION_LIST, type Input, type Operation, type OperationName } from '../control/operations.js';
import { flagHelp, nearest, parseFlags, type FlagSpec, type FlagTable } from './args.js';
import { NAME, UsageError } from './usage-error.js';

const SEE_HELP = `(${NAME} control --help lists the operations)`;

/** One CLI word: its operation, and how its inputs are given (positional arguments, then flags). */
interface Command {
  readonly name: OperationName;
  readonly operation: Operation;
  readonly args: readonly Input[];
  readonly flags: readonly Input[];
}

/** The CLI's words, in the registry's order. */
export const COMMANDS: readonly Command[] = OPERATION_LIST.map(({ name, ...operation }) => ({
  name,
  operation,
  args: operation.cli.args.map((arg) => operation.inputs.find((i) => i.name === arg)!),
  // A marker input (`next: true`) is implied by the word itself.
  flags: operation.inputs.filter((i) => !(operation.cli.args as readonly string[]).includes(i.name) && i.type !== 'marker'),
}));

const BY_WORD = new Map(COMMANDS.map((command) => [command.operation.cli.word, command]));

/** A flag's name; a boolean input is two flags, `--hold` and `--no-hold`. */
const flagOf = (input: Input): string => input.flag ?? input.name;

/** The flags every operation takes. */
const GLOBAL_FLAGS = {
  url: { type: 'string', placeholder: 'URL', help: `The server (default ${DEFAULT_CONTROL_URL}; env RRDK_CONTROL_URL)` },
  token: { type: 'string', placeholder: 'TOKEN', help: 'Control token, if the server requires one (env RRDK_CONTROL_TOKEN)' },
  help: { type: 'boolean', short: 'h', help: 'Show this help' },
} as const satisfies FlagTable;

/** One command's flags (its inputs', a boolean input being `--hold` and `--no-hold`), then the global ones. */
function flagTable({ flags }: Command): FlagTable {
  return {
    ...Object.fromEntries(
      flags.flatMap((input): Array<[string, FlagSpec]> => {
        const help = input.description + (input.choices && input.type === 'choice' ? ` (${input.choices.join(', ')})` : '');
        return input.type === 'boolean'
          ? [
              [flagOf(input), { type: 'boolean', help }],
              [`no-${flagOf(input)}`, { type: 'boolean', help: `The opposite of --${flagOf(input)}` }],
            ]
          : [[flagOf(input), { type: 'string', placeholder: input.placeholder, help }]];
      }),
    ),
    ...GLOBAL_FLAGS,
  };
}

/** The operation's word: the first argument that is neither a global flag nor its value. */
function findWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--url' || arg === '--token') i += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** Where a mistake in calling one operation points. */
const commandHint = (command: Command): string => `(${NAME} control ${command.operation.cli.word} --help shows how it is called)`;

/** `control WORD --help`: its synopsis, summary, arguments and flags. */
function commandUsage(command: Command): string {
  const args = command.args.map((a) => `  ${a.placeholder.padEnd(COLUMN - 2)}${a.description}`);
  return [
    `Usage: ${NAME} control ${synopsis(command).join(' ')}`,
    '',
    command.operation.summary,
    '',
    `Example: ${NAME} control ${command.operation.cli.example}`,
    ...(args.length > 0 ? ['', 'Arguments:', ...args] : []),
    '',
    'Options:',
    flagHelp(flagTable(command), COLUMN),
  ].join('\n');
}

/** How a command is written: `end-run RUN_ID [--outcome completed|failed|cancelled]`. */
export function synopsis({ operation, args, flags }: Command): string[] {
  return [operation.cli.word, ...args.map((a) => a.placeholder), ...flags.map(flagSynopsis)];
}

function flagSynopsis(input: Input): string {
  const flag = flagOf(input);
  if (input.type === 'boolean') return `[--${flag}|--no-${flag}]`;
  return `[--${flag} ${input.choices && input.type === 'choice' ? input.choices.join('|') : input.placeholder}]`;
}

const COLUMN = 37;
const WIDTH = 100;

export const CONTROL_USAGE = `Usage: ${NAME} control <operation> [args] [--url URL] [--token TOKEN]

Calls the control API of a running server and prints its JSON answer.

Operations:
${COMMANDS.map(usageLine).join('\n')}

control options (each operation's own: control <operation> --help):
${flagHelp(GLOBAL_FLAGS, 17)}

Exit status: 0 done, 1 the server refused or did not answer, 2 bad usage.`;

/** A command's synopsis (wrapped under its word) and its summary (from column 37, wrapped). */
function usageLine(command: Command): string {
  const [word, ...parts] = synopsis(command);
  const lines = wrap(parts, WIDTH - 3 - word!.length).map((line, i) =>
    i === 0 ? `  ${word} ${line}` : `${' '.repeat(3 + word!.length)}${line}`,
  );
  if (parts.length === 0) lines.push(`  ${word}`);
  const summary = wrap(command.operation.summary.split(' '), WIDTH - COLUMN);
  const last = lines[lines.length - 1]!;
  const first = last.length < COLUMN - 1 ? [lines.pop()!.padEnd(COLUMN) + summary.shift()!] : [];
  return [...lines, ...first, ...summary.map((line) => ' '.repeat(COLUMN) + line)].map((line) => line.trimEnd()).join('\n');
}

function wrap(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  for (const word of words) {
    const last = lines.length > 0 ? lines[lines.length - 1]! : undefined;
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

export async function control(args: string[]): Promise<number> {
  const word = findWord(args);
  const command = word === undefined ? undefined : BY_WORD.get(word);
  if (command === undefined) {
    const { values } = parseFlags(args, GLOBAL_FLAGS, { command: 'control', usage: SEE_HELP, positionals: Infinity });
    if (values['help'] && word === undefined) {
      console.log(CONTROL_USAGE);
      return 0;
    }
    if (word === undefined) throw new UsageError('control needs an operation', CONTROL_USAGE);
    const near = nearest(word, [...BY_WORD.keys()]);
    throw new UsageError(`control has no operation '${word}'${near ? ` (did you mean ${near}?)` : ''}`, SEE_HELP);
  }
  const usage = commandHint(command);
  const { values, positionals } = parseFlags(args, flagTable(command), {
    command: `control ${word}`,
    usage,
    positionals: Infinity, // counted below, against the operation's arguments
  });
  if (values['help']) {
    console.log(commandUsage(command));
    return 0;
  }
  const rest = positionals.slice(1);
  if (rest.length !== command.args.length) {
    const wanted = command.args.length === 0 ? 'no arguments' : command.args.map((a) => a.placeholder).join(' ');
    throw new UsageError(`control ${word} takes ${wanted}, got ${rest.length === 0 ? 'none' : rest.join(' ')}`, usage);
  }
  const given = values as Record<string, string | boolean | undefined>;

  const inputs: Record<string, unknown> = {};
  for (const [i, input] of command.args.entries()) inputs[input.name] = await argumentValue(command, input, rest[i]!);
  for (const input of command.flags) inputs[input.name] = flagValue(command, input, given);

  let base: string;
  try {
    base = controlBaseUrl((given['url'] as string | undefined) ?? (process.env['RRDK_CONTROL_URL'] || DEFAULT_CONTROL_URL), '--url');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const token = (given['token'] as string | undefined) ?? (process.env['RRDK_CONTROL_TOKEN'] || undefined);
  let request: ControlRequest;
  try {
    request = controlRequest(command.name, inputs);
  } catch (error) {
    throw new UsageError((error as Error).message, usage); // a path argument the URL cannot carry
  }
  try {
    const answer = await sendControlRequest(base, request, { token });
    console.log(JSON.stringify(answer, null, 2));
    if (isObject(answer) && answer['nothingDue'] === true) {
      console.error(
        `${NAME}: nothing is due: no deployment has a tick to come (none is scheduled, or each is manual or errored); the clock stayed`,
      );
    }
    return 0;
  } catch (error) {
    if (!(error instanceof ControlClientError)) throw error;
    const known = error.code === 'UNREACHABLE' || error.code === 'NOT_JSON';
    console.error(`${NAME}: ${refusalInCliTerms(command, error, token)}${known ? '' : ` (${error.code})`}`);
    return 1;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * The server's refusal in the words of the command line: its texts name the HTTP fields (`to`,
 * `userId`), the user typed an argument (`set-clock INSTANT`) or a flag (`--user`); and a
 * missing token is given with --token, not as a header.
 */
function refusalInCliTerms(command: Command, error: ControlClientError, token: string | undefined): string {
  if (error.code === 'UNAUTHORIZED' && token === undefined) {
    return 'This server requires a control token: give it with --token TOKEN (or RRDK_CONTROL_TOKEN)';
  }
  if (error.code !== 'BAD_INPUT') return error.message;
  const names = new Map<string, string>([
    ...command.args.map((input): [string, string] => [input.name, `${command.operation.cli.word} ${input.placeholder}`]),
    ...command.flags.map((input): [string, string] => [input.name, `--${flagOf(input)}`]),
  ]);
  // The field a message starts with, and any camelCase field name in it (no English word is one).
  // Only the server's own words are renamed, not the value it quotes back (` (got "…")`).
  const quoted = error.message.indexOf(' (got ');
  const [words, value] = quoted < 0 ? [error.message, ''] : [error.message.slice(0, quoted), error.message.slice(quoted)];
  return words.replace(/^\w+(?= )|(?<![\w-])[a-z]+[A-Z]\w*\b/g, (word) => names.get(word) ?? word) + value;
}

/** A positional argument: the one naming a file is read as JSON; a number-like one in a body is sent as a number. */
async function argumentValue({ operation }: Command, input: Input, text: string): Promise<unknown> {
  if (operation.cli.file === input.name) return readJson(text);
  return typed(operation, input, text);
}

function flagValue(command: Command, input: Input, given: Readonly<Record<string, string | boolean | undefined>>): unknown {
  const flag = flagOf(input);
  if (input.type === 'boolean') {
    if (given[flag] && given[`no-${flag}`]) throw new UsageError(`Give --${flag} or --no-${flag}, not both`, commandHint(command));
    return given[flag] ? true : given[`no-${flag}`] ? false : undefined;
  }
  const value = given[flag];
  if (typeof value !== 'string') return undefined;
  if (input.type === 'json') return parseJsonFlag(value, `--${flag}`, command);
  return typed(command.operation, input, value);
}

/** Digits for a number input of a JSON body are sent as a number (a query is text anyway); the server validates. */
function typed(operation: Operation, input: Input, text: string): unknown {
  const numeric = input.type === 'instant' || input.type === 'span' || input.type === 'whole';
  return numeric && operation.http.method === 'POST' && /^\d+$/.test(text) ? Number(text) : text;
}

async function readJson(file: string): Promise<unknown> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  try {
    return JSON.parse(content);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function parseJsonFlag(value: string, flag: string, command: Command): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new UsageError(`${flag} must be JSON, like '{"deployments": []}'`, commandHint(command));
  }
}
