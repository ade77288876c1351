import { describe, expect, it } from 'vitest';
import { axisLabels, DAY, HOUR, layoutRuns, layoutTicks, MINUTE, windowEndingAt } from '../../dashboard/app/timeline-layout.js';
import type { Run, Tick } from '../../dashboard/app/types.js';

const T0 = Date.parse('2026-11-26T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function run(n: number, startMs: number, durationMs: number | null, outcome: Run['outcome'] = 'completed'): Run {
  return {
    id: `run-${n}`,
    userId: 'local',
    projectId: 'p',
    trigger: 'schedule',
    scheduledFor: iso(startMs),
    startedAt: iso(startMs),
    endedAt: durationMs === null ? null : iso(startMs + durationMs),
    outcome: durationMs === null ? null : outcome,
  };
}

function tick(atMs: number, reason: Tick['reason']): Tick {
  return { at: iso(atMs), userId: 'local', projectId: 'p', reason, runId: null };
}

describe('the run timeline layout', () => {
  it('places runs as bars in proportion to the window, a run in progress reaching now', () => {
    const window = { startMs: T0, endMs: T0 + HOUR };
    const bars = layoutRuns(
      [run(2, T0 + 30 * MINUTE, null), run(1, T0 + 15 * MINUTE, 6 * MINUTE, 'failed')],
      window,
      600,
      T0 + 45 * MINUTE,
    );
    expect(bars).toHaveLength(2);
    expect(bars[0]).toMatchObject({ x: 150, width: 60, kind: 'failed', runs: 1 });
    expect(bars[1]).toMatchObject({ x: 300, width: 150, kind: 'running', runs: 1 });
  });

  it('merges runs closer than a pixel with the same outcome, so a year of runs draws at most a bar per pixel', () => {
    const runs = Array.from({ length: 365 * 96 }, (_, i) => run(i, T0 + i * 15 * MINUTE, MINUTE, i % 1000 === 0 ? 'failed' : 'completed'));
    const window = windowEndingAt(T0 + 365 * DAY, 365 * DAY);
    const bars = layoutRuns(runs, window, 800, T0 + 365 * DAY);
    expect(bars.length).toBeLessThanOrEqual(2 * 800);
    expect(bars.reduce((n, b) => n + b.runs, 0)).toBe(runs.length);
    expect(bars.filter((b) => b.kind === 'failed').reduce((n, b) => n + b.runs, 0)).toBe(36);
  });

  it('leaves out runs outside the window and clips those crossing its edges', () => {
    const window = { startMs: T0, endMs: T0 + HOUR };
    const bars = layoutRuns(
      [run(1, T0 - 2 * HOUR, MINUTE), run(2, T0 - MINUTE, 2 * MINUTE), run(3, T0 + 2 * HOUR, MINUTE)],
      window,
      60,
      T0,
    );
    expect(bars).toEqual([expect.objectContaining({ x: 0, width: 1, runs: 1 })]);
    expect(bars[0]!.first.id).toBe('run-2');
  });

  it('marks skipped and errored ticks (not fired ones), one mark per pixel and reason', () => {
    const window = { startMs: T0, endMs: T0 + HOUR };
    const marks = layoutTicks(
      [
        tick(T0 + 10 * MINUTE, 'fired'),
        tick(T0 + 20 * MINUTE, 'skipped_paused'),
        tick(T0 + 20 * MINUTE + 1000, 'skipped_paused'),
        tick(T0 + 20 * MINUTE, 'skipped_overlap'),
        tick(T0 + 50 * MINUTE, 'errored_auth'),
        tick(T0 + 2 * HOUR, 'errored_auth'),
      ],
      window,
      60,
    );
    expect(marks.map((m) => [m.x, m.reason, m.ticks])).toEqual([
      [20, 'skipped_paused', 2],
      [20, 'skipped_overlap', 1],
      [50, 'errored_auth', 1],
    ]);
  });

  it('labels the axis at a step that fits, from minutes to months', () => {
    // 900 px for 15 minutes: a label a minute would be 60 px apart, so every 5 minutes; midnight shows its date.
    expect(axisLabels({ startMs: T0, endMs: T0 + 15 * MINUTE }, 900).map((l) => l.label)).toEqual(['11-26', '00:05', '00:10', '00:15']);
    expect(axisLabels({ startMs: T0 + HOUR, endMs: T0 + 2 * HOUR }, 1200).map((l) => l.label)).toEqual([
      '01:00',
      '01:05',
      '01:10',
      '01:15',
      '01:20',
      '01:25',
      '01:30',
      '01:35',
      '01:40',
      '01:45',
      '01:50',
      '01:55',
      '02:00',
    ]);
    const year = axisLabels(windowEndingAt(T0 + 365 * DAY, 365 * DAY), 900);
    expect(year.length).toBeGreaterThanOrEqual(4);
    expect(year.length).toBeLessThanOrEqual(10);
    expect(year.every((l) => /^\d{4}-\d{2}-\d{2}$/.test(l.label))).toBe(true);
    for (let i = 1; i < year.length; i++) expect(year[i]!.x - year[i - 1]!.x).toBeGreaterThanOrEqual(90);
  });
});
