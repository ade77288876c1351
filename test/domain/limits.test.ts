import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeployService, type Caller } from '../../src/domain/deploy-service.js';
import { codePointsOver, utf8BytesOver, utf8Length } from '../../src/domain/json.js';
import { DeploymentStore } from '../../src/domain/store.js';
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
      'limits.maxConection is not a limit; the limits are maxFrameBytes, maxPipelineBytes, maxProjectIdLength, maxDeploymentsPerUser, maxConnections, maxUnauthenticatedPerIp, authTimeoutMs, maxHandshakes, maxHandshakesPerIp, handshakeTimeoutMs',
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

describe('error messages quote long values clipped', () => {
  it('quotes a non-string schedule of any size in at most 200 characters, saying how long it was', () => {
    const s = service({});
    const schedule = Array.from({ length: 500 }, (_, i) => i);
    const json = JSON.stringify(schedule);
    expect(failure(() => s.deploy.add(alice, { pipeline: { project_id: 'p' }, schedule })).message).toBe(
      `Invalid schedule '${json.slice(0, 200)}... (${json.length.toLocaleString('en-US')} characters)'. Expected "manual", a cron preset (@hourly etc.), or a 5-field cron expression.`,
    );
    expect(failure(() => s.deploy.add(alice, { pipeline: { project_id: 'p' }, schedule: [1, 2] })).message).toContain(
      "Invalid schedule '[1,2]'.",
    );
  });
});
