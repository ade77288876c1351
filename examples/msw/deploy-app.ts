/**
 * Example app code: what a web app (or any code on the standard `WebSocket`) might do to
 * schedule a report on RocketRide. It knows nothing of the mock: in a test, msw answers its
 * WebSocket with the mock (browser-style.test.ts); in production, the real server does.
 */

/** A DAP response, as the server sends it. */
interface DapResponse {
  request_seq: number;
  success: boolean;
  body?: Record<string, unknown>;
  message?: string;
}

/**
 * Connects to `url`, authenticates with `apiKey`, adds the deployment `projectId` with
 * `schedule`, and disconnects. Resolves with the record the server stored; rejects with the
 * server's message when it refuses.
 */
export async function scheduleReport(url: string, apiKey: string, projectId: string, schedule: string): Promise<Record<string, unknown>> {
  const socket = new WebSocket(url);
  const pending = new Map<number, (response: DapResponse) => void>();
  let closedWith: string | undefined;
  socket.addEventListener('message', (event) => {
    const response = JSON.parse(String(event.data)) as DapResponse;
    pending.get(response.request_seq)?.(response);
    pending.delete(response.request_seq);
  });
  socket.addEventListener('close', (event) => {
    closedWith = `connection closed (${event.code} ${event.reason})`;
    for (const answer of pending.values()) answer({ request_seq: -1, success: false, message: closedWith });
    pending.clear();
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), { once: true });
  });

  let seq = 0;
  const request = (command: string, args?: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (closedWith) return reject(new Error(closedWith));
      seq += 1;
      pending.set(seq, (response) => (response.success ? resolve(response.body ?? {}) : reject(new Error(response.message))));
      socket.send(JSON.stringify({ type: 'request', seq, command, ...(args && { arguments: args }) }));
    });

  try {
    await request('auth', { auth: apiKey });
    return await request('rrext_deploy_add', { pipeline: { project_id: projectId, source: 'web-app' }, schedule });
  } finally {
    socket.close();
  }
}
