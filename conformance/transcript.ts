/**
 * What a check sent and received, in order, so a failure can be read as a conversation:
 * frames on each connection, and clock moves through the control API.
 */

export interface TranscriptLine {
  /** Which connection (`c1`, `c2`, ...) or `control` for control API calls. */
  readonly channel: string;
  readonly direction: '>' | '<' | '*';
  readonly text: string;
}

/** Frames longer than this are shortened in the printout (the check saw them whole). */
const MAX_SHOWN = 400;
/** Lines kept; a long property run keeps its last ones, where the failure is. */
const MAX_LINES = 2000;

export class Transcript {
  #lines: TranscriptLine[] = [];
  #dropped = 0;
  /** Secrets (the run's keys, its control token) and what the printout shows instead. */
  readonly #secrets: Array<[string, string]> = [];

  /** Prints `secret` as `<label>`: keys must not end up in CI logs through a failure's transcript. */
  redact(secret: string, label: string): void {
    if (secret.length < 4) return; // shorter ones would blank out ordinary text
    // Frames hold it JSON-escaped (quotes, backslashes, non-ASCII as \\u): both spellings go.
    for (const spelling of new Set([
      secret,
      JSON.stringify(secret).slice(1, -1),
      JSON.stringify(secret)
        .slice(1, -1)
        .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    ])) {
      if (!this.#secrets.some(([known]) => known === spelling)) this.#secrets.push([spelling, `<${label}>`]);
    }
  }

  record(channel: string, direction: TranscriptLine['direction'], text: string): void {
    this.#lines.push({ channel, direction, text });
    if (this.#lines.length > MAX_LINES) {
      this.#lines.shift();
      this.#dropped += 1;
    }
  }

  /** Forgets everything: each property run starts a fresh conversation. */
  clear(): void {
    this.#lines = [];
    this.#dropped = 0;
  }

  get lines(): readonly TranscriptLine[] {
    return this.#lines;
  }

  /** The conversation as text, one frame a line: `c1 > {...}` sent, `c1 < {...}` received. */
  format(): string {
    const head = this.#dropped > 0 ? [`(${this.#dropped} earlier lines not kept)`] : [];
    return [
      ...head,
      ...this.#lines.map(({ channel, direction, text }) => {
        const clean = this.#secrets.reduce((t, [secret, label]) => t.split(secret).join(label), text);
        const shown = clean.length > MAX_SHOWN ? `${clean.slice(0, MAX_SHOWN)}… (${clean.length} chars)` : clean;
        return `${channel.padEnd(7)} ${direction} ${shown}`;
      }),
    ].join('\n');
  }
}
