/**
 * A typed client for the control API over HTTP: `createControlClient(url)` answers an object
 * with the ControlApi's methods, each an async call to the server's HTTP door. Its requests are
 * built from the registry of operations (operations.ts), the same one the server's routes are
 * generated from. Browser-safe: it only needs `fetch` (the control door serves loopback pages
 * of its own origin, or any caller with the control token; it sends no CORS headers).
 */
import type { ControlApi } from './control-api.js';
import { controlBaseUrl, controlRequest, sendControlRequest, type ControlClientOptions } from './control-requests.js';
import { inputsOf, OPERATION_LIST } from './operations.js';

export { ControlClientError, type ControlClientOptions } from './control-requests.js';

/** The ControlApi, each method answering a promise of what the in-process one answers. @since 0.5.0 */
export type ControlClient = {
  readonly [K in keyof ControlApi]: (...args: Parameters<ControlApi[K]>) => Promise<ReturnType<ControlApi[K]>>;
} & {
  /** The server the client calls (`http://host:port`, without `/control`). */
  readonly url: string;
};

/**
 * A client for the control API of the server at `controlUrl`: `http://127.0.0.1:5565`, with or
 * without `/control`, or the server's `ws://` URL. A malformed URL is a TypeError; every
 * refusal afterwards is a rejected promise of a ControlClientError (a bad argument: TypeError).
 * @since 0.5.0
 */
export function createControlClient(controlUrl: string | URL, options: ControlClientOptions = {}): ControlClient {
  const url = controlBaseUrl(String(controlUrl));
  const client: Record<string, unknown> = { url };
  for (const { name, ...operation } of OPERATION_LIST) {
    client[name] = async (...args: unknown[]) => sendControlRequest(url, controlRequest(name, inputsOf(operation, args)), options);
  }
  return Object.freeze(client) as ControlClient;
}
