/**
 * The frame fuzzer (issue 7): seeded batches of hostile frames (frame-generators.ts) pipelined
 * over real connections, each batch followed by a sentinel `rrext_ping`, while honest users
 * run a deploy workload on other connections (frame-honest.ts). Checked throughout:
 * - the server never crashes (it runs in a child process; an exit is counted, reported with
 *   the batches in flight, and the server restarted, so a long run counts crashes);
 * - every frame with a readable `seq` gets exactly one well-formed response, kept to what the
 *   spec promises for it (oracle.ts); dropped frames get none; an oversized frame closes the
 *   connection with 1009 after the frames before it are answered;
 * - no answer to the fuzz carries a path, a stack frame, or an honest user's data;
 * - every honest answer is what the honest user's model says, and at the end each honest
 *   user's `list` equals its model.
 * Every violation names the seed and batch, and how to replay it (`replayFrameBatch`).
 */
import { startFuzzChild, type FuzzChild } from './frame-child.js';
import { FrameClient } from './frame-client.js';
import { frameBatch, type FrameShape, type FuzzFrame } from './frame-generators.js';
import { HonestUser, type HonestIdentity } from './frame-honest.js';
import { expectationFor, headerText, type FrameExpectation } from './oracle.js';
import {
  clip,
  foreignData,
  parseReply,
  pathLeaks,
  replyProblems,
  saidBy,
  seqKey,
  serverWrittenText,
  type Reply,
} from './oracle-replies.js';

export interface FrameFuzzOptions {
  /** Fuzz frames to send (sentinels, auth and honest traffic not counted). */
  readonly frames: number;
  /** Seeds every batch (batch `i` is `frameBatch(seed, i, ...)`) and the honest workload. */
  readonly seed: number;
  /**
   * A running server to fuzz instead of a child process of our own. It must serve the control
   * API (users are added through it). Crashes cannot be seen as exits there: a server that
   * stops answering ends the run with a violation.
   */
  readonly url?: string;
  /** The control token of the server at `url`, if it needs one. */
  readonly controlToken?: string;
  /**
   * The server's frame limit in bytes. Default: 65536 for our own child (started with
   * `--max-frame-bytes`, so oversized frames are cheap); for `url`, give the server's limit
   * (its default is 16 MiB).
   */
  readonly frameLimit?: number;
  /** Frames per batch, before its sentinel. Default 200. */
  readonly batchSize?: number;
  /** Fuzz connections running batches at once. Default 2. */
  readonly connections?: number;
  /** Honest users running a deploy workload beside the fuzz. Default 2. */
  readonly honestUsers?: number;
  /** How long to wait for a response before calling the server hung. Default 30 s. */
  readonly replyTimeoutMs?: number;
  /** Called every `progressEveryMs` (default 5 s) while the run lasts. */
  readonly onProgress?: (progress: FrameFuzzProgress) => void;
  readonly progressEveryMs?: number;
  /** The run stops after this many crashes (a server that crashes on start-up would loop). Default 25. */
  readonly maxCrashes?: number;
  /** The first batch index (a replay starts at the batch it replays). Default 0. */
  readonly firstBatch?: number;
  /** Told each time a server child starts (its pid): tools and tests watch or kill it. */
  readonly onServerStart?: (pid: number) => void;
}

export interface FrameFuzzProgress {
  readonly frames: number;
  readonly seconds: number;
  readonly framesPerSecond: number;
  readonly crashes: number;
  readonly violations: number;
  readonly honestRequests: number;
}

export interface FrameFuzzSummary {
  readonly seed: number;
  /** Fuzz frames sent. */
  readonly frames: number;
  readonly seconds: number;
  readonly framesPerSecond: number;
  readonly batches: number;
  /** Server process exits (each reported in `crashReports`). */
  readonly crashes: number;
  readonly crashReports: readonly string[];
  /** The first violations found (each with seed, batch and how to replay); `violationCount` counts all. */
  readonly violations: readonly string[];
  readonly violationCount: number;
  /** Frames answered, dropped unanswered, and oversized (connection closed with 1009). */
  readonly answered: number;
  readonly dropped: number;
  readonly oversized: number;
  readonly honestRequests: number;
  readonly frameLimit: number;
  readonly batchSize: number;
}

const DEFAULT_CHILD_FRAME_LIMIT = 64 * 1024;
const SERVER_DEFAULT_FRAME_LIMIT = 16 * 1024 * 1024;
const KEPT_VIOLATIONS = 100;
/** The fuzz user holds at most this many deployments (the server refuses more: that path is fuzzed too). */
const FUZZ_DEPLOYMENT_CAP = 256;
/** Every this many batches a fuzz connection removes its user's deployments, so `list` answers stay small. */
const CLEANUP_EVERY = 25;
/** How long a closed connection waits for the child's exit before calling it a close, not a crash. */
const EXIT_GRACE_MS = 1_500;

/** The users of one run: the fuzz user and the honest ones, with ids no earlier run used. */
interface Cast {
  readonly fuzz: { userId: string; key: string };
  readonly honest: readonly HonestIdentity[];
  /** What no fuzz answer may contain: every honest user's marker. */
  readonly honestMarkers: readonly string[];
}

function castFor(seed: number, honestUsers: number): Cast {
  const tag = `${(seed >>> 0).toString(36)}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const honest = Array.from({ length: honestUsers }, (_, i) => {
    const marker = `hzq${tag}_${String.fromCharCode(97 + i)}`;
    return { userId: `${marker}-user`, key: `${marker}-KEY`, marker };
  });
  return { fuzz: { userId: `fuzzer-${tag}`, key: `FUZZKEY-${tag}` }, honest, honestMarkers: honest.map((h) => h.marker) };
}

function userSpec(userId: string, key: string): unknown {
  return {
    userId,
    keys: [key],
    displayName: userId,
    defaultTeam: 'team',
    organizations: [
      { id: 'org', name: 'Org', permissions: [], teams: [{ id: 'team', name: 'Team', permissions: ['task.control', 'task.monitor'] }] },
    ],
  };
}

/** One server life: a child we started (or the given url), and the connections on it. */
interface Generation {
  readonly url: string;
  readonly child: FuzzChild | undefined;
  /** The server is gone (crashed, or killed as hung): workers stop. */
  dead: boolean;
  /** The run ends this generation on purpose (its exit is no crash). */
  ending: boolean;
  /** The batch each fuzz connection has in flight. */
  readonly inFlight: Map<number, { batch: number; size: number }>;
}

/** A fuzz connection: authenticated as the fuzz user; `serverSeq` is the last response seq seen. */
interface FuzzConnection {
  readonly client: FrameClient;
  serverSeq: number;
}

type BatchEnd = 'ok' | 'reopen' | 'dead';

/**
 * Runs the fuzzer and resolves with its summary; it never throws for what the server does
 * (that is reported), only when it cannot start (no dist/ build, no server at `url`).
 */
export async function fuzzFrames(options: FrameFuzzOptions): Promise<FrameFuzzSummary> {
  const seed = options.seed | 0;
  const frameLimit = options.frameLimit ?? (options.url ? SERVER_DEFAULT_FRAME_LIMIT : DEFAULT_CHILD_FRAME_LIMIT);
  const batchSize = options.batchSize ?? 200;
  const connections = options.connections ?? 2;
  const replyTimeoutMs = options.replyTimeoutMs ?? 30_000;
  const maxCrashes = options.maxCrashes ?? 25;
  const shape: FrameShape = { frameLimit };
  const cast = castFor(seed, options.honestUsers ?? 2);

  const started = performance.now();
  let nextBatch = options.firstBatch ?? 0;
  let claimed = 0;
  let sent = 0;
  let batches = 0;
  let answered = 0;
  let dropped = 0;
  let oversized = 0;
  let crashes = 0;
  let honestBefore = 0;
  let sentinelSeq = 2 ** 40;
  const crashReports: string[] = [];
  const violations: string[] = [];
  let violationCount = 0;
  const honestUsers = cast.honest.map(
    (identity, i) => new HonestUser(identity, [cast.fuzz.userId, ...cast.honestMarkers.filter((m) => m !== identity.marker)], seed + i + 1),
  );

  const seconds = () => (performance.now() - started) / 1000;
  const honestRequests = () => honestBefore + honestUsers.reduce((n, u) => n + u.requests, 0);
  const progress = (): FrameFuzzProgress => ({
    frames: sent,
    seconds: seconds(),
    framesPerSecond: sent / Math.max(seconds(), 1e-3),
    crashes,
    violations: violationCount,
    honestRequests: honestRequests(),
  });
  const replay = (batch: number, size: number) =>
    `replay: replayFrameBatch({ seed: ${seed}, batch: ${batch}, batchSize: ${size}, frameLimit: ${frameLimit} }) from fuzz/frame-fuzz.ts`;
  const violation = (text: string) => {
    violationCount += 1;
    if (violations.length < KEPT_VIOLATIONS) violations.push(text);
  };
  const batchViolation = (batch: number, size: number, problem: string) =>
    violation(`[seed ${seed}, batch ${batch}] ${problem}; ${replay(batch, size)}`);

  const controlCall = async (gen: Generation, path: string, body: unknown) => {
    const base = new URL(gen.url);
    base.protocol = base.protocol === 'wss:' ? 'https:' : 'http:';
    const response = await fetch(new URL(`/control/${path}`, base), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(options.controlToken && { authorization: `Bearer ${options.controlToken}` }) },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`control API ${path} answered ${response.status}: ${await response.text()}`);
  };

  /** Starts a server life: the child (unless `url`), the users, and the crash watch. */
  const openGeneration = async (): Promise<Generation> => {
    const child = options.url
      ? undefined
      : await startFuzzChild([
          '--clock',
          'fake',
          '--max-frame-bytes',
          String(frameLimit),
          '--max-deployments-per-user',
          String(FUZZ_DEPLOYMENT_CAP),
        ]);
    const gen: Generation = { url: options.url ?? child!.url, child, dead: false, ending: false, inFlight: new Map() };
    if (child) options.onServerStart?.(child.pid);
    void child?.exited.then((exit) => {
      if (gen.ending) return;
      gen.dead = true;
      crashes += 1;
      const batchesInFlight =
        [...gen.inFlight.values()].map((b) => `batch ${b.batch} (${replay(b.batch, b.size)})`).join('; ') || 'no batch (between batches)';
      crashReports.push(
        `[seed ${seed}] the server exited (code ${exit.code}, signal ${exit.signal}) with ${batchesInFlight} in flight; its stderr ended with:\n${child.stderrTail().slice(-2000)}`,
      );
    });
    for (const user of [{ userId: cast.fuzz.userId, key: cast.fuzz.key }, ...cast.honest]) {
      try {
        await controlCall(gen, 'users', userSpec(user.userId, user.key));
      } catch (error) {
        // A crash right after start-up is counted like any other; the workers find the server gone.
        if (await serverGone(gen)) return gen;
        throw error;
      }
    }
    return gen;
  };

  /** Whether the server is gone: the generation is dead, or our child exits within a grace period. */
  const serverGone = async (gen: Generation): Promise<boolean> => {
    if (gen.dead) return true;
    if (gen.child) await Promise.race([gen.child.exited, new Promise((r) => setTimeout(r, EXIT_GRACE_MS))]);
    return gen.dead || gen.child?.hasExited() === true;
  };

  const openFuzzConnection = async (gen: Generation): Promise<FuzzConnection | undefined> => {
    let client: FrameClient;
    try {
      client = await FrameClient.open(gen.url);
    } catch (error) {
      if (!(await serverGone(gen))) {
        violation(`[seed ${seed}] cannot open a connection: ${String(error)}`);
        gen.dead = true;
      }
      return undefined;
    }
    client.send(JSON.stringify({ type: 'request', seq: 1, command: 'auth', arguments: { auth: cast.fuzz.key } }), false);
    const next = await client.next(replyTimeoutMs);
    if (!('text' in next)) {
      if (!(await serverGone(gen))) violation(`[seed ${seed}] the fuzz user's auth got no answer: ${JSON.stringify(next)}`);
      return undefined;
    }
    const { reply, problems } = parseReply(next.text, 1);
    if (reply?.success !== true || problems.length > 0) {
      violation(`[seed ${seed}] the fuzz user's auth failed: ${clip(next.text)} ${problems.join('; ')}`);
      gen.dead = true;
      return undefined;
    }
    return { client, serverSeq: 1 };
  };

  /** What a successful answer to the fuzz may hold: only the fuzz user's own records. */
  const bodyProblems = (reply: Reply): string[] => {
    if (reply.success !== true) return [];
    const body = reply.body as Record<string, unknown>;
    const records = reply.command === 'rrext_deploy_list' ? body['deployments'] : 'pipeline' in body ? [body] : [];
    if (!Array.isArray(records)) return [`a list answer without a deployments array: ${clip(JSON.stringify(body))}`];
    return records
      .filter((r) => (r as { userId?: unknown })?.userId !== cast.fuzz.userId)
      .map((r) => `a record not the fuzz user's: ${clip(JSON.stringify(r))}`);
  };

  const frameInfo = (frames: readonly FuzzFrame[], index: number): string => {
    const f = frames[index]!;
    return `frame #${index} (${f.kind}, ${f.binary ? 'binary' : 'text'}, ${f.bytes.length} B: ${clip(JSON.stringify(f.bytes.toString('utf8')), 160)})`;
  };

  /** Sends one batch and its sentinel, and checks every answer. */
  const runBatch = async (
    gen: Generation,
    conn: FuzzConnection,
    frames: readonly FuzzFrame[],
    batch: number,
    size: number,
  ): Promise<BatchEnd> => {
    const fail = (problem: string) => batchViolation(batch, size, problem);
    const expected = new Map<string, Array<{ exp: Extract<FrameExpectation, { kind: 'answered' }>; index: number }>>();
    let pending = 0;
    let closing = false;
    // What the batch said, for answers that match no request (rare: only then is it computed).
    const saidByBatch = (token: string) => frames.some((f) => saidBy(headerText(f.bytes, f.binary))(token));
    for (const [index, frame] of frames.entries()) {
      const exp = expectationFor(frame.bytes, frame.binary, frameLimit);
      if (exp.kind === 'excluded') continue;
      conn.client.send(frame.bytes, frame.binary);
      sent += 1;
      if (exp.kind === 'dropped') dropped += 1;
      else if (exp.kind === 'answered') {
        const key = seqKey(exp.seq);
        expected.set(key, [...(expected.get(key) ?? []), { exp, index }]);
        pending += 1;
      } else {
        oversized += 1;
        closing = true;
        break;
      }
    }
    let sentinel: string | undefined;
    if (!closing) {
      while (expected.has(seqKey(++sentinelSeq)));
      sentinel = seqKey(sentinelSeq);
      conn.client.send(JSON.stringify({ type: 'request', seq: sentinelSeq, command: 'rrext_ping' }), false);
    }

    for (;;) {
      const next = await conn.client.next(replyTimeoutMs);
      if ('timeout' in next) {
        fail(`no answer within ${replyTimeoutMs} ms (${pending} pending): the server hangs`);
        gen.dead = true;
        if (gen.child) {
          gen.ending = true; // killed on purpose: reported as a hang, not counted as a crash
          await gen.child.kill();
        }
        return 'dead';
      }
      if ('closed' in next) {
        if (await serverGone(gen)) return 'dead';
        if (closing && next.closed.code !== 1009) fail(`an oversized frame closed the connection with ${next.closed.code}, not 1009`);
        if (!closing) fail(`the connection closed (${next.closed.code} ${clip(next.closed.reason)}) with no oversized frame sent`);
        for (const waiting of expected.values())
          for (const { index } of waiting) fail(`no answer to ${frameInfo(frames, index)} before the close`);
        return 'reopen';
      }
      const { reply, problems } = parseReply(next.text, ++conn.serverSeq);
      for (const p of problems) fail(`${p} in ${clip(next.text)}`);
      if (!reply) continue;
      const key = typeof reply.request_seq === 'number' ? seqKey(reply.request_seq) : String(reply.request_seq);
      if (key === sentinel) {
        if (reply.success !== true) fail(`the sentinel rrext_ping failed: ${clip(next.text)}`);
        for (const waiting of expected.values()) for (const { index } of waiting) fail(`no answer to ${frameInfo(frames, index)}`);
        return 'ok';
      }
      const match = expected.get(key)?.shift();
      const frame = match && frames[match.index]!;
      const said = frame ? saidBy(headerText(frame.bytes, frame.binary)) : saidByBatch;
      for (const leak of [...pathLeaks(serverWrittenText(reply), said), ...foreignData(next.text, said, cast.honestMarkers)])
        fail(`leak: ${leak}`);
      if (!match) {
        fail(`an answer to no request of the batch (or a second one): ${clip(next.text)}`);
        continue;
      }
      pending -= 1;
      answered += 1;
      if (expected.get(key)!.length === 0) expected.delete(key);
      for (const p of [...replyProblems(reply, match.exp), ...bodyProblems(reply)])
        fail(`${p}; answering ${frameInfo(frames, match.index)}: ${clip(next.text)}`);
    }
  };

  /**
   * Removes the fuzz user's deployments (other fuzz connections may race it, so outcomes are
   * not judged; envelopes are).
   */
  const cleanup = async (gen: Generation, conn: FuzzConnection): Promise<BatchEnd> => {
    const call = async (command: string, args: object): Promise<Reply | BatchEnd> => {
      const seq = ++sentinelSeq;
      conn.client.send(JSON.stringify({ type: 'request', seq, command, arguments: args }), false);
      const next = await conn.client.next(replyTimeoutMs);
      if (!('text' in next)) return (await serverGone(gen)) ? 'dead' : 'reopen';
      const { reply, problems } = parseReply(next.text, ++conn.serverSeq);
      for (const p of problems) violation(`[seed ${seed}] cleanup ${command}: ${p}`);
      if (reply && reply.request_seq !== seq)
        violation(`[seed ${seed}] cleanup ${command}: request_seq ${String(reply.request_seq)}, expected ${seq}`);
      return reply ?? 'reopen';
    };
    const list = await call('rrext_deploy_list', {});
    if (typeof list === 'string') return list;
    const deployments = (list.body as { deployments?: Array<{ pipeline?: { project_id?: unknown } }> } | undefined)?.deployments ?? [];
    for (const d of deployments) {
      const id = d?.pipeline?.project_id;
      if (typeof id !== 'string') continue;
      const removed = await call('rrext_deploy_remove', { projectId: id });
      if (typeof removed === 'string') return removed;
    }
    return 'ok';
  };

  const fuzzWorker = async (gen: Generation, worker: number): Promise<void> => {
    let conn = await openFuzzConnection(gen);
    let done = 0;
    while (conn && !gen.dead && claimed < options.frames) {
      const batch = nextBatch++;
      const size = Math.min(batchSize, options.frames - claimed);
      const frames = frameBatch(seed, batch, shape, size);
      // A batch may hold a frame more (an oversized last one) or fewer (chance-oversized ones left out).
      claimed += frames.length;
      gen.inFlight.set(worker, { batch, size });
      let end = await runBatch(gen, conn, frames, batch, size);
      batches += 1;
      if (end === 'ok' && ++done % CLEANUP_EVERY === 0) end = await cleanup(gen, conn);
      gen.inFlight.delete(worker);
      if (end === 'dead') return;
      if (end === 'reopen') {
        conn.client.terminate();
        conn = await openFuzzConnection(gen);
      }
    }
    conn?.client.close();
  };

  /** Runs one honest user until the generation ends; problems seen after a crash are not its fault. */
  const honestWorker = async (gen: Generation, user: HonestUser): Promise<void> => {
    const report = async (problems: string[]) => {
      if (problems.length > 0 && !(await serverGone(gen))) for (const p of problems) violation(`[seed ${seed}] ${p}`);
    };
    try {
      await report(await user.connect(gen.url));
    } catch (error) {
      await report([`honest user ${user.identity.userId} cannot connect: ${String(error)}`]);
      return;
    }
    while (!gen.dead && !gen.ending) {
      const problems = await user.step();
      await report(problems);
      // A broken connection would fail every step: stop at the first problem of this kind.
      if (problems.some((p) => p.includes('connection closed') || p.includes('no answer within'))) return;
    }
  };

  const timer = options.onProgress ? setInterval(() => options.onProgress!(progress()), options.progressEveryMs ?? 5_000) : undefined;
  timer?.unref();
  try {
    while (sent < options.frames && claimed < options.frames && crashes < maxCrashes) {
      const sentBefore = sent;
      const gen = await openGeneration();
      const honest = honestUsers.map((user) => honestWorker(gen, user));
      await Promise.all(Array.from({ length: connections }, (_, w) => fuzzWorker(gen, w)));
      gen.ending = gen.ending || !gen.dead;
      await Promise.all(honest);
      if (!gen.dead) {
        // The fuzz changed nothing it should not: each honest user's deployments are its model's.
        for (const user of honestUsers) for (const p of await user.checkList()) violation(`[seed ${seed}] at the end: ${p}`);
      }
      for (const user of honestUsers) user.close();
      gen.ending = true;
      await gen.child?.stop();
      honestBefore += honestUsers.reduce((n, u) => n + u.requests, 0);
      for (const user of honestUsers) user.requests = 0;
      // A given url cannot be restarted; a dead one ends the run. So does a server life that
      // sent nothing (its fuzz user could not even authenticate): another would do the same.
      if (gen.dead && (options.url || sent === sentBefore)) break;
      // Claimed but unsent frames of a dead generation are claimed again by the next one.
      if (gen.dead) claimed = sent;
    }
  } finally {
    if (timer) clearInterval(timer);
  }
  const s = seconds();
  return {
    seed,
    frames: sent,
    seconds: s,
    framesPerSecond: sent / Math.max(s, 1e-3),
    batches,
    crashes,
    crashReports,
    violations,
    violationCount,
    answered,
    dropped,
    oversized,
    honestRequests: honestRequests(),
    frameLimit,
    batchSize,
  };
}

/**
 * Replays one batch of a run: the same frames (from the seed), on a fresh server of our own
 * (or `url`), one connection, no honest users.
 */
export function replayFrameBatch(options: {
  seed: number;
  batch: number;
  batchSize: number;
  frameLimit: number;
  url?: string;
  controlToken?: string;
}): Promise<FrameFuzzSummary> {
  return fuzzFrames({
    seed: options.seed,
    frames: options.batchSize,
    batchSize: options.batchSize,
    frameLimit: options.frameLimit,
    firstBatch: options.batch,
    connections: 1,
    honestUsers: 0,
    ...(options.url !== undefined && { url: options.url }),
    ...(options.controlToken !== undefined && { controlToken: options.controlToken }),
  });
}
