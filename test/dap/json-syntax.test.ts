import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isJsonText } from '../../src/dap/json-syntax.js';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Characters JSON is made of, and a few that break it, so random text is often nearly JSON. */
const jsonish = fc.string({
  unit: fc.constantFrom(
    '[',
    ']',
    '{',
    '}',
    '"',
    ':',
    ',',
    ' ',
    '\n',
    '\\',
    'u',
    '0',
    '1',
    '-',
    '.',
    'e',
    '+',
    't',
    'r',
    'x',
    'n',
    'l',
    '\u0001',
    'é',
  ),
  maxLength: 30,
});

/** Valid JSON with one character deleted, inserted or replaced. */
const mutated = fc
  .tuple(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v, null, 1)),
    fc.nat(),
    fc.constantFrom('', ',', '"', ']', '}', '0', ' ', '\\', 'e'),
    fc.constantFrom('delete', 'insert', 'replace'),
  )
  .map(([text, at, char, how]) => {
    const i = at % (text.length + 1);
    return text.slice(0, i) + (how === 'delete' ? '' : char) + text.slice(how === 'insert' ? i : i + 1);
  });

describe('isJsonText', () => {
  it('accepts exactly what JSON.parse accepts', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonish,
          mutated,
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.string(),
        ),
        (text) => {
          expect(isJsonText(text)).toBe(parses(text));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it.each([
    '',
    ' ',
    '01',
    '1.',
    '.5',
    '-',
    '1e',
    '"\\x"',
    '"\\u12"',
    '[1,]',
    '{"a":1,}',
    '{"a" 1}',
    '{1:2}',
    'tru',
    'nul',
    '[] []',
    '"\t"',
  ])('refuses %j', (text) => {
    expect(parses(text)).toBe(false);
    expect(isJsonText(text)).toBe(false);
  });

  it.each(['0', '-0.5e+3', ' [ ] ', '{"a":[{"b":null}],"c":true}', '"\\u00e9\\n\\/"', '"é\u2028"'])('accepts %j', (text) => {
    expect(parses(text)).toBe(true);
    expect(isJsonText(text)).toBe(true);
  });

  it('decides a million levels of nesting without recursion', () => {
    expect(isJsonText('['.repeat(1_000_000) + ']'.repeat(1_000_000))).toBe(true);
    expect(isJsonText('['.repeat(1_000_000) + ']'.repeat(999_999))).toBe(false);
  });
});
