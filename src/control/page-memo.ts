/**
 * The last pages a list answered, given again while what they show has not changed (the list's
 * `version` says): a dashboard or a test polling the same page costs one read per change, not
 * one per poll, and the HTTP door renders a remembered page's text once (http/json-answers.ts).
 * A remembered page is frozen, so no caller can change what the next one is given.
 */
export class PageMemo<P extends object> {
  static readonly SIZE = 16;
  readonly #pages = new Map<string, P>();
  #version: unknown = PageMemo; // matches no version a list gives

  constructor(private readonly version: () => unknown) {}

  /** The page `key` names (the filter and the page's choice), made by `read` when not remembered. */
  read(key: string, read: () => P): P {
    const version = this.version();
    if (version !== this.#version) {
      this.#pages.clear();
      this.#version = version;
    }
    const known = this.#pages.get(key);
    if (known !== undefined) return known;
    const page = freezeDeep(read());
    if (this.#pages.size >= PageMemo.SIZE) this.#pages.delete(this.#pages.keys().next().value!);
    this.#pages.set(key, page);
    return page;
  }
}

/** Freezes a JSON-shaped value and everything in it. */
function freezeDeep<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const inner of Object.values(value)) freezeDeep(inner);
  return Object.freeze(value);
}
