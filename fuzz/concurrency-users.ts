/**
 * Users for concurrency runs: `count` users with every deploy permission, one key each, so a
 * run can spread its clients over more users than the demo users offer.
 */
import type { UserSpec } from '../src/auth/users.js';

export interface ConcurrencyUsers {
  readonly users: UserSpec[];
  /** One key per user, in order. */
  readonly keys: string[];
}

export function concurrencyUsers(count: number): ConcurrencyUsers {
  const users: UserSpec[] = [];
  for (let i = 0; i < count; i++) {
    users.push({
      userId: `fuzz-user-${i}`,
      keys: [`FUZZKEY${i}`],
      displayName: `Fuzz User ${i}`,
      defaultTeam: 'fuzz',
      organizations: [
        { id: 'fuzz', name: 'Fuzz', permissions: [], teams: [{ id: 'fuzz', name: 'Fuzz', permissions: ['task.control', 'task.monitor'] }] },
      ],
    });
  }
  return { users, keys: users.map((u) => u.keys[0]!) };
}
