/**
 * Random 5-field cron expressions as SCHED-1 allows them: wildcards, steps, values (names too),
 * ranges, ranged steps and lists, leaning on the rare calendar cases (Feb 29, the 31st, Sunday
 * as 0 or 7). croner, the oracle, may still refuse one (a step longer than its field).
 */
import fc from 'fast-check';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldGen {
  readonly min: number;
  readonly max: number;
  /** Values the generator should hit often (rare calendar cases). */
  readonly favourite?: fc.Arbitrary<number>;
  /** Renders a value, possibly as a name. */
  readonly render?: (value: number) => fc.Arbitrary<string>;
  /** How often the whole field is a literal `*` (relative to 4 for anything else). */
  readonly starWeight?: number;
}

function valueOf(field: FieldGen): fc.Arbitrary<number> {
  const any = fc.integer({ min: field.min, max: field.max });
  return field.favourite ? fc.oneof({ arbitrary: field.favourite, weight: 2 }, { arbitrary: any, weight: 1 }) : any;
}

function rendered(field: FieldGen, value: number): fc.Arbitrary<string> {
  return field.render ? field.render(value) : fc.constant(String(value));
}

function item(field: FieldGen): fc.Arbitrary<string> {
  // croner refuses a step longer than its array (7 for weekdays, although 7 is a valid value).
  const step = fc.integer({ min: 1, max: Math.min(field.max - field.min + 1, field.max === 7 ? 7 : 60) });
  const range = fc
    .tuple(valueOf(field), valueOf(field))
    .chain(([a, b]) => fc.tuple(rendered(field, Math.min(a, b)), rendered(field, Math.max(a, b))).map(([x, y]) => `${x}-${y}`));
  return fc.oneof(
    fc.constant('*'),
    step.map((n) => `*/${n}`),
    valueOf(field).chain((v) => rendered(field, v)),
    range,
    fc.tuple(range, step).map(([r, n]) => `${r}/${n}`),
  );
}

function field(spec: FieldGen): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constant('*'), weight: spec.starWeight ?? 1 },
    { arbitrary: item(spec), weight: 3 },
    { arbitrary: fc.array(item(spec), { minLength: 2, maxLength: 4 }).map((items) => items.join(',')), weight: 1 },
  );
}

const named =
  (names: readonly string[], first: number) =>
  (value: number): fc.Arbitrary<string> => {
    const name = names[value - first];
    if (name === undefined) return fc.constant(String(value)); // weekday 7 has no name
    return fc.constantFrom(String(value), name, name.toLowerCase());
  };

export const cronPattern = fc
  .tuple(
    field({ min: 0, max: 59 }),
    field({ min: 0, max: 23 }),
    // A literal * in one day field makes the other decide alone, so rare dates (Feb 29) matter.
    field({ min: 1, max: 31, favourite: fc.integer({ min: 28, max: 31 }), starWeight: 3 }),
    field({ min: 1, max: 12, favourite: fc.constantFrom(2, 4, 6, 9, 11), render: named(MONTHS, 1) }),
    field({ min: 0, max: 7, favourite: fc.constantFrom(0, 7), render: named(DAYS, 0), starWeight: 4 }),
  )
  .map((parts) => parts.join(' '));
