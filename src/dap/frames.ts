/**
 * Decoding of incoming DAP frames (WIRE-1, WIRE-9). A frame is decoded into a request, a
 * request that can be answered only with an error (its `seq` is readable but something else
 * is wrong), or nothing at all (no readable `seq`: the frame is dropped, as the real server does).
 */

import { scanNesting } from './nesting.js';

/**
 * A frame's top-level `command` and `type` when it is a JSON object with a string there, else
 * null: what the journal shows of every frame, read here once as the frame is decoded.
 */
export interface FrameHeading {
  readonly command: string | null;
  readonly type: string | null;
}

/** A well-formed request. */
export interface DapRequest {
  readonly kind: 'request';
  readonly heading: FrameHeading;
  readonly seq: number;
  readonly command: string;
  readonly arguments: Record<string, unknown>;
}

/** A frame whose `seq` is readable but which is not a valid request. */
export interface BadRequest {
  readonly kind: 'bad';
  readonly heading: FrameHeading;
  readonly seq: number;
  readonly command: string;
  readonly message: string;
}

export interface DroppedFrame {
  readonly kind: 'drop';
  readonly heading: FrameHeading;
  readonly reason: string;
}

export type DecodedFrame = DapRequest | BadRequest | DroppedFrame;

const NEWLINE = 0x0a;

/**
 * Nesting of arrays and objects past which a frame's content is not parsed but read as `null`
 * (nesting.ts: it keeps a frame of brackets from holding the server in JSON.parse). A request
 * needs three levels around a pipeline, which may nest MAX_PIPELINE_DEPTH (1000) levels, so no
 * valid request reaches it. An invalid one gets the same outcome as if parsed whole: a pipeline
 * cut here is still too deep, an argument no command reads is ignored either way, and a cut
 * schedule is still not a string (its error quotes the value clipped, with the cut part as null).
 */
export const MAX_FRAME_DEPTH = 4096;

/** A frame's JSON header as text, and for a binary frame the raw payload after its `\n`. */
export interface SplitFrame {
  readonly header: string;
  readonly payload?: Uint8Array;
}

// ignoreBOM: a leading U+FEFF stays in the text, as Buffer's decoding keeps it (then JSON.parse refuses it alike in every door).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** UTF-8 text of bytes, invalid sequences replaced; Node's Buffer decodes fastest, so it goes first. */
function textOf(bytes: Uint8Array): string {
  return typeof Buffer !== 'undefined' && Buffer.isBuffer(bytes) ? bytes.toString('utf8') : utf8.decode(bytes);
}

/**
 * Splits one WebSocket message. A binary frame is a UTF-8 JSON header, optionally followed by
 * `\n` and a raw payload that becomes `arguments.data`; without `\n` it is plain JSON.
 */
export function splitFrame(data: Uint8Array | string, isBinary: boolean): SplitFrame {
  if (typeof data === 'string') return { header: data };
  if (isBinary) {
    const split = data.indexOf(NEWLINE);
    if (split >= 0) return { header: textOf(data.subarray(0, split)), payload: data.subarray(split + 1) };
  }
  return { header: textOf(data) };
}

/** Decodes one WebSocket message (bytes, or text as a browser-style WebSocket hands it over). */
export function decodeFrame(data: Uint8Array | string, isBinary: boolean): DecodedFrame {
  const { header, payload } = splitFrame(data, isBinary);
  return decodeSplitFrame(header, payload);
}

/** Decodes a frame already split into its header text and payload. */
export function decodeSplitFrame(header: string, payload?: Uint8Array): DecodedFrame {
  const nesting = scanNesting(header, MAX_FRAME_DEPTH);
  if (nesting.kind === 'invalid') return NOT_JSON;
  let message: unknown;
  try {
    message = JSON.parse(nesting.kind === 'deeper' ? nesting.shallow : header);
  } catch {
    return NOT_JSON;
  }
  return decodeMessage(message, payload);
}

const NO_HEADING: FrameHeading = { command: null, type: null };
const NOT_JSON: DroppedFrame = { kind: 'drop', heading: NO_HEADING, reason: 'not JSON' };

/** Validates a parsed JSON value as a request envelope. */
function decodeMessage(message: unknown, payload?: Uint8Array): DecodedFrame {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { kind: 'drop', heading: NO_HEADING, reason: 'not a JSON object' };
  }
  const m = message as Record<string, unknown>;
  const heading: FrameHeading = { command: stringOrNull(m['command']), type: stringOrNull(m['type']) };
  const seq = m['seq'];
  // JSON can spell an infinite number (1e400); it could not be echoed as a number, so it is unreadable.
  if (typeof seq !== 'number' || !Number.isFinite(seq)) return { kind: 'drop', heading, reason: "no numeric 'seq'" };
  const command = m['command'];
  if (typeof command !== 'string' || command === '') {
    return bad(heading, seq, typeof command === 'string' ? command : '', "'command' must be a non-empty string");
  }
  if (m['type'] !== 'request') return bad(heading, seq, command, `'type' must be "request"`);
  const args = m['arguments'];
  if (args !== undefined && args !== null && (typeof args !== 'object' || Array.isArray(args))) {
    return bad(heading, seq, command, "'arguments' must be an object");
  }
  const decodedArgs = (args ?? {}) as Record<string, unknown>;
  if (payload !== undefined) decodedArgs['data'] = payload;
  return { kind: 'request', heading, seq, command, arguments: decodedArgs };
}

function bad(heading: FrameHeading, seq: number, command: string, problem: string): BadRequest {
  return { kind: 'bad', heading, seq, command, message: `Invalid request: ${problem}` };
}

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);
