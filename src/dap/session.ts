/**
 * One DAP connection's state machine (WIRE-2..8): authentication, the not-authenticated gate,
 * per-connection `seq`, and the mapping of commands onto the deploy domain. Transport-free:
 * a transport feeds it frames and gives it a way to send text and to close.
 */
import { connectResult, type AuthenticatedUser, type UserDirectory } from '../auth/users.js';
import type { Caller, DeployService } from '../domain/deploy-service.js';
import { DeployError } from '../domain/errors.js';
import type { ConnectionRegistry } from './connections.js';
import type { FaultDecision, FaultPlan } from './fault-plan.js';
import { decodeSplitFrame, splitFrame, type DapRequest } from './frames.js';
import type { FrameJournal } from './journal.js';
import type { EventSink } from '../server-events.js';
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
  /** Who may send what before and during authentication. Default: the spec's (SPEC_AUTH_POLICY). */
  readonly authPolicy?: AuthPolicy;
  /** Records every frame in and out (the control API reads it). */
  readonly journal?: FrameJournal;
  /** Faults a test injected through the control API (delays, failures, closes...). */
  readonly faultPlan?: FaultPlan;
  /** Gives each session its connection id, and lists the open ones. */
  readonly connections?: ConnectionRegistry;
  /** Told of connections opening and closing and of each command's outcome; absent when nobody listens. */
  readonly events?: EventSink;
}

/** The rules of authentication a session enforces (WIRE-3, WIRE-5). */
export interface AuthPolicy {
  /** How many `auth` requests one connection may send, successful ones included. */
  readonly maxAttempts: number;
  /** Which commands an unauthenticated connection may send. */
  servedBeforeAuth(command: string): boolean;
}

/** A session as its transport drives it: a DapSession, or something standing in for one. */
export type Session = Pick<DapSession, 'id' | 'userId' | 'receive' | 'ended'>;

/** How a session talks back; implemented by each transport. */
export interface SessionOutput {
  send(text: string): void;
  close(code: number, reason: string): void;
  /**
   * Told when the request being received will get no response (a dropped frame, an injected
   * no-reply or close, a frame after the connection began closing), so a transport counting
   * the replies it owes (for a graceful shutdown) stops waiting for it.
   */
  unanswered?(): void;
}

/** The real server's cap on `auth` requests per connection, successful ones included. */
export const MAX_AUTH_ATTEMPTS = 5;

/** The spec's rules: five attempts; before auth, only `auth` and the public commands. */
export const SPEC_AUTH_POLICY: AuthPolicy = {
  maxAttempts: MAX_AUTH_ATTEMPTS,
  servedBeforeAuth: (command) => command === 'auth' || command.startsWith('rrext_public_'),
};

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
  /** This connection's id in the journal, injected faults and the connection list. */
  readonly id: number;
  #seq = 0;
  #caller: Caller | undefined;
  #authAttempts = 0;
  /** Who the connection was last authenticated as (a deauth keeps it): the log's closing line names them. */
  #lastUserId: string | undefined;
  #closing = false;
  /** The transport closed: nothing more is sent, delayed responses included. */
  #ended = false;
  /** This side closed the connection: responses still delayed or held are not sent either. */
  #closedHere = false;
  /** Timers of delayed responses, cleared when the connection ends. */
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #out: SessionOutput;
  readonly #authPolicy: AuthPolicy;

  constructor(
    private readonly ctx: SessionContext,
    out: SessionOutput,
  ) {
    this.#out = out;
    this.#authPolicy = ctx.authPolicy ?? SPEC_AUTH_POLICY;
    this.id = ctx.connections?.open(() => this.userId) ?? 0;
    ctx.events?.emit('connection-opened', { connectionId: this.id });
  }

  /** The transport calls this once its connection is gone. */
  ended(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#closing = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.ctx.connections?.close(this.id);
    this.ctx.events?.emit('connection-closed', { connectionId: this.id, userId: this.#lastUserId ?? null });
  }

  /** The authenticated user's id, if any. */
  get userId(): string | undefined {
    return this.#caller?.userId;
  }

  /** Handles one incoming WebSocket message. Never throws. */
  receive(data: Uint8Array | string, isBinary: boolean): void {
    const mark = this.ctx.events?.mark();
    const { header, payload } = splitFrame(data, isBinary);
    let requestUser = this.userId;
    // The journal copies the header's bytes as they came (the text decoded from them is the same).
    const journal = this.ctx.journal;
    const bytes = typeof data === 'string' || payload === undefined ? data : data.subarray(0, data.length - payload.length - 1);
    const frame = decodeSplitFrame(header, payload);
    const entryId = journal ? journal.record(this.id, 'in', bytes, payload?.length, requestUser, frame.heading) : 0;
    if (this.#closing) return this.#out.unanswered?.();
    if (frame.kind === 'drop') {
      this.#out.unanswered?.();
      this.ctx.onDroppedFrame?.(frame.reason);
      return;
    }
    this.ctx.beforeCommand?.();
    let outcome: Outcome;
    let fault: FaultDecision | undefined;
    if (!this.#caller && !this.#authPolicy.servedBeforeAuth(frame.command)) outcome = { error: messages.notAuthenticated, close: true };
    else if (frame.kind === 'bad') outcome = { error: frame.message };
    else {
      try {
        fault = this.ctx.faultPlan?.decide({ connectionId: this.id, userId: this.userId, command: frame.command });
        const replace = fault?.replace;
        if (replace?.kind === 'close') {
          this.#out.unanswered?.();
          if (mark !== undefined) this.#reportCommand(mark, frame.command, requestUser, undefined);
          this.#closeConnection(replace.code, replace.reason);
          return;
        }
        outcome = replace ? (replace.kind === 'fail' ? { error: replace.message } : { json: replace.json }) : this.#dispatch(frame);
      } catch (error) {
        outcome = this.#failure(error, frame.command);
      }
    }
    // An `auth` request belongs to the user it authenticated (it came in as no one, or as the
    // identity it replaces); anything else to whoever the connection was when it came in.
    if (frame.command === 'auth' && this.userId !== undefined) {
      requestUser = this.userId;
      if (entryId !== 0) journal?.attribute(entryId, requestUser);
    }
    const close = 'error' in outcome && outcome.close === true;
    if (close) this.#closing = true;
    if (fault?.silent) {
      this.#out.unanswered?.();
      if (mark !== undefined) this.#reportCommand(mark, frame.command, requestUser, undefined);
      if (close) this.#closeConnection(CLOSE_AFTER_REFUSAL, (outcome as { error: string }).error);
      return;
    }
    this.#respond(frame.seq, frame.command, outcome, requestUser, fault, mark);
  }

  /** The command event: `outcome` undefined when the request gets no answer. */
  #reportCommand(mark: number, command: string, userId: string | undefined, outcome: Outcome | undefined): void {
    const events = this.ctx.events!;
    events.emit('command', {
      connectionId: this.id,
      userId: userId ?? null,
      command,
      outcome: outcome === undefined ? 'unanswered' : 'json' in outcome ? 'ok' : 'error',
      ...(outcome !== undefined && 'error' in outcome && { message: outcome.error }),
      elapsedMs: events.elapsedSince(mark),
    });
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
    if (this.#authAttempts > this.#authPolicy.maxAttempts) return { error: messages.tooManyAttempts, close: true };
    const result = this.ctx.users.authenticate(args['auth']);
    if (result === 'empty') return { error: messages.noAuthorization, close: true };
    if (result === 'invalid') return { error: messages.invalidKey, close: true };
    this.#caller = callerOf(result);
    this.#lastUserId = result.user.userId;
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
   * written as JSON writes them. `seq` is taken when the response leaves, so it increases on
   * the wire even when an injected fault delays or reorders responses. A refusal closes the
   * connection right after its response.
   */
  #respond(
    requestSeq: number,
    command: string,
    outcome: Outcome,
    userId: string | undefined,
    fault: FaultDecision | undefined,
    mark: number | undefined,
  ): void {
    const send = () => {
      if (this.#ended || this.#closedHere) {
        if (mark !== undefined) this.#reportCommand(mark, command, userId, undefined);
        return;
      }
      this.#seq += 1;
      const head = `{"type":"response","seq":${this.#seq},"request_seq":${JSON.stringify(requestSeq)},"command":${JSON.stringify(command)}`;
      const text =
        'json' in outcome
          ? `${head},"success":true,"body":${outcome.json}}`
          : `${head},"success":false,"message":${JSON.stringify(outcome.error)}}`;
      this.ctx.journal?.record(this.id, 'out', text, undefined, userId, { command, type: 'response' });
      this.#out.send(text);
      if (mark !== undefined) this.#reportCommand(mark, command, userId, outcome);
      if ('error' in outcome && outcome.close) this.#closeConnection(CLOSE_AFTER_REFUSAL, outcome.error);
    };
    if (fault?.reorder) this.ctx.faultPlan!.hold(fault.reorder, send);
    else if (fault?.delayMs) {
      // Real time on purpose: a delay exists to test an SDK's own timers.
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        send();
      }, fault.delayMs);
      timer.unref?.();
      this.#timers.add(timer);
    } else send();
  }

  /** Closes the connection from this side; responses still delayed or held are not sent. */
  #closeConnection(code: number, reason: string): void {
    this.#closing = true;
    this.#closedHere = true;
    this.#out.close(code, reason);
  }
}

function callerOf(auth: AuthenticatedUser): Caller {
  return { userId: auth.user.userId, permissions: auth.permissions, credential: auth.key };
}
