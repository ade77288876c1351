/**
 * The control API's HTTP routes: per endpoint its method, path, accepted query and body fields,
 * and the ControlApi operation it calls; and matching a request path to a route.
 */
import type { ControlApi } from '../control/control-api.js';
import { badInput } from './control-errors.js';

/** Every control endpoint lives under this path. */
export const CONTROL_PATH = '/control';

export type Method = 'GET' | 'POST';

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
  readonly query?: readonly string[];
  /** Accepted body fields; `'any'` hands the whole body to the operation (it validates). */
  readonly body?: readonly string[] | 'any';
  readonly status?: 201;
  readonly run: (control: ControlApi, call: Call) => unknown;
}

const FILTER = ['userId', 'projectId'] as const;

// The ControlApi validates untyped input, but its signatures are typed for in-process callers:
// the casts below hand it the raw JSON values to validate.
const ROUTES: readonly Route[] = [
  { method: 'GET', path: 'clock', run: (c) => c.clock() },
  { method: 'POST', path: 'clock', body: ['to'], run: (c, { body }) => c.setClock(body['to'] as string) },
  { method: 'POST', path: 'clock/advance', body: ['by', 'to', 'next'], run: (c, { body }) => advance(c, body) },
  { method: 'POST', path: 'users', body: 'any', status: 201, run: (c, { body }) => c.addUser(body) },
  { method: 'POST', path: 'keys/revoke', body: ['key'], run: (c, { body }) => c.revokeKey(body['key'] as string) },
  { method: 'POST', path: 'keys/restore', body: ['key'], run: (c, { body }) => c.restoreKey(body['key'] as string) },
  { method: 'GET', path: 'deployments', query: ['userId'], run: (c, { query }) => c.deployments(query) },
  { method: 'GET', path: 'deployments/:userId/:projectId', run: (c, { params: [u, p] }) => c.deployment(u!, p!) },
  { method: 'POST', path: 'deployments/:userId/:projectId/pause', run: (c, { params: [u, p] }) => c.pause(u!, p!) },
  { method: 'POST', path: 'deployments/:userId/:projectId/resume', run: (c, { params: [u, p] }) => c.resume(u!, p!) },
  { method: 'POST', path: 'deployments/:userId/:projectId/trigger', status: 201, run: (c, { params: [u, p] }) => c.trigger(u!, p!) },
  { method: 'GET', path: 'runs', query: FILTER, run: (c, { query }) => c.runs(query) },
  { method: 'GET', path: 'ticks', query: FILTER, run: (c, { query }) => c.ticks(query) },
  {
    method: 'POST',
    path: 'runs/:runId/end',
    body: ['outcome'],
    run: (c, { params: [runId], body }) => c.endRun(runId!, body['outcome'] as 'completed' | undefined),
  },
  { method: 'POST', path: 'run-behavior', body: ['duration', 'outcome', 'hold', ...FILTER], run: (c, { body }) => runBehavior(c, body) },
  {
    method: 'GET',
    path: 'journal',
    query: ['connectionId', 'userId', 'command', 'direction', 'type', 'after'],
    run: (c, { query }) => c.journal(query),
  },
  { method: 'POST', path: 'journal/clear', run: (c) => c.clearJournal() },
  { method: 'GET', path: 'connections', run: (c) => c.connections() },
  { method: 'GET', path: 'faults', run: (c) => c.faults() },
  { method: 'POST', path: 'faults', body: 'any', status: 201, run: (c, { body }) => c.injectFault(body as never) },
  { method: 'POST', path: 'faults/clear', run: (c) => c.clearFaults() },
  { method: 'POST', path: 'faults/:faultId/remove', run: (c, { params: [id] }) => c.removeFault(id!) },
  { method: 'POST', path: 'reset', run: (c) => c.reset() },
];

/** `{"by"}`, `{"to"}` or `{"next": true}`: three ways to move the clock, exactly one per call. */
function advance(control: ControlApi, body: Call['body']): unknown {
  const given = ['by', 'to', 'next'].filter((field) => body[field] !== undefined);
  if (given.length !== 1) {
    throw badInput(
      `Give exactly one of "by" (a duration like "15m"), "to" (an instant) or "next": true (got ${given.length === 0 ? 'none' : given.join(', ')})`,
    );
  }
  if (body['by'] !== undefined) return control.advance(body['by'] as string);
  if (body['to'] !== undefined) return control.setClock(body['to'] as string);
  if (body['next'] !== true) throw badInput('next must be true');
  return control.runToNextTick();
}

/** userId + projectId scope the behavior to one deployment; without them it is server-wide. */
function runBehavior(control: ControlApi, body: Call['body']): unknown {
  const { userId, projectId, ...behavior } = body;
  if ((userId === undefined) !== (projectId === undefined)) {
    throw badInput("userId and projectId go together: give both to set one deployment's run behavior, or neither for the whole server");
  }
  return userId === undefined
    ? control.setRunBehavior(behavior)
    : control.setRunBehavior(behavior, { userId: userId as string, projectId: projectId as string });
}

interface CompiledRoute extends Route {
  readonly segments: readonly string[];
}

export const COMPILED: readonly CompiledRoute[] = ROUTES.map((route) => ({ ...route, segments: route.path.split('/') }));

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
