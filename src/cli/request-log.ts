/**
 * `serve`'s request log: one line per server event (server-events.ts), as text for people or
 * as JSON lines for programs. Each line starts with (text) or carries as `at` (JSON) the server
 * clock's time of the event; a command's `ms` is real elapsed time, measured apart from the
 * clock. Lines are gathered and written once per turn of the event loop, so a burst of
 * requests costs one write.
 */
import { counted } from './counted.js';
import type { ServerEvent } from '../server-events.js';
import { isoTime } from '../domain/iso-time.js';

/** @since 0.5.0 */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Longest client-supplied text (a command name, a failure message) a line carries; the rest is cut, marked `…`. */
export const LOG_TEXT_LIMIT = 200;

/** One event as one line, without its newline. */
export function formatEvent(event: ServerEvent, format: LogFormat): string {
  return format === 'json' ? jsonLine(event) : textLine(event);
}

/** The JSON line: the event's fields, instants as ISO strings, client-supplied text clipped. */
function jsonLine(event: ServerEvent): string {
  const { type, at, ...fields } = event;
  const line: Record<string, unknown> = { at: isoTime(at), type, ...fields };
  if (event.type === 'clock-moved' || event.type === 'demo-seeded') line['from'] = isoTime(event.from);
  if (event.type === 'command') {
    line['command'] = clip(event.command);
    line['elapsedMs'] = round(event.elapsedMs);
    if (event.message !== undefined) line['message'] = clip(event.message);
  }
  return JSON.stringify(line);
}

function textLine(event: ServerEvent): string {
  const at = isoTime(event.at);
  switch (event.type) {
    case 'connection-opened':
      return `${at} connection ${event.connectionId} opened`;
    case 'connection-closed':
      return `${at} connection ${event.connectionId} closed (${event.userId === null ? 'not authenticated' : printable(event.userId)})`;
    case 'command': {
      const head = `${at} connection ${event.connectionId} ${event.userId === null ? '-' : printable(event.userId)} ${printable(clip(event.command))}`;
      const tail = event.message === undefined ? '' : `: ${printable(clip(event.message))}`;
      return `${head} ${event.outcome} ${round(event.elapsedMs)}ms${tail}`;
    }
    case 'run-started':
      return `${at} run ${event.runId} started (${event.trigger}): ${deployment(event)}`;
    case 'run-ended':
      return `${at} run ${event.runId} ${event.outcome} after ${span(event.durationMs)}: ${deployment(event)}`;
    case 'clock-moved': {
      const ticks = Object.entries(event.ticks).filter(([, n]) => n > 0);
      const done = [...ticks.map(([reason, n]) => `${reason} ${n}`), `runs ended ${event.runsEnded}`].join(', ');
      return `${at} clock moved from ${isoTime(event.from)} (+${span(event.at - event.from)}): ${done}`;
    }
    case 'fault-fired':
      return `${at} fault ${event.faultId} (${event.kind}) fired on connection ${event.connectionId}: ${printable(clip(event.command))}`;
    case 'demo-seeded':
      return (
        `${at} demo seeded ${counted(event.deployments, 'deployment')} (seed ${event.seed}), ${counted(event.runs, 'run')}; ` +
        `the clock moved from ${isoTime(event.from)} (+${span(event.at - event.from)})`
      );
  }
}

/**
 * The log as `serve` prints it: `onEvent` gathers lines, written to `write` once per turn of
 * the event loop; nothing is gathered until `start()` (after the start-up lines).
 */
export class RequestLog {
  #started = false;
  #lines: string[] = [];
  #scheduled = false;

  constructor(
    private readonly format: LogFormat,
    private readonly write: (text: string) => void,
  ) {}

  readonly onEvent = (event: ServerEvent): void => {
    if (!this.#started) return;
    this.#lines.push(formatEvent(event, this.format));
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.flush);
  };

  start(): void {
    this.#started = true;
  }

  /** Gathers nothing more and drops what is gathered: the output is gone (a closed pipe). */
  stop(): void {
    this.#started = false;
    this.#lines = [];
  }

  /** Writes what is gathered (also at shutdown, so the last lines are not lost). */
  readonly flush = (): void => {
    this.#scheduled = false;
    if (this.#lines.length === 0) return;
    const text = this.#lines.join('\n') + '\n';
    this.#lines = [];
    this.write(text);
  };
}

function deployment(event: { readonly userId: string; readonly projectId: string }): string {
  return `${printable(event.userId)}/${printable(clip(event.projectId))}`;
}

/** A span on the server clock: 250ms, 1s, 4m30s, 1h, 1d2h. */
export function span(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) parts.push(`${Math.floor(rest / size)}${unit}`);
    rest %= size;
  }
  return parts.join('');
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function clip(text: string): string {
  return text.length <= LOG_TEXT_LIMIT ? text : `${text.slice(0, LOG_TEXT_LIMIT)}…`;
}

/** Client-supplied text on a text line: control characters escaped, so one event stays one line. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
