/**
 * The control API's HTTP routes, generated from the registry of operations (control/operations.ts):
 * per endpoint its method, path, accepted query and body fields, and the operation(s) it calls;
 * and matching a request path to a route.
 */
import type { ControlApi } from '../control/control-api.js';
import {
  argumentsOf,
  CONTROL_PATH,
  ENDPOINT_GROUPS,
  pathParameters,
  type Method,
  type Operation,
  type Served,
} from '../control/operations.js';
import { badInput } from './control-errors.js';

export { CONTROL_PATH, type Method } from '../control/operations.js';

/** What a route gets from the request: decoded path parameters, the query and the JSON body. */
export interface Call {
  readonly params: readonly string[];
  readonly query: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface Route {
  readonly method: Method;
  /** Segments after `/control/`; `:name` is a parameter. */
  readonly path: string;
  /** Accepted query parameters (others are refused, so a typo like `?user=` is not silently ignored). */
  readonly query: readonly string[];
  /** Accepted body fields; `'any'` hands the whole body to the operation (it validates). */
  readonly body: readonly string[] | 'any';
  readonly status: 200 | 201;
  readonly run: (control: ControlApi, call: Call) => unknown;
}

/** Every endpoint, in the registry's order; operations sharing an endpoint are told apart by their selector field. */
const ROUTES: readonly Route[] = ENDPOINT_GROUPS.map(route);

function route(served: readonly Served[]): Route {
  const { binding } = served[0]!;
  const pathParams = pathParameters(binding.path);
  const fields = [...new Set(served.flatMap(({ operation }) => operation.inputs.map((i) => i.name)))].filter(
    (name) => !pathParams.includes(name),
  );
  const open = served.some(({ operation, binding }) => binding.wholeBody !== undefined || operation.params.some(isOpen));
  const onlyOne = served.length === 1 ? served[0]! : undefined;
  return {
    method: binding.method,
    path: binding.path,
    query: binding.method === 'GET' ? fields : [],
    body: binding.method === 'GET' ? [] : open ? 'any' : fields,
    status: binding.status ?? 200,
    run: (control, call) => {
      const chosen = onlyOne ?? select(served, call.body);
      const given = binding.method === 'GET' ? call.query : call.body;
      const inputs: Record<string, unknown> = chosen.binding.wholeBody ? { [chosen.binding.wholeBody]: given } : { ...given };
      pathParams.forEach((name, i) => (inputs[name] = call.params[i]));
      const problem = chosen.operation.check?.(inputs);
      if (problem !== undefined) throw badInput(problem);
      const method = control[chosen.name] as (...args: unknown[]) => unknown;
      return method(...argumentsOf(chosen.operation, inputs));
    },
  };
}

function isOpen(param: Operation['params'][number]): boolean {
  return typeof param === 'object' && param.open === true;
}

/** On a shared endpoint, exactly one selector field says which operation is meant. */
function select(served: readonly Served[], body: Call['body']): Served {
  const given = served.filter(({ binding }) => body[binding.selector!.field] !== undefined);
  if (given.length !== 1) {
    const hints = served.map(({ binding }) => binding.selector!.hint);
    const got = given.length === 0 ? 'none' : given.map(({ binding }) => binding.selector!.field).join(', ');
    throw badInput(`Give exactly one of ${hints.slice(0, -1).join(', ')} or ${hints.at(-1)!} (got ${got})`);
  }
  const chosen = given[0]!;
  const field = chosen.binding.selector!.field;
  if (chosen.operation.inputs.find((i) => i.name === field)?.type === 'marker' && body[field] !== true) {
    throw badInput(`${field} must be true`);
  }
  return chosen;
}

interface CompiledRoute extends Route {
  readonly segments: readonly string[];
}

export const COMPILED: readonly CompiledRoute[] = ROUTES.map((r) => ({ ...r, segments: r.path.split('/') }));

/** One line per endpoint, for the index and for 404 answers. */
export const ENDPOINTS: readonly string[] = ROUTES.map((r) => `${r.method} ${CONTROL_PATH}/${r.path}`);

/** Path parameters of `segments` if they fit `route` (literals first, then decoding), else undefined. */
export function matchRoute(route: CompiledRoute, segments: readonly string[]): string[] | undefined {
  if (route.segments.length !== segments.length) return undefined;
  if (route.segments.some((part, i) => !part.startsWith(':') && part !== segments[i])) return undefined;
  return route.segments.flatMap((part, i) => (part.startsWith(':') ? [decodeSegment(segments[i]!, part.slice(1))] : []));
}

function decodeSegment(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badInput(`${name} in the path is not valid percent-encoding`);
  }
}
