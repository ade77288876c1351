/**
 * The generated parts of the pytest plugin (python/pytest-rocketride-deploy-kit/), from the
 * registry of operations: its typed Python client of the control API (`control.py`: a TypedDict
 * per answer schema of openapi-schemas.ts, a method per operation), its version (`_version.py`,
 * the package's), and the method table of docs/pytest-plugin.md. `npm run docs` writes them;
 * test/control/registry.test.ts fails while they differ from the registry.
 *
 * Everything is derived generically: a method's name is the operation's in snake_case, its
 * parameters are the operation's inputs (required ones positional, optional ones keyword-only),
 * typed from their field types; its request is the operation's `http` binding, built at run
 * time by `_transport.py` as the TypeScript client builds it (control-requests.ts). A new
 * operation, input or answer schema needs no change here, only `npm run docs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONTROL_PATH, OPERATION_LIST, pathParameters, type FieldType, type Input, type Operation } from '../src/control/operations.js';
import { VIEW_SCHEMAS } from '../src/control/openapi-schemas.js';
import { VERSION } from '../src/version.js';
import { PAGE_LIMITS } from '../src/control/paging.js';

const PACKAGE_DIR = new URL('../python/pytest-rocketride-deploy-kit/pytest_rocketride_deploy_kit/', import.meta.url);
export const PYTHON_CLIENT_FILE = fileURLToPath(new URL('control.py', PACKAGE_DIR));
export const PYTHON_VERSION_FILE = fileURLToPath(new URL('_version.py', PACKAGE_DIR));
export const PLUGIN_DOCS = fileURLToPath(new URL('../docs/pytest-plugin.md', import.meta.url));

type Schema = Readonly<Record<string, unknown>>;

/** What the generator reads: the registry's operations (each with its name) and the answers' schemas. */
export interface Registry {
  readonly operations: ReadonlyArray<Operation & { readonly name: string }>;
  readonly schemas: Readonly<Record<string, Schema>>;
}

const REGISTRY: Registry = { operations: OPERATION_LIST, schemas: VIEW_SCHEMAS };

const PYTHON_KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for from global if ' +
    'import in is lambda nonlocal not or pass raise return try while with yield'
  ).split(' '),
);
/** The longest line of the generated methods before they are wrapped. */
const MAX_LINE = 110;

/** Names the client class has besides its operations. */
const CLIENT_ATTRIBUTES = new Set(['url', 'token', 'timeout', 'OPERATIONS', 'read_all']);

/** `runToNextTick` → `run_to_next_tick`; a Python keyword gets a trailing `_`. */
export function snakeCase(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
  return PYTHON_KEYWORDS.has(snake) ? `${snake}_` : snake;
}

const pascalCase = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** `Views` → `View`, `Entries` → `Entry`, `keys` → `key`: the name of one item of a list. */
function singular(name: string): string {
  if (/ies$/.test(name)) return name.replace(/ies$/, 'y');
  if (/[^s]s$/.test(name)) return name.slice(0, -1);
  return `${name}Item`;
}

/** A Python literal of a JSON value (strings in single quotes). */
function pyLiteral(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  throw new Error(`no Python literal for ${JSON.stringify(value)}`);
}

/** Text for a Python comment (one line), or for a docstring (no backslash escapes, no closing quotes). */
const commentText = (text: string) => text.replace(/\s*\n\s*/g, ' ');
const docText = (text: string) => commentText(text).replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');

const isIdentifier = (name: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !PYTHON_KEYWORDS.has(name);

// ---------------------------------------------------------------------------------------------
// The answers' types, from their JSON Schemas
// ---------------------------------------------------------------------------------------------

/** Emits a Python definition per schema, each after the ones it refers to. */
class TypeWriter {
  readonly definitions: string[] = [];
  private readonly done = new Set<string>();
  private readonly taken: Set<string>;

  constructor(private readonly schemas: Registry['schemas']) {
    this.taken = new Set(Object.keys(schemas));
  }

  /** The named schema's definition (once), after those it needs. */
  named(name: string): string {
    if (this.done.has(name)) return name;
    this.done.add(name);
    const schema = this.schemas[name];
    if (schema === undefined) throw new Error(`no schema ${name} in openapi-schemas.ts`);
    if (isObjectWithProperties(schema)) this.typedDict(name, schema);
    else this.definitions.push(`${name} = ${this.expression(schema, name)}`);
    return name;
  }

  /** A Python type expression of a schema; `hint` names the definitions of inline objects. */
  expression(schema: Schema, hint: string): string {
    if (typeof schema['$ref'] === 'string') return this.named(String(schema['$ref']).replace('#/components/schemas/', ''));
    const oneOf = schema['oneOf'] as Schema[] | undefined;
    if (oneOf !== undefined) {
      const types = oneOf.filter((s) => s['type'] !== 'null');
      const inner = types.length === 1 ? this.expression(types[0]!, hint) : 'Any';
      return types.length < oneOf.length ? `Optional[${inner}]` : inner;
    }
    if (Array.isArray(schema['enum'])) return `Literal[${schema['enum'].map(pyLiteral).join(', ')}]`;
    if ('const' in schema) return `Literal[${pyLiteral(schema['const'])}]`;
    switch (schema['type']) {
      case 'string':
        return 'str';
      case 'integer':
        return 'int';
      case 'number':
        return 'float';
      case 'boolean':
        return 'bool';
      case 'null':
        return 'None';
      case 'array': {
        const items = schema['items'] as Schema | undefined;
        return items === undefined ? 'List[Any]' : `List[${this.expression(items, singular(hint))}]`;
      }
      case 'object':
        return isObjectWithProperties(schema) ? this.typedDict(this.fresh(hint), schema) : 'Dict[str, Any]';
      default:
        return 'Any';
    }
  }

  private fresh(hint: string): string {
    let name = pascalCase(hint);
    for (let n = 2; this.taken.has(name); n++) name = `${pascalCase(hint)}${n}`;
    this.taken.add(name);
    this.done.add(name);
    return name;
  }

  /**
   * A TypedDict: the functional form (keys like `from` are Python keywords); optional keys go
   * in a `total=False` class over the required ones (Python 3.9 has no NotRequired).
   */
  private typedDict(name: string, schema: Schema): string {
    const properties = schema['properties'] as Record<string, Schema>;
    const required = new Set((schema['required'] as string[] | undefined) ?? []);
    const entries = Object.entries(properties).map(([key, value]) => ({
      key,
      type: this.expression(value, `${name}${pascalCase(key)}`),
      required: required.has(key),
      description: typeof value['description'] === 'string' ? commentText(value['description']) : undefined,
    }));
    const mandatory = entries.filter((e) => e.required);
    const optional = entries.filter((e) => !e.required);
    const functional = (typeName: string, list: typeof entries, total: boolean) =>
      [
        `${typeName} = TypedDict('${typeName}', {`,
        ...list.map((e) => `    ${pyLiteral(e.key)}: ${e.type},${e.description ? `  # ${e.description}` : ''}`),
        `}${total ? '' : ', total=False'})`,
      ].join('\n');
    if (optional.length === 0) this.definitions.push(functional(name, entries, true));
    else if (mandatory.length === 0 || !optional.every((e) => isIdentifier(e.key))) this.definitions.push(functional(name, entries, false));
    else {
      this.definitions.push(functional(`_${name}Required`, mandatory, true));
      this.definitions.push(
        [
          `class ${name}(_${name}Required, total=False):`,
          ...optional.flatMap((e) => [...(e.description ? [`    #: ${e.description}`] : []), `    ${e.key}: ${e.type}`]),
        ].join('\n'),
      );
    }
    return name;
  }
}

function isObjectWithProperties(schema: Schema): boolean {
  return schema['type'] === 'object' && typeof schema['properties'] === 'object' && Object.keys(schema['properties']!).length > 0;
}

// ---------------------------------------------------------------------------------------------
// The methods, from the operations
// ---------------------------------------------------------------------------------------------

/** The Python type of an input's value, by its field type. */
function inputType(input: Input, types: TypeWriter): string {
  const type: FieldType = input.type;
  switch (type) {
    case 'text':
      return 'str';
    case 'instant':
      return 'Instant';
    case 'span':
      return 'Span';
    case 'boolean':
      return 'bool';
    case 'whole':
      return 'int';
    case 'choice':
      return input.choices ? `Literal[${input.choices.map(pyLiteral).join(', ')}]` : 'str';
    case 'json':
      return input.schema ? `Union[${types.named(input.schema)}, Mapping[str, Any]]` : 'Any';
    case 'marker':
      return 'Literal[True]';
  }
}

/** The operation's inputs that are parameters (a marker is always sent, as `true`). */
const parametersOf = (operation: Operation) => operation.inputs.filter((i) => i.type !== 'marker');

/** `(user_id: str, project_id: str)`-like parameter list, without `self`. */
function signature(operation: Operation, types: TypeWriter): string[] {
  const parameters = parametersOf(operation);
  const required = parameters.filter((i) => !i.optional);
  const optional = parameters.filter((i) => i.optional);
  return [
    ...required.map((i) => `${snakeCase(i.name)}: ${inputType(i, types)}`),
    ...(optional.length > 0 ? ['*'] : []),
    ...optional.map((i) => {
      const type = inputType(i, types);
      return `${snakeCase(i.name)}: ${type === 'Any' ? type : `Optional[${type}]`} = None`;
    }),
  ];
}

const httpLine = ({ http }: Operation) => `${http.method} ${CONTROL_PATH}/${http.path}`;

function method(name: string, operation: Operation, types: TypeWriter): string {
  const python = snakeCase(name);
  if (CLIENT_ATTRIBUTES.has(python)) throw new Error(`operation ${name}: ${python} is already an attribute of ControlClient`);
  const result = types.named(operation.result);
  const parameters = parametersOf(operation);
  const inputs = operation.inputs.map((i) => `${pyLiteral(i.name)}: ${i.type === 'marker' ? 'True' : snakeCase(i.name)}`);
  const { method: verb, path, wholeBody } = operation.http;
  const inPath = pathParameters(path);
  const args = [pyLiteral(name), pyLiteral(verb), pyLiteral(path), `{${inputs.join(', ')}}`];
  if (wholeBody !== undefined) args.push(`whole_body=${pyLiteral(wholeBody)}`);
  const where = (i: Input) =>
    inPath.includes(i.name) ? 'in the path' : wholeBody === i.name ? 'the body' : verb === 'GET' ? 'query' : 'body';
  const docs = [
    `${docText(operation.summary)}.`,
    '',
    `\`\`${httpLine(operation)}\`\`${operation.http.status ? ` (${operation.http.status})` : ''}; answers \`\`${operation.result}\`\`.`,
    ...(parameters.length > 0
      ? ['', 'Args:', ...parameters.map((i) => `    ${snakeCase(i.name)}: ${docText(i.description)} (\`\`${i.name}\`\`, ${where(i)}).`)]
      : []),
  ];
  const parameterList = ['self', ...signature(operation, types)];
  const oneLine = `    def ${python}(${parameterList.join(', ')}) -> ${result}:`;
  const call = `        return self._call(${args.join(', ')})`;
  return [
    oneLine.length <= MAX_LINE
      ? oneLine
      : [`    def ${python}(`, ...parameterList.map((p) => `        ${p},`), `    ) -> ${result}:`].join('\n'),
    `        """${docs.map((line, i) => (i === 0 || line === '' ? line : `        ${line}`)).join('\n')}\n        """`,
    call.length <= MAX_LINE
      ? call
      : [
          `        return self._call(`,
          ...args.slice(0, 3).map((a) => `            ${a},`),
          '            {',
          ...inputs.map((i) => `                ${i},`),
          '            },',
          ...args.slice(4).map((a) => `            ${a},`),
          '        )',
        ].join('\n'),
  ].join('\n');
}

/** python/pytest-rocketride-deploy-kit/pytest_rocketride_deploy_kit/control.py, as the registry has it now. */
export function renderPythonControlClient({ operations, schemas }: Registry = REGISTRY): string {
  const types = new TypeWriter(schemas);
  const methods = operations.map(({ name, ...operation }) => method(name, operation, types));
  const PAGED = operations.filter((o) => o.inputs.some((i) => i.name === 'cursor')).map((o) => `\`\`${snakeCase(o.name)}\`\``);
  const names = [...types.definitions.map((d) => /^(?:class )?(\w+)/.exec(d)![1]!).filter((n) => !n.startsWith('_'))];
  return `# GENERATED by scripts/python-control-client.ts (npm run docs) from the registry of control
# operations (src/control/operations.ts) and the answers' JSON Schemas
# (src/control/openapi-schemas.ts). Do not edit: change the registry and run \`npm run docs\`;
# test/control/registry.test.ts fails while this file is stale.
"""A typed client of the mock server's HTTP control API (docs/control-api.md).

\`\`ControlClient(url)\`\` has one method per control operation, named as the TypeScript
\`\`server.control\`\` method in snake_case (\`\`runToNextTick\`\` is \`\`run_to_next_tick\`\`); its
required inputs are positional, its optional ones keyword-only (\`\`None\`\` means "not given").
Each answers the server's JSON, parsed (typed by the TypedDicts below); a refusal raises
\`\`ControlError(code, status, message)\`\`. Standard library only.
"""
from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, TypedDict, Union

from ._transport import ControlError, Instant, Span, Transport

__all__ = [
    'ControlClient',
    'ControlError',
    'Instant',
    'Span',
${names.map((n) => `    ${pyLiteral(n)},`).join('\n')}
]


# The answers, one type per schema of the OpenAPI document (docs/control-openapi.json).

${types.definitions.join('\n\n\n')}


class ControlClient:
    """A client of the control API of the server at \`\`url\`\`.

    \`\`url\`\`: \`\`http://127.0.0.1:5565\`\`, with or without \`\`/control\`\`, or the server's
    \`\`ws://\`\` URL. \`\`token\`\`: the server's control token, when it was started with one.
    \`\`timeout\`\`: seconds to wait for each answer.
    """

    #: The name of every operation's method, in the registry's order.
    OPERATIONS = (
${operations.map((o) => `        ${pyLiteral(snakeCase(o.name))},`).join('\n')}
    )

    def __init__(self, url: str, *, token: Optional[str] = None, timeout: float = 30.0) -> None:
        self._transport = Transport(url, token=token, timeout=timeout)

    @property
    def url(self) -> str:
        """The server this client calls: \`\`http://host:port\`\`, without \`\`/control\`\`."""
        return self._transport.base

    def __repr__(self) -> str:
        return 'ControlClient(%r)' % self.url

    def _call(self, operation: str, method: str, path: str, inputs: Dict[str, Any], whole_body: Optional[str] = None) -> Any:
        return self._transport.call(operation, method, path, inputs, whole_body=whole_body)

    def read_all(self, read: Callable[..., Any], **inputs: Any) -> List[Any]:
        """Every item of a paged list, read page after page (the largest pages) until the last.

        \`\`read\`\`: one of the paged methods (${PAGED.join(', ')}), with its other inputs as
        keywords: \`\`control.read_all(control.runs, user_id='local')\`\`.
        """
        items: List[Any] = []
        page = read(limit=${PAGE_LIMITS.max}, **inputs)
        items.extend(page['items'])
        while page['next'] is not None:
            page = read(limit=${PAGE_LIMITS.max}, cursor=page['next'], **inputs)
            items.extend(page['items'])
        return items

${methods.join('\n\n')}
`;
}

/** python/pytest-rocketride-deploy-kit/pytest_rocketride_deploy_kit/_version.py: the package's version. */
export function renderPythonVersion(): string {
  return `# GENERATED by scripts/python-control-client.ts (npm run docs): the npm package's version.
__version__ = ${pyLiteral(VERSION)}
`;
}

/** The method table of docs/pytest-plugin.md. */
function methodTable({ operations, schemas }: Registry): string {
  const types = new TypeWriter(schemas);
  const rows = operations.map(({ name, ...operation }) => {
    const parameters = signature(operation, types).map((p) => p.replace(/: .*?( = None)?$/, (_, none?: string) => (none ? '=None' : '')));
    const call = `${snakeCase(name)}(${parameters.join(', ')})`;
    const summary = operation.summary.replace(/\|/g, '\\|');
    return `| \`${call}\` | \`${httpLine(operation)}\` | ${summary} | \`${operation.result}\` |`;
  });
  return ['| method | HTTP call | what it does | answers |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** docs/pytest-plugin.md with its generated section as the registry has it now. */
export function renderPluginDocs(current: string, registry: Registry = REGISTRY): string {
  const start = '<!-- generated: python-client (npm run docs) -->\n';
  const end = '\n<!-- end generated -->';
  const from = current.indexOf(start);
  const to = current.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error("docs/pytest-plugin.md has no generated section 'python-client'");
  return `${current.slice(0, from + start.length)}\n${methodTable(registry)}\n${current.slice(to)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(PYTHON_CLIENT_FILE, renderPythonControlClient());
  writeFileSync(PYTHON_VERSION_FILE, renderPythonVersion());
  writeFileSync(PLUGIN_DOCS, renderPluginDocs(readFileSync(PLUGIN_DOCS, 'utf8')));
  console.log('wrote the pytest plugin control client, its version and the method table of docs/pytest-plugin.md');
}
