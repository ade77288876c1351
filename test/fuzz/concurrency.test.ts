/**
 * Concurrency properties (issue 7) with the CI budget and fixed seeds: same-id races over many
 * connections and users, 50 clients × 1,000 mixed commands checked against their models, the
 * contended-id oracle on its own, and proof that the harness fails on broken servers.
 * `npm run fuzz` runs the same harness (fuzz/concurrency.ts) with a bigger budget.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concurrencyUsers, concurrentModel, ConcurrencyError, sameIdRace } from '../../fuzz/concurrency.js';
import { hasSerialOrder, type SharedEvent } from '../../fuzz/concurrency-shared.js';
import { createMockServer, type MockServer } from '../../src/index.js';
import { createMutantServer } from '../../src/testing/mutants/index.js';
import { readAll } from '../../src/control/paging.js';

const SEED = 20260526;
const { users, keys } = concurrencyUsers(5);
let server: MockServer;
beforeAll(async () => {
  server = await createMockServer({ users, clock: 'fake' });
});
afterAll(() => server.close());

describe('same-id races', () => {
  it('100 adds of one id from 10 connections of one user, all sent before any answer: exactly one wins', async () => {
    const result = await sameIdRace({ url: server.url, connections: 10, adds: 100, keys });
    expect(result.winners).toHaveLength(1);
    expect(result.winners[0]!.userId).toBe('fuzz-user-0');
  });

  it('100 adds of one id from 10 connections of 5 users: each user gets exactly one success', async () => {
    const result = await sameIdRace({ url: server.url, connections: 10, adds: 100, keys, acrossUsers: true });
    expect(result.winners.map((w) => w.userId).sort()).toEqual(users.map((u) => u.userId));
  });

  it('holds for any number of connections, adds and users (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 5 }),
        async (connections, perConnection, userCount) => {
          const across = userCount > 1;
          const result = await sameIdRace({
            url: server.url,
            connections: Math.max(connections, userCount),
            adds: Math.max(connections, userCount) * perConnection,
            keys: keys.slice(0, userCount),
            acrossUsers: across,
          });
          expect(result.winners).toHaveLength(userCount);
        },
      ),
      { seed: SEED, numRuns: 15 },
    );
  });
});

describe('many clients, mixed commands', () => {
  it('50 clients of 5 users × 1,000 pipelined commands: every answer and the final state match the models', async () => {
    const result = await concurrentModel({ url: server.url, clients: 50, commandsPerClient: 1000, seed: SEED, keys });
    expect(result.commands).toBe(50_000);
    // The run removes what it created: the server holds nothing of it afterwards.
    expect(readAll((page) => server.control.deployments(page))).toEqual([]);
  }, 60_000); // about 4 s alone; generous for a loaded machine running the whole suite

  it('the same, and a race, on a server with a state file: replies held for the disk keep every order', async () => {
    // The state file's reply queue holds replies until their change is written: the riskiest
    // ordering code of the server, so the model checks run through it too.
    const dir = await mkdtemp(join(tmpdir(), 'rrdk-concurrency-'));
    const durable = await createMockServer({ users, clock: 'fake', stateFile: join(dir, 'state.json') });
    try {
      const race = await sameIdRace({ url: durable.url, connections: 10, adds: 100, keys, acrossUsers: true });
      expect(race.winners).toHaveLength(users.length);
      const result = await concurrentModel({ url: durable.url, clients: 50, commandsPerClient: 1000, seed: SEED + 1, keys });
      expect(result.commands).toBe(50_000);
      expect(readAll((page) => durable.control.deployments(page))).toEqual([]);
    } finally {
      await durable.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('the contended-id oracle', () => {
  const add = (tag: string, ok = true): SharedEvent => ({ kind: 'add', tag, ok, index: 0 });
  const remove = (ok = true): SharedEvent => ({ kind: 'remove', ok, index: 0 });
  const read = (tag: string | null): SharedEvent => ({ kind: 'read', tag, index: 0 });

  it('accepts histories that some interleaving explains', () => {
    expect(
      hasSerialOrder(
        [
          [add('a'), remove()],
          [add('b', false), read(null)],
        ],
        null,
      ),
    ).toBe(true);
    // c2's refused add must come while a is present, c1's remove after it.
    expect(
      hasSerialOrder(
        [
          [add('a'), remove(), add('c')],
          [read('a'), add('b', false), remove(false), read('c')],
        ],
        'c',
      ),
    ).toBe(true);
  });

  it('refuses histories no interleaving explains', () => {
    expect(hasSerialOrder([[add('a')], [add('b')]], 'a')).toBe(false); // two winners
    expect(hasSerialOrder([[remove()]], null)).toBe(false); // removed what was never there
    expect(hasSerialOrder([[add('a'), read(null)]], 'a')).toBe(false); // a record that vanished and came back
    expect(hasSerialOrder([[add('a', false)]], null)).toBe(false); // "already exists" on an absent id
    expect(hasSerialOrder([[add('a'), remove()], [read('b')]], null)).toBe(false); // a record nobody added
    expect(hasSerialOrder([[add('a')]], null)).toBe(false); // the final list lost it
    // Each connection's order counts: c1 saw its own add's record gone before c2 removed anything.
    expect(
      hasSerialOrder(
        [
          [add('a'), read(null), remove(false)],
          [read('a'), remove()],
        ],
        null,
      ),
    ).toBe(true);
    expect(
      hasSerialOrder(
        [
          [add('a'), read(null)],
          [remove(), read('a')],
        ],
        null,
      ),
    ).toBe(false);
  });

  /** A serial history of one id, split into connections: what a correct server produces. */
  const serialHistory = fc
    .array(fc.record({ chain: fc.nat(3), op: fc.constantFrom('add', 'remove', 'read') }), { maxLength: 60 })
    .map((steps) => {
      const chains: SharedEvent[][] = [[], [], [], []];
      let state: string | null = null;
      steps.forEach(({ chain, op }, i) => {
        const events = chains[chain]!;
        if (op === 'add') {
          events.push({ kind: 'add', tag: `t${i}`, ok: state === null, index: i });
          if (state === null) state = `t${i}`;
        } else if (op === 'remove') {
          events.push({ kind: 'remove', ok: state !== null, index: i });
          state = null;
        } else events.push({ kind: 'read', tag: state, index: i });
      });
      return { chains, final: state as string | null };
    });

  it('accepts every history a serial server produces (property)', () => {
    fc.assert(
      fc.property(serialHistory, ({ chains, final }) => hasSerialOrder(chains, final)),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('refuses every such history with one successful add or remove too many (property)', () => {
    fc.assert(
      fc.property(serialHistory, fc.nat(3), fc.nat(60), fc.boolean(), ({ chains, final }, chain, at, extraAdd) => {
        const events = chains[chain]!;
        const extra: SharedEvent = extraAdd ? { kind: 'add', tag: 'extra', ok: true, index: -1 } : { kind: 'remove', ok: true, index: -1 };
        events.splice(at % (events.length + 1), 0, extra);
        // Successful adds and removes must alternate: one more of either breaks the count.
        return !hasSerialOrder(chains, final);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('the harness fails on broken servers', () => {
  async function withMutant<T>(mutant: string, run: (url: string) => Promise<T>): Promise<unknown> {
    const broken = await createMutantServer([mutant], { users });
    try {
      await run(broken.url);
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await broken.close();
    }
  }
  const small = (url: string) => concurrentModel({ url, clients: 10, commandsPerClient: 300, seed: SEED, keys });

  it('a second add that overwrites: the race sees more than one winner', async () => {
    const error = await withMutant('duplicate-add-overwrites', (url) => sameIdRace({ url, connections: 4, adds: 20, keys }));
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect((error as ConcurrencyError).code).toBe('MISMATCH');
    expect((error as Error).message).toMatch(/20 adds succeeded, expected exactly 1/);
  });

  it.each([
    ['remove-leaves-record', /command #\d+/],
    ['update-half-applied', /command #\d+/],
    ['list-leaks-other-users', /another user/],
    ['duplicate-add-overwrites', /command #\d+|contended id/],
  ])('%s: a mismatch naming the client, the command, the seed and the replay path', async (mutant, detail) => {
    const error = await withMutant(mutant, small);
    expect(error).toBeInstanceOf(ConcurrencyError);
    const message = (error as Error).message;
    expect(message).toMatch(detail);
    expect(message).toMatch(new RegExp(`seed ${SEED}, path "\\d+"`));
    expect(message).toMatch(/client \d+/);
  });
});
