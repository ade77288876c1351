/**
 * The users file the bench's mock server runs with: the demo users (for 'shared' rows) plus one
 * full user per client (for 'own' rows), each with its own key.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadUsersFile, type UserSpec } from '../src/index.js';
import { benchUserKey } from './config.js';

export async function writeBenchUsers(path: string, clients: number): Promise<void> {
  const demo = await loadUsersFile();
  const bench: UserSpec[] = Array.from({ length: clients }, (_, i) => ({
    userId: `bench-user-${i}`,
    keys: [benchUserKey(i)],
    defaultTeam: 'bench',
    organizations: [{ id: 'bench', name: 'Bench', permissions: ['org.admin'], teams: [{ id: 'bench', name: 'Bench', permissions: [] }] }],
  }));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify({ users: [...demo, ...bench] }));
}
