/**
 * fast-check arbitraries of hostile DAP frames (issue 7's fuzzer): random bytes, random JSON,
 * near-valid requests with wrong types, known commands with garbage arguments, huge strings,
 * deep nesting, invalid UTF-8 and BOMs, text and binary frames (with and without `\n` and a
 * payload), and frames just under and over the frame limit.
 *
 * Values are built as JSON *text*, not as values passed to JSON.stringify, so that spellings
 * JSON.stringify never writes (`-0`, `1e400`, duplicate keys, 5,000 levels of nesting) reach
 * the server too. Batches are drawn with a seed (`frameBatch`), so any batch can be rebuilt.
 */
import fc from 'fast-check';
import { KNOWN_COMMANDS } from './oracle.js';

/** One WebSocket message to send: its bytes, and whether it goes as a binary (else text) frame. */
export interface FuzzFrame {
  readonly bytes: Buffer;
  readonly binary: boolean;
  /** Which generator made it (for reports). */
  readonly kind: string;
}

/** What the generators must know about the target. */
export interface FrameShape {
  /** The server's frame limit in bytes: frames above it close the connection with 1009. */
  readonly frameLimit: number;
}

/** The commands the server knows, minus `auth`/`deauth` (they change the connection's state). */
export const FUZZED_COMMANDS = KNOWN_COMMANDS.filter((command) => command !== 'auth' && command !== 'deauth');

/** Project ids the fuzz user reuses, so its valid adds hit "already exists" and stay few. */
const POOL_SIZE = 24;
const poolId = fc.integer({ min: 0, max: POOL_SIZE - 1 }).map((i) => `fz-${i}`);

const json = (value: unknown): string => JSON.stringify(value) ?? 'null';
/** Any JSON value as text: objects, arrays, strings with any unicode, numbers. */
const jsonText = fc.jsonValue({ maxDepth: 2 }).map(json);

/** Any code points, lone surrogates included (built once: fast-check takes a while to build it). */
const anyUnit = fc.string({ minLength: 1, maxLength: 3, unit: 'binary' });

/** A huge JSON string, sized against the limit so a frame holding it usually still fits. */
const hugeString = (shape: FrameShape): fc.Arbitrary<string> =>
  fc
    .tuple(anyUnit, fc.integer({ min: 1_000, max: Math.max(1_000, Math.floor(shape.frameLimit / 4)) }))
    .map(([unit, size]) => json(unit.repeat(Math.ceil(size / unit.length)).slice(0, size)));

/** Objects and arrays nested hundreds to thousands of levels deep. */
const deepText = fc.tuple(fc.integer({ min: 200, max: 6_000 }), fc.constantFrom('array', 'object', 'mixed')).map(([depth, how]) => {
  if (how === 'array') return '['.repeat(depth) + ']'.repeat(depth);
  if (how === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  return '[{"a":'.repeat(depth >> 1) + '[]' + '}]'.repeat(depth >> 1);
});

/** Text with paths and separators in it: ids that look like files must stay opaque keys. */
const pathLike = fc.constantFrom(
  '../../alice/deployments/x',
  '../',
  '..',
  '.',
  '/etc/passwd',
  'a/b/c',
  '%2e%2e%2f%2e%2e%2f',
  'C:\\Windows\\win.ini',
  'users/local/deployments/p.json',
  '\u0000',
  'fz-1/../fz-2',
  'ﬁ\u200d🚀',
);

const projectIdText = (shape: FrameShape): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 32, arbitrary: poolId.map(json) },
    { weight: 12, arbitrary: pathLike.map(json) },
    { weight: 8, arbitrary: fc.string({ maxLength: 12, unit: 'grapheme' }).map(json) },
    { weight: 8, arbitrary: jsonText },
    { weight: 1, arbitrary: hugeString(shape) },
    { weight: 1, arbitrary: deepText },
  );

/** Schedules: valid ones, near misses the spec names, cron-like garbage, wrong types. */
const scheduleText = (shape: FrameShape): fc.Arbitrary<string> => {
  const token = fc.constantFrom(
    '*',
    '*/5',
    '*/0',
    '0',
    '59',
    '60',
    '1-5',
    '5-1',
    'JAN',
    'mon',
    '7',
    '1,2',
    'L',
    '#',
    '?',
    '',
    '  ',
    '\t',
    'x',
  );
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom('manual', '@daily', '@hourly', '0 * * * *', '*/15 9-17 * * MON-FRI').map(json) },
    {
      weight: 12,
      arbitrary: fc
        .constantFrom(
          '@reboot',
          '@every 5m',
          '@HOURLY',
          '0 0 30 2 *',
          '* * * * * *',
          '0 0 1 1 * 2030',
          '',
          ' ',
          '61 * * * *',
          '*/0 * * * *',
          'Manual',
        )
        .map(json),
    },
    { weight: 12, arbitrary: fc.array(token, { minLength: 1, maxLength: 8 }).map((t) => json(t.join(' '))) },
    { weight: 8, arbitrary: jsonText },
    { weight: 1, arbitrary: hugeString(shape) },
    { weight: 1, arbitrary: deepText },
  );
};

/** A JSON object's text from [key, value text] entries (keys may repeat: JSON.parse keeps the last). */
const objectText = (entries: ReadonlyArray<readonly [string, string]>): string =>
  `{${entries.map(([k, v]) => `${json(k)}:${v}`).join(',')}}`;

/** Pipelines: right-ish shapes with a wrong project_id, plain garbage, huge, deep. */
const pipelineText = (shape: FrameShape): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 24,
      arbitrary: fc
        .tuple(projectIdText(shape), fc.array(fc.tuple(fc.string({ maxLength: 6 }), jsonText), { maxLength: 3 }))
        .map(([id, extra]) => `{"project_id":${id},"extra":${objectText(extra)}}`),
    },
    { weight: 8, arbitrary: fc.record({ nodes: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }) }).map(json) },
    { weight: 8, arbitrary: jsonText },
    { weight: 1, arbitrary: hugeString(shape).map((s) => `{"project_id":"fz-0","blob":${s}}`) },
    { weight: 1, arbitrary: deepText.map((d) => `{"project_id":"fz-1","deep":${d}}`) },
  );

/** `arguments` as an object: the fields the command reads, maybe of wrong types. */
const argumentsObject = (shape: FrameShape): fc.Arbitrary<string> =>
  fc
    .oneof(
      {
        weight: 32,
        arbitrary: fc
          .record(
            {
              pipeline: pipelineText(shape),
              schedule: scheduleText(shape),
              projectId: projectIdText(shape),
              data: jsonText,
            },
            { requiredKeys: [] },
          )
          .map((fields) => Object.entries(fields)),
      },
      {
        // A "__proto__" key: JSON.parse makes it an own property; code that copies objects may not.
        weight: 3,
        arbitrary: fc.tuple(pipelineText(shape), projectIdText(shape), jsonText).map(
          ([pipeline, projectId, proto]) =>
            [
              ['projectId', projectId],
              ['pipeline', pipeline],
              ['__proto__', proto],
            ] as Array<[string, string]>,
        ),
      },
    )
    .map((entries) => objectText(entries));

/** `arguments`: an object as above, or not an object at all, or absent. */
const argumentsText = (shape: FrameShape): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 32, arbitrary: argumentsObject(shape) },
    { weight: 8, arbitrary: jsonText },
    { weight: 1, arbitrary: deepText },
    { weight: 8, arbitrary: fc.constant(undefined) },
  );

/** `seq` spellings: ordinary, odd numbers JSON allows, numbers that overflow, other types, absent. */
const seqText: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 40, arbitrary: fc.integer({ min: 0, max: 2 ** 31 - 1 }).map(String) },
  {
    weight: 12,
    arbitrary: fc.constantFrom(
      '-0',
      '0',
      '-1',
      '1.5',
      '0.1e1',
      '1E2',
      '1e308',
      '-1e308',
      '5e-324',
      '9007199254740993',
      '123456789012345678901234567890',
      '1e400',
      '-1e400',
      '-0.0',
    ),
  },
  { weight: 4, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(json) },
  { weight: 8, arbitrary: fc.oneof(fc.string({ maxLength: 4 }).map(json), fc.constantFrom('null', 'true', '[1]', '{"n":1}', '"7"')) },
  { weight: 1, arbitrary: deepText },
  { weight: 8, arbitrary: fc.constant(undefined) },
);

const commandText: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...FUZZED_COMMANDS).map(json) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        'rrext_unknown',
        'rrext_public_nope',
        'rrext_deploy_',
        'RRext_ping',
        'rrext_ping ',
        '',
        '__proto__',
        'constructor',
        'toString',
        'rrext_deploy_list\u0000',
      )
      .map(json),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 16 }).map(json) },
  { weight: 1, arbitrary: fc.constantFrom('null', '7', 'true', '["rrext_ping"]', '{"c":"rrext_ping"}') },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const typeText: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('"request"') },
  { weight: 2, arbitrary: fc.constantFrom('"response"', '"event"', '"REQUEST"', '""', 'null', '1', '["request"]') },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** A request envelope with each field maybe wrong or absent, keys in any order, maybe a duplicate `seq`. */
const nearValidText = (shape: FrameShape): fc.Arbitrary<string> =>
  fc
    .tuple(
      typeText,
      seqText,
      commandText,
      argumentsText(shape),
      fc.option(seqText, { freq: 12 }),
      fc.option(jsonText, { freq: 8 }),
      fc.boolean(),
    )
    .map(([type, seq, command, args, duplicateSeq, extra, reversed]) => {
      const entries: Array<[string, string]> = [];
      if (type !== undefined) entries.push(['type', type]);
      if (seq !== undefined) entries.push(['seq', seq]);
      if (command !== undefined) entries.push(['command', command]);
      if (args !== undefined) entries.push(['arguments', args]);
      if (duplicateSeq !== null && duplicateSeq !== undefined) entries.push(['seq', duplicateSeq]);
      if (extra !== null) entries.push(['extra', extra]);
      return objectText(reversed ? entries.reverse() : entries);
    });

/** Requests the server should serve: valid deploy traffic on the fuzz user's pooled ids. */
const validText: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    fc.constantFrom(...FUZZED_COMMANDS),
    poolId,
    fc.constantFrom('manual', '@daily', '0 * * * *'),
    fc.jsonValue({ maxDepth: 2 }),
  )
  .map(([seq, command, projectId, schedule, extra]) => {
    const args =
      command === 'rrext_deploy_add' || command === 'rrext_deploy_update'
        ? { projectId, pipeline: { project_id: projectId, extra }, schedule }
        : { projectId };
    return json({ type: 'request', seq, command, arguments: args });
  });

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Bytes that are not valid UTF-8: lone continuation bytes, overlong forms, surrogates, truncated sequences. */
const badUtf8 = fc.constantFrom(
  Buffer.from([0x80]),
  Buffer.from([0xff]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xfe, 0xfe]),
);
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A frame's bytes spoiled: a BOM in front, bad UTF-8 inserted, a byte changed, or cut short. */
const mutated = (base: fc.Arbitrary<string>): fc.Arbitrary<Buffer> =>
  fc
    .tuple(base, fc.constantFrom('bom', 'insert', 'flip', 'truncate'), fc.nat(), badUtf8, fc.integer({ min: 0, max: 255 }))
    .map(([text, how, at, bad, byte]) => {
      const bytes = utf8(text);
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (how === 'bom') return Buffer.concat([BOM, bytes]);
      if (how === 'insert') return Buffer.concat([bytes.subarray(0, i), bad, bytes.subarray(i)]);
      if (how === 'truncate') return bytes.subarray(0, i);
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[i] = byte;
      return copy;
    });

const text =
  (kind: string) =>
  (data: Buffer | string): FuzzFrame => ({ bytes: typeof data === 'string' ? utf8(data) : data, binary: false, kind });
const binary =
  (kind: string) =>
  (data: Buffer | string): FuzzFrame => ({ bytes: typeof data === 'string' ? utf8(data) : data, binary: true, kind });

/** A binary frame: a JSON header, `\n`, and a raw payload (which may hold more `\n` bytes). */
const withPayload = (header: fc.Arbitrary<string>): fc.Arbitrary<FuzzFrame> =>
  fc
    .tuple(header, fc.uint8Array({ maxLength: 96 }), fc.boolean())
    .map(([h, payload, newlines]) =>
      binary('binary+payload')(
        Buffer.concat([utf8(h), Buffer.from([0x0a]), Buffer.from(payload), newlines ? Buffer.from('\n\n{}\n') : Buffer.alloc(0)]),
      ),
    );

/** A `rrext_ping` padded to exactly `size` bytes (an ASCII pad, so bytes and characters agree). */
export function pingOfSize(seq: number, size: number): Buffer {
  const head = `{"type":"request","seq":${seq},"command":"rrext_ping","arguments":{"pad":"`;
  const tail = '"}}';
  const padding = Math.max(0, size - head.length - tail.length);
  return utf8(head + 'p'.repeat(padding) + tail);
}

/** Frames at or just under the limit: they must be served like any other. */
const atTheLimit = (shape: FrameShape): fc.Arbitrary<FuzzFrame> =>
  fc
    .tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 64 }), fc.boolean())
    .map(([seq, under, asBinary]) => (asBinary ? binary : text)('at-limit')(pingOfSize(seq, shape.frameLimit - under)));

/**
 * Frames over the limit: the connection closes with 1009, so the harness sends one only as
 * the last frame of a batch.
 */
export const overTheLimit = (shape: FrameShape): fc.Arbitrary<FuzzFrame> =>
  fc.oneof(
    fc
      .tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(1, 2, 100, shape.frameLimit), fc.boolean())
      .map(([seq, over, asBinary]) => (asBinary ? binary : text)('over-limit')(pingOfSize(seq, shape.frameLimit + over))),
    fc
      .tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 256 }))
      .map(([seq, over]) =>
        binary('over-limit-payload')(
          Buffer.concat([utf8(`{"type":"request","seq":${seq},"command":"rrext_ping"}\n`), Buffer.alloc(shape.frameLimit + over, 0x0a)]),
        ),
      ),
    fc.integer({ min: 1, max: 64 }).map((over) => binary('over-limit-bytes')(Buffer.alloc(shape.frameLimit + over, 0xff))),
  );

/** Any frame but an oversized one. */
export function frameArbitrary(shape: FrameShape): fc.Arbitrary<FuzzFrame> {
  const near = nearValidText(shape);
  return fc.oneof(
    { weight: 90, arbitrary: near.map(text('near-valid')) },
    { weight: 18, arbitrary: near.map(binary('near-valid-binary')) },
    { weight: 24, arbitrary: withPayload(fc.oneof(near, validText)) },
    { weight: 30, arbitrary: validText.map(text('valid')) },
    { weight: 21, arbitrary: fc.tuple(jsonText, fc.boolean()).map(([t, b]) => (b ? binary : text)('json')(t)) },
    {
      weight: 18,
      arbitrary: fc
        .tuple(fc.uint8Array({ maxLength: 200 }), fc.boolean())
        .map(([b, asBinary]) => (asBinary ? binary : text)('bytes')(Buffer.from(b))),
    },
    {
      weight: 24,
      arbitrary: fc
        .tuple(mutated(fc.oneof(near, validText)), fc.boolean())
        .map(([b, asBinary]) => (asBinary ? binary : text)('bad-utf8')(b)),
    },
    // A pretty-printed request: one JSON object as text; split at its first `\n` as binary.
    {
      weight: 9,
      arbitrary: fc.tuple(validText, fc.boolean()).map(([t, b]) => (b ? binary : text)('pretty')(JSON.stringify(JSON.parse(t), null, 2))),
    },
    { weight: 3, arbitrary: deepText.map(text('deep')) },
    { weight: 1, arbitrary: atTheLimit(shape) },
  );
}

/** How a batch ends: mostly with its sentinel, now and then with an oversized frame. */
function tailArbitrary(shape: FrameShape): fc.Arbitrary<FuzzFrame | null> {
  return fc.oneof({ weight: 30, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: overTheLimit(shape) });
}

/** The seed of batch `index` of a run seeded with `seed` (a 32-bit mix, so neighbours differ). */
export function batchSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) | 0;
}

// Arbitraries are built once per frame limit: building them is a good part of a batch's cost.
const arbitraries = new Map<number, { frame: fc.Arbitrary<FuzzFrame>; tail: fc.Arbitrary<FuzzFrame | null> }>();

/**
 * Batch `index` of the run seeded with `seed`: `size` frames, maybe an oversized one last. The
 * same frames every time (replays use it). Frames are drawn one by one (`fc.sample` with
 * `numRuns`), which is several times faster than one `fc.array` of them.
 */
export function frameBatch(seed: number, index: number, shape: FrameShape, size: number): FuzzFrame[] {
  let arbs = arbitraries.get(shape.frameLimit);
  if (!arbs) arbitraries.set(shape.frameLimit, (arbs = { frame: frameArbitrary(shape), tail: tailArbitrary(shape) }));
  const batch = batchSeed(seed, index);
  const frames = size > 0 ? fc.sample(arbs.frame, { seed: batch, numRuns: size }) : [];
  // Huge parts can add up past the limit by chance; only the last frame may close the connection.
  const kept = frames.filter((f) => f.bytes.length <= shape.frameLimit);
  const tail = fc.sample(arbs.tail, { seed: batch ^ 0x5bd1e995, numRuns: 1 })[0];
  return tail ? [...kept, tail] : kept;
}
