/**
 * What SDK checks run against: the SDK under test (through a driver) talking to the kit's mock,
 * and the mock's control API, which tells what the SDK sent (the frame journal) and makes the
 * server misbehave on purpose (injected faults). Each session acts as a user of its own, so
 * check files running side by side never see each other's frames.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import type { FaultSpec, JournalEntry, JournalEntryWithMessage } from 'rocketride-deploy-kit';
import type { Capability } from '../clauses.js';
import { defineChecks, type CheckSubject } from '../context.js';
import { Transcript } from '../transcript.js';
import { readPages } from '../control-pages.js';
import {
  DEFAULT_ERROR_TYPES,
  DriverError,
  type SdkArgs,
  type SdkInfo,
  type SdkOp,
  type SdkOutcome,
  type SdkSession,
  type SdkSpec,
  type StartOptions,
} from './driver.js';
import { startModuleDriver } from './module-driver.js';
import { startStdioDriver } from './stdio-driver.js';

/** Everything an SDK check needs to know; plain JSON, handed to the test workers. */
export interface SdkTargetConfig {
  /** The mock's DAP URL. */
  readonly uri: string;
  /** The mock's control API, `http://host:port/control`. */
  readonly controlUrl: string;
  readonly sdk: SdkSpec;
  /** How long an SDK call may take before it counts as a hang (ms). */
  readonly timeoutMs: number;
  readonly seed: number;
  readonly runs: number;
  readonly replay?: { check: string; seed: number; path: string; replayPath?: string };
  /** The conformance command line that selects this SDK, for replay lines. */
  readonly command: string;
}

declare module 'vitest' {
  interface ProvidedContext {
    sdkConformance: SdkTargetConfig;
  }
}

/** Starts the SDK's driver, whichever kind it is. */
export function startSdk(spec: SdkSpec, options: StartOptions): Promise<SdkSession> {
  return spec.kind === 'module' ? startModuleDriver(spec, options) : startStdioDriver(spec, options);
}

/** One SDK client connected to the mock as a fresh user, and what the mock saw of it. */
export class SdkUnderTest {
  /** The journal id before this session's first frame, or of the last frame `sent()` returned. */
  #mark = 0;
  /** A call hung, or the driver failed: the session cannot be used again. */
  broken = false;
  /** This session's connection, as the journal names it (known once connected). */
  #connectionId: number | undefined;

  constructor(
    private readonly target: SdkTarget,
    private readonly session: SdkSession,
    readonly userId: string,
    readonly key: string,
    readonly label: string,
  ) {}

  get info(): SdkInfo {
    return this.session.info;
  }

  /** Runs one SDK call; its arguments and outcome go to the transcript. */
  async call(op: SdkOp, args?: SdkArgs, timeoutMs?: number): Promise<SdkOutcome> {
    this.target.requests += 1;
    this.target.transcript.record(this.label, '>', `${op}${args === undefined ? '' : ` ${JSON.stringify(args)}`}`);
    let outcome: SdkOutcome;
    try {
      outcome = await this.session.call(op, args, timeoutMs);
    } catch (error) {
      // Not an SDK result: the driver itself failed. Say so, rather than blame a clause's words.
      this.broken = true;
      this.target.transcript.record(this.label, '<', `DRIVER FAULT: ${(error as Error).message}`);
      throw new DriverError(`DRIVER FAULT (not an SDK result) during ${op}: ${(error as Error).message}`);
    }
    if (outcome.kind === 'timeout') this.broken = true;
    this.target.transcript.record(this.label, '<', describeOutcome(outcome));
    return outcome;
  }

  /** Runs a call that must succeed, and returns its result. */
  async ok(op: SdkOp, args?: SdkArgs): Promise<unknown> {
    const outcome = await this.call(op, args);
    if (outcome.kind !== 'ok') throw new Error(`${op} was expected to succeed but ${describeOutcome(outcome)}`);
    return outcome.result;
  }

  /**
   * Every frame of this session's user since the previous call of `frames` (or the start), both
   * ways, each with its text parsed here as `message` (the journal answers frames as their text).
   */
  async frames(): Promise<JournalEntryWithMessage[]> {
    const entries = (await this.target.controlList(
      `/journal?userId=${encodeURIComponent(this.userId)}&after=${this.#mark}`,
    )) as JournalEntry[];
    for (const e of entries) this.target.transcript.record(`journal`, e.direction === 'in' ? '>' : '<', e.text);
    if (entries.length > 0) this.#mark = entries[entries.length - 1]!.id;
    return entries.map(withMessage);
  }

  /** The requests (frames in) among `frames()`. */
  async sent(): Promise<JournalEntryWithMessage[]> {
    return (await this.frames()).filter((e) => e.direction === 'in');
  }

  /** This session's connection, as the journal named it when the SDK connected. */
  connectionId(): number {
    if (this.#connectionId === undefined) throw new Error(`the SDK of ${this.label} is not connected`);
    return this.#connectionId;
  }

  /** Reads the connection id off the SDK's `auth` request (once, right after connect). */
  async learnConnection(): Promise<void> {
    const auth = (await this.target.controlList(
      `/journal?userId=${encodeURIComponent(this.userId)}&command=auth&direction=in`,
    )) as JournalEntry[];
    const last = auth[auth.length - 1];
    if (!last) throw new Error(`the SDK never sent auth for user ${this.userId}`);
    this.#connectionId = last.connectionId;
  }

  /** Injects a fault scoped to this session's connection. */
  async inject(fault: FaultSpec): Promise<void> {
    await this.target.control('POST', '/faults', { ...fault, connectionId: this.connectionId() });
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

export class SdkTarget implements CheckSubject {
  readonly transcript = new Transcript();
  readonly notes: Record<string, string> = {};
  requests = 0;
  readonly #tag = randomBytes(3).toString('hex');
  #users = 0;
  readonly #open = new Set<SdkUnderTest>();
  #shared: SdkUnderTest | undefined;
  #info: SdkInfo | undefined;

  constructor(readonly config: SdkTargetConfig) {}

  async missing(needs: readonly Capability[]): Promise<string | undefined> {
    const lacking = needs.filter((need) => need !== 'sdk');
    return lacking.length === 0 ? undefined : `the SDK runner checks SDK clauses only (needs ${lacking.join(', ')})`;
  }

  replayCommand(token: string): string {
    return `${this.config.command} --replay ${token}`;
  }

  /** Checks wait for SDK calls that may each take up to the SDK timeout, and hang. */
  get timeouts(): { check: number; property: number } {
    return { check: 60_000 + 6 * this.config.timeoutMs, property: 120_000 + 30 * this.config.timeoutMs };
  }

  /** The error type SDK-5 requires: the spec's for Python and TypeScript, else what the driver announced. */
  get documentedErrorType(): string {
    return DEFAULT_ERROR_TYPES[this.#info?.language ?? ''] ?? this.#info?.errorType ?? 'Error';
  }

  /** A new SDK client, connected as a new user with deploy permissions. */
  async session(): Promise<SdkUnderTest> {
    const userId = `sdk-${this.#tag}-${++this.#users}`;
    const key = `KEY-${randomBytes(12).toString('hex')}`;
    await this.control('POST', '/users', {
      userId,
      keys: [key],
      defaultTeam: 'sdk',
      organizations: [
        {
          id: 'sdk',
          name: 'SDK conformance',
          permissions: [],
          teams: [{ id: 'sdk', name: 'SDK', permissions: ['task.control', 'task.monitor'] }],
        },
      ],
    });
    const session = await startSdk(this.config.sdk, { uri: this.config.uri, key, timeoutMs: this.config.timeoutMs });
    const sdk = new SdkUnderTest(this, session, userId, key, `sdk${this.#users}`);
    this.#open.add(sdk);
    this.#info ??= session.info;
    if (!this.notes['sdk']) this.notes['sdk'] = `${session.info.sdk} (${session.info.language})`;
    const connected = await sdk.call('connect');
    if (connected.kind !== 'ok') throw new Error(`connect failed: ${describeOutcome(connected)}`);
    await sdk.learnConnection();
    await sdk.frames(); // the mark moves past the handshake
    return sdk;
  }

  /** A connected session shared by the runs of a property (new after a failure closed it). */
  async shared(): Promise<SdkUnderTest> {
    if (this.#shared?.broken) {
      await this.end(this.#shared);
      this.#shared = undefined;
    }
    this.#shared ??= await this.session();
    return this.#shared;
  }

  async end(sdk: SdkUnderTest): Promise<void> {
    this.#open.delete(sdk);
    await sdk.close();
  }

  /** Every item of a paged control list (control-pages.ts). */
  async controlList(path: string): Promise<unknown[]> {
    return (await readPages(async (page) => ({ status: 200, body: await this.control('GET', page) }), path)).items;
  }

  /** A control API call; the answer's JSON, or an error with the API's message. */
  async control(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.config.controlUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const json = (await response.json()) as { error?: { message?: string } };
    if (!response.ok) throw new Error(`control ${method} ${path} answered ${response.status}: ${json.error?.message ?? ''}`);
    return json;
  }

  async cleanup(): Promise<void> {
    this.#shared = undefined;
    await Promise.all([...this.#open].map((s) => s.close().catch(() => undefined)));
    this.#open.clear();
  }
}

export function describeOutcome(outcome: SdkOutcome): string {
  const took = `(${outcome.ms.toFixed(0)} ms)`;
  if (outcome.kind === 'ok') return `returned ${JSON.stringify(outcome.result) ?? 'undefined'} ${took}`;
  if (outcome.kind === 'error') return `raised ${outcome.types.join(' < ')}: ${JSON.stringify(outcome.message)} ${took}`;
  return `did not return within ${outcome.ms.toFixed(0)} ms (a hang)`;
}

let shared: SdkTarget | undefined;

/** This check file's SDK target. */
export function sdkTarget(): SdkTarget {
  if (!shared) {
    const t = new SdkTarget(inject('sdkConformance'));
    shared = t;
    afterAll(() => t.cleanup(), 60_000);
  }
  return shared;
}

export const { check, property } = defineChecks(sdkTarget);
export { DriverError };

/** A journal entry read over HTTP, with its frame's text parsed as `message` (null when it is not a JSON object). */
export function withMessage(entry: JournalEntry): JournalEntryWithMessage {
  let message: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = JSON.parse(entry.text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) message = parsed as Record<string, unknown>;
  } catch {
    // not JSON: message stays null
  }
  return { ...entry, message };
}
