/**
 * A small reference client for the deploy API: the documented TypeScript surface
 * (`client.deploy.add/remove/list/status/update`) over DAP, built from wire.md alone.
 * The conformance suite drives servers with it; the README examples use it.
 */
import WebSocket from 'ws';
import { definedFields } from '../domain/json.js';
import { ConnectionClosedError, DapError } from './errors.js';
import { toServiceUrl } from './uri.js';

/** @since 0.1.0 */
export interface DeployClientOptions {
  /** `ws://host:port/task/service`, `localhost:5565`, `http(s)://host`, ... */
  uri: string;
  /** API key (or a previously issued token). */
  auth: string;
  /** Sent in the `auth` request. Default `rocketride-deploy-kit`. */
  clientName?: string;
  /** How long `disconnect()` waits for the `deauth` reply before closing anyway (`Infinity`: no limit). Default 3000 ms. */
  disconnectTimeoutMs?: number;
  /** The WebSocket class to connect with: `ws`'s by default; a subclass may add headers or an agent, or log frames. */
  webSocket?: typeof WebSocket;
}

/** Pipeline definition: any JSON object with a `project_id`. @since 0.1.0 */
export interface PipelineConfig {
  project_id: string;
  [key: string]: unknown;
}

/** A deployment record as the server sends it (both field dialects, REC-1/REC-2). @since 0.1.0 */
export interface DeploymentRecord {
  pipeline: PipelineConfig;
  schedule: string;
  state: 'active' | 'paused' | 'errored';
  userId?: string;
  createdAt?: number;
  updatedAt?: number;
  created_by?: string;
  created_at?: number;
  updated_at?: number;
  [key: string]: unknown;
}

/** The body of a successful `auth`. @since 0.1.0 */
export interface ConnectResult {
  userToken: string;
  userId: string;
  displayName: string;
  defaultTeam: string;
  organizations: Array<{
    id: string;
    name: string;
    permissions: string[];
    teams: Array<{ id: string; name: string; permissions: string[] }>;
  }>;
  [key: string]: unknown;
}

/** @since 0.1.0 */
export interface DeployApi {
  add(pipeline: PipelineConfig, options?: { schedule?: string }): Promise<DeploymentRecord>;
  remove(projectId: string): Promise<void>;
  list(): Promise<DeploymentRecord[]>;
  status(projectId: string): Promise<DeploymentRecord>;
  update(projectId: string, options?: { pipeline?: PipelineConfig; schedule?: string }): Promise<unknown>;
}

interface Pending {
  resolve(body: unknown): void;
  reject(error: Error): void;
}

/**
 * @example
 * const client = new DeployClient({ uri: 'localhost:5565', auth: 'MYAPIKEY' });
 * await client.connect();
 * await client.deploy.add({ project_id: 'p1' }, { schedule: '@hourly' });
 * await client.disconnect();
 * @since 0.1.0
 */
export class DeployClient {
  readonly url: string;
  readonly deploy: DeployApi;
  #socket: WebSocket | undefined;
  #seq = 0;
  readonly #pending = new Map<number, Pending>();
  readonly #options: DeployClientOptions;

  constructor(options: DeployClientOptions) {
    this.#options = options;
    this.url = toServiceUrl(options.uri);
    this.deploy = {
      add: (pipeline, opts) =>
        this.call('rrext_deploy_add', opts?.schedule === undefined ? { pipeline } : { pipeline, schedule: opts.schedule }),
      remove: async (projectId) => {
        await this.call('rrext_deploy_remove', { projectId });
      },
      list: async () => (await this.call<{ deployments?: DeploymentRecord[] }>('rrext_deploy_list')).deployments ?? [],
      status: (projectId) => this.call('rrext_deploy_status', { projectId }),
      update: (projectId, opts = {}) => this.call('rrext_deploy_update', { projectId, ...definedFields(opts) }),
    };
  }

  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Opens the WebSocket and authenticates; rejects with DapError on a refused key. */
  async connect(): Promise<ConnectResult> {
    if (this.#socket) throw new Error('Already connected; call disconnect() first');
    const socket = new (this.#options.webSocket ?? WebSocket)(this.url, { perMessageDeflate: false });
    this.#socket = socket;
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    socket.on('close', (code, reason) => this.#onClose(socket, code, reason.toString()));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', (error) => {
        this.#socket = undefined;
        reject(error);
      });
    });
    socket.on('error', () => {}); // later errors surface as 'close', which fails pending calls
    return this.call<ConnectResult>('auth', {
      auth: this.#options.auth,
      clientName: this.#options.clientName ?? 'rocketride-deploy-kit',
    });
  }

  /** Sends any DAP command and resolves with the response body. */
  call<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    const socket = this.#socket;
    // A socket the server is closing (it refused the connection right after the handshake,
    // say) still takes the call: its close fails it with the server's code and reason.
    if (!socket || (socket.readyState !== WebSocket.OPEN && socket.readyState !== WebSocket.CLOSING)) {
      return Promise.reject(new ConnectionClosedError(1006, 'not connected'));
    }
    const seq = ++this.#seq;
    const request = args === undefined ? { type: 'request', seq, command } : { type: 'request', seq, command, arguments: args };
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(seq, { resolve: resolve as (body: unknown) => void, reject });
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(request));
    });
  }

  /** Sends `deauth` (waiting at most disconnectTimeoutMs for the reply), then closes with 1000. */
  async disconnect(): Promise<void> {
    const socket = this.#socket;
    if (!socket) return;
    if (socket.readyState === WebSocket.OPEN) {
      const limitMs = this.#options.disconnectTimeoutMs ?? 3000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        if (limitMs !== Infinity) timer = setTimeout(resolve, limitMs);
      });
      await Promise.race([this.call('deauth').catch(() => undefined), timeout]);
      clearTimeout(timer);
    }
    if (socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close(1000);
      });
    }
    this.#socket = undefined;
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (isBinary) return; // the deploy API sends only text frames
    let message: { type?: unknown; request_seq?: unknown; success?: unknown; body?: unknown; message?: unknown; command?: unknown };
    try {
      message = JSON.parse(data.toString());
    } catch {
      return;
    }
    if (message?.type !== 'response' || typeof message.request_seq !== 'number') return;
    const pending = this.#pending.get(message.request_seq);
    if (!pending) return;
    this.#pending.delete(message.request_seq);
    if (message.success === true) pending.resolve(message.body ?? {});
    else pending.reject(new DapError(String(message.message ?? 'Request failed'), String(message.command ?? '')));
  }

  #onClose(socket: WebSocket, code: number, reason: string): void {
    if (this.#socket === socket) this.#socket = undefined;
    const error = new ConnectionClosedError(code, reason);
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
