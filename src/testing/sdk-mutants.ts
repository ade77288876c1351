/**
 * TEST-ONLY. Deliberately broken variants ("SDK mutants") of the reference client, for mutation
 * testing of the SDK conformance checks: each one breaks one SDK clause of semantics.md in one
 * known way, and the SDK checks must catch it by the clause named here.
 *
 * Each mutant is a module adapter, as the SDK drivers load them (a factory `({ uri, key }) =>
 * client`), exported under the camelCase of its name: a runner loads
 * `dist/testing/sdk-mutants.js#alwaysSendsSchedule`, the string `sdkMutantModule(name)` builds.
 * Faults in what the deploy calls send or return wrap the client's `deploy`; faults inside the
 * client (seq, matching, close, deauth) go through its one test-only seam, CLIENT_FAULTS.
 *
 * Never use a mutant for anything but testing a test suite: a mutated client is wrong on purpose.
 * @since 0.3.0
 */
import { fileURLToPath } from 'node:url';
import {
  CLIENT_FAULTS,
  DeployClient,
  type ClientFaults,
  type DeployApi,
  type DeployClientOptions,
  type DeploymentRecord,
} from '../client/client.js';
import { DapError } from '../client/errors.js';

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
  /** Switched on through the client's seam. */
  readonly faults?: ClientFaults;
  /** Replaces deploy calls, given the real ones and the client (for raw `call`s). */
  readonly deploy?: (api: DeployApi, client: DeployClient) => Partial<DeployApi>;
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
    faults: { matchInOrder: true },
  },
  {
    name: 'reuses-seq',
    clause: 'SDK-6',
    description: 'Every request after auth carries seq 2 (so concurrent calls also overwrite each other).',
    faults: { reuseSeq: 2 },
  },
  {
    name: 'hangs-on-close',
    clause: 'SDK-7',
    description: 'When the connection closes, pending calls are not failed: they hang.',
    faults: { keepPendingOnClose: true },
  },
  {
    name: 'waits-for-deauth',
    clause: 'SDK-8',
    description: 'disconnect() waits for the deauth reply with no timeout.',
    faults: { untimedDeauth: true },
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
  const { faults, deploy } = definition(name);
  return ({ uri, key }) => {
    const options: DeployClientOptions & { [CLIENT_FAULTS]?: ClientFaults } = {
      uri,
      auth: key,
      ...(faults && { [CLIENT_FAULTS]: faults }),
    };
    const client = new DeployClient(options);
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
