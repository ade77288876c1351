/**
 * JSON text of plain data (what JSON.stringify gives, byte for byte) as a list of chunks, none
 * of which grows with the length of an array: the state file may be larger than the longest
 * string V8 can make, so it is never made as one. Arrays and objects are split into their
 * members, except small ones (a few primitives, such as a history entry or a deployment's
 * counters), which are stringified whole; consecutive small array elements in groups.
 */

/** Arrays and objects with at most this many members, all primitives, are small. */
const SMALL_MEMBERS = 16;
/** Small array elements stringified together: one call for many history entries, a few KiB of text. */
const GROUP = 64;

/**
 * Appends the members of `object` as they stand between its braces (`"a":1,"b":[...]`), so
 * that a caller can add members of its own after them.
 */
export function pushMembers(object: object, out: string[]): void {
  let first = true;
  for (const key of Object.keys(object)) {
    const value: unknown = (object as Record<string, unknown>)[key];
    const name = `${first ? '' : ','}${JSON.stringify(key)}:`;
    if (isLarge(value)) {
      out.push(name);
      pushLarge(value, out);
    } else {
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) continue; // undefined, a function or a symbol: JSON.stringify leaves the member out
      out.push(name + text);
    }
    first = false;
  }
}

function pushLarge(value: object, out: string[]): void {
  if (Array.isArray(value)) {
    out.push('[');
    pushElements(value, out);
    out.push(']');
  } else {
    out.push('{');
    pushMembers(value, out);
    out.push('}');
  }
}

function pushElements(array: readonly unknown[], out: string[]): void {
  let i = 0;
  while (i < array.length) {
    if (i > 0) out.push(',');
    const element = array[i];
    if (isLarge(element)) {
      pushLarge(element, out);
      i += 1;
      continue;
    }
    let end = i + 1;
    while (end < array.length && end - i < GROUP && !isLarge(array[end])) end += 1;
    // The group's elements as they stand between its brackets (holes and undefined give null, as in the whole array).
    out.push(JSON.stringify(array.slice(i, end)).slice(1, -1));
    i = end;
  }
}

/** An array or object JSON.stringify walks into, unless it is small. */
function isLarge(value: unknown): value is object {
  if (!isContainer(value)) return false;
  const members: readonly unknown[] = Array.isArray(value) ? value : Object.values(value);
  if (members.length > SMALL_MEMBERS) return true;
  for (const member of members) if (isContainer(member)) return true;
  return false;
}

/** One with toJSON is stringified as toJSON says: a primitive here. */
function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}
