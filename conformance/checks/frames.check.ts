/**
 * WIRE-9 for frames with many brackets, where a server may judge JSON by other means than a plain
 * parse (a scan that bounds the depth, a cut past it): each frame is judged as JSON.parse judges
 * it.
 *
 * - Wide frames: thousands of brackets but shallow, with every kind of JSON token beside them
 *   (each escape, each number form, the literals, every whitespace). They are ordinary requests:
 *   each is answered once, successfully.
 * - Deep frames broken far inside: past 4,096 levels, one JSON error from a corpus of every kind,
 *   placed just past that depth or at the bottom. JSON.parse refuses them, so
 *   they are dropped unanswered, however deep the fault lies. (A valid frame that deep may be
 *   dropped or answered: wire.check.ts's property covers those.)
 */
import { expect } from 'vitest';
import { check, soft } from '../context.js';
import type { DapConnection } from '../dap.js';

/** Valid JSON values covering the grammar: every escape, number form, literal and container form. */
const VALID_VALUES = [
  '"plain"',
  '""',
  '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
  '"\\u005B\\u005d\\u007B\\u007d\\uABCD\\uabcd\\u0000"',
  '"\\ud83d\\ude00 \\ud800 lone"',
  '"brackets [ ] { } , : inside"',
  '"é ✓ 😀"',
  '0',
  '-0',
  '12',
  '-7.25',
  '0.5',
  '1e5',
  '1E+5',
  '2e-5',
  '-1.5E10',
  'true',
  'false',
  'null',
  '[]',
  '{}',
  '[ ]',
  '{ }',
  '[1,"a",null]',
  '{"k":1,"l":[2,{"m":"n"}]}',
  ' \t\r\n [ \t\r\n 1 \t\r\n , \t\r\n { \t\r\n "a" \t\r\n : \t\r\n true \t\r\n } \t\r\n ] \t\r\n ',
];

/** Text JSON.parse refuses, one kind of error each, to stand in for a value. */
const BROKEN_VALUES = [
  '[1,]',
  '[,1]',
  '[1,,2]',
  '[1 2]',
  '{"a":1,}',
  '{,}',
  '{"a" 1}',
  '{"a":}',
  '{a:1}',
  '{1:2}',
  "{'a':1}",
  '{"a":1 "b":2}',
  '{"a":1,"b"}',
  '{"a"}',
  '[}',
  '{]',
  '[1]]',
  '01',
  '-01',
  '1.',
  '.5',
  '-',
  '+1',
  '1e',
  '1e+',
  '0x1',
  'NaN',
  'Infinity',
  'tru',
  'nul',
  'True',
  '"unterminated',
  '"bad \\x escape"',
  '"bad \\u12G4 escape"',
  '"short \\u00"',
  '"raw\ttab"',
  '"raw\nnewline"',
  "'single'",
  '""""',
];

/** A request frame for seq, with `value` as its arguments' one field. */
const request = (seq: number, value: string): string => `{"type":"request","seq":${seq},"command":"rrext_ping","arguments":{"v":${value}}}`;

/** `value` nested `depth` levels deep (arrays and objects alternating), with `value` at `at` levels and more around it. */
function deep(depth: number, at: number, value: string): string {
  let inner = '0';
  for (let level = depth; level >= 1; level--) {
    const here = level === at ? `${value},` : '';
    inner = level % 2 === 0 ? `[${here}${inner}]` : `{"a":${here === '' ? '' : `${value},"b":`}${inner}}`;
  }
  return inner;
}

/** Sends frames one at a time and returns the replies each got before the ping sent after it was answered. */
async function answersTo(c: DapConnection, frame: string, seq: number): Promise<string[]> {
  const from = c.received.length;
  await c.sendRaw(frame);
  const ping = await c.request('rrext_ping');
  expect(ping.success, `the connection must serve on after a frame of ${frame.length} characters: ${ping.raw}`).toBe(true);
  return c.received.slice(from).filter((text) => {
    try {
      return (JSON.parse(text) as { request_seq?: unknown }).request_seq === seq;
    } catch {
      return false;
    }
  });
}

check(
  ['WIRE-9', 'WIRE-2'],
  'a frame with thousands of brackets but shallow (any JSON token beside them) is an ordinary request: answered once, successfully',
  async (t) => {
    const c = await t.session();
    // 5,000 empty containers (more openings than the 4,096 levels a scan may bound) at depth 2, then each value of the corpus, alone, as an object's value and in an array.
    const wide = Array.from({ length: 5000 }, (_, i) => (i % 2 === 0 ? '[]' : '{}')).join(',');
    let seq = 5000;
    for (const value of VALID_VALUES) {
      seq += 1;
      const frame = request(seq, `[${wide},${value},{"x":${value}},[${value}]]`);
      expect(() => JSON.parse(frame), 'the check builds valid JSON').not.toThrow();
      const answers = await answersTo(c, frame, seq);
      soft('WIRE-2', () =>
        expect(
          answers.length,
          `a valid request with ${value} beside 5,000 empty containers is answered exactly once: ${answers.join(' ')}`,
        ).toBe(1),
      );
      if (answers.length === 1)
        soft('WIRE-9', () => expect(JSON.parse(answers[0]!).success, `${value} beside 5,000 empty containers: ${answers[0]}`).toBe(true));
    }
  },
);

check(
  ['WIRE-9'],
  'a frame nested past 4096 levels and broken far inside (every kind of JSON error, at every depth) is dropped unanswered',
  async (t) => {
    let c = await t.session();
    let seq = 6000;
    const depth = 4600;
    for (const value of BROKEN_VALUES) {
      for (const at of [4097, depth]) {
        seq += 1;
        const frame = request(seq, deep(depth, at, value));
        expect(() => JSON.parse(frame), `the check builds broken JSON (${value})`).toThrow();
        if (!c.isOpen) c = await t.session();
        const answers = await answersTo(c, frame, seq);
        soft('WIRE-9', () =>
          expect(
            answers,
            `${JSON.stringify(value)} at depth ${at} of ${depth}: JSON.parse refuses the frame, so it must be dropped, unanswered`,
          ).toEqual([]),
        );
      }
    }
  },
);

check(
  ['WIRE-9'],
  'a frame with thousands of brackets that is not a JSON object (an array, broken at its start or its end, or a bare value after them) is dropped unanswered, and the connection serves on',
  async (t) => {
    const c = await t.session();
    const many = '['.repeat(5000);
    const frames = [
      `[,x${many}`,
      `[ ,${many}`,
      `${many}${']'.repeat(5000)}`,
      `${many}1${']'.repeat(4999)}`,
      `${many}${']'.repeat(5001)}`,
      `[${Array.from({ length: 5000 }, () => '{}').join(',')}]`,
      `${request(7001, `[${'[],'.repeat(5000)}[]]`)} 1`,
      `${request(7002, `[${'[],'.repeat(5000)}[]]`)}}`,
    ];
    for (const frame of frames) {
      const what = `${JSON.stringify(frame.slice(0, 24))}… (${frame.length} characters)`;
      const from = c.received.length;
      await c.sendRaw(frame);
      const pings = [await c.request('rrext_ping'), await c.request('rrext_ping')];
      soft('WIRE-9', () =>
        expect(
          pings.map((p) => p.success),
          `the connection itself, after ${what}`,
        ).toEqual([true, true]),
      );
      const extra = c.received.slice(from).filter((text) => !pings.some((p) => p.raw === text));
      soft('WIRE-9', () => expect(extra, `${what} is no JSON object: it must be dropped, unanswered`).toEqual([]));
    }
  },
);
