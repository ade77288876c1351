/**
 * What counts as a good reply. The mock must answer with a successful DAP response to the
 * right request; so must the echo server, which replays the mock's replies (bench/replay.ts).
 */

export interface SentRequest {
  readonly seq: number;
  readonly command: string;
}

export interface ReplyRule {
  /** The request a reply belongs to (replies are matched by seq, not by arrival order). */
  requestSeqOf(reply: Record<string, unknown>): unknown;
  /** Why `reply` is not a good answer to `sent`; undefined when it is. */
  problem(reply: Record<string, unknown>, sent: SentRequest): string | undefined;
}

/** wire.md: `type: response`, numeric `request_seq`, echoed `command`, `success: true`. */
export const dapResponse: ReplyRule = {
  requestSeqOf: (reply) => reply['request_seq'],
  problem(reply, sent) {
    if (reply['type'] !== 'response') return `expected a response, got type ${JSON.stringify(reply['type'])}`;
    if (reply['command'] !== sent.command) return `command ${JSON.stringify(reply['command'])} for ${sent.command}`;
    if (reply['success'] !== true) return `${sent.command} failed: ${String(reply['message'])}`;
    return undefined;
  },
};
