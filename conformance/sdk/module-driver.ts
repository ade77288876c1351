/**
 * The in-process driver: an SDK written in JavaScript/TypeScript, loaded through a module adapter
 * (`path#export`, a factory `({ uri, key }) => client`). The pieces every JS driver needs (loading
 * the adapter, turning an operation into the SDK call, describing what the SDK threw, making a
 * result JSON) live here once; the standalone stdio driver (drivers/module-driver.ts) reuses them.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  DRIVER_EXIT_GRACE_MS,
  DriverError,
  type SdkArgs,
  type SdkInfo,
  type SdkOp,
  type SdkOutcome,
  type SdkSession,
  type StartOptions,
} from './driver.js';

/** What an adapter's factory is given. */
export interface AdapterOptions {
  readonly uri: string;
  readonly key: string;
}

/** The documented TypeScript surface an adapter's client must have. */
export interface SdkClient {
  connect(): unknown;
  disconnect(): unknown;
  readonly deploy: {
    add(pipeline: unknown, options?: { schedule?: unknown }): unknown;
    remove(projectId: unknown): unknown;
    list(): unknown;
    status(projectId: unknown): unknown;
    update(projectId: unknown, options?: { pipeline?: unknown; schedule?: unknown }): unknown;
  };
}

export type ClientFactory = (options: AdapterOptions) => SdkClient | Promise<SdkClient>;

/** How an error the SDK raised is reported (the `error` of a stdio answer). */
export interface ErrorDescription {
  readonly type: string;
  readonly types: readonly string[];
  readonly message: string;
}

/** What a JS/TS driver announces: its errors are `Error`s (SDK-5). */
export function moduleSdkInfo(spec: string): SdkInfo {
  return { language: 'typescript', errorType: 'Error', sdk: spec };
}

/** Splits `path#export` (the export defaults to `default`). */
export function parseModuleSpec(spec: string): { readonly specifier: string; readonly exportName: string } {
  const hash = spec.lastIndexOf('#');
  // A leading `#` is a package subpath import, not an export name.
  if (hash <= 0) return { specifier: spec, exportName: 'default' };
  return { specifier: spec.slice(0, hash), exportName: spec.slice(hash + 1) || 'default' };
}

/**
 * What `import()` should load: a path (absolute, `./…`, or any path that exists relative to the
 * working directory) becomes a file URL; anything else is a package specifier, resolved from this
 * file (so from the node_modules of the project the kit is installed in).
 */
export function importTarget(specifier: string): string {
  if (specifier.startsWith('file:')) return specifier;
  const looksLikePath = isAbsolute(specifier) || specifier.startsWith('.') || existsSync(resolve(specifier));
  return looksLikePath ? pathToFileURL(resolve(specifier)).href : specifier;
}

/** Loads the adapter's factory; DriverError when the module or the export is not usable. */
export async function loadClientFactory(spec: string): Promise<ClientFactory> {
  const { specifier, exportName } = parseModuleSpec(spec);
  if (specifier === '') throw new DriverError(`SDK module spec '${spec}' names no module: expected path[#export]`);
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ importTarget(specifier))) as Record<string, unknown>;
  } catch (error) {
    throw new DriverError(`Cannot load SDK module '${specifier}': ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!(exportName in module)) {
    const exports = Object.keys(module).filter((k) => k !== '__esModule');
    throw new DriverError(`SDK module '${specifier}' has no export '${exportName}' (its exports: ${exports.join(', ') || 'none'})`);
  }
  const factory = module[exportName];
  if (typeof factory !== 'function') {
    throw new DriverError(
      `Export '${exportName}' of SDK module '${specifier}' is a ${typeof factory}, not a factory function ({ uri, key }) => client`,
    );
  }
  return factory as ClientFactory;
}

const CLIENT_METHODS = ['connect', 'disconnect'] as const;
const DEPLOY_METHODS = ['add', 'remove', 'list', 'status', 'update'] as const;

/** Checks the client has the documented surface; DriverError naming what is missing. */
export function checkClient(client: unknown, spec: string): SdkClient {
  if (typeof client !== 'object' || client === null) {
    throw new DriverError(`The factory of SDK module '${spec}' returned ${client === null ? 'null' : typeof client}, not a client object`);
  }
  const c = client as Record<string, unknown>;
  const deploy = c['deploy'] as Record<string, unknown> | undefined;
  const missing = [
    ...CLIENT_METHODS.filter((m) => typeof c[m] !== 'function').map((m) => `${m}()`),
    ...(typeof deploy === 'object' && deploy !== null
      ? DEPLOY_METHODS.filter((m) => typeof deploy[m] !== 'function').map((m) => `deploy.${m}()`)
      : ['a deploy object']),
  ];
  if (missing.length > 0) throw new DriverError(`The client of SDK module '${spec}' lacks ${missing.join(', ')}`);
  return client as SdkClient;
}

/** Loads the adapter and makes its client, checked; every failure is a DriverError. */
export async function createSdkClient(spec: string, options: AdapterOptions): Promise<SdkClient> {
  const factory = await loadClientFactory(spec);
  let client: unknown;
  try {
    client = await factory({ uri: options.uri, key: options.key });
  } catch (error) {
    throw new DriverError(`The factory of SDK module '${spec}' threw: ${describeError(error).message}`);
  }
  return checkClient(client, spec);
}

const OP_KEYS: Readonly<Record<SdkOp, { readonly required: readonly string[]; readonly optional: readonly string[] }>> = {
  connect: { required: [], optional: [] },
  disconnect: { required: [], optional: [] },
  list: { required: [], optional: [] },
  add: { required: ['pipeline'], optional: ['schedule'] },
  remove: { required: ['projectId'], optional: [] },
  status: { required: ['projectId'], optional: [] },
  update: { required: ['projectId'], optional: ['pipeline', 'schedule'] },
};

export function isSdkOp(op: unknown): op is SdkOp {
  return typeof op === 'string' && Object.prototype.hasOwnProperty.call(OP_KEYS, op);
}

/**
 * Turns an operation into its SDK call, exactly as the protocol says: an omitted (or undefined)
 * optional argument is not passed at all (SDK-1, SDK-2). Throws DriverError, before calling
 * anything, for an unknown op or arguments it cannot use.
 */
export function sdkCall(op: unknown, args: unknown = {}): (client: SdkClient) => unknown {
  if (!isSdkOp(op)) throw new DriverError(`Unknown operation ${JSON.stringify(op)}; known: ${Object.keys(OP_KEYS).join(', ')}`);
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new DriverError(`Arguments of '${op}' must be an object`);
  const a = args as Record<string, unknown>;
  const given = Object.keys(a).filter((k) => a[k] !== undefined);
  const { required, optional } = OP_KEYS[op];
  const unknown = given.filter((k) => !required.includes(k) && !optional.includes(k));
  if (unknown.length > 0) throw new DriverError(`'${op}' takes no argument ${unknown.join(', ')}`);
  const missing = required.filter((k) => !given.includes(k));
  if (missing.length > 0) throw new DriverError(`'${op}' needs ${missing.join(', ')}`);
  const options = Object.fromEntries(optional.filter((k) => given.includes(k)).map((k) => [k, a[k]]));
  const hasOptions = Object.keys(options).length > 0;
  switch (op) {
    case 'connect':
      return (c) => c.connect();
    case 'disconnect':
      return (c) => c.disconnect();
    case 'list':
      return (c) => c.deploy.list();
    case 'remove':
      return (c) => c.deploy.remove(a['projectId']);
    case 'status':
      return (c) => c.deploy.status(a['projectId']);
    case 'add':
      return hasOptions ? (c) => c.deploy.add(a['pipeline'], options) : (c) => c.deploy.add(a['pipeline']);
    case 'update':
      return hasOptions ? (c) => c.deploy.update(a['projectId'], options) : (c) => c.deploy.update(a['projectId']);
  }
}

/** Runs the call, turning a synchronous throw into a rejection (both are what the SDK raised). */
export async function runSdkCall(call: (client: SdkClient) => unknown, client: SdkClient): Promise<unknown> {
  return call(client);
}

/** The class names of a value's prototype chain, most specific first (`['DapError', 'Error']`). */
function constructorNames(value: object): string[] {
  const names: string[] = [];
  for (let proto = Object.getPrototypeOf(value); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const name = Object.prototype.hasOwnProperty.call(proto, 'constructor') ? (proto.constructor as { name?: unknown }).name : undefined;
    if (typeof name === 'string' && name !== '') names.push(name);
  }
  return names.length > 0 ? names : ['Object'];
}

/** Describes what an SDK call threw: its type (the error's name), its class chain and message. */
export function describeError(error: unknown): ErrorDescription {
  if (typeof error !== 'object' || error === null) {
    // A thrown primitive: its wrapper's name (`throw 'x'` is a String), or null/undefined.
    const type = error === null || error === undefined ? String(error) : (Object(error) as object).constructor.name;
    return { type, types: [type], message: String(error) };
  }
  const chain = constructorNames(error);
  const name = (error as { name?: unknown }).name;
  const type = typeof name === 'string' && name !== '' ? name : chain[0]!;
  const message = (error as { message?: unknown }).message;
  return {
    type,
    types: chain.includes(type) ? chain : [type, ...chain],
    message: typeof message === 'string' ? message : safeString(error),
  };
}

function safeString(value: object): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * A result as JSON (what a stdio driver would send): nothing becomes null, and a value JSON cannot
 * carry is a DriverError. Both paths use it, so a check sees the same result either way.
 */
export function jsonResult(value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new DriverError(`The SDK returned a result that is not JSON-serializable: ${describeError(error).message}`);
  }
  return text === undefined ? null : JSON.parse(text);
}

/** Resolves with the promise's value, or with `onTimeout()` after `ms` (the promise keeps a handler). */
export function withTimeout<T, U>(promise: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Calls the client's disconnect(), waiting at most `ms` for it; never fails. */
export async function disconnectWithin(client: SdkClient, ms: number): Promise<void> {
  await withTimeout(
    runSdkCall((c) => c.disconnect(), client).catch(() => undefined),
    ms,
    () => undefined,
  );
}

/** How long close() lets disconnect() run after an operation hung (the client is likely stuck). */
const CLOSE_AFTER_HANG_MS = 250;

/** Starts an in-process session on the adapter `spec.module` (`path#export`). */
export async function startModuleDriver(spec: { readonly module: string }, options: StartOptions): Promise<SdkSession> {
  const client = await createSdkClient(spec.module, options);
  let hung: SdkOp | undefined;
  let closing: Promise<void> | undefined;

  const call = async (op: SdkOp, args?: SdkArgs, timeoutMs = options.timeoutMs): Promise<SdkOutcome> => {
    if (closing) throw new DriverError(`SDK session on '${spec.module}' is closed; cannot run '${op}'`);
    if (hung) throw new DriverError(`SDK session on '${spec.module}' is unusable: '${hung}' hung earlier`);
    const sdkCallOf = sdkCall(op, args);
    const started = performance.now();
    const ms = () => performance.now() - started;
    const settled = runSdkCall(sdkCallOf, client).then(
      (result) => ({ kind: 'ok', result: jsonResult(result), ms: ms() }) as const,
      (error: unknown) => ({ kind: 'error', ...describeError(error), ms: ms() }) as const,
    );
    const outcome = await withTimeout(settled, timeoutMs, () => ({ kind: 'timeout', ms: ms() }) as const);
    if (outcome.kind === 'timeout') hung ??= op;
    return outcome;
  };

  const close = (): Promise<void> => {
    closing ??= disconnectWithin(client, hung ? CLOSE_AFTER_HANG_MS : DRIVER_EXIT_GRACE_MS);
    return closing;
  };

  return { info: moduleSdkInfo(spec.module), call, close };
}
