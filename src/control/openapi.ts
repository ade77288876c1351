/**
 * The control API's OpenAPI 3.1 document, generated from the registry of operations: the server
 * answers it at `GET /control/openapi.json`, and docs/control-openapi.json (shipped in the
 * package) is a copy a test keeps equal to it.
 */
import { DEFAULT_PORT, NAME, VERSION } from '../version.js';
import { CONTROL_PATH, ENDPOINT_GROUPS, pathParameters, type Field, type Input, type Operation, type Served } from './operations.js';
import { VIEW_SCHEMAS } from './openapi-schemas.js';

type Json = Record<string, unknown>;

/** The document (a fresh object each call). */
export function controlOpenApi(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const served of ENDPOINT_GROUPS) {
    const { method, path } = served[0]!.binding;
    const key = `${CONTROL_PATH}/${path.replace(/:(\w+)/g, '{$1}')}`;
    (paths[key] ??= {})[method.toLowerCase()] = endpoint(served);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `${NAME} control API`,
      version: VERSION,
      description:
        "Moves a mock RocketRide server's clock and reads and changes its users, deployments, runs, journal and injected faults. " +
        "Served on the server's own port; callers on loopback need no token unless the server was started with one.",
    },
    servers: [{ url: `http://127.0.0.1:${DEFAULT_PORT}`, description: 'A server on the default port (any server answers on its own)' }],
    security: [{}, { controlToken: [] }],
    paths,
    components: {
      schemas: { ...VIEW_SCHEMAS },
      securitySchemes: { controlToken: { type: 'http', scheme: 'bearer', description: "The server's --control-token" } },
    },
  };
}

function endpoint(served: readonly Served[]): Json {
  const { binding, operation } = served[0]!;
  const pathNames = pathParameters(binding.path);
  const others = (o: Operation) => o.inputs.filter((i) => !pathNames.includes(i.name));
  const parameters = [
    ...pathNames.map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
      description: inputOf(operation, name).description,
    })),
    ...(binding.method === 'GET'
      ? others(operation).map((i) => ({
          name: i.name,
          in: 'query',
          required: !i.optional,
          schema: schemaOf(i),
          description: i.description,
        }))
      : []),
  ];
  const bodies = binding.method === 'POST' ? served.map((s) => bodySchema(s, others(s.operation))).filter((b) => b !== undefined) : [];
  const status = String(binding.status ?? 200);
  const summary = served.map((s) => s.operation.summary).join('; or: ');
  const results = [...new Set(served.map((s) => s.operation.result))].map((name) => ({ $ref: `#/components/schemas/${name}` }));
  return {
    operationId: served[0]!.name, // a shared endpoint's others are named in its description
    summary,
    ...(served.length > 1 && {
      description: `Exactly one of ${served.map((s) => `\`${s.binding.selector!.field}\` (${s.name})`).join(', ')}.`,
    }),
    ...(parameters.length > 0 && { parameters }),
    ...(bodies.length > 0 && {
      requestBody: {
        required:
          served.length > 1 || binding.wholeBody !== undefined || bodies.some((b) => (b['required'] as unknown[] | undefined)?.length),
        content: { 'application/json': { schema: bodies.length === 1 ? bodies[0] : { oneOf: bodies } } },
      },
    }),
    responses: {
      [status]: {
        description: summary,
        content: { 'application/json': { schema: results.length === 1 ? results[0] : { oneOf: results } } },
      },
      default: { description: 'A refusal', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
}

function bodySchema({ binding, operation }: Served, inputs: readonly Input[]): Json | undefined {
  if (binding.wholeBody !== undefined) return schemaOf(inputOf(operation, binding.wholeBody));
  if (inputs.length === 0) return undefined;
  const open = operation.params.some((p) => typeof p === 'object' && p.open);
  const fields = binding.selector ? inputs.filter((i) => i.name === binding.selector!.field) : inputs;
  return {
    ...(binding.selector && { title: operation.summary }),
    type: 'object',
    properties: Object.fromEntries(fields.map((i) => [i.name, { description: i.description, ...schemaOf(i) }])),
    required: fields.filter((i) => !i.optional).map((i) => i.name),
    additionalProperties: open,
  };
}

function inputOf(operation: Operation, name: string): Input {
  return operation.inputs.find((i) => i.name === name)!;
}

function schemaOf(field: Field): Json {
  switch (field.type) {
    case 'text':
      return { type: 'string' };
    case 'instant':
      return { type: ['integer', 'string'] };
    case 'span':
      return { type: ['integer', 'string'] };
    case 'boolean':
      return { type: 'boolean' };
    case 'whole':
      return { type: 'integer' };
    case 'choice':
      return { enum: field.choices };
    case 'json':
      return field.schema ? { $ref: `#/components/schemas/${field.schema}` } : { type: 'object' };
    case 'marker':
      return { const: true };
  }
}
