/**
 * What the spec says the server must do with one frame (semantics.md WIRE-1..9, DEP-*), written
 * from the spec and not from src/dap/frames.ts, so the fuzzer checks the server rather than
 * repeating it:
 * - a frame over the limit closes the connection with 1009 (WIRE-9);
 * - a text frame is one JSON document; a binary frame is a JSON header up to its first `\n`
 *   (the rest is payload), or all JSON when it has none (WIRE-1);
 * - a frame whose JSON is an object with a finite numeric `seq` gets exactly one response with
 *   that `request_seq` (WIRE-2, WIRE-9); anything else is dropped, unanswered;
 * - an answered frame that is not a valid request (command not a non-empty string, type not
 *   "request", arguments not an object) fails; an unknown command fails naming it (WIRE-8);
 *   `rrext_ping`, `rrext_public_probe` and `rrext_deploy_list` succeed for a permitted,
 *   authenticated user (WIRE-7, DEP-LIST-1); deploy commands missing what they require fail
 *   (DEP-ADD-2/3, DEP-STATUS-1, DEP-UPD-3, DEP-REM-2).
 */

/** What must happen to one frame on an authenticated connection. */
export type FrameExpectation =
  | { readonly kind: 'oversized' }
  | { readonly kind: 'dropped'; readonly why: string }
  /** Touches `auth`/`deauth` (changes the connection's state): the fuzzer does not send it. */
  | { readonly kind: 'excluded' }
  | {
      readonly kind: 'answered';
      readonly seq: number;
      /** The command the response must echo, when the request had a string one. */
      readonly command: string | undefined;
      readonly outcome: 'fail' | 'succeed' | 'either';
      /** Why the outcome is what it is (for reports). */
      readonly why: string;
      /** Text the failure message must contain (WIRE-8 names the unknown command). */
      readonly mentions?: string;
    };

/** Every command the server serves. */
export const KNOWN_COMMANDS = [
  'auth',
  'deauth',
  'rrext_ping',
  'rrext_public_probe',
  'rrext_deploy_add',
  'rrext_deploy_remove',
  'rrext_deploy_list',
  'rrext_deploy_status',
  'rrext_deploy_update',
] as const;
const KNOWN = new Set<string>(KNOWN_COMMANDS);

const NEWLINE = 0x0a;

/** The JSON text of a frame: a binary frame's header stops before its first `\n`. */
export function headerText(bytes: Buffer, binary: boolean): string {
  const end = binary ? bytes.indexOf(NEWLINE) : -1;
  return (end < 0 ? bytes : bytes.subarray(0, end)).toString('utf8');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** The expectation for one frame sent on an authenticated connection of a user with every deploy permission. */
export function expectationFor(bytes: Buffer, binary: boolean, frameLimit: number): FrameExpectation {
  if (bytes.length > frameLimit) return { kind: 'oversized' };
  let message: unknown;
  try {
    message = JSON.parse(headerText(bytes, binary));
  } catch {
    return { kind: 'dropped', why: 'not JSON' };
  }
  if (!isObject(message)) return { kind: 'dropped', why: 'not a JSON object' };
  const { seq, command, type } = message;
  if (typeof seq !== 'number' || !Number.isFinite(seq)) return { kind: 'dropped', why: 'no readable seq' };
  if (command === 'auth' || command === 'deauth') return { kind: 'excluded' };
  const echoed = typeof command === 'string' ? command : undefined;
  const answer = (outcome: 'fail' | 'succeed' | 'either', why: string, mentions?: string): FrameExpectation => ({
    kind: 'answered',
    seq,
    command: echoed,
    outcome,
    why,
    ...(mentions !== undefined && { mentions }),
  });

  if (!isNonEmptyString(command)) return answer('fail', 'command is not a non-empty string');
  if (type !== 'request') return answer('fail', 'type is not "request"');
  const args = message['arguments'];
  // The spec does not say whether `arguments: null` means "none": either answer is conformant.
  if (args === null) return answer('either', 'arguments is null');
  if (args !== undefined && !isObject(args)) return answer('fail', 'arguments is not an object');
  const a = args ?? {};

  if (!KNOWN.has(command)) return answer('fail', 'unknown command', command);
  switch (command) {
    case 'rrext_ping':
    case 'rrext_public_probe':
    case 'rrext_deploy_list':
      return answer('succeed', 'served to any permitted user');
    case 'rrext_deploy_add': {
      const pipeline = a['pipeline'];
      if (!isObject(pipeline)) return answer('fail', 'pipeline is not an object');
      if (!isNonEmptyString(pipeline['project_id'])) return answer('fail', 'pipeline.project_id is not a non-empty string');
      return answer('either', 'add of a well-formed pipeline');
    }
    default:
      // status, update, remove: all need a projectId first.
      if (!isNonEmptyString(a['projectId'])) return answer('fail', 'projectId is not a non-empty string');
      return answer('either', `${command} of a well-formed id`);
  }
}
