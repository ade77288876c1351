/**
 * The two doors of the mock behind one small interface, for the shared scenario list
 * (scenarios.ts): the WebSocket server with a `ws`-package client, and the msw handler with the
 * standard global `WebSocket` (Node 20 has one only with `--experimental-websocket`: the `msw`
 * vitest project passes it). A connection records everything its client observed (messages and
 * the close), so a scenario's transcript can be compared between the doors.
 */
import type { LimitsOption } from '../../src/limits.js';
import type { SetupServer } from 'msw/node';
import WebSocket from 'ws';
import { createMswMock } from '../../src/msw/index.js';
import { createMockServer, type ControlApi, type JournalEntry, type JournalFilter } from '../../src/index.js';

import type { DapResponse } from '../helpers/raw-client.js';

export type { DapResponse };

export interface CloseInfo {
  code: number;
  reason: string;
}

/** One client connection, as a scenario drives it. */
export interface Conn {
  /** Sends a request with the next `seq` and waits for its response. */
  request(command: string, args?: unknown): Promise<DapResponse>;
  /** Sends a request with the next `seq` without waiting; returns that `seq`. */
  send(command: string, args?: unknown): number;
  /** Sends a frame as is: a string as a text frame, bytes as a binary frame. */
  sendRaw(frame: string | Uint8Array): void;
  /** Waits for the response to `seq`. */
  responseTo(seq: number): Promise<DapResponse>;
  /** Every text the server sent on this connection, in order. */
  readonly received: readonly string[];
  /** Resolves when the connection is closed, with the code and reason the client saw. */
  readonly closed: Promise<CloseInfo>;
  readonly isOpen: boolean;
  /** Closes from the client's side (code 1000). */
  close(): void;
  /** What the client observed, in order: `message <text>` and `close <code> <reason>`. */
  readonly events: readonly string[];
}

/** A running mock behind one door. */
export interface Door {
  readonly name: string;
  connect(): Promise<Conn>;
  readonly control: ControlApi;
  readonly journal: { find(filter?: JournalFilter): JournalEntry[]; clear(): void };
  /** Shuts the mock down: open connections are closed with 1001. Safe to call twice. */
  close(): Promise<void>;
}

/** Per-scenario options, given to every door the same way. */
export interface DoorOptions {
  limits?: LimitsOption;
}

export type OpenDoor = (options: DoorOptions) => Promise<Door>;

/** Every scenario's mock starts at this instant on a fake clock. */
export const START = '2026-11-26T10:07:00Z';

/** How a transport hands a connection's events to a Conn. */
interface Transport {
  send(frame: string | Uint8Array): void;
  close(): void;
  readonly isOpen: boolean;
}

/** The part of a Conn that does not depend on the client library. */
class RecordingConn implements Conn {
  readonly received: string[] = [];
  readonly events: string[] = [];
  readonly closed: Promise<CloseInfo>;
  #onClose!: (info: CloseInfo) => void;
  #waiters: Array<() => void> = [];
  #seq = 0;
  #transport!: Transport;

  constructor() {
    this.closed = new Promise((resolve) => (this.#onClose = resolve));
  }

  attach(transport: Transport): this {
    this.#transport = transport;
    return this;
  }

  /** The transport calls these. */
  message(text: string): void {
    this.received.push(text);
    this.events.push(`message ${text}`);
    this.#wake();
  }
  ended(code: number, reason: string): void {
    this.events.push(`close ${code} ${reason}`);
    this.#onClose({ code, reason });
    this.#wake();
  }

  get isOpen(): boolean {
    return this.#transport.isOpen;
  }

  send(command: string, args?: unknown): number {
    const seq = ++this.#seq;
    const frame: Record<string, unknown> = { type: 'request', seq, command };
    if (args !== undefined) frame['arguments'] = args;
    this.sendRaw(JSON.stringify(frame));
    return seq;
  }

  async request(command: string, args?: unknown): Promise<DapResponse> {
    return this.responseTo(this.send(command, args));
  }

  sendRaw(frame: string | Uint8Array): void {
    this.#transport.send(frame);
  }

  async responseTo(seq: number): Promise<DapResponse> {
    for (;;) {
      for (const text of this.received) {
        const message = JSON.parse(text) as DapResponse;
        if (message.request_seq === seq) return message;
      }
      if (!this.isOpen) throw new Error(`connection closed before a response to seq ${seq}`);
      await new Promise<void>((wake) => this.#waiters.push(wake));
    }
  }

  close(): void {
    this.#transport.close();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** The WebSocket server (createMockServer), with a `ws`-package client. */
export const openWsDoor: OpenDoor = async (options) => {
  const server = await createMockServer({ clock: { mode: 'fake', startAt: START }, ...options });
  return {
    name: 'ws',
    control: server.control,
    journal: server.journal,
    close: () => server.close(),
    async connect() {
      const socket = new WebSocket(server.url);
      const conn = new RecordingConn().attach({
        send: (frame) => socket.send(frame, { binary: typeof frame !== 'string' }),
        close: () => socket.close(1000),
        get isOpen() {
          return socket.readyState === WebSocket.OPEN;
        },
      });
      socket.on('message', (data, isBinary) => conn.message(isBinary ? `<binary ${String(data)}>` : String(data)));
      socket.on('close', (code, reason) => conn.ended(code, reason.toString()));
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      return conn;
    },
  };
};

/** Where the msw door's clients connect: the real server's default address, answered by msw. */
export const MSW_URL = 'ws://localhost:5565/task/service';

/**
 * The msw handler (createMswMock) on a listening msw `server`, with the global `WebSocket`
 * (which msw intercepts). Each door adds its handler and removes it again when closed.
 */
export function mswDoorOn(server: SetupServer): OpenDoor {
  return async (options) => {
    const mock = await createMswMock({ clock: { mode: 'fake', startAt: START }, ...options });
    server.use(mock.handler);
    let closed = false;
    return {
      name: 'msw',
      control: mock.control,
      journal: mock.journal,
      async close() {
        mock.close();
        if (!closed) server.resetHandlers();
        closed = true;
      },
      async connect() {
        const GlobalWebSocket = globalThis.WebSocket;
        if (GlobalWebSocket === undefined) throw new Error('no global WebSocket: Node 20 needs --experimental-websocket');
        const socket = new GlobalWebSocket(MSW_URL);
        const conn = new RecordingConn().attach({
          send: (frame) => socket.send(frame),
          close: () => socket.close(1000),
          get isOpen() {
            return socket.readyState === GlobalWebSocket.OPEN;
          },
        });
        socket.addEventListener('message', (event) =>
          conn.message(typeof event.data === 'string' ? event.data : `<binary ${String(event.data)}>`),
        );
        socket.addEventListener('close', (event) => conn.ended(event.code, event.reason));
        await new Promise((resolve, reject) => {
          socket.addEventListener('open', resolve, { once: true });
          socket.addEventListener('error', reject, { once: true });
        });
        return conn;
      },
    };
  };
}
