/**
 * Loads and validates a users file (`--users FILE`; Node only). Every problem is reported with
 * the file and the JSON path of the offending value, so a user can fix it without reading our code.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { UserSpec } from './users.js';
import { parseUsers, SMALLEST_USER } from './users-parse.js';

export { parseUsers };

/** The demo users shipped with the kit (fixtures/users.json). @since 0.1.0 */
export const DEFAULT_USERS_FILE = fileURLToPath(new URL('../../fixtures/users.json', import.meta.url));

/** @since 0.1.0 */
export class UsersFileError extends Error {
  override readonly name = 'UsersFileError';
  readonly code = 'USERS_FILE_INVALID';
}

/** Reads and validates a users file. @since 0.1.0 */
export async function loadUsersFile(path: string = DEFAULT_USERS_FILE): Promise<UserSpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsersFileError(`Cannot read users file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsersFileError(`Users file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  let users: UserSpec[];
  try {
    users = parseUsers(data);
  } catch (error) {
    throw new UsersFileError(`Users file ${path}: ${(error as Error).message}`);
  }
  if (users.length === 0) {
    throw new UsersFileError(
      `Users file ${path} has no users, so nobody could log in: give at least one, like {"users": [${SMALLEST_USER}]}`,
    );
  }
  return users;
}
