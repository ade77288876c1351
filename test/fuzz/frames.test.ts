/**
 * Issue 7's frame fuzzer (fuzz/frame-fuzz.ts) on a bounded budget, and its oracle held to the
 * spec on hand-written frames. Supersedes test/server/frames-property.test.ts: the budget
 * below sends those frame kinds and many more, over real connections to a server in a child
 * process, beside honest users whose every answer is checked.
 * Long runs: `npm run fuzz` (fuzz/run.ts). A violation names its seed and batch; replay it
 * with `replayFrameBatch` from fuzz/frame-fuzz.ts.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzFrames, type FrameFuzzSummary } from '../../fuzz/frame-fuzz.js';
import { frameBatch, pingOfSize } from '../../fuzz/frame-generators.js';
import { expectationFor } from '../../fuzz/oracle.js';
import { findLeaks, parseReply, replyProblems } from '../../fuzz/oracle-replies.js';
import type { MockServer } from '../../src/index.js';
import { createMutantServer } from '../../src/testing/mutants/index.js';

const SEED = 20261126;
const LIMIT = 64 * 1024;

/** Prints what a run found, so a failure shows the replay lines, not just a count. */
function report(summary: FrameFuzzSummary): string {
  return [...summary.crashReports, ...summary.violations].join('\n');
}

describe('the frame fuzzer on a bounded budget (WIRE-2, WIRE-9, DEP-MSG-1, DEP-ISO-1)', () => {
  it('sends 25,000 hostile frames beside honest users: no crash, no violation', { timeout: 90_000 }, async () => {
    const summary = await fuzzFrames({ frames: 25_000, seed: SEED });
    expect(report(summary)).toBe('');
    expect(summary.crashes).toBe(0);
    expect(summary.violationCount).toBe(0);
    expect(summary.frames).toBeGreaterThanOrEqual(25_000);
    // The budget reached every outcome: answered, dropped, and an oversized frame's 1009 close.
    expect(summary.answered).toBeGreaterThan(10_000);
    expect(summary.dropped).toBeGreaterThan(5_000);
    expect(summary.oversized).toBeGreaterThan(0);
    expect(summary.honestRequests).toBeGreaterThan(50);
    console.log(
      `frame fuzz: ${summary.frames} frames in ${summary.seconds.toFixed(1)} s (${Math.round(summary.framesPerSecond)} frames/s), seed ${summary.seed}`,
    );
  });

  it('counts a server crash, reports the batches in flight, restarts the server and goes on', { timeout: 60_000 }, async () => {
    let killed = false;
    let pid = 0;
    const summary = await fuzzFrames({
      frames: 6_000,
      seed: SEED + 1,
      onServerStart: (p) => (pid = p),
      progressEveryMs: 50,
      // Stands in for a crash: the first server is killed once it has taken some frames.
      onProgress: (p) => {
        if (!killed && p.frames > 1_000) {
          killed = true;
          process.kill(pid, 'SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    expect(summary.crashes).toBe(1);
    expect(summary.crashReports[0]).toMatch(/signal SIGKILL/);
    expect(summary.crashReports[0]).toMatch(/replayFrameBatch\(\{ seed: \d+, batch: \d+/);
    expect(summary.violations).toEqual([]);
    expect(summary.frames).toBeGreaterThanOrEqual(6_000);
  });
});

describe('the fuzzer catches broken servers', () => {
  const servers: MockServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  // Each mutant breaks what the fuzzer checks: envelopes, seq, request_seq, isolation.
  it.each([
    ['seq-not-incremented', /seq is \d+, expected \d+/],
    ['request-seq-as-string', /request_seq is "/],
    ['multiline-replies', /raw newline/],
    ['list-leaks-other-users', /another user's data|a record not the fuzz user's/],
  ])('%s', { timeout: 30_000 }, async (mutant, finding) => {
    const server = await createMutantServer([mutant], { limits: { maxFrameBytes: LIMIT } });
    servers.push(server);
    const summary = await fuzzFrames({ frames: 2_000, seed: SEED, url: server.url, frameLimit: LIMIT, replyTimeoutMs: 5_000 });
    expect(summary.violationCount).toBeGreaterThan(0);
    expect(summary.violations.join('\n')).toMatch(finding);
    expect(summary.violations[0]).toMatch(/replay: replayFrameBatch|\[seed/);
  });
});

describe('the oracle, on hand-written frames (WIRE-1, WIRE-2, WIRE-8, WIRE-9)', () => {
  const text = (s: string) => Buffer.from(s);
  const cases: Array<[string, Buffer, boolean, object]> = [
    ['a ping', text('{"type":"request","seq":3,"command":"rrext_ping"}'), false, { kind: 'answered', seq: 3, outcome: 'succeed' }],
    ['not JSON', text('{"seq":3,'), false, { kind: 'dropped' }],
    ['a JSON array', text('[{"seq":3}]'), false, { kind: 'dropped' }],
    ['a string seq', text('{"type":"request","seq":"3","command":"rrext_ping"}'), false, { kind: 'dropped' }],
    ['an infinite seq', text('{"type":"request","seq":1e400,"command":"rrext_ping"}'), false, { kind: 'dropped' }],
    ['a -0 seq', text('{"type":"request","seq":-0,"command":"rrext_ping"}'), false, { kind: 'answered', seq: -0, outcome: 'succeed' }],
    ['a BOM', text('\uFEFF{"type":"request","seq":3,"command":"rrext_ping"}'), false, { kind: 'dropped' }],
    ['no command', text('{"type":"request","seq":4}'), false, { kind: 'answered', seq: 4, outcome: 'fail' }],
    ['a wrong type', text('{"type":"event","seq":4,"command":"rrext_ping"}'), false, { kind: 'answered', outcome: 'fail' }],
    [
      'array arguments',
      text('{"type":"request","seq":4,"command":"rrext_ping","arguments":[]}'),
      false,
      { kind: 'answered', outcome: 'fail' },
    ],
    [
      'an unknown command',
      text('{"type":"request","seq":5,"command":"rrext_nope"}'),
      false,
      { kind: 'answered', outcome: 'fail', mentions: 'rrext_nope' },
    ],
    [
      'add without pipeline',
      text('{"type":"request","seq":6,"command":"rrext_deploy_add","arguments":{}}'),
      false,
      { kind: 'answered', outcome: 'fail' },
    ],
    [
      'add with a numeric project_id',
      text('{"type":"request","seq":6,"command":"rrext_deploy_add","arguments":{"pipeline":{"project_id":1}}}'),
      false,
      { outcome: 'fail' },
    ],
    ['status without projectId', text('{"type":"request","seq":7,"command":"rrext_deploy_status"}'), false, { outcome: 'fail' }],
    [
      'a valid status',
      text('{"type":"request","seq":7,"command":"rrext_deploy_status","arguments":{"projectId":"p"}}'),
      false,
      { outcome: 'either' },
    ],
    ['auth (never fuzzed)', text('{"type":"request","seq":8,"command":"auth","arguments":{"auth":"k"}}'), false, { kind: 'excluded' }],
    [
      'binary: header, newline, payload',
      text('{"type":"request","seq":9,"command":"rrext_ping"}\n{not json'),
      true,
      { kind: 'answered', seq: 9 },
    ],
    ['the same bytes as text', text('{"type":"request","seq":9,"command":"rrext_ping"}\n{not json'), false, { kind: 'dropped' }],
    [
      'binary pretty-printed: its header is "{"',
      text('{\n "type": "request", "seq": 9, "command": "rrext_ping"\n}'),
      true,
      { kind: 'dropped' },
    ],
    [
      'text pretty-printed: one JSON document',
      text('{\n "type": "request", "seq": 9, "command": "rrext_ping"\n}'),
      false,
      { kind: 'answered', seq: 9 },
    ],
    [
      'bad UTF-8 inside a string',
      Buffer.concat([text('{"type":"request","seq":10,"command":"rrext_ping","x":"'), Buffer.from([0xff]), text('"}')]),
      false,
      { kind: 'answered', seq: 10 },
    ],
    ['exactly at the limit', pingOfSize(11, LIMIT), false, { kind: 'answered', seq: 11 }],
    ['one byte over the limit', pingOfSize(11, LIMIT + 1), true, { kind: 'oversized' }],
  ];
  it.each(cases)('%s', (_name, bytes, binary, expected) => {
    expect(expectationFor(bytes, binary, LIMIT)).toMatchObject(expected);
  });

  it('draws the same batch from the same seed, and another from another', () => {
    const a = frameBatch(7, 3, { frameLimit: LIMIT }, 50);
    expect(frameBatch(7, 3, { frameLimit: LIMIT }, 50)).toEqual(a);
    expect(frameBatch(7, 4, { frameLimit: LIMIT }, 50)).not.toEqual(a);
  });
});

describe('the reply checks can fail', () => {
  const good = (seq: number, requestSeq: number) =>
    JSON.stringify({ type: 'response', seq, request_seq: requestSeq, command: 'rrext_ping', success: true, body: { pong: true } });

  it('accept a well-formed response, and reject each way of spoiling one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 5 }),
        (seq, requestSeq, spoil) => {
          expect(parseReply(good(seq, requestSeq), seq).problems).toEqual([]);
          const reply = JSON.parse(good(seq, requestSeq));
          const spoiled = [
            () => JSON.stringify(reply, null, 1), // multi-line
            () => JSON.stringify({ ...reply, seq: seq + 1 }), // seq skipped one
            () => JSON.stringify({ ...reply, request_seq: String(requestSeq) }),
            () => JSON.stringify({ ...reply, success: 'true' }),
            () => JSON.stringify({ ...reply, success: false, body: undefined }), // a failure without a message
            () => JSON.stringify({ ...reply, type: 'event' }),
          ][spoil]!();
          expect(parseReply(spoiled, seq).problems).not.toEqual([]);
        },
      ),
    );
  });

  it('hold an answer to its expectation', () => {
    const reply = {
      type: 'response',
      seq: 1,
      request_seq: 5,
      command: 'rrext_nope',
      success: false,
      message: 'Invalid command: rrext_nope',
    };
    expect(
      replyProblems(reply, { kind: 'answered', seq: 5, command: 'rrext_nope', outcome: 'fail', why: '', mentions: 'rrext_nope' }),
    ).toEqual([]);
    expect(
      replyProblems(
        { ...reply, message: 'Invalid command' },
        { kind: 'answered', seq: 5, command: 'rrext_nope', outcome: 'fail', why: '', mentions: 'rrext_nope' },
      ),
    ).not.toEqual([]);
    expect(replyProblems(reply, { kind: 'answered', seq: 5, command: 'rrext_nope', outcome: 'succeed', why: '' })).not.toEqual([]);
    expect(
      replyProblems({ ...reply, command: 'x' }, { kind: 'answered', seq: 5, command: 'rrext_nope', outcome: 'either', why: '' }),
    ).not.toEqual([]);
  });

  it('find a path, a stack frame or foreign data in any message, unless the asker sent it', () => {
    const leak = fc.constantFrom(
      '/home/ci/app/store.js',
      '/tmp/rrdk/x',
      'node_modules/ws/index.js',
      'file:///srv/a',
      '\n    at Store.get (store.ts:12:3)',
      'users/bob/deployments/p.json',
      'C:\\srv\\a',
    );
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }).filter((s) => findLeaks(s, '').length === 0),
        fc.string({ maxLength: 20 }).filter((s) => findLeaks(s, '').length === 0),
        leak,
        (before, after, secret) => {
          const text = JSON.stringify({ message: `${before}${secret}${after}` });
          expect(findLeaks(text, '{"projectId":"p"}')).not.toEqual([]);
          // The same text, when it only echoes what was sent, is no leak.
          expect(findLeaks(text, JSON.stringify({ projectId: `${before}${secret}${after}` }))).toEqual([]);
        },
      ),
    );
    expect(findLeaks('{"message":"Deployment not found: p"}', '', ['bob-secret'])).toEqual([]);
    expect(findLeaks('{"body":{"secret":"bob-secret"}}', '', ['bob-secret'])).not.toEqual([]);
  });
});
