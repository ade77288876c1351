/**
 * The replay token: one string carrying everything needed to re-run one failing case exactly:
 * the check, the seed, the path (and for model-based checks the commands' replay path: with seed
 * and path alone a commands property replays zero runs and reports nothing), and the run it came
 * from: the target and every option that is not a secret. Keys are never in it; they come from
 * the flags or the RRDK_* variables, as in the run that printed it.
 */

export interface ReplaySpec {
  readonly check: string;
  readonly seed: number;
  readonly path: string;
  readonly replayPath?: string;
  /** The run's target (its DAP URL); absent for the in-process mock. */
  readonly target?: string;
  readonly profile?: string;
  readonly runs?: number;
  /** Requests per second; 0 for unpaced. */
  readonly maxRps?: number;
}

const PREFIX = 'rrdk2.';
const OLD_PREFIX = 'rrdk1.';

export function replayToken(spec: ReplaySpec): string {
  return PREFIX + Buffer.from(JSON.stringify(spec)).toString('base64url');
}

/** Reads a token; throws a message saying what is wrong with it. */
export function parseReplayToken(token: string): ReplaySpec {
  if (token.startsWith(OLD_PREFIX))
    throw new Error(
      'This replay token comes from an older version of the kit, which did not record the target: run the check again and replay the new token',
    );
  if (!token.startsWith(PREFIX)) throw new Error(`Not a replay token (it starts with '${PREFIX}'): ${token.slice(0, 20)}`);
  let spec: unknown;
  try {
    spec = JSON.parse(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw new Error('The replay token is damaged: copy it whole from the failure report');
  }
  const s = spec as Partial<Record<keyof ReplaySpec, unknown>>;
  const optional = (key: keyof ReplaySpec, type: 'string' | 'number') => s[key] === undefined || typeof s[key] === type;
  if (
    typeof s.check !== 'string' ||
    typeof s.seed !== 'number' ||
    typeof s.path !== 'string' ||
    !optional('replayPath', 'string') ||
    !optional('target', 'string') ||
    !optional('profile', 'string') ||
    !optional('runs', 'number') ||
    !optional('maxRps', 'number')
  ) {
    throw new Error('The replay token is damaged: copy it whole from the failure report');
  }
  return s as ReplaySpec;
}
