import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeployService, type Caller } from '../../src/domain/deploy-service.js';
import { codePointsOver, utf8BytesOver, utf8Length } from '../../src/domain/json.js';
import { DeploymentStore, storedBytes } from '../../src/domain/store.js';
import { DEFAULT_LIMITS, resolveLimits, type Limits } from '../../src/limits.js';

const ALL = new Set(['task.control', 'task.monitor']);
const alice: Caller = { userId: 'alice', permissions: ALL, credential: 'ALICEKEY' };
const bob: Caller = { userId: 'bob', permissions: ALL, credential: 'BOBKEY' };

function service(limits: Partial<Limits>) {
  const store = new DeploymentStore();
  const deploy = new DeployService(store, { now: () => 1_795_663_567_180 }, undefined, undefined, resolveLimits(limits));
  return { store, deploy };
}

function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error('expected the call to be refused');
}

describe('resolveLimits', () => {
  it('gives the documented defaults, and takes any subset over them', () => {
    expect(resolveLimits(undefined)).toEqual({
      maxFrameBytes: 16 * 1024 * 1024,
      maxPipelineBytes: 4 * 1024 * 1024,
      maxProjectIdLength: 16_384,
      maxDeploymentsPerUser: 10_000,
      maxStoredBytesPerUser: 64 * 1024 * 1024,
      maxStoredBytes: 256 * 1024 * 1024,
      maxHistoryEntries: 1_000_000,
      maxReplyBytesPerUser: 64 * 1024 * 1024,
      maxConnections: 1024,
      maxUnauthenticatedPerIp: 128,
      authTimeoutMs: 10_000,
      maxHandshakes: 1024,
      maxHandshakesPerIp: 32,
      handshakeTimeoutMs: 10_000,
    });
    expect(resolveLimits({ maxConnections: 5, maxFrameBytes: undefined })).toEqual({ ...DEFAULT_LIMITS, maxConnections: 5 });
  });

  it.each([0, -1, 1.5, Number.NaN, Infinity, 2 ** 53])('refuses %s, naming the limit', (value) => {
    expect(() => resolveLimits({ maxConnections: value })).toThrow(`limits.maxConnections must be a positive whole number, got ${value}`);
  });

  it('refuses a time limit a timer cannot wait (over 2^31 - 1 ms)', () => {
    expect(() => resolveLimits({ handshakeTimeoutMs: 2 ** 31 })).toThrow(
      `limits.handshakeTimeoutMs must be at most ${2 ** 31 - 1} ms (about 24.8 days), got ${2 ** 31}`,
    );
    expect(resolveLimits({ authTimeoutMs: 2 ** 31 - 1 }).authTimeoutMs).toBe(2 ** 31 - 1);
  });

  it('refuses a value that is not a number, and a name that is not a limit (a typo must not leave a limit off)', () => {
    expect(() => resolveLimits({ maxConnections: '10' as unknown as number })).toThrow(
      'limits.maxConnections must be a positive whole number, got 10',
    );
    expect(() => resolveLimits({ maxConection: 10 } as never)).toThrow(
      'limits.maxConection is not a limit; the limits are maxFrameBytes, maxPipelineBytes, maxProjectIdLength, maxDeploymentsPerUser, maxStoredBytesPerUser, maxStoredBytes, maxHistoryEntries, maxReplyBytesPerUser, maxConnections, maxUnauthenticatedPerIp, authTimeoutMs, maxHandshakes, maxHandshakesPerIp, handshakeTimeoutMs',
    );
  });
});

describe('size counting', () => {
  it('utf8BytesOver agrees with TextEncoder for any text and limit (lone surrogates count as U+FFFD)', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(fc.constantFrom('a', 'é', '∞', '😀', '\ud800', '\udc00'), fc.string({ unit: 'binary', maxLength: 1 })),
        }),
        fc.nat(40),
        (text, limit) => {
          expect(utf8BytesOver(text, limit)).toBe(new TextEncoder().encode(text).length > limit);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('utf8Length agrees with TextEncoder, also past a long ASCII start, and stops early only above stopAbove', () => {
    const unit = fc.oneof(
      fc.constantFrom('a', 'é', '∞', '😀', '\ud800', '\udc00', '\u007f', '\u0080'),
      fc.string({ unit: 'binary', maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 200 }), fc.string({ unit }), fc.nat(400), (ascii, rest, stop) => {
        const text = ascii + rest;
        const bytes = new TextEncoder().encode(text).length;
        expect(utf8Length(text)).toBe(bytes);
        const stopped = utf8Length(text, stop);
        if (bytes <= stop) expect(stopped).toBe(bytes);
        else expect(stopped).toBeGreaterThan(stop);
      }),
      { numRuns: 2000 },
    );
  });

  it('codePointsOver counts a surrogate pair as one character', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '∞', '😀', '\ud800') }), fc.nat(20), (text, limit) => {
        expect(codePointsOver(text, limit)).toBe([...text].length > limit);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('pipeline size (maxPipelineBytes)', () => {
  const limit = 200;
  /** A pipeline whose JSON is exactly `bytes` long. */
  const pipelineOf = (id: string, bytes: number) => {
    const bare = JSON.stringify({ project_id: id, pad: '' }).length;
    return { project_id: id, pad: 'x'.repeat(bytes - bare) };
  };

  it('stores a pipeline of exactly the limit and refuses one byte more, with a clear error', () => {
    const t = service({ maxPipelineBytes: limit });
    expect(t.deploy.add(alice, { pipeline: pipelineOf('p', limit) }).pipelineJson).toHaveLength(limit);
    expect(failure(() => t.deploy.add(alice, { pipeline: pipelineOf('q', limit + 1) }))).toEqual({
      code: 'PIPELINE_TOO_LARGE',
      message: "pipeline is too large: its JSON is over 200 bytes (the server's limit)",
    });
    expect(t.deploy.list(alice).map((r) => r.projectId)).toEqual(['p']);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const t = service({ maxPipelineBytes: 1024 });
    const pipeline = { project_id: 'p', text: '∞'.repeat(400) }; // 400 characters, 1,200 bytes
    expect(failure(() => t.deploy.add(alice, { pipeline })).message).toBe(
      "pipeline is too large: its JSON is over 1 KiB (the server's limit)",
    );
  });

  it('refuses an oversized update and leaves the stored record exactly as it was', () => {
    const t = service({ maxPipelineBytes: limit });
    const before = t.deploy.add(alice, { pipeline: pipelineOf('p', 100), schedule: '@daily' });
    expect(failure(() => t.deploy.update(alice, { projectId: 'p', pipeline: pipelineOf('p', limit + 1), schedule: '@hourly' })).code).toBe(
      'PIPELINE_TOO_LARGE',
    );
    expect(t.deploy.status(alice, 'p')).toBe(before);
  });

  it('checks the stored text of an update, whose project_id the server replaces', () => {
    const t = service({ maxPipelineBytes: limit });
    t.deploy.add(alice, { pipeline: pipelineOf('a-long-project-id', 60) });
    // Sent with a 1-character project_id it fits; stored under the real id it would not.
    const sent = pipelineOf('x', limit);
    expect(failure(() => t.deploy.update(alice, { projectId: 'a-long-project-id', pipeline: sent })).code).toBe('PIPELINE_TOO_LARGE');
  });
});

describe('project id length (maxProjectIdLength)', () => {
  const t = () => service({ maxProjectIdLength: 8 });

  it('stores an id of exactly the limit in characters (a surrogate pair is one) and refuses a longer one', () => {
    const s = t();
    expect(s.deploy.add(alice, { pipeline: { project_id: '😀'.repeat(8) } }).projectId).toBe('😀'.repeat(8));
    expect(failure(() => s.deploy.add(alice, { pipeline: { project_id: 'x'.repeat(9) } }))).toEqual({
      code: 'PROJECT_ID_TOO_LONG',
      message: "project_id is too long: over 8 characters (the server's limit)",
    });
    expect(s.store.size).toBe(1);
  });

  it('refuses an over-long projectId argument of status, update and remove without echoing it', () => {
    const s = t();
    const long = 'y'.repeat(100);
    for (const call of [
      () => s.deploy.status(alice, long),
      () => s.deploy.remove(alice, long),
      () => s.deploy.update(alice, { projectId: long, schedule: '@daily' }),
    ]) {
      const refused = failure(call);
      expect(refused.code).toBe('PROJECT_ID_TOO_LONG');
      expect(refused.message).not.toContain(long);
    }
  });

  it('leaves the default high enough for the 10 KB ids the conformance suite stores (DEP-ISO-1)', () => {
    const s = service({});
    expect(s.deploy.add(alice, { pipeline: { project_id: `p-${'x'.repeat(10_240)}` } }).projectId).toHaveLength(10_242);
  });
});

describe('deployments per user (maxDeploymentsPerUser)', () => {
  it('refuses the add past the limit, counts per user, and frees a place on remove', () => {
    const s = service({ maxDeploymentsPerUser: 3 });
    for (const id of ['a', 'b', 'c']) s.deploy.add(alice, { pipeline: { project_id: id } });
    expect(failure(() => s.deploy.add(alice, { pipeline: { project_id: 'd' } }))).toEqual({
      code: 'TOO_MANY_DEPLOYMENTS',
      message: 'Too many deployments: you have 3 and the limit is 3 per user. Remove one before adding another',
    });
    // Another user's count is their own.
    expect(s.deploy.add(bob, { pipeline: { project_id: 'd' } }).ownerId).toBe('bob');
    // An id that exists is still reported as a duplicate, the more useful answer.
    expect(failure(() => s.deploy.add(alice, { pipeline: { project_id: 'a' } })).code).toBe('ALREADY_EXISTS');
    s.deploy.remove(alice, 'b');
    expect(s.deploy.add(alice, { pipeline: { project_id: 'd' } }).projectId).toBe('d');
    expect(s.deploy.list(alice).map((r) => r.projectId)).toEqual(['a', 'c', 'd']);
  });
});

describe('stored bytes (maxStoredBytesPerUser, maxStoredBytes)', () => {
  /** A pipeline that stores exactly `bytes`: its JSON plus its id, as UTF-8. */
  const sized = (id: string, bytes: number) => {
    const bare = new TextEncoder().encode(JSON.stringify({ project_id: id, pad: '' }) + id).length;
    return { project_id: id, pad: 'x'.repeat(bytes - bare) };
  };
  const userFull = (wouldHold: string, limit: string) =>
    `Too much stored: your deployments would hold ${wouldHold} and the limit is ${limit} per user ` +
    "(their pipelines' JSON and project ids, as UTF-8). Remove or shrink a deployment before adding or growing one";
  const serverFull = (needed: string, limit: string) =>
    `The server's storage is full: this needs ${needed} more, and all users' deployments together may hold ${limit} ` +
    "(the server's limit; their pipelines' JSON and project ids, as UTF-8). Remove or shrink a deployment, or ask whoever runs the server to raise the limit";

  it("counts a pipeline's JSON and its project id, as UTF-8 bytes", () => {
    const s = service({});
    const record = s.deploy.add(alice, { pipeline: { project_id: '😀é', note: '∞' } });
    const bytes = new TextEncoder().encode(record.pipelineJson).length + new TextEncoder().encode('😀é').length;
    expect(bytes).toBe(36 + 6); // 😀 is 4 bytes, é 2, ∞ 3
    expect(storedBytes(record)).toBe(bytes);
    expect(s.store.bytesFor('alice')).toBe(bytes);
    expect(s.store.bytes).toBe(bytes);
  });

  it('stores up to exactly the per-user limit and refuses one byte more, naming both; nothing changes, others go on', () => {
    const s = service({ maxStoredBytesPerUser: 1000 });
    s.deploy.add(alice, { pipeline: sized('a', 600) });
    s.deploy.add(alice, { pipeline: sized('b', 371) });
    expect(failure(() => s.deploy.add(alice, { pipeline: sized('c', 30) }))).toEqual({
      code: 'USER_STORAGE_FULL',
      message: userFull('1,001 bytes', '1,000 bytes'),
    });
    expect(s.deploy.list(alice).map((r) => r.projectId)).toEqual(['a', 'b']);
    expect(s.store.bytesFor('alice')).toBe(971);
    expect(s.deploy.add(alice, { pipeline: sized('c', 29) }).projectId).toBe('c');
    expect(s.store.bytesFor('alice')).toBe(1000);
    // An id that exists is still a duplicate, the more useful answer.
    expect(failure(() => s.deploy.add(alice, { pipeline: { project_id: 'a' } })).code).toBe('ALREADY_EXISTS');
    // Another user's bytes are their own...
    expect(s.deploy.add(bob, { pipeline: sized('c', 1000) }).ownerId).toBe('bob');
    // ...and a removal frees its bytes.
    s.deploy.remove(alice, 'b');
    expect(s.deploy.add(alice, { pipeline: sized('d', 371) }).projectId).toBe('d');
    expect([s.store.bytesFor('alice'), s.store.bytesFor('bob'), s.store.bytes]).toEqual([1000, 1000, 2000]);
  });

  it('names the limit in MiB when it is a whole number of them', () => {
    const s = service({ maxStoredBytesPerUser: 1024 * 1024 });
    s.deploy.add(alice, { pipeline: sized('a', 1024 * 1024 - 10) });
    expect(failure(() => s.deploy.add(alice, { pipeline: sized('b', 40) })).message).toBe(userFull('1,048,606 bytes', '1 MiB'));
  });

  it('refuses past the server limit with every user counted together, naming what the change needs (not what others hold)', () => {
    const s = service({ maxStoredBytes: 1500 });
    s.deploy.add(alice, { pipeline: sized('a', 1000) });
    s.deploy.add(bob, { pipeline: sized('b', 500) });
    expect(failure(() => s.deploy.add(bob, { pipeline: sized('c', 30) }))).toEqual({
      code: 'SERVER_STORAGE_FULL',
      message: serverFull('30 bytes', '1,500 bytes'),
    });
    expect(failure(() => s.deploy.update(bob, { projectId: 'b', pipeline: sized('b', 501) }))).toEqual({
      code: 'SERVER_STORAGE_FULL',
      message: serverFull('1 byte', '1,500 bytes'),
    });
    expect(s.deploy.list(bob).map((r) => r.projectId)).toEqual(['b']);
    expect(s.store.bytes).toBe(1500);
    s.deploy.remove(alice, 'a');
    expect(s.deploy.add(bob, { pipeline: sized('c', 1000) }).projectId).toBe('c');
  });

  it('checks the per-user limit first when both are passed', () => {
    const s = service({ maxStoredBytesPerUser: 100, maxStoredBytes: 100 });
    expect(failure(() => s.deploy.add(alice, { pipeline: sized('a', 101) })).code).toBe('USER_STORAGE_FULL');
  });

  it('refuses an update that grows a pipeline past the limit and leaves the record as it was; one that does not grow it is always allowed', () => {
    const s = service({ maxStoredBytesPerUser: 1000 });
    s.deploy.add(alice, { pipeline: sized('a', 500), schedule: '@daily' });
    const b = s.deploy.add(alice, { pipeline: sized('b', 500) });
    expect(failure(() => s.deploy.update(alice, { projectId: 'b', pipeline: sized('b', 501), schedule: '@hourly' }))).toEqual({
      code: 'USER_STORAGE_FULL',
      message: userFull('1,001 bytes', '1,000 bytes'),
    });
    expect(s.deploy.status(alice, 'b')).toBe(b);
    // At the limit: a schedule change, a pipeline of the same size, a smaller one.
    expect(s.deploy.update(alice, { projectId: 'b', schedule: '@hourly' }).schedule.source).toBe('@hourly');
    expect(
      s.deploy.update(alice, { projectId: 'b', pipeline: { ...sized('b', 500), pad: 'y'.repeat(sized('b', 500).pad.length) } })
        .pipelineJson,
    ).toContain('yyy');
    expect(s.store.bytesFor('alice')).toBe(1000);
    s.deploy.update(alice, { projectId: 'b', pipeline: sized('b', 100) });
    expect(s.store.bytesFor('alice')).toBe(600);
    // The room it made is there for the next change.
    expect(s.deploy.update(alice, { projectId: 'a', pipeline: sized('a', 900) }).projectId).toBe('a');
  });

  it('keeps the counts exact through any sequence of changes, counted as they happen (a recount agrees)', () => {
    const users = [alice, bob];
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        user: fc.nat(1),
        id: fc.constantFrom('a', 'b', 'c', 'é'),
        pad: fc.string({ unit: fc.constantFrom('x', 'é', '😀'), maxLength: 30 }),
      }),
      fc.record({
        kind: fc.constant('update' as const),
        user: fc.nat(1),
        id: fc.constantFrom('a', 'b', 'c', 'é'),
        pad: fc.option(fc.string({ unit: fc.constantFrom('x', '∞'), maxLength: 30 })),
        schedule: fc.constantFrom(undefined, '@daily', 'manual'),
      }),
      fc.record({ kind: fc.constant('remove' as const), user: fc.nat(1), id: fc.constantFrom('a', 'b', 'c', 'é') }),
      fc.record({ kind: fc.constantFrom('pause' as const, 'clear' as const, 'import' as const), user: fc.nat(1) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const s = service({ maxStoredBytesPerUser: 200, maxStoredBytes: 300 });
        for (const o of ops) {
          const caller = users[o.user]!;
          try {
            if (o.kind === 'add') s.deploy.add(caller, { pipeline: { project_id: o.id, pad: o.pad } });
            else if (o.kind === 'update')
              s.deploy.update(caller, { projectId: o.id, ...(o.pad !== null && { pipeline: { pad: o.pad } }), schedule: o.schedule });
            else if (o.kind === 'remove') s.deploy.remove(caller, o.id);
            else if (o.kind === 'pause') for (const r of s.deploy.list(caller)) s.deploy.setState(r, 'paused');
            else if (o.kind === 'clear') s.deploy.clear();
            else s.deploy.importRecords(s.deploy.exportRecords().reverse());
          } catch (error) {
            expect(['NOT_FOUND', 'ALREADY_EXISTS', 'USER_STORAGE_FULL', 'SERVER_STORAGE_FULL']).toContain((error as { code: string }).code);
          }
          const recount = (records: readonly { pipelineJson: string; projectId: string }[]) =>
            records.reduce((sum, r) => sum + new TextEncoder().encode(r.pipelineJson + r.projectId).length, 0);
          for (const u of users) {
            expect(s.store.bytesFor(u.userId)).toBe(recount(s.store.listFor(u.userId)));
            expect(s.store.bytesFor(u.userId)).toBeLessThanOrEqual(200);
          }
          expect(s.store.bytes).toBe(recount(s.store.all()));
          expect(s.store.bytes).toBeLessThanOrEqual(300);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('error messages quote long values clipped', () => {
  it('quotes a non-string schedule of any size in at most 200 characters, saying how long it was', () => {
    const s = service({});
    const schedule = Array.from({ length: 500 }, (_, i) => i);
    const json = JSON.stringify(schedule);
    expect(failure(() => s.deploy.add(alice, { pipeline: { project_id: 'p' }, schedule })).message).toBe(
      `Invalid schedule '${json.slice(0, 200)}... (${json.length.toLocaleString('en-US')} characters)'. A schedule is a string, not an array. Expected "manual", a cron preset (@hourly etc.), or a 5-field cron expression.`,
    );
    expect(failure(() => s.deploy.add(alice, { pipeline: { project_id: 'p' }, schedule: [1, 2] })).message).toContain(
      "Invalid schedule '[1,2]'.",
    );
  });
});
