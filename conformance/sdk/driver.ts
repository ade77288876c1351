/**
 * The one interface SDK checks drive an SDK through, whatever its language: a session holds one
 * SDK client on one connection, and each call answers with what the SDK returned, what it
 * raised, or that it hung. Two implementations: an in-process module adapter (module-driver.ts)
 * and a child process speaking the stdio protocol (stdio-driver.ts, sdk-driver-protocol.md).
 */
import { HarnessFault } from '../findings.js';

/** The calls of the documented deploy surface, plus connect and disconnect. */
export type SdkOp = 'connect' | 'add' | 'remove' | 'list' | 'status' | 'update' | 'disconnect';

/** Arguments of an operation; an omitted optional key means "not passed" to the SDK. */
export interface SdkArgs {
  readonly pipeline?: unknown;
  readonly schedule?: unknown;
  readonly projectId?: unknown;
}

/** What one call came to, and how long it took (ms). */
export type SdkOutcome =
  | { readonly kind: 'ok'; readonly result: unknown; readonly ms: number }
  | { readonly kind: 'error'; readonly type: string; readonly types: readonly string[]; readonly message: string; readonly ms: number }
  /** No answer within the timeout: the SDK call hung (the session is unusable afterwards). */
  | { readonly kind: 'timeout'; readonly ms: number };

/** A driver fault (not an SDK result): the driver could not run the operation at all. */
export class DriverError extends HarnessFault {
  override readonly name = 'DriverError';
}

/** What a started driver announced about the SDK. */
export interface SdkInfo {
  /** `python`, `typescript`, `javascript`, ... */
  readonly language: string;
  /** The error type the SDK documents for a failed call (SDK-5). */
  readonly errorType: string;
  /** Free text for the report (`rocketride 1.1.0`). */
  readonly sdk: string;
  /** How the driver opens and closes the client (`connect()/disconnect()`, `async with`), when it says. */
  readonly lifecycle?: string;
}

export interface SdkSession {
  readonly info: SdkInfo;
  /**
   * Runs one operation. Resolves with its outcome (never rejects for an SDK error or a hang);
   * rejects with DriverError only when the driver itself failed. Calls may overlap.
   */
  call(op: SdkOp, args?: SdkArgs, timeoutMs?: number): Promise<SdkOutcome>;
  /** Ends the session: closes the driver (best effort, bounded in time). Safe to call twice. */
  close(): Promise<void>;
}

/** Where the SDK under test lives. */
export type SdkSpec =
  /** A module exporting a factory `({ uri, key }) => client`; `#name` picks a named export (default: `default`). */
  | { readonly kind: 'module'; readonly module: string }
  /** A command speaking the stdio driver protocol, run through the shell. */
  | { readonly kind: 'driver'; readonly command: string; readonly cwd?: string };

export interface StartOptions {
  /** The mock's DAP URL. */
  readonly uri: string;
  /** The API key of the user the session acts as. */
  readonly key: string;
  /** Default timeout of an operation, ms. */
  readonly timeoutMs: number;
}

/** Default time an operation may take before it counts as a hang. */
export const DEFAULT_SDK_TIMEOUT_MS = 10_000;
/** Time a driver has to print its ready line. */
export const DRIVER_READY_TIMEOUT_MS = 20_000;
/** Time a driver has to exit after its standard input closes. */
export const DRIVER_EXIT_GRACE_MS = 2_000;

/** The documented error type per language, when a driver does not name one (SDK-5). */
export const DEFAULT_ERROR_TYPES: Readonly<Record<string, string>> = {
  python: 'RuntimeError',
  typescript: 'Error',
  javascript: 'Error',
};
