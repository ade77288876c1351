/**
 * The request mix: per client, an endless cycle add -> status -> list -> update -> remove over
 * its own project ids. Every step is valid in the state the previous ones leave (the server
 * handles one connection's frames in order, even when pipelined), and each client has at most
 * one live deployment, so `list` (same user for all clients) returns at most `clients` records.
 */

export interface Step {
  readonly command: string;
  /** Omitted for `list`, as the TypeScript SDK does. */
  readonly arguments?: Record<string, unknown>;
  /** The cycle's last step: after it, this client has no live deployment. */
  readonly endsCycle: boolean;
}

/** Endless steps for one client. `tag` keeps ids unique across rows sharing a server. */
export function* deployCycle(tag: string, client: number): Generator<Step, never> {
  for (let n = 0; ; n++) {
    const projectId = `bench-${tag}-c${client}-${n}`;
    yield { command: 'rrext_deploy_add', arguments: { pipeline: samplePipeline(projectId) }, endsCycle: false };
    yield { command: 'rrext_deploy_status', arguments: { projectId }, endsCycle: false };
    yield { command: 'rrext_deploy_list', endsCycle: false };
    yield { command: 'rrext_deploy_update', arguments: { projectId, schedule: '@hourly' }, endsCycle: false };
    yield { command: 'rrext_deploy_remove', arguments: { projectId }, endsCycle: true };
  }
}

/** A small but realistic pipeline document (~300 bytes), as an SDK user would deploy. */
function samplePipeline(projectId: string): Record<string, unknown> {
  return {
    project_id: projectId,
    name: `Bench pipeline ${projectId}`,
    source: 'webhook_1',
    components: [
      { id: 'webhook_1', provider: 'webhook', config: { mode: 'Source', type: 'webhook' } },
      { id: 'parse_1', provider: 'parse', config: {}, input: [{ lane: 'tags', from: 'webhook_1' }] },
      { id: 'response_1', provider: 'response', config: {}, input: [{ lane: 'text', from: 'parse_1' }] },
    ],
  };
}

/** The DAP request frame for a step; both servers receive exactly these bytes. */
export function requestFrame(seq: number, command: string, args?: Record<string, unknown>): string {
  return JSON.stringify(args === undefined ? { type: 'request', seq, command } : { type: 'request', seq, command, arguments: args });
}
