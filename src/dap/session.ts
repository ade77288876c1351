/**
 * One DAP connection's state machine (WIRE-2..8): authentication, the not-authenticated gate,
 * per-connection `seq`, and the mapping of commands onto the deploy domain. Transport-free:
 * a transport feeds it frames and gives it a way to send text and to close.
 */
import { connectResult, type AuthenticatedUser, type UserDirectory } from '../auth/users.js';
import type { Caller, DeployService } from '../domain/deploy-service.js';
import { DeployError } from '../domain/errors.js';
import { decodeFrame, type DapRequest } from './frames.js';
import { deploymentListJson, wireRecordJson } from './records.js';

/** What a session needs from the server it runs in. */
export interface SessionContext {
  readonly deploy: DeployService;
  readonly users: UserDirectory;
  readonly version: string;
  /** Reports an unexpected (non-domain) error; the client only sees a generic message. */
  readonly onInternalError?: (error: unknown, command: string) => void;
  /** Reports a frame dropped unanswered (no readable `seq`), as the real server logs them. */
  readonly onDroppedFrame?: (reason: string) => void;
  /** Runs before each request is served (a real clock's scheduler catches up on due ticks). */
  readonly beforeCommand?: () => void;
  /** Test-only deliberate faults (the `mutants` option); absent in every normal server. */
  readonly faults?: SessionFaults;
}

/**
 * Test-only: the session's seams for the conformance suite's mutants (src/testing/mutants.ts).
 * Read once when a session is created, so a normal session pays nothing for them.
 */
export interface SessionFaults {
  /** Wraps how the session talks back (envelope faults: reply bytes, missing replies, closes). */
  readonly wrapOutput?: (out: SessionOutput) => SessionOutput;
  /** Replaces the cap on `auth` requests per connection. */
  readonly maxAuthAttempts?: number;
  /** Replaces the WIRE-3 gate: which commands are served before `auth`. */
  readonly servedBeforeAuth?: (command: string) => boolean;
}

/** How a session talks back; implemented by each transport. */
export interface SessionOutput {
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** The real server's cap on `auth` requests per connection, successful ones included. */
export const MAX_AUTH_ATTEMPTS = 5;
/** Close code after an auth failure or a gated request (the real server uses 1000). */
const CLOSE_AFTER_REFUSAL = 1000;

export const messages = {
  notAuthenticated: 'Not authenticated',
  noAuthorization: 'No authorization provided',
  invalidKey: 'Invalid API key',
  tooManyAttempts: 'Too many authentication attempts',
  invalidCommand: (command: string) => `Invalid command: ${command}`,
  internal: (command: string) => `Internal error while handling ${command}`,
} as const;

/**
 * A handler's outcome: a success body as JSON text, or a failure message (maybe followed by a
 * close). Bodies are text so stored records can be sent from their cached JSON.
 */
type Outcome = { json: string; close?: never } | { error: string; close?: boolean };

const EMPTY: Outcome = { json: '{}' };
const PONG: Outcome = { json: '{"pong":true}' };
const body = (value: object): Outcome => ({ json: JSON.stringify(value) });

/** @since 0.1.0 */
export class DapSession {
  #seq = 0;
  #caller: Caller | undefined;
  #authAttempts = 0;
  #closing = false;
  readonly #out: SessionOutput;
  readonly #maxAuthAttempts: number;
  readonly #servedBeforeAuth: (command: string) => boolean;

  constructor(
    private readonly ctx: SessionContext,
    out: SessionOutput,
  ) {
    const faults = ctx.faults;
    this.#out = faults?.wrapOutput?.(out) ?? out;
    this.#maxAuthAttempts = faults?.maxAuthAttempts ?? MAX_AUTH_ATTEMPTS;
    this.#servedBeforeAuth = faults?.servedBeforeAuth ?? servedBeforeAuth;
  }

  /** The authenticated user's id, if any. */
  get userId(): string | undefined {
    return this.#caller?.userId;
  }

  /** Handles one incoming WebSocket message. Never throws. */
  receive(data: Buffer, isBinary: boolean): void {
    if (this.#closing) return;
    const frame = decodeFrame(data, isBinary);
    if (frame.kind === 'drop') {
      this.ctx.onDroppedFrame?.(frame.reason);
      return;
    }
    this.ctx.beforeCommand?.();
    let outcome: Outcome;
    if (!this.#caller && !this.#servedBeforeAuth(frame.command)) outcome = { error: messages.notAuthenticated, close: true };
    else if (frame.kind === 'bad') outcome = { error: frame.message };
    else {
      try {
        outcome = this.#dispatch(frame);
      } catch (error) {
        outcome = this.#failure(error, frame.command);
      }
    }
    this.#respond(frame.seq, frame.command, outcome);
    if ('error' in outcome && outcome.close) {
      this.#closing = true;
      this.#out.close(CLOSE_AFTER_REFUSAL, outcome.error);
    }
  }

  #dispatch(request: DapRequest): Outcome {
    const { command, arguments: args } = request;
    if (command === 'auth') return this.#auth(args);
    if (command === 'rrext_public_probe') return body(this.#probe());
    // receive() let only authenticated requests and public commands through the gate (WIRE-3);
    // a ping reads nothing of the caller's.
    if (command === 'rrext_ping') return PONG;
    const caller = this.#caller;
    if (!caller || command.startsWith('rrext_public_')) return { error: messages.invalidCommand(command) };

    const deploy = this.ctx.deploy;
    switch (command) {
      case 'deauth':
        this.#caller = undefined;
        return EMPTY;
      case 'rrext_deploy_add':
        return { json: wireRecordJson(deploy.add(caller, args)) };
      case 'rrext_deploy_remove':
        deploy.remove(caller, args['projectId']);
        return EMPTY;
      case 'rrext_deploy_list':
        return { json: deploymentListJson(deploy.list(caller)) };
      case 'rrext_deploy_status':
        return { json: wireRecordJson(deploy.status(caller, args['projectId'])) };
      case 'rrext_deploy_update':
        return { json: wireRecordJson(deploy.update(caller, args)) };
      default:
        return { error: messages.invalidCommand(command) };
    }
  }

  /** WIRE-4/5: at most five attempts; any failure answers, then closes the connection. */
  #auth(args: Record<string, unknown>): Outcome {
    this.#authAttempts += 1;
    if (this.#authAttempts > this.#maxAuthAttempts) return { error: messages.tooManyAttempts, close: true };
    const result = this.ctx.users.authenticate(args['auth']);
    if (result === 'empty') return { error: messages.noAuthorization, close: true };
    if (result === 'invalid') return { error: messages.invalidKey, close: true };
    this.#caller = callerOf(result);
    return body(connectResult(result.user, this.ctx.users.issueToken(result.key)));
  }

  #probe(): object {
    return { version: this.ctx.version, capabilities: ['deploy', 'mock'], platform: 'linux', apps: [] };
  }

  #failure(error: unknown, command: string): Outcome {
    if (error instanceof DeployError) return { error: error.message };
    this.ctx.onInternalError?.(error, command);
    return { error: messages.internal(command) };
  }

  /**
   * WIRE-2: one response per request, as single-line JSON (JSON.stringify never emits a raw
   * newline, and bodies come from it). Assembled as text around the body's JSON; numbers are
   * written as JSON writes them.
   */
  #respond(requestSeq: number, command: string, outcome: Outcome): void {
    this.#seq += 1;
    const head = `{"type":"response","seq":${this.#seq},"request_seq":${JSON.stringify(requestSeq)},"command":${JSON.stringify(command)}`;
    this.#out.send(
      'json' in outcome
        ? `${head},"success":true,"body":${outcome.json}}`
        : `${head},"success":false,"message":${JSON.stringify(outcome.error)}}`,
    );
  }
}

/** WIRE-3: what an unauthenticated connection may send. */
function servedBeforeAuth(command: string): boolean {
  return command === 'auth' || command.startsWith('rrext_public_');
}

function callerOf(auth: AuthenticatedUser): Caller {
  return { userId: auth.user.userId, permissions: auth.permissions, credential: auth.key };
}
