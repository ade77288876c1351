/**
 * Validation of users data (the users-file format, or users given in code). Every problem names
 * the JSON path of the offending value, so a user can fix it without reading our code, and every
 * problem is reported at once. No I/O: loading a file is users-file.ts's job (Node only).
 *
 * A user needs only `userId` and `keys`: without `organizations`, it is in one organization of one
 * team holding every task permission (DEFAULT_TEAM); without `defaultTeam`, its first
 * organization's first team is its default team.
 */
import { isJsonObject as isRecord } from '../domain/json.js';
import { ALL_TASK_PERMISSIONS, type OrganizationSpec, type TeamSpec, type UserSpec } from './users.js';

/** The team (and organization) of a user written without organizations: every task permission. @since 0.5.0 */
export const DEFAULT_TEAM = { id: 'default', name: 'Default', permissions: ALL_TASK_PERMISSIONS } as const;

/** The smallest valid user, for messages and docs. */
export const SMALLEST_USER = '{"userId": "me", "keys": ["MYKEY"]}';

/** The problems found, each `path: what is wrong`; thrown together. */
class Problems {
  readonly list: string[] = [];
  add(at: string, message: string): undefined {
    this.list.push(`${at}: ${message}`);
    return undefined;
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new UsersProblems(this.list);
  }
}

/** Every problem of users data: one line for one, else `N problems:` and a line each (`oneLine()` for an HTTP answer). @since 0.5.0 */
export class UsersProblems extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  oneLine(): string {
    return this.problems.length === 1 ? this.problems[0]! : `${this.problems.length} problems: ${this.problems.join('; ')}`;
  }
}

/**
 * Validates users data (`{ "users": [...] }` or a bare array). Throws an Error naming the path of
 * each bad value (one line for one problem; `N problems:` and a line each for more).
 * @since 0.1.0
 */
export function parseUsers(data: unknown): UserSpec[] {
  const list = Array.isArray(data) ? data : isRecord(data) ? data['users'] : undefined;
  if (!Array.isArray(list)) throw new Error(`expected {"users": [...]} or an array of users, each at least ${SMALLEST_USER}`);
  const problems = new Problems();
  const users = list.map((u, i) => parseUser(u, `users[${i}]`, problems));
  const ids = new Set<string>();
  const keys = new Set<string>();
  users.forEach((user, i) => {
    if (user === undefined) return;
    if (ids.has(user.userId)) problems.add(`users[${i}].userId`, `duplicate user id '${user.userId}'`);
    ids.add(user.userId);
    for (const key of user.keys) {
      if (keys.has(key)) problems.add(`users[${i}].keys`, `key '${key}' belongs to two users`);
      keys.add(key);
    }
  });
  problems.throwIfAny();
  return users as UserSpec[];
}

/**
 * One user (control addUser): its problems are named by field (`keys: ...`). A users file given
 * instead (`{"users": [...]}`) is refused with the shape wanted.
 * @since 0.5.0
 */
export function parseOneUser(data: unknown): UserSpec {
  if (isRecord(data) && 'users' in data && !('userId' in data) && !('keys' in data)) {
    throw new Error(`expected one user, like ${SMALLEST_USER}, not a users file ({"users": [...]}): give one of its users`);
  }
  const problems = new Problems();
  const user = parseUser(data, '', problems);
  problems.throwIfAny();
  return user!;
}

/** `at.field`, or `field` at the top. */
const path = (at: string, field: string): string => (at === '' ? field : `${at}.${field}`);

function parseUser(value: unknown, at: string, problems: Problems): UserSpec | undefined {
  if (!isRecord(value)) return problems.add(at || 'user', `must be an object, at least ${SMALLEST_USER}`);
  const u = value;
  const before = problems.list.length;
  const userId = text(u['userId'], path(at, 'userId'), problems);
  const keys = stringList(u['keys'], path(at, 'keys'), problems);
  if (keys?.length === 0) problems.add(path(at, 'keys'), 'must hold at least one API key');
  keys?.forEach((k, i) => {
    if (k.trim() === '' || k !== k.trim()) problems.add(`${path(at, 'keys')}[${i}]`, 'keys must be non-blank, without surrounding spaces');
    else if (k.startsWith('rrdk_')) problems.add(`${path(at, 'keys')}[${i}]`, "the prefix 'rrdk_' is reserved for issued tokens");
  });
  let organizations: Array<OrganizationSpec | undefined> | undefined;
  let defaultTeam: string | undefined;
  if (u['organizations'] === undefined) {
    // No organizations: one of one team, with every task permission (its id the defaultTeam given, if any).
    defaultTeam = u['defaultTeam'] === undefined ? DEFAULT_TEAM.id : text(u['defaultTeam'], path(at, 'defaultTeam'), problems);
    const team = { ...DEFAULT_TEAM, id: defaultTeam ?? DEFAULT_TEAM.id, permissions: [...DEFAULT_TEAM.permissions] };
    organizations = [{ id: DEFAULT_TEAM.id, name: DEFAULT_TEAM.name, permissions: [], teams: [team] }];
  } else {
    organizations = list(u['organizations'], path(at, 'organizations'), problems)?.map((o, i) =>
      parseOrganization(o, `${path(at, 'organizations')}[${i}]`, problems),
    );
    if (u['defaultTeam'] !== undefined) defaultTeam = text(u['defaultTeam'], path(at, 'defaultTeam'), problems);
    else if (organizations !== undefined && organizations.every((o) => o !== undefined)) {
      defaultTeam = organizations[0]?.teams[0]?.id;
      if (defaultTeam === undefined) problems.add(path(at, 'defaultTeam'), 'missing, and the first organization has no team to default to');
    }
    if (defaultTeam !== undefined && organizations?.every((o) => o !== undefined)) {
      if (!organizations.some((o) => o!.teams.some((t) => t.id === defaultTeam))) {
        problems.add(path(at, 'defaultTeam'), `no team '${defaultTeam}' in the user's organizations`);
      }
    }
  }
  const profile: Record<string, string> = {};
  for (const field of ['displayName', 'givenName', 'familyName', 'preferredUsername', 'email'] as const) {
    if (u[field] !== undefined) {
      const value = optionalText(u[field], path(at, field), problems);
      if (value !== undefined) profile[field] = value;
    }
  }
  if (problems.list.length > before) return undefined;
  return { userId: userId!, keys: keys!, defaultTeam: defaultTeam!, organizations: organizations as OrganizationSpec[], ...profile };
}

function parseOrganization(value: unknown, at: string, problems: Problems): OrganizationSpec | undefined {
  if (!isRecord(value)) return problems.add(at, 'must be an object');
  const before = problems.list.length;
  const id = text(value['id'], `${at}.id`, problems);
  const name = text(value['name'], `${at}.name`, problems);
  const permissions = stringList(value['permissions'] ?? [], `${at}.permissions`, problems);
  const teams = list(value['teams'], `${at}.teams`, problems)?.map((t, i) => parseTeam(t, `${at}.teams[${i}]`, problems));
  if (problems.list.length > before) return undefined;
  return { id: id!, name: name!, permissions: permissions!, teams: teams as TeamSpec[] };
}

function parseTeam(value: unknown, at: string, problems: Problems): TeamSpec | undefined {
  if (!isRecord(value)) return problems.add(at, 'must be an object');
  const before = problems.list.length;
  const id = text(value['id'], `${at}.id`, problems);
  const name = text(value['name'], `${at}.name`, problems);
  const permissions = stringList(value['permissions'] ?? [], `${at}.permissions`, problems);
  if (problems.list.length > before) return undefined;
  return { id: id!, name: name!, permissions: permissions! };
}

function list(value: unknown, at: string, problems: Problems): unknown[] | undefined {
  if (!Array.isArray(value)) return problems.add(at, 'must be an array');
  return value;
}
function text(value: unknown, at: string, problems: Problems): string | undefined {
  if (typeof value !== 'string' || value === '') return problems.add(at, 'must be a non-empty string');
  return value;
}
function optionalText(value: unknown, at: string, problems: Problems): string | undefined {
  if (typeof value !== 'string') return problems.add(at, 'must be a string');
  return value;
}
function stringList(value: unknown, at: string, problems: Problems): string[] | undefined {
  const items = list(value, at, problems);
  if (items === undefined) return undefined;
  const before = problems.list.length;
  items.forEach((item, i) => text(item, `${at}[${i}]`, problems));
  return problems.list.length > before ? undefined : (items as string[]);
}
