/**
 * Validation of users data (the users-file format, or users given in code). Every problem names
 * the JSON path of the offending value, so a user can fix it without reading our code. No I/O:
 * loading a file is users-file.ts's job (Node only).
 */
import { isJsonObject as isRecord } from '../domain/json.js';
import type { OrganizationSpec, TeamSpec, UserSpec } from './users.js';

/**
 * Validates users data (`{ "users": [...] }` or a bare array). Throws an Error naming the
 * path of the first bad value.
 * @since 0.1.0
 */
export function parseUsers(data: unknown): UserSpec[] {
  const list = Array.isArray(data) ? data : isRecord(data) ? data['users'] : undefined;
  if (!Array.isArray(list)) throw new Error('expected {"users": [...]} or an array of users');
  const users = list.map((u, i) => parseUser(u, `users[${i}]`));
  const ids = new Set<string>();
  const keys = new Set<string>();
  users.forEach((user, i) => {
    if (ids.has(user.userId)) throw new Error(`users[${i}].userId: duplicate user id '${user.userId}'`);
    ids.add(user.userId);
    for (const key of user.keys) {
      if (keys.has(key)) throw new Error(`users[${i}].keys: key '${key}' belongs to two users`);
      keys.add(key);
    }
  });
  return users;
}

function parseUser(value: unknown, at: string): UserSpec {
  const u = record(value, at);
  const keys = stringList(u['keys'], `${at}.keys`);
  if (keys.length === 0) throw new Error(`${at}.keys: must hold at least one API key`);
  keys.forEach((k, i) => {
    if (k.trim() === '' || k !== k.trim()) throw new Error(`${at}.keys[${i}]: keys must be non-blank, without surrounding spaces`);
    if (k.startsWith('rrdk_')) throw new Error(`${at}.keys[${i}]: the prefix 'rrdk_' is reserved for issued tokens`);
  });
  const organizations = list(u['organizations'], `${at}.organizations`).map((o, i) => parseOrganization(o, `${at}.organizations[${i}]`));
  const defaultTeam = text(u['defaultTeam'], `${at}.defaultTeam`);
  if (!organizations.some((o) => o.teams.some((t) => t.id === defaultTeam))) {
    throw new Error(`${at}.defaultTeam: no team '${defaultTeam}' in the user's organizations`);
  }
  const spec: UserSpec = { userId: text(u['userId'], `${at}.userId`), keys, defaultTeam, organizations };
  const profile: Record<string, string> = {};
  for (const field of ['displayName', 'givenName', 'familyName', 'preferredUsername', 'email'] as const) {
    if (u[field] !== undefined) profile[field] = optionalText(u[field], `${at}.${field}`);
  }
  return { ...spec, ...profile };
}

function parseOrganization(value: unknown, at: string): OrganizationSpec {
  const o = record(value, at);
  return {
    id: text(o['id'], `${at}.id`),
    name: text(o['name'], `${at}.name`),
    permissions: stringList(o['permissions'] ?? [], `${at}.permissions`),
    teams: list(o['teams'], `${at}.teams`).map((t, i) => parseTeam(t, `${at}.teams[${i}]`)),
  };
}

function parseTeam(value: unknown, at: string): TeamSpec {
  const t = record(value, at);
  return {
    id: text(t['id'], `${at}.id`),
    name: text(t['name'], `${at}.name`),
    permissions: stringList(t['permissions'] ?? [], `${at}.permissions`),
  };
}

function record(value: unknown, at: string): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${at}: must be an object`);
  return value;
}
function list(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${at}: must be an array`);
  return value;
}
function text(value: unknown, at: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${at}: must be a non-empty string`);
  return value;
}
function optionalText(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new Error(`${at}: must be a string`);
  return value;
}
function stringList(value: unknown, at: string): string[] {
  const items = list(value, at);
  items.forEach((item, i) => text(item, `${at}[${i}]`));
  return items as string[];
}
