/**
 * The dashboard's only way to the server: the control API on the page's own origin
 * (`./control/...`), with the control token when there is one. Every answer is the control
 * API's; an error answer becomes an ApiError with its code and message.
 */
import type { Clock, ClockMove, Connection, Deployment, DeploymentKey, Fault, JournalEntry, Page, Run, Tick, UserInfo } from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Query = object;

export interface PageQuery {
  readonly limit?: number;
  readonly cursor?: string | undefined;
  readonly order?: 'oldest' | 'newest';
}

export interface JournalFilter {
  readonly connectionId?: string | undefined;
  readonly userId?: string | undefined;
  readonly command?: string | undefined;
  readonly direction?: 'in' | 'out' | undefined;
}

export function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query) as [string, unknown][]) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function deploymentPath({ userId, projectId }: DeploymentKey): string {
  return `deployments/${encodeURIComponent(userId)}/${encodeURIComponent(projectId)}`;
}

export function createApi(token: () => string | undefined) {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    const bearer = token();
    if (bearer !== undefined) headers['authorization'] = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`./control/${path}`, {
      method,
      headers,
      credentials: 'omit',
      cache: 'no-store',
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const answer = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    if (!response.ok) {
      throw new ApiError(response.status, answer?.error?.code ?? `HTTP_${response.status}`, answer?.error?.message ?? response.statusText);
    }
    return answer as T;
  }
  return {
    clock: () => call<Clock>('GET', 'clock'),
    advance: (by: string) => call<ClockMove>('POST', 'clock/advance', { by }),
    next: () => call<ClockMove>('POST', 'clock/advance', { next: true }),
    setClock: (to: string | number) => call<ClockMove>('POST', 'clock', { to }),
    users: () => call<UserInfo[]>('GET', 'users'),
    deployments: (query: PageQuery & { userId?: string | undefined }) => call<Page<Deployment>>('GET', `deployments${queryString(query)}`),
    pause: (key: DeploymentKey) => call<Deployment>('POST', `${deploymentPath(key)}/pause`),
    resume: (key: DeploymentKey) => call<Deployment>('POST', `${deploymentPath(key)}/resume`),
    trigger: (key: DeploymentKey) => call<Run>('POST', `${deploymentPath(key)}/trigger`),
    runs: ({ userId, projectId }: DeploymentKey, query: PageQuery) =>
      call<Page<Run>>('GET', `runs${queryString({ userId, projectId, ...query })}`),
    ticks: ({ userId, projectId }: DeploymentKey, query: PageQuery) =>
      call<Page<Tick>>('GET', `ticks${queryString({ userId, projectId, ...query })}`),
    journal: (filter: JournalFilter, query: PageQuery) => call<Page<JournalEntry>>('GET', `journal${queryString({ ...filter, ...query })}`),
    connections: () => call<Connection[]>('GET', 'connections'),
    faults: () => call<Fault[]>('GET', 'faults'),
    removeFault: (id: string) => call<unknown>('POST', `faults/${encodeURIComponent(id)}/remove`),
    clearFaults: () => call<{ cleared: number }>('POST', 'faults/clear'),
  };
}

export type Api = ReturnType<typeof createApi>;
