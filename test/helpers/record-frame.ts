/** Records a text frame in a journal as a session does: with the heading its decoding read. */
import { decodeFrame } from '../../src/dap/frames.js';
import type { FrameJournal } from '../../src/dap/journal.js';

export function recordFrame(
  journal: FrameJournal,
  connectionId: number,
  direction: 'in' | 'out',
  frame: string | Uint8Array,
  payloadBytes: number | undefined,
  userId: string | undefined,
): number {
  return journal.record(connectionId, direction, frame, payloadBytes, userId, decodeFrame(frame, false).heading);
}
