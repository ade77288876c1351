/**
 * Checks of what the server sends back: the response envelope (WIRE-2, wire.md), whether a
 * response keeps its request's promise (oracle.ts), and whether any text leaks a file path,
 * a stack trace or data the asker did not send (DEP-MSG-1, DEP-ISO-1).
 */
import type { FrameExpectation } from './oracle.js';

/** A response as parsed from the wire (every field still to be checked). */
export interface Reply {
  readonly type?: unknown;
  readonly seq?: unknown;
  readonly request_seq?: unknown;
  readonly command?: unknown;
  readonly success?: unknown;
  readonly body?: unknown;
  readonly message?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses one server frame and checks its envelope: single-line JSON, `type: "response"`, `seq`
 * one more than the previous one on the connection, numeric `request_seq`, string `command`,
 * boolean `success`; a success has a `body` object, a failure a non-empty `message` and no body.
 */
export function parseReply(text: string, expectedSeq: number): { reply: Reply | undefined; problems: string[] } {
  const problems: string[] = [];
  if (text.includes('\n')) problems.push('the frame holds a raw newline (the TS SDK drops it)');
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    return { reply: undefined, problems: [...problems, `not JSON: ${clip(text)}`] };
  }
  if (!isObject(reply)) return { reply: undefined, problems: [...problems, `not a JSON object: ${clip(text)}`] };
  const r = reply as Reply;
  if (r.type !== 'response') problems.push(`type is ${JSON.stringify(r.type)}, not "response"`);
  if (r.seq !== expectedSeq) problems.push(`seq is ${JSON.stringify(r.seq)}, expected ${expectedSeq} (one more per message sent)`);
  if (typeof r.request_seq !== 'number') problems.push(`request_seq is ${JSON.stringify(r.request_seq)}, not a number`);
  if (typeof r.command !== 'string') problems.push(`command is ${JSON.stringify(r.command)}, not a string`);
  if (r.success === true) {
    if (!isObject(r.body)) problems.push('a success without a body object');
  } else if (r.success === false) {
    if (typeof r.message !== 'string' || r.message === '') problems.push('a failure without a non-empty message');
    if ('body' in r) problems.push('a failure with a body');
  } else problems.push(`success is ${JSON.stringify(r.success)}, not a boolean`);
  return { reply: r, problems };
}

/** The multiset key of a seq: equal numbers share it (-0 and 0 are one request_seq on the wire). */
export const seqKey = (seq: number): string => String(seq);

/** Whether a response keeps what its request's expectation promised. */
export function replyProblems(reply: Reply, expected: Extract<FrameExpectation, { kind: 'answered' }>): string[] {
  const problems: string[] = [];
  if (expected.command !== undefined && reply.command !== expected.command) {
    problems.push(`command ${JSON.stringify(reply.command)} does not echo ${JSON.stringify(expected.command)}`);
  }
  if (expected.outcome === 'succeed' && reply.success !== true)
    problems.push(`failed (${String(reply.message)}) but must succeed: ${expected.why}`);
  if (expected.outcome === 'fail' && reply.success !== false) problems.push(`succeeded but must fail: ${expected.why}`);
  if (expected.mentions !== undefined && reply.success === false && !String(reply.message).includes(expected.mentions)) {
    problems.push(`the failure does not name ${JSON.stringify(expected.mentions)}: ${clip(String(reply.message))}`);
  }
  return problems;
}

/** One kind of leak, found by a pattern. */
interface LeakPattern {
  readonly name: string;
  readonly pattern: RegExp;
}

/** File paths, storage layout and stack frames: none may reach a client unless the client sent it. */
export const LEAK_PATTERNS: readonly LeakPattern[] = [
  { name: 'a home path', pattern: /\/home\//g },
  { name: 'a temp path', pattern: /\/tmp\//g },
  { name: 'a work path', pattern: /\/work\//g },
  { name: 'node_modules', pattern: /node_modules/g },
  { name: 'a file URL', pattern: /file:\/\//gi },
  // In JSON text a path's backslash is doubled (`C:\\Users`); one backslash before n, t, r, b, f or u
  // is an escape (`problems:\n  userId`), not a folder.
  { name: 'a Windows path', pattern: /[A-Za-z]:(?:\\\\|\\(?![bfnrtu]))[A-Za-z]/g },
  { name: 'a stack frame', pattern: / {4}at /g },
  { name: 'a source position', pattern: /\.[cm]?[jt]s:\d+(?::\d+)?/g },
  { name: 'a .js: reference', pattern: /\.js:/g },
  { name: 'the storage layout', pattern: /users\/[^/\s"]+\/deployments\//g },
];

/**
 * Leaks in `text` (what a client received). `sent` is what that client sent: a match it
 * contains is an echo of the client's own input (`Deployment not found: /tmp/x` for the id
 * `/tmp/x`), not a leak. `sent` may be a test instead of a text (`saidBy`), run only for
 * matches. `forbidden` are tokens of other users' data, never to appear unless sent.
 */
export function findLeaks(text: string, sent: string | ((token: string) => boolean), forbidden: readonly string[] = []): string[] {
  const said = typeof sent === 'string' ? (token: string) => sent.includes(token) : sent;
  return [...pathLeaks(text, said), ...foreignData(text, said, forbidden)];
}

/** File paths, storage layout and stack frames in `text` that the client did not send. */
export function pathLeaks(text: string, said: (token: string) => boolean): string[] {
  const leaks: string[] = [];
  for (const { name, pattern } of LEAK_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      if (!said(match[0])) {
        leaks.push(`${name} (${JSON.stringify(match[0])}) in ${clip(text)}`);
        break;
      }
    }
  }
  return leaks;
}

/** Tokens of other users' data in `text` that the client did not send. */
export function foreignData(text: string, said: (token: string) => boolean, forbidden: readonly string[]): string[] {
  return forbidden
    .filter((token) => text.includes(token) && !said(token))
    .map((token) => `another user's data (${JSON.stringify(token)}) in ${clip(text)}`);
}

/**
 * A reply's text with the pipelines of its records left out: a pipeline is the asker's own
 * stored data, which may hold anything it once sent (a path-like id stored earlier is no leak
 * when listed later). What the server itself writes (messages, fields) stays in.
 */
export function serverWrittenText(reply: Reply): string {
  const body = reply.body;
  if (reply.success !== true || !isObject(body)) return JSON.stringify(reply);
  const strip = (r: unknown) => (isObject(r) && 'pipeline' in r ? { ...r, pipeline: null } : r);
  const stripped = Array.isArray(body['deployments']) ? { ...body, deployments: body['deployments'].map(strip) } : strip(body);
  return JSON.stringify({ ...reply, body: stripped });
}

/**
 * Everything a request said, as text a leak can be compared with: the frame's text, and each
 * string in its JSON both as parsed (escapes undone) and, near the top, as JSON (how an error
 * may quote a value: `Invalid schedule '{"a":1}'`).
 */
export function echoCorpus(header: string): string {
  const parts = [header];
  let value: unknown;
  try {
    value = JSON.parse(header);
  } catch {
    return header;
  }
  // Iterative, with a budget: a frame may nest thousands of levels.
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let budget = 10_000; stack.length > 0 && budget > 0; budget--) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') parts.push(v);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        parts.push(k);
        stack.push([child, depth + 1]);
      }
      if (depth <= 3) {
        try {
          parts.push(JSON.stringify(v));
        } catch {
          // too deep to write: its strings are in the corpus anyway
        }
      }
    }
  }
  return parts.join('\u0000');
}

/**
 * Whether a request's header said `token`: its text first, then (rarely needed, so only
 * then) the corpus of its parsed strings.
 */
export function saidBy(header: string): (token: string) => boolean {
  let corpus: string | undefined;
  return (token) => header.includes(token) || (corpus ??= echoCorpus(header)).includes(token);
}

export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} chars)`;
}
