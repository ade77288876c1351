/**
 * The demo users, as data: the same users as fixtures/users.json (a test holds the two equal), so
 * a server can start with them where there is no file system (an msw handler in a browser).
 */
import type { UserSpec } from './users.js';
import { parseUsers } from './users-parse.js';

/** The demo users (keys MYAPIKEY, ALICEKEY, MONITORKEY, NOPERMKEY...). @since 0.3.0 */
export const DEMO_USERS: readonly UserSpec[] = parseUsers([
  {
    userId: 'local',
    keys: ['MYAPIKEY'],
    displayName: 'RocketRide Developer',
    preferredUsername: 'developer',
    defaultTeam: 'local',
    organizations: [
      {
        id: 'local',
        name: 'Local',
        permissions: ['org.admin'],
        teams: [
          {
            id: 'local',
            name: 'Development',
            permissions: ['task.control', 'task.data', 'task.monitor', 'task.debug', 'task.store'],
          },
        ],
      },
    ],
  },
  {
    userId: 'alice',
    keys: ['ALICEKEY'],
    displayName: 'Alice Admin',
    preferredUsername: 'alice',
    email: 'alice@example.test',
    defaultTeam: 'ops',
    organizations: [
      {
        id: 'acme',
        name: 'Acme',
        permissions: [],
        teams: [
          {
            id: 'ops',
            name: 'Operations',
            permissions: ['task.control', 'task.data', 'task.monitor', 'task.debug', 'task.store'],
          },
        ],
      },
    ],
  },
  {
    userId: 'monty',
    keys: ['MONITORKEY'],
    displayName: 'Monty Monitor',
    preferredUsername: 'monty',
    defaultTeam: 'viewers',
    organizations: [
      {
        id: 'acme',
        name: 'Acme',
        permissions: [],
        teams: [
          {
            id: 'viewers',
            name: 'Viewers',
            permissions: ['task.monitor'],
          },
        ],
      },
    ],
  },
  {
    userId: 'nobody',
    keys: ['NOPERMKEY'],
    displayName: 'Nora No-Permissions',
    preferredUsername: 'nora',
    defaultTeam: 'guests',
    organizations: [
      {
        id: 'acme',
        name: 'Acme',
        permissions: [],
        teams: [
          {
            id: 'guests',
            name: 'Guests',
            permissions: ['task.data'],
          },
        ],
      },
    ],
  },
]);
