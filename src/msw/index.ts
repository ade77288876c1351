/**
 * The msw door: the mock server as msw `ws.link` handlers, for code that talks through the
 * standard global `WebSocket` (browsers, jsdom/happy-dom tests, Node with a global WebSocket).
 * It is built on the same core as the WebSocket server (the same session layer, deploy domain,
 * scheduler and control API), so a scenario behaves the same through either door
 * (test/doors runs one scenario list through both and compares their frames).
 *
 * msw intercepts only the global `WebSocket`: clients built on the `ws` package (the RocketRide
 * TypeScript SDK under Node) are not intercepted and need the real server (createMockServer).
 * Node 20 has a global WebSocket only with `--experimental-websocket`.
 *
 * Browser-safe: this entry point and what it imports use no Node built-ins;
 * test/doors/browser-bundle.test.ts bundles it for the browser to hold it to that.
 * @since 0.3.0
 */
import { ws, type WebSocketHandler } from 'msw';
import type { ControlApi } from '../control/control-api.js';
import { buildDeployCore, inProcessJournal, type CoreOptions } from '../core-build.js';
import type { JournalEntryWithMessage, JournalFilter } from '../dap/journal.js';

/**
 * Any `ws://` or `wss://` URL whose path is the DAP endpoint, `/task/service` (WIRE-1).
 * @since 0.3.0
 */
export const DAP_URL_PATTERN = /^wss?:\/\/[^/]+\/task\/service(?:\?.*)?$/;

/** Close code for a frame over the limit, as the server's (WIRE-9). */
const CLOSE_TOO_BIG = 1009;

/**
 * The core's options (users, clock, runs, limits...) and the URL to answer. Of the `limits`,
 * the connection ones (`maxConnections`, `maxUnauthenticatedPerIp`) do not apply: msw opens
 * no sockets and knows no client address.
 * @since 0.3.0
 */
export interface MswMockOptions extends CoreOptions {
  /**
   * Which WebSocket URLs to answer: a URL (`ws://localhost:5565/task/service`), an msw path
   * pattern, or a RegExp. Default: any host's `/task/service` (DAP_URL_PATTERN).
   */
  url?: string | RegExp;
  /**
   * Largest accepted message in bytes (UTF-8 bytes for text); a larger one closes that
   * connection with 1009, unanswered, as the server does. Default 16 MiB.
   * @deprecated since 0.4.0: use `limits.maxFrameBytes` (this one still works when that is not given).
   */
  maxFrameBytes?: number;
}

/** @since 0.3.0 */
export interface MswMock {
  /** The msw handler: `setupServer(mock.handler)` (Node) or `setupWorker(mock.handler)` (browser). */
  readonly handler: WebSocketHandler;
  /** `[handler]`, for spreading into a handler list. */
  readonly handlers: readonly WebSocketHandler[];
  /** The control API of this mock: clock, users and keys, runs, journal, faults, reset. */
  readonly control: ControlApi;
  /** The frame journal (as `server.journal` of createMockServer: entries with `message`). */
  readonly journal: {
    find(filter?: JournalFilter): JournalEntryWithMessage[];
    clear(): void;
  };
  /** Closes every open connection (code 1001) and stops the mock's timers. Safe to call twice. */
  close(): void;
}

/** The part of msw's client connection the door uses. */
interface MswClient {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * Creates an msw-backed mock of the RocketRide server, with its own state and clock (fake by
 * default, like createMockServer in-process). Keep one live mock per URL: msw runs every
 * matching handler, so when a test replaces the mock, reset the handler list
 * (`server.resetHandlers()`) rather than adding a second handler beside the first.
 * @example
 * import { setupServer } from 'msw/node';
 * import { createMswMock } from 'rocketride-deploy-kit/msw';
 * const mock = await createMswMock();
 * const server = setupServer(mock.handler);
 * server.listen();
 * // new WebSocket('ws://localhost:5565/task/service') now talks to the mock
 * @since 0.3.0
 */
export async function createMswMock(options: MswMockOptions = {}): Promise<MswMock> {
  if (typeof options.users === 'string') {
    throw new TypeError('createMswMock takes users as an array (a users file path needs Node: read the file and pass its users)');
  }
  // A removed option: failing beats quietly serving a correct mock where a broken one was asked for.
  if ('mutants' in options) {
    throw new TypeError(
      "createMswMock does not take mutants: deliberately broken servers are test-only and need Node (createMutantServer of 'rocketride-deploy-kit/testing')",
    );
  }
  const { url = DAP_URL_PATTERN, maxFrameBytes: legacyMaxFrameBytes, ...coreOptions } = options;
  const core = buildDeployCore({ ...coreOptions, limits: { maxFrameBytes: legacyMaxFrameBytes, ...coreOptions.limits } });
  const maxFrameBytes = core.limits.maxFrameBytes;
  const open = new Set<MswClient>();

  let closed = false;
  const handler = linkFor(url).addEventListener('connection', ({ client }) => {
    // A closed mock serves no one (its handler may still be in msw's list).
    if (closed) return void client.close(1001, 'Server shutting down');
    const session = core.openSession({
      send: (text) => client.send(text),
      // msw's client.send() delivers in a microtask and drops what is still queued once the
      // socket is closing: close after the response in flight (a refusal's message, say) is
      // delivered, as a real server's close frame follows its last message.
      close: (code, reason) => queueMicrotask(() => client.close(code, reason)),
    });
    open.add(client);
    // Frames are handled as they come; a Blob is read asynchronously, so from the first Blob
    // until the reads pending are done, frames wait in a chain that keeps the client's order.
    let pending = 0;
    let queue: Promise<void> = Promise.resolve();
    let cut = false;
    const receive = (data: string | Uint8Array) => {
      if (cut) return;
      if (byteLengthOver(data, maxFrameBytes)) {
        // Like the server (ws's maxPayload): not journaled nor answered; the connection closes
        // and nothing after it is read.
        cut = true;
        session.ended();
        client.close(CLOSE_TOO_BIG, '');
        return;
      }
      session.receive(data, typeof data !== 'string');
    };
    client.addEventListener('message', (event) => {
      const data: unknown = event.data;
      if (pending === 0 && !isBlob(data)) {
        receive(typeof data === 'string' ? data : bytesOf(data));
        return;
      }
      pending += 1;
      queue = queue
        .then(async () =>
          receive(typeof data === 'string' ? data : isBlob(data) ? new Uint8Array(await data.arrayBuffer()) : bytesOf(data)),
        )
        .catch((error: unknown) => core.onInternalError?.(error, 'a frame')) // receive never throws; a Blob read might
        .finally(() => void (pending -= 1));
    });
    client.addEventListener('close', () => {
      open.delete(client);
      session.ended();
    });
  });

  return {
    handler,
    handlers: [handler],
    control: core.control,
    journal: inProcessJournal(core),
    close() {
      for (const client of [...open]) client.close(1001, 'Server shutting down');
      open.clear();
      if (closed) return;
      closed = true;
      core.stop();
    },
  };
}

type WebSocketLink = ReturnType<typeof ws.link>;
/**
 * One msw link per URL, shared by the mocks that answer it: each `ws.link()` call adds a
 * listener to a BroadcastChannel of msw's for good, so a link per mock would pile them up
 * (Node warns past ten: a test file making a mock per test would see it). The handlers stay
 * one per mock; the link only keeps msw's list of clients.
 */
const links = new Map<string, WebSocketLink>();

function linkFor(url: string | RegExp): WebSocketLink {
  const key = typeof url === 'string' ? `url ${url}` : `regexp ${String(url)}`;
  let link = links.get(key);
  if (link === undefined) links.set(key, (link = ws.link(url)));
  return link;
}

function isBlob(data: unknown): data is Blob {
  return typeof Blob !== 'undefined' && data instanceof Blob;
}

/** A binary message's bytes, whatever form the WebSocket handed them over in (a Blob aside). */
function bytesOf(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(0);
}

const utf8 = new TextEncoder();

/** Whether a message is over `max` bytes; text is measured in UTF-8 only when it might be. */
function byteLengthOver(data: string | Uint8Array, max: number): boolean {
  if (typeof data !== 'string') return data.length > max;
  if (data.length * 3 <= max) return false; // a UTF-16 unit is at most 3 UTF-8 bytes
  return data.length > max || utf8.encode(data).length > max;
}
