import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectResult, UserDirectory } from '../../src/auth/users.js';
import { loadUsersFile, parseUsers, UsersFileError } from '../../src/auth/users-file.js';
import { UsersProblems } from '../../src/auth/users-parse.js';

const demo = await loadUsersFile();
const directory = () => new UserDirectory(demo);

function authed(credential: unknown) {
  const result = directory().authenticate(credential);
  if (typeof result === 'string') throw new Error(`expected success, got ${result}`);
  return result;
}

describe('the demo users (fixtures/users.json)', () => {
  it('has a full user with the SDKs’ default key MYAPIKEY, a second full user, a monitor-only and a no-permission user', () => {
    const perms = (key: string) => [...authed(key).permissions].sort();
    expect(authed('MYAPIKEY').user.userId).toBe('local');
    expect(perms('MYAPIKEY')).toEqual(['task.control', 'task.data', 'task.debug', 'task.monitor', 'task.store']);
    expect(perms('ALICEKEY')).toContain('task.control');
    expect(authed('ALICEKEY').user.userId).not.toBe('local');
    expect(perms('MONITORKEY')).toEqual(['task.monitor']);
    expect(perms('NOPERMKEY')).not.toContain('task.monitor');
    expect(perms('NOPERMKEY')).not.toContain('task.control');
  });
});

describe('UserDirectory.authenticate', () => {
  it('strips a Bearer prefix', () => {
    expect(authed('Bearer MYAPIKEY').key).toBe('MYAPIKEY');
  });

  it.each([undefined, null, '', '   ', 'Bearer ', 42])('calls %j empty', (credential) => {
    expect(directory().authenticate(credential)).toBe('empty');
  });

  it('calls an unknown key or token invalid', () => {
    expect(directory().authenticate('nope')).toBe('invalid');
    expect(directory().authenticate('rrdk_forged')).toBe('invalid');
  });

  it('issues fresh tokens that authenticate as the key they were issued for, never the key itself', () => {
    const users = directory();
    const a = users.issueToken('MYAPIKEY');
    const b = users.issueToken('MYAPIKEY');
    expect(a).not.toBe(b);
    expect(a).not.toContain('MYAPIKEY');
    const result = users.authenticate(`Bearer ${a}`);
    expect(result).toMatchObject({ key: 'MYAPIKEY', user: { userId: 'local' } });
  });
});

describe('connectResult', () => {
  it('has the ConnectResult shape of wire.md', () => {
    const { user } = authed('MYAPIKEY');
    const body = connectResult(user, 'rrdk_t');
    expect(Object.keys(body)).toEqual([
      'userToken',
      'userId',
      'displayName',
      'givenName',
      'familyName',
      'preferredUsername',
      'email',
      'emailVerified',
      'phoneNumber',
      'phoneNumberVerified',
      'locale',
      'defaultTeam',
      'organizations',
      'apps',
      'capabilities',
    ]);
    expect(body).toMatchObject({
      userToken: 'rrdk_t',
      userId: 'local',
      displayName: 'RocketRide Developer',
      defaultTeam: 'local',
      organizations: [{ id: 'local', name: 'Local', permissions: ['org.admin'], teams: [{ id: 'local' }] }],
    });
  });
});

describe('users file validation', () => {
  const valid = {
    userId: 'u',
    keys: ['K'],
    defaultTeam: 't',
    organizations: [{ id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: [] }] }],
  };

  it.each([
    [{ users: 'x' }, 'expected {"users": [...]}'],
    [[{ ...valid, keys: [] }], 'users[0].keys: must hold at least one API key'],
    [[{ ...valid, keys: [' K'] }], 'users[0].keys[0]: keys must be non-blank'],
    [[{ ...valid, keys: ['rrdk_x'] }], "the prefix 'rrdk_' is reserved"],
    [[{ ...valid, userId: 3 }], 'users[0].userId: must be a non-empty string'],
    [[{ ...valid, defaultTeam: 'missing' }], "users[0].defaultTeam: no team 'missing'"],
    [[valid, { ...valid, keys: ['K2'] }], "users[1].userId: duplicate user id 'u'"],
    [[valid, { ...valid, userId: 'v' }], "users[1].keys: key 'K' belongs to two users"],
    [[{ ...valid, organizations: [{ id: 'o', name: 'O', teams: 'x' }] }], 'users[0].organizations[0].teams: must be an array'],
  ])('refuses %j naming the path', (data, message) => {
    expect(() => parseUsers(data)).toThrow(message);
  });

  it('reports every problem at once, one line each', () => {
    const problems = [
      'users[0].userId: must be a non-empty string',
      'users[0].keys: must be an array',
      'users[0].organizations[0].name: must be a non-empty string',
      'users[1].userId: must be a non-empty string',
      'users[1].keys[0]: keys must be non-blank, without surrounding spaces',
    ];
    let thrown: unknown;
    try {
      parseUsers([{ userId: '', keys: 'K', organizations: [{ id: 'o', teams: [] }] }, { keys: [' K'] }]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UsersProblems);
    expect((thrown as UsersProblems).message).toBe(['5 problems:', ...problems.map((p) => `  ${p}`)].join('\n'));
    expect((thrown as UsersProblems).oneLine()).toBe(`5 problems: ${problems.join('; ')}`);
  });

  it('needs only userId and keys: one organization of one team with every task permission', () => {
    const [user] = parseUsers({ users: [{ userId: 'a', keys: ['K'] }] });
    expect(user).toEqual({
      userId: 'a',
      keys: ['K'],
      defaultTeam: 'default',
      organizations: [
        {
          id: 'default',
          name: 'Default',
          permissions: [],
          teams: [
            { id: 'default', name: 'Default', permissions: ['task.control', 'task.data', 'task.monitor', 'task.debug', 'task.store'] },
          ],
        },
      ],
    });
    const directory = new UserDirectory([user!]);
    const found = directory.authenticate('K');
    expect(typeof found !== 'string' && [...found.permissions].sort()).toEqual([
      'task.control',
      'task.data',
      'task.debug',
      'task.monitor',
      'task.store',
    ]);
    // Organizations without defaultTeam: the first organization's first team.
    const [withOrgs] = parseUsers([{ ...valid, defaultTeam: undefined }]);
    expect(withOrgs!.defaultTeam).toBe('t');
  });

  it('refuses a users file with no users: nobody could log in', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rrdk-users-'));
    const file = join(dir, 'users.json');
    await writeFile(file, '{"users":[]}');
    await expect(loadUsersFile(file)).rejects.toThrow(
      new UsersFileError(
        `Users file ${file} has no users, so nobody could log in: give at least one, like {"users": [{"userId": "me", "keys": ["MYKEY"]}]}`,
      ),
    );
  });

  it('reports unreadable and non-JSON files with the path and without a stack', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rrdk-users-'));
    const bad = join(dir, 'users.json');
    await writeFile(bad, '{ not json');
    await expect(loadUsersFile(bad)).rejects.toThrowError(UsersFileError);
    await expect(loadUsersFile(bad)).rejects.toThrow(`Users file ${bad} is not valid JSON`);
    await expect(loadUsersFile(join(dir, 'missing.json'))).rejects.toThrow(/Cannot read users file .*missing\.json: ENOENT/);
  });
});

describe('the demo users', () => {
  it('are the same as fixtures/users.json (the data module exists for places without a file system)', async () => {
    const { DEMO_USERS } = await import('../../src/auth/demo-users.js');
    const { loadUsersFile, DEFAULT_USERS_FILE } = await import('../../src/auth/users-file.js');
    expect(DEMO_USERS).toEqual(await loadUsersFile(DEFAULT_USERS_FILE));
  });
});
