/** JSON value types for pipelines, which the kit stores as opaque documents. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** The fields of `fields` that are not undefined (a caller may spell "not given" either way). */
export function definedFields<T extends object>(fields: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/** A plain JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether `value` nests objects and arrays deeper than `limit` levels. Iterative, so a hostile
 * document cannot overflow the stack here; stops as soon as the limit is passed.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Whether `text` takes more than `limit` bytes as UTF-8. Counts without encoding (browser-safe,
 * no copy), and not at all when even three bytes per UTF-16 unit would fit.
 */
export function utf8BytesOver(text: string, limit: number): boolean {
  if (text.length * 3 <= limit) return false;
  if (text.length > limit) return true;
  return utf8Length(text, limit) > limit;
}

/** A UTF-16 unit that is not ASCII (a surrogate included). */
const NOT_ASCII = /[\u0080-\uffff]/;

/**
 * The UTF-8 size of a text, as TextEncoder writes it (a lone surrogate becomes U+FFFD: 3 bytes).
 * With `stopAbove`, counting stops once the size passes it (the result is then only "more").
 */
export function utf8Length(text: string, stopAbove = Infinity): number {
  // Pipelines are mostly ASCII, one byte a unit: one native scan skips to the first other unit
  // (several times faster than the loop, which a 4 MiB pipeline would spend ~20 ms in).
  const ascii = text.search(NOT_ASCII);
  if (ascii < 0) return text.length;
  let bytes = ascii;
  for (let i = ascii; i < text.length && bytes <= stopAbove; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair is one 4-byte character
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** Whether `text` has more than `limit` characters (Unicode code points; a surrogate pair is one). */
export function codePointsOver(text: string, limit: number): boolean {
  if (text.length <= limit) return false;
  let count = 0;
  for (const _ of text) if (++count > limit) return true;
  return false;
}
