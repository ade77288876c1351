/**
 * The server's own CPU per request, without sockets: the same add/status/list/update/remove
 * frames fed straight into one DAP session. Separates what our code costs from what the
 * network and ws cost in the loopback rows.
 */
import { performance } from 'node:perf_hooks';
import { buildDeployCore, type CoreOptions } from '../src/core-build.js';
import { DapSession } from '../src/dap/session.js';
import { deployCycle, requestFrame } from './workload.js';

export interface SessionCostResult {
  readonly requests: number;
  readonly microsPerRequest: number;
  readonly bytesPerReply: number;
}

export async function measureSessionCost(requests: number, options: CoreOptions = {}): Promise<SessionCostResult> {
  const core = buildDeployCore(options);
  let replies = 0;
  let bytes = 0;
  const session = new DapSession(core, {
    send: (text) => {
      replies += 1;
      bytes += text.length;
      if (!text.includes('"success":true')) throw new Error(`a request failed: ${text.slice(0, 200)}`);
    },
    close: () => {
      throw new Error('the session closed the connection');
    },
  });
  session.receive(Buffer.from(requestFrame(0, 'auth', { auth: 'MYAPIKEY' })), false);

  const steps = deployCycle('session', 0);
  const frames = Array.from({ length: requests }, (_, i) => {
    const step = steps.next().value;
    return Buffer.from(requestFrame(i + 1, step.command, step.arguments));
  });
  // One pass to warm the JIT, then the measured pass over the same frames' shape.
  for (const frame of frames.slice(0, requests / 10)) session.receive(frame, false);
  const before = { replies, bytes };
  const started = performance.now();
  for (const frame of frames) session.receive(frame, false);
  const elapsed = performance.now() - started;
  if (replies - before.replies !== requests) throw new Error(`expected ${requests} replies, got ${replies - before.replies}`);
  return { requests, microsPerRequest: (elapsed * 1000) / requests, bytesPerReply: (bytes - before.bytes) / requests };
}
