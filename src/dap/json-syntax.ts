/**
 * Whether text is JSON, decided in one pass without building anything and without recursion
 * (a stack of open containers and a state), and optionally a copy cut to a depth. Only frames
 * with many brackets come here (nesting.ts): for them, V8's JSON.parse is slow enough per level
 * to hold the whole server.
 */

const enum Expect {
  Value,
  ValueOrClose,
  KeyOrClose,
  Key,
  Colon,
  CommaOrClose,
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** Exactly what `JSON.parse` accepts (as text; it never builds the value). */
export function isJsonText(text: string): boolean {
  return checkJson(text, Infinity) !== INVALID;
}

/** Not JSON; or JSON, with its copy cut to the depth asked (undefined when nothing nests deeper). */
export type JsonCheck = typeof INVALID | { readonly shallow: string | undefined };

const INVALID = 'invalid' as const;

/**
 * Checks that `text` is JSON and, when arrays and objects nest deeper than `cutPast` levels,
 * makes a copy with each outermost container past that depth replaced by `null` (cheap to parse).
 */
export function checkJson(text: string, cutPast: number): JsonCheck {
  // Open containers, 1 for an object: a typed array, as these frames nest millions deep.
  const open = new Uint8Array((text.length >> 1) + 1);
  let depth = 0;
  let expect = Expect.Value;
  let i = 0;
  const kept: string[] = [];
  let keptFrom = 0;
  let cutFrom = -1;
  const close = () => {
    if (depth === cutPast + 1) {
      kept.push(text.slice(keptFrom, cutFrom), 'null');
      keptFrom = i + 1;
    }
    depth -= 1;
  };
  for (;;) {
    i = skipWhitespace(text, i);
    if (i >= text.length) {
      if (expect !== Expect.CommaOrClose || depth !== 0) return INVALID;
      if (kept.length === 0) return { shallow: undefined };
      kept.push(text.slice(keptFrom));
      return { shallow: kept.join('') };
    }
    const c = text.charCodeAt(i);
    // An empty container closes right after it opened.
    if ((expect === Expect.ValueOrClose && c === 0x5d) || (expect === Expect.KeyOrClose && c === 0x7d)) {
      close();
      i += 1;
      expect = Expect.CommaOrClose;
      continue;
    }
    switch (expect) {
      case Expect.Value:
      case Expect.ValueOrClose:
        if (c === 0x5b || c === 0x7b) {
          open[depth++] = c === 0x7b ? 1 : 0;
          if (depth === cutPast + 1) cutFrom = i;
          i += 1;
          expect = c === 0x7b ? Expect.KeyOrClose : Expect.ValueOrClose;
        } else {
          i = scalarEnd(text, i);
          if (i < 0) return INVALID;
          expect = Expect.CommaOrClose;
        }
        break;
      case Expect.Key:
      case Expect.KeyOrClose:
        if (c !== 0x22) return INVALID;
        i = stringEnd(text, i);
        if (i < 0) return INVALID;
        expect = Expect.Colon;
        break;
      case Expect.Colon:
        if (c !== 0x3a) return INVALID;
        i += 1;
        expect = Expect.Value;
        break;
      case Expect.CommaOrClose: {
        if (depth === 0) return INVALID; // something after the top-level value
        const object = open[depth - 1] === 1;
        if (c === 0x2c) expect = object ? Expect.Key : Expect.Value;
        else if (c === (object ? 0x7d : 0x5d)) close();
        else return INVALID;
        i += 1;
        break;
      }
    }
  }
}

function skipWhitespace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i += 1;
  }
}

/** The index after the string, number or literal at `i`, or -1 if there is none. */
function scalarEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22) return stringEnd(text, i);
  for (const literal of ['true', 'false', 'null']) if (text.startsWith(literal, i)) return i + literal.length;
  NUMBER.lastIndex = i;
  return NUMBER.test(text) ? NUMBER.lastIndex : -1;
}

/** The index after the string whose opening quote is at `i`, or -1 if it is not a valid string. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) return -1;
    if (c !== 0x5c) continue;
    const escaped = text.charCodeAt(j + 1);
    if (escaped === 0x75) {
      if (!HEX4.test(text.slice(j + 2, j + 6))) return -1;
      j += 5;
    } else if ('"\\/bfnrt'.includes(text[j + 1] ?? 'x')) j += 1;
    else return -1;
  }
  return -1;
}
