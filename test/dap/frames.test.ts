import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/dap/frames.js';

const text = (s: string) => decodeFrame(Buffer.from(s), false);
const binary = (...parts: Array<string | number[]>) =>
  decodeFrame(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))), true);

describe('decodeFrame (WIRE-1, WIRE-9)', () => {
  it('decodes a text request, defaulting absent or null arguments to {}', () => {
    expect(text('{"type":"request","seq":3,"command":"rrext_ping"}')).toEqual({
      kind: 'request',
      heading: { command: 'rrext_ping', type: 'request' },
      seq: 3,
      command: 'rrext_ping',
      arguments: {},
    });
    expect(text('{"type":"request","seq":3,"command":"x","arguments":null}')).toMatchObject({ kind: 'request', arguments: {} });
  });

  it('puts a binary frame’s payload after the first \\n into arguments.data, byte for byte', () => {
    const frame = binary('{"type":"request","seq":4,"command":"upload","arguments":{"name":"f"}}', [0x0a, 0x00, 0x0a, 0xff, 0x7b]);
    expect(frame).toMatchObject({ kind: 'request', seq: 4, command: 'upload' });
    const args = (frame as { arguments: Record<string, unknown> }).arguments;
    expect(args['name']).toBe('f');
    expect(Buffer.isBuffer(args['data'])).toBe(true);
    expect([...(args['data'] as Buffer)]).toEqual([0x00, 0x0a, 0xff, 0x7b]);
  });

  it('gives an empty payload when the binary frame ends with \\n, and none without \\n', () => {
    const empty = binary('{"type":"request","seq":5,"command":"c"}', [0x0a]) as { arguments: Record<string, unknown> };
    expect((empty.arguments['data'] as Buffer).length).toBe(0);
    const plain = binary('{"type":"request","seq":5,"command":"c"}') as { arguments: Record<string, unknown> };
    expect(plain.arguments).toEqual({});
  });

  it.each([
    ['not JSON', 'nope'],
    ['not an object', '[{"seq":1}]'],
    ['no seq', '{"type":"request","command":"c"}'],
    ['a string seq', '{"type":"request","seq":"1","command":"c"}'],
    ['an infinite seq', '{"type":"request","seq":1e400,"command":"c"}'],
  ])('drops %s', (_name, frame) => {
    expect(text(frame).kind).toBe('drop');
  });

  it('reads text that is not valid UTF-8 leniently: garbage is dropped, a readable request is served', () => {
    expect(decodeFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), false).kind).toBe('drop');
    const request = Buffer.concat([
      Buffer.from('{"type":"request","seq":9,"command":"c","arguments":{"x":"'),
      Buffer.from([0xff]),
      Buffer.from('"}}'),
    ]);
    expect(decodeFrame(request, false)).toEqual({
      kind: 'request',
      heading: { command: 'c', type: 'request' },
      seq: 9,
      command: 'c',
      arguments: { x: '\uFFFD' },
    });
  });

  it('keeps float and negative seqs, which can be echoed as numbers', () => {
    expect(text('{"type":"request","seq":-2.5,"command":"c"}')).toMatchObject({ kind: 'request', seq: -2.5 });
  });

  it.each([
    ['{"seq":1,"type":"request"}', "'command' must be a non-empty string"],
    ['{"seq":1,"type":"request","command":""}', "'command' must be a non-empty string"],
    ['{"seq":1,"command":"c"}', `'type' must be "request"`],
    ['{"seq":1,"type":"request","command":"c","arguments":true}', "'arguments' must be an object"],
  ])('marks %s as a bad request: %s', (frame, problem) => {
    expect(text(frame)).toEqual(expect.objectContaining({ kind: 'bad', seq: 1, message: `Invalid request: ${problem}` }));
  });
});

describe('a leading byte-order mark', () => {
  it('is kept in the text whatever form the frame came in (bytes, a Buffer or a string), so every door drops it alike', () => {
    const frame = '\uFEFF{"type":"request","seq":1,"command":"auth","arguments":{"auth":"MYAPIKEY"}}';
    const bytes = new TextEncoder().encode(frame);
    for (const data of [bytes, Buffer.from(bytes), frame]) {
      expect(decodeFrame(data, false)).toEqual({ kind: 'drop', heading: { command: null, type: null }, reason: 'not JSON' });
      expect(decodeFrame(data, typeof data !== 'string')).toEqual({
        kind: 'drop',
        heading: { command: null, type: null },
        reason: 'not JSON',
      });
    }
  });
});
