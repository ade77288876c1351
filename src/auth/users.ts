/**
 * Users, their API keys and permissions, and the ConnectResult the SDKs read after `auth`
 * (wire.md). The directory also issues the server's own `userToken`s: a token authenticates
 * as the key it was issued for, for as long as that key is valid.
 */

/** @since 0.1.0 */
export interface TeamSpec {
  readonly id: string;
  readonly name: string;
  readonly permissions: readonly string[];
}

/** @since 0.1.0 */
export interface OrganizationSpec {
  readonly id: string;
  readonly name: string;
  readonly permissions: readonly string[];
  readonly teams: readonly TeamSpec[];
}

/**
 * One user as written in a users file: the ConnectResult profile fields plus `keys`.
 * @since 0.1.0
 */
export interface UserSpec {
  readonly userId: string;
  readonly keys: readonly string[];
  readonly displayName?: string;
  readonly givenName?: string;
  readonly familyName?: string;
  readonly preferredUsername?: string;
  readonly email?: string;
  readonly defaultTeam: string;
  readonly organizations: readonly OrganizationSpec[];
}

/** The run-time changes to a UserDirectory, as a state file keeps them. */
export interface UsersState {
  readonly added: readonly UserSpec[];
  readonly revokedKeys: readonly string[];
}

/** A user as the directory holds it now: whether it was added at run time, and which keys are revoked. */
export interface UserListing {
  readonly user: UserSpec;
  readonly addedAtRunTime: boolean;
  readonly keys: ReadonlyArray<{ readonly key: string; readonly revoked: boolean }>;
}

/** A user resolved from a credential. */
export interface AuthenticatedUser {
  readonly user: UserSpec;
  /** The API key behind the credential (the key itself, or the key a token was issued for). */
  readonly key: string;
  readonly permissions: ReadonlySet<string>;
}

export type AuthFailure = 'empty' | 'invalid';

/** Every permission `org.admin` grants. */
export const ALL_TASK_PERMISSIONS = ['task.control', 'task.data', 'task.monitor', 'task.debug', 'task.store'] as const;

const TOKEN_PREFIX = 'rrdk_';
// Each successful auth issues a token; keep the newest ones so reconnect loops cannot grow memory.
const MAX_TOKENS = 100_000;

/**
 * Users can be added and keys revoked or restored at run time (the control API); reset()
 * returns to the users the directory was created with.
 * @since 0.1.0
 */
export class UserDirectory {
  readonly #initial: readonly UserSpec[];
  readonly #byKey = new Map<string, UserSpec>();
  readonly #byId = new Map<string, UserSpec>();
  readonly #permissions = new Map<string, ReadonlySet<string>>();
  readonly #tokens = new Map<string, string>();
  readonly #revoked = new Set<string>();
  /** Users added at run time, in order (a state file keeps them; the initial ones come from options). */
  readonly #added: UserSpec[] = [];

  constructor(users: readonly UserSpec[]) {
    this.#initial = users;
    for (const user of users) this.#add(user);
  }

  #add(user: UserSpec): void {
    this.#byId.set(user.userId, user);
    this.#permissions.set(user.userId, effectivePermissions(user));
    for (const key of user.keys) this.#byKey.set(key, user);
  }

  /** Adds a validated user; refuses a user id or key that exists already. */
  addUser(user: UserSpec): void {
    if (this.#byId.has(user.userId)) throw new Error(`User '${user.userId}' exists already`);
    const taken = user.keys.find((key) => this.#byKey.has(key));
    if (taken !== undefined) throw new Error(`Key '${taken}' belongs to user '${this.#byKey.get(taken)!.userId}'`);
    this.#add(user);
    this.#added.push(user);
    this.#version += 1;
  }

  /** Bumped by every change to what exportState holds (users added, keys revoked or restored, a reset). */
  get version(): number {
    return this.#version;
  }

  #version = 0;

  /** What a state file keeps: users added at run time and revoked keys (tokens are not kept). */
  exportState(): UsersState {
    return { added: [...this.#added], revokedKeys: [...this.#revoked] };
  }

  /** Adds the saved users (validated; refused like addUser if an id or key is taken) and revocations. */
  importState(state: UsersState): void {
    for (const user of state.added) this.addUser(user);
    for (const key of state.revokedKeys) this.#revoked.add(key);
    this.#version += 1;
  }

  /** Every user, the initial ones first, then those added at run time, each with its keys' state. */
  list(): UserListing[] {
    const added = new Set(this.#added);
    return [...this.#byId.values()].map((user) => ({
      user,
      addedAtRunTime: added.has(user),
      keys: user.keys.map((key) => ({ key, revoked: this.#revoked.has(key) })),
    }));
  }

  hasKey(key: string): boolean {
    return this.#byKey.has(key);
  }

  /** A revoked key, and every token issued for it, stops authenticating (RUN-5). */
  revokeKey(key: string): void {
    this.#revoked.add(key);
    this.#version += 1;
  }

  restoreKey(key: string): void {
    this.#revoked.delete(key);
    this.#version += 1;
  }

  /** Whether `key` (an API key, never a token) would authenticate now. */
  isKeyValid(key: string): boolean {
    return this.#byKey.has(key) && !this.#revoked.has(key);
  }

  /** Back to the users given at creation: added users, revocations and tokens are forgotten. */
  reset(): void {
    this.#byKey.clear();
    this.#byId.clear();
    this.#permissions.clear();
    this.#tokens.clear();
    this.#revoked.clear();
    this.#added.length = 0;
    this.#version += 1;
    for (const user of this.#initial) this.#add(user);
  }

  /**
   * Resolves an `auth` credential: an API key or an issued token, with an optional
   * `Bearer ` prefix. Returns the user or why it failed.
   */
  authenticate(credential: unknown): AuthenticatedUser | AuthFailure {
    const raw = typeof credential === 'string' ? credential.replace(/^bearer\s+/i, '').trim() : '';
    if (raw === '') return 'empty';
    const key = raw.startsWith(TOKEN_PREFIX) ? this.#tokens.get(raw) : raw;
    const user = key === undefined ? undefined : this.#byKey.get(key);
    if (!user || key === undefined || this.#revoked.has(key)) return 'invalid';
    return { user, key, permissions: this.#permissions.get(user.userId)! };
  }

  /** Issues a fresh opaque token that authenticates as `key` (never the raw key: wire.md). */
  issueToken(key: string): string {
    const token = TOKEN_PREFIX + randomBase64url(18);
    if (this.#tokens.size >= MAX_TOKENS) this.#tokens.delete(this.#tokens.keys().next().value!);
    this.#tokens.set(token, key);
    return token;
  }
}

/** Permissions of the default team; `org.admin` on its organization grants them all. */
function effectivePermissions(user: UserSpec): ReadonlySet<string> {
  for (const org of user.organizations) {
    const team = org.teams.find((t) => t.id === user.defaultTeam);
    if (!team) continue;
    const granted = new Set(team.permissions);
    if (org.permissions.includes('org.admin')) for (const p of ALL_TASK_PERMISSIONS) granted.add(p);
    return granted;
  }
  return new Set();
}

/** The ConnectResult body of a successful `auth`, shaped as the open-source server sends it. */
export function connectResult(user: UserSpec, userToken: string): Record<string, unknown> {
  return {
    userToken,
    userId: user.userId,
    displayName: user.displayName ?? user.userId,
    givenName: user.givenName ?? '',
    familyName: user.familyName ?? '',
    preferredUsername: user.preferredUsername ?? user.userId,
    email: user.email ?? '',
    emailVerified: false,
    phoneNumber: '',
    phoneNumberVerified: false,
    locale: '',
    defaultTeam: user.defaultTeam,
    organizations: user.organizations,
    apps: [],
    capabilities: ['oss'],
  };
}

/** `bytes` random bytes as base64url, with Web Crypto (in Node and in browsers alike). */
function randomBase64url(bytes: number): string {
  const random = globalThis.crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...random))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
