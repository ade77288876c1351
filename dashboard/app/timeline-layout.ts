/**
 * The run timeline's geometry, apart from drawing it: a time window mapped onto a width in
 * pixels; runs as bars (runs closer than a pixel with the same outcome merge into one bar, so a
 * year of runs draws at most a bar per pixel); skipped, paused and errored ticks as marks (one
 * per pixel and reason); and the time axis' labels at a step that fits the window.
 */
import type { Run, RunOutcome, Tick, TickReason } from './types.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The zoom levels, from minutes to months (and a year). */
export const ZOOMS: ReadonlyArray<{ readonly label: string; readonly ms: number }> = [
  { label: '15 m', ms: 15 * MINUTE },
  { label: '1 h', ms: HOUR },
  { label: '6 h', ms: 6 * HOUR },
  { label: '1 d', ms: DAY },
  { label: '1 w', ms: 7 * DAY },
  { label: '30 d', ms: 30 * DAY },
  { label: '90 d', ms: 90 * DAY },
  { label: '1 y', ms: 365 * DAY },
];

export interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

export type BarKind = RunOutcome | 'running';

export interface Bar {
  readonly x: number;
  readonly width: number;
  readonly kind: BarKind;
  /** Runs drawn by this bar (more than one when they are closer than a pixel). */
  readonly runs: number;
  readonly first: Run;
  readonly last: Run;
}

export type MarkReason = Exclude<TickReason, 'fired'>;

export interface Mark {
  readonly x: number;
  readonly reason: MarkReason;
  readonly ticks: number;
  readonly firstAt: string;
}

export interface AxisLabel {
  readonly x: number;
  readonly label: string;
}

export function xOf(ms: number, window: Window, width: number): number {
  return ((ms - window.startMs) / (window.endMs - window.startMs)) * width;
}

function kindOf(run: Run): BarKind {
  return run.outcome ?? 'running';
}

/** Runs overlapping the window, as bars; `runs` in any order; a run in progress lasts until `nowMs`. */
export function layoutRuns(runs: readonly Run[], window: Window, width: number, nowMs: number): Bar[] {
  const shown = runs
    .map((run) => ({ run, start: Date.parse(run.startedAt), end: run.endedAt === null ? nowMs : Date.parse(run.endedAt) }))
    .filter(({ start, end }) => end >= window.startMs && start <= window.endMs)
    .sort((a, b) => a.start - b.start);
  const bars: Bar[] = [];
  for (const { run, start, end } of shown) {
    const x0 = Math.max(0, xOf(start, window, width));
    const x1 = Math.min(width, xOf(end, window, width));
    const kind = kindOf(run);
    const previous = bars.at(-1);
    if (previous !== undefined && previous.kind === kind && x0 <= previous.x + previous.width + 1) {
      bars[bars.length - 1] = { ...previous, width: Math.max(previous.width, x1 - previous.x), runs: previous.runs + 1, last: run };
    } else {
      bars.push({ x: x0, width: Math.max(x1 - x0, 0), kind, runs: 1, first: run, last: run });
    }
  }
  return bars;
}

/** Ticks that started no run, inside the window, as marks: one per pixel column and reason. */
export function layoutTicks(ticks: readonly Tick[], window: Window, width: number): Mark[] {
  const marks = new Map<string, Mark>();
  for (const tick of ticks) {
    if (tick.reason === 'fired') continue;
    const at = Date.parse(tick.at);
    if (at < window.startMs || at > window.endMs) continue;
    const x = Math.round(xOf(at, window, width));
    const key = `${tick.reason}@${x}`;
    const mark = marks.get(key);
    if (mark === undefined) marks.set(key, { x, reason: tick.reason, ticks: 1, firstAt: tick.at });
    else marks.set(key, { ...mark, ticks: mark.ticks + 1, firstAt: tick.at < mark.firstAt ? tick.at : mark.firstAt });
  }
  return [...marks.values()].sort((a, b) => a.x - b.x);
}

const STEPS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
  60 * DAY,
];

/** Axis labels (UTC) at the smallest step leaving at least `minGap` pixels between labels. */
export function axisLabels(window: Window, width: number, minGap = 90): AxisLabel[] {
  const span = window.endMs - window.startMs;
  const step = STEPS.find((s) => (s / span) * width >= minGap) ?? STEPS.at(-1)!;
  const labels: AxisLabel[] = [];
  const first = Math.ceil(window.startMs / step) * step;
  for (let at = first; at <= window.endMs; at += step) {
    labels.push({ x: xOf(at, window, width), label: labelOf(at, step) });
  }
  return labels;
}

function labelOf(ms: number, step: number): string {
  const iso = new Date(ms).toISOString();
  if (step < DAY) return iso.slice(11, 16) === '00:00' ? iso.slice(5, 10) : iso.slice(11, 16);
  return iso.slice(0, 10);
}

/** A window of `spanMs` ending at `endMs`. */
export function windowEndingAt(endMs: number, spanMs: number): Window {
  return { startMs: endMs - spanMs, endMs };
}
