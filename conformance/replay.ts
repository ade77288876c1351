/**
 * The replay token: one string carrying everything fast-check needs to re-run one failing case
 * exactly (the check, the seed, the path, and for model-based checks the commands' replay path;
 * with seed and path alone a commands property replays zero runs and reports nothing).
 */

export interface ReplaySpec {
  readonly check: string;
  readonly seed: number;
  readonly path: string;
  readonly replayPath?: string;
}

const PREFIX = 'rrdk1.';

export function replayToken(spec: ReplaySpec): string {
  return PREFIX + Buffer.from(JSON.stringify(spec)).toString('base64url');
}

/** Reads a token; throws a message saying what is wrong with it. */
export function parseReplayToken(token: string): ReplaySpec {
  if (!token.startsWith(PREFIX)) throw new Error(`Not a replay token (it starts with '${PREFIX}'): ${token.slice(0, 20)}`);
  let spec: unknown;
  try {
    spec = JSON.parse(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw new Error('The replay token is damaged: copy it whole from the failure report');
  }
  const s = spec as Partial<ReplaySpec>;
  if (typeof s.check !== 'string' || typeof s.seed !== 'number' || typeof s.path !== 'string' || (s.replayPath !== undefined && typeof s.replayPath !== 'string')) {
    throw new Error('The replay token is damaged: copy it whole from the failure report');
  }
  return { check: s.check, seed: s.seed, path: s.path, ...(s.replayPath !== undefined && { replayPath: s.replayPath }) };
}
