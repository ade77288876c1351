/**
 * TEST-ONLY. Deliberately broken variants ("SDK mutants") of the reference client, for mutation
 * testing of the SDK conformance checks: each one breaks one SDK clause of semantics.md in one
 * known way, and the SDK checks must catch it by the clause named here.
 *
 * Each mutant is a module adapter, as the SDK drivers load them (a factory `({ uri, key }) =>
 * client`), exported under the camelCase of its name: a runner loads
 * `dist/testing/sdk-mutants.js#alwaysSendsSchedule`, the string `sdkMutantModule(name)` builds.
 * Each is the reference client with a deviation built around it: its deploy calls wrapped (what
 * they send, return, or how they settle), the frames its socket carries rewritten (seq and
 * matching), or an unbounded wait for the deauth reply.
 *
 * Never use a mutant for anything but testing a test suite: a mutated client is wrong on purpose.
 * @since 0.3.0
 */
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { DeployClient, type DeployApi, type DeployClientOptions, type DeploymentRecord } from '../client/client.js';
import { ConnectionClosedError, DapError } from '../client/errors.js';

/** One SDK mutant as data: what it breaks, and the SDK clause the checks must catch it by. */
export interface SdkMutantInfo {
  readonly name: string;
  readonly clause: string;
  readonly description: string;
}

/** The client surface a mutant adapter hands the driver. */
export type SdkMutantClient = Pick<DeployClient, 'connect' | 'disconnect' | 'deploy'>;
export type SdkMutantFactory = (options: { uri: string; key: string }) => SdkMutantClient;

interface Definition extends SdkMutantInfo {
  /** Options of the reference client the mutant is built on (its socket class, its deauth wait). */
  readonly client?: () => Partial<DeployClientOptions>;
  /** Replaces deploy calls, given the real ones and the client (for raw `call`s). */
  readonly deploy?: (api: DeployApi, client: DeployClient) => Partial<DeployApi>;
}

/** How a socket rewrites the messages it carries: each request sent, each response received. */
interface FrameRewrite {
  request?(message: { seq: number; command: string }): void;
  response?(message: { request_seq: number }): void;
}

/** A `ws` socket class whose JSON requests and responses pass through a rewrite made fresh per socket. */
function rewritingSocket(make: () => FrameRewrite): typeof WebSocket {
  return class RewritingSocket extends WebSocket {
    readonly #rewrite = make();

    // The client sends only JSON text, with no options or callback.
    override send(data: unknown): void {
      const message = JSON.parse(String(data)) as { seq: number; command: string };
      this.#rewrite.request?.(message);
      super.send(JSON.stringify(message));
    }

    override emit(event: string | symbol, ...args: unknown[]): boolean {
      const [data, isBinary] = args as [WebSocket.RawData, boolean];
      if (event !== 'message' || isBinary || !this.#rewrite.response) return super.emit(event, ...args);
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return super.emit(event, ...args);
      }
      const response = message as { type?: unknown; request_seq?: unknown };
      if (response?.type !== 'response' || typeof response.request_seq !== 'number') return super.emit(event, ...args);
      this.#rewrite.response(response as { request_seq: number });
      return super.emit(event, Buffer.from(JSON.stringify(response)), isBinary);
    }
  };
}

/**
 * Every request after auth carries seq `reused`, and the client's pending calls behave as if keyed
 * by it: a later call takes the place of an earlier one still waiting (which never settles), and
 * the first response with that seq settles the latest call; further ones find none.
 */
function reuseSeq(reused: number): FrameRewrite {
  let latest: number | undefined;
  return {
    request(message) {
      if (message.command === 'auth') return;
      latest = message.seq;
      message.seq = reused;
    },
    response(message) {
      if (message.request_seq !== reused) return;
      message.request_seq = latest ?? -1;
      latest = undefined;
    },
  };
}

/** Each response settles the oldest call still waiting, whatever its request_seq. */
function matchInOrder(): FrameRewrite {
  const waiting: number[] = [];
  return {
    request: (message) => void waiting.push(message.seq),
    response(message) {
      message.request_seq = waiting.shift() ?? -1;
    },
  };
}

/** A call that was waiting when the connection closed never settles (calls made after still fail). */
function hangOnClose<A extends unknown[], R>(client: DeployClient, call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) => {
    const waiting = client.connected;
    return call(...args).catch((error: unknown) =>
      waiting && error instanceof ConnectionClosedError ? new Promise<R>(() => {}) : Promise.reject(error),
    );
  };
}

/** The keys a record had before the server sent extra ones (what a too-strict SDK keeps). */
const KNOWN_RECORD_KEYS = ['pipeline', 'schedule', 'state', 'userId', 'createdAt', 'updatedAt'];

/** A failed response resolves with undefined; connection errors still reject. */
function swallowFailures<A extends unknown[], R>(call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) => call(...args).catch((error: unknown) => (error instanceof DapError ? (undefined as R) : Promise.reject(error)));
}

const DEFINITIONS: readonly Definition[] = [
  {
    name: 'always-sends-schedule',
    clause: 'SDK-1',
    description: 'add(pipeline) sends schedule "manual" when none was given, instead of no schedule key.',
    deploy: (api) => ({ add: (pipeline, options) => api.add(pipeline, { schedule: options?.schedule ?? 'manual' }) }),
  },
  {
    name: 'drops-update-keys',
    clause: 'SDK-2',
    description: 'update(id, options) sends only projectId and schedule: a given pipeline is dropped.',
    deploy: (api) => ({
      update: (projectId, options) => api.update(projectId, options?.schedule === undefined ? {} : { schedule: options.schedule }),
    }),
  },
  {
    name: 'status-sends-id',
    clause: 'SDK-3',
    description: 'status(id) sends {id} instead of {projectId}.',
    deploy: (_, client) => ({ status: (projectId) => client.call<DeploymentRecord>('rrext_deploy_status', { id: projectId }) }),
  },
  {
    name: 'list-returns-envelope',
    clause: 'SDK-4',
    description: 'list() returns the whole body {deployments: [...]} instead of the array.',
    deploy: (_, client) => ({ list: () => client.call<DeploymentRecord[]>('rrext_deploy_list') }),
  },
  {
    name: 'status-drops-unknown-keys',
    clause: 'SDK-4',
    description: `status() returns only ${KNOWN_RECORD_KEYS.join('/')}, dropping every other key of the record.`,
    deploy: (api) => ({
      status: async (projectId) => {
        const record = await api.status(projectId);
        return Object.fromEntries(Object.entries(record).filter(([k]) => KNOWN_RECORD_KEYS.includes(k))) as DeploymentRecord;
      },
    }),
  },
  {
    name: 'swallows-errors',
    clause: 'SDK-5',
    description: 'A failed response makes the deploy call resolve with undefined instead of rejecting.',
    deploy: (api) => ({
      add: swallowFailures(api.add),
      remove: swallowFailures(api.remove),
      list: swallowFailures(api.list),
      status: swallowFailures(api.status),
      update: swallowFailures(api.update),
    }),
  },
  {
    name: 'matches-by-order',
    clause: 'SDK-6',
    description:
      'Responses settle pending calls first-in first-out, ignoring request_seq (wrong results when the server answers out of order).',
    client: () => ({ webSocket: rewritingSocket(matchInOrder) }),
  },
  {
    name: 'reuses-seq',
    clause: 'SDK-6',
    description: 'Every request after auth carries seq 2 (so concurrent calls also overwrite each other).',
    client: () => ({ webSocket: rewritingSocket(() => reuseSeq(2)) }),
  },
  {
    name: 'hangs-on-close',
    clause: 'SDK-7',
    description: 'When the connection closes, pending calls are not failed: they hang.',
    deploy: (api, client) => ({
      add: hangOnClose(client, api.add),
      remove: hangOnClose(client, api.remove),
      list: hangOnClose(client, api.list),
      status: hangOnClose(client, api.status),
      update: hangOnClose(client, api.update),
    }),
  },
  {
    name: 'waits-for-deauth',
    clause: 'SDK-8',
    description: 'disconnect() waits for the deauth reply with no timeout.',
    client: () => ({ disconnectTimeoutMs: Infinity }),
  },
];

/** Every SDK mutant, as data (name, clause, description). */
export const SDK_MUTANTS: readonly SdkMutantInfo[] = Object.freeze(
  DEFINITIONS.map(({ name, clause, description }) => Object.freeze({ name, clause, description })),
);

const BY_NAME = new Map(DEFINITIONS.map((d) => [d.name, d]));

function definition(name: string): Definition {
  const found = BY_NAME.get(name);
  if (!found) throw new RangeError(`Unknown SDK mutant '${name}'. Known SDK mutants: ${[...BY_NAME.keys()].join(', ')}`);
  return found;
}

/** The export a mutant's adapter has in this module: its name in camelCase. */
function exportName(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** `path#export` of a mutant's adapter, for an SDK driver; the path is this module's own file. */
export function sdkMutantModule(name: string): string {
  definition(name);
  return `${fileURLToPath(import.meta.url)}#${exportName(name)}`;
}

function adapter(name: string): SdkMutantFactory {
  const { client: options, deploy } = definition(name);
  return ({ uri, key }) => {
    const client = new DeployClient({ uri, auth: key, ...options?.() });
    if (!deploy) return client;
    return {
      connect: () => client.connect(),
      disconnect: () => client.disconnect(),
      deploy: { ...client.deploy, ...deploy(client.deploy, client) },
    };
  };
}

// One adapter per mutant, exported under its camelCase name (a test holds them equal to the catalogue).
export const alwaysSendsSchedule = adapter('always-sends-schedule');
export const dropsUpdateKeys = adapter('drops-update-keys');
export const statusSendsId = adapter('status-sends-id');
export const listReturnsEnvelope = adapter('list-returns-envelope');
export const statusDropsUnknownKeys = adapter('status-drops-unknown-keys');
export const swallowsErrors = adapter('swallows-errors');
export const matchesByOrder = adapter('matches-by-order');
export const reusesSeq = adapter('reuses-seq');
export const hangsOnClose = adapter('hangs-on-close');
export const waitsForDeauth = adapter('waits-for-deauth');
