/**
 * The generated parts of the control API's docs, from the registry of operations: the endpoint
 * table and the CLI table of docs/control-api.md, and docs/control-openapi.json. `npm run docs`
 * writes them; test/control/registry.test.ts fails while they differ from the registry.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMANDS, synopsis } from '../src/cli/control.js';
import { controlOpenApi } from '../src/control/openapi.js';
import { CONTROL_PATH, ENDPOINT_GROUPS, pathParameters, type Input, type Served } from '../src/control/operations.js';

export const CONTROL_DOCS = fileURLToPath(new URL('../docs/control-api.md', import.meta.url));
export const OPENAPI_FILE = fileURLToPath(new URL('../docs/control-openapi.json', import.meta.url));

/** The text between `<!-- generated: NAME -->` and `<!-- end generated -->`, by NAME. */
export const SECTIONS = {
  endpoints: endpointTable,
  cli: cliTable,
} as const;

/** A table cell: `|` escaped, as GitHub's tables need even inside code. */
const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (text: string) => `\`${text}\``;

function endpointTable(): string {
  const rows = ENDPOINT_GROUPS.map((served) => {
    const { method, path, status } = served[0]!.binding;
    const operation =
      served.length === 1
        ? `${code(served[0]!.name)}: ${lowerFirst(served[0]!.operation.summary)}`
        : served.map((s) => code(s.name)).join(', ') + ', by the body';
    return `| ${code(`${method} ${CONTROL_PATH}/${path}`)} | ${cell(operation)}${status === 201 ? ' (201)' : ''} | ${cell(inputsCell(served))} |`;
  });
  return ['| method and path | operation | body or query |', '| --- | --- | --- |', ...rows].join('\n');
}

function inputsCell(served: readonly Served[]): string {
  if (served.length > 1) {
    const one = served.map(({ operation, binding }) =>
      code(`{${fieldText(operation.inputs.find((i) => i.name === binding.selector!.field)!)}}`),
    );
    return `exactly one of ${one.join(', ')}`;
  }
  const { operation, binding } = served[0]!;
  if (binding.wholeBody !== undefined) return lowerFirst(operation.inputs.find((i) => i.name === binding.wholeBody)!.description);
  const inPath = pathParameters(binding.path);
  const inputs = operation.inputs.filter((i) => !inPath.includes(i.name));
  if (inputs.length === 0) return '';
  const written =
    binding.method === 'GET'
      ? code(`?${inputs.map((i) => `${i.name}=${i.choices ? i.choices.join('|') : i.placeholder}`).join('&')}`)
      : code(`{${inputs.map(fieldText).join(', ')}}`);
  const optional = inputs.filter((i) => i.optional);
  const note =
    optional.length === 0
      ? ''
      : optional.length === inputs.length
        ? inputs.length === 1
          ? ' (optional)'
          : ' (all optional)'
        : ` (${optional.map((i) => i.name).join(', ')} optional)`;
  return written + note;
}

function fieldText(input: Input): string {
  const value =
    input.type === 'marker'
      ? 'true'
      : input.type === 'choice' && input.choices
        ? input.choices.map((c) => `"${c}"`).join('|')
        : input.placeholder;
  return `"${input.name}": ${value}`;
}

function cliTable(): string {
  const rows = COMMANDS.map((command) => {
    const { operation } = command;
    const { method, path, selector } = operation.http;
    const placeholders = Object.fromEntries(command.args.map((a) => [a.name, a.placeholder]));
    const url = path.replace(/:(\w+)/g, (_, name: string) => placeholders[name] ?? name.toUpperCase());
    const call = `${code(`${method} ${CONTROL_PATH}/${url}`)}${selector ? ` ${code(selector.field)}` : ''}`;
    const example = `${code(`control ${operation.cli.example}`)}${operation.cli.note ? ` (${operation.cli.note})` : ''}`;
    return `| ${cell(code(synopsis(command).join(' ')))} | ${call} | ${cell(example)} |`;
  });
  return ['| operation | HTTP call | example |', '| --- | --- | --- |', ...rows].join('\n');
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** docs/control-api.md with every generated section as the registry has it now. */
export function renderControlDocs(current: string): string {
  let text = current;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const start = `<!-- generated: ${name} (npm run docs) -->\n`;
    const end = '\n<!-- end generated -->';
    const from = text.indexOf(start);
    const to = text.indexOf(end, from);
    if (from < 0 || to < 0) throw new Error(`docs/control-api.md has no generated section '${name}'`);
    text = `${text.slice(0, from + start.length)}\n${render()}\n${text.slice(to)}`;
  }
  return text;
}

export function renderOpenApiFile(): string {
  return `${JSON.stringify(controlOpenApi(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CONTROL_DOCS, renderControlDocs(readFileSync(CONTROL_DOCS, 'utf8')));
  writeFileSync(OPENAPI_FILE, renderOpenApiFile());
  console.log('wrote docs/control-api.md (generated sections) and docs/control-openapi.json');
}
