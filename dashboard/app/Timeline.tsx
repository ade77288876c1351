/**
 * One deployment's run timeline, drawn in SVG: runs as bars over a time axis (coloured by
 * outcome, in progress until now), ticks that started no run as marks (skipped for an overlap,
 * skipped while paused, errored), zoomable from 15 minutes to a year and movable along the axis.
 * It reads the deployment's runs and ticks newest first, page by page, only as far back as the
 * window shows (the server keeps at most --history-limit of each per deployment).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from './api.js';
import { shortTime } from './format.js';
import { useResource } from './live.js';
import { axisLabels, layoutRuns, layoutTicks, windowEndingAt, ZOOMS, type Bar, type Mark } from './timeline-layout.js';
import type { DeploymentKey, Page, Run, Tick } from './types.js';

/** The first page is what every beat reads again (and the server remembers): small; pages further back, large. */
const FIRST_PAGE = 200;
const PAGE = 1000;
/** At most this many pages of each list per load: a window never costs more than 5,200 runs. */
const MAX_PAGES = 6;
const HEIGHT = 120;
const RUNS_Y = 14;
const RUNS_H = 40;
const MARKS_Y = 66;
const AXIS_Y = 92;

export interface TimelineProps {
  readonly api: Api;
  readonly beat: number;
  readonly deployment: DeploymentKey;
  readonly nowMs: number;
}

/** Newest first, page after page, until an item is older than `sinceMs` (or MAX_PAGES). */
async function readBack<T>(
  read: (cursor: string | undefined, limit: number) => Promise<Page<T>>,
  timeOf: (item: T) => number,
  sinceMs: number,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await read(cursor, page === 0 ? FIRST_PAGE : PAGE);
    items.push(...answer.items);
    const oldest = answer.items.at(-1);
    if (answer.next === null || oldest === undefined || timeOf(oldest) < sinceMs) break;
    cursor = answer.next;
  }
  return items;
}

export function Timeline({ api, beat, deployment, nowMs }: TimelineProps) {
  const [zoom, setZoom] = useState(3); // 1 d
  const [endMs, setEndMs] = useState<number | undefined>(undefined); // undefined: follow the clock
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(300, Math.floor(element.clientWidth))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const spanMs = ZOOMS[zoom]!.ms;
  const view = windowEndingAt(endMs ?? nowMs, spanMs);
  // Following the clock, the window moves with every beat: load by the zoom and the beat, not the exact start.
  const since = endMs === undefined ? Math.floor(nowMs / 60_000) * 60_000 - spanMs : view.startMs;
  const data = useResource(async () => {
    const [runs, ticks] = await Promise.all([
      readBack<Run>(
        (cursor, limit) => api.runs(deployment, { order: 'newest', limit, cursor }),
        (r) => Date.parse(r.startedAt),
        since,
      ),
      readBack<Tick>(
        (cursor, limit) => api.ticks(deployment, { order: 'newest', limit, cursor }),
        (t) => Date.parse(t.at),
        since,
      ),
    ]);
    return { runs, ticks };
  }, [beat, deployment.userId, deployment.projectId, since]);
  const runs = data.data?.runs ?? [];
  const ticks = data.data?.ticks ?? [];
  const bars = layoutRuns(runs, view, width, nowMs);
  const marks = layoutTicks(ticks, view, width);
  const labels = axisLabels(view, width);
  const shownRuns = bars.reduce((n, bar) => n + bar.runs, 0);
  const nowX = ((nowMs - view.startMs) / spanMs) * width;

  const zoomBy = (step: number) => setZoom((z) => Math.min(ZOOMS.length - 1, Math.max(0, z + step)));
  const pan = (share: number) => setEndMs(Math.min(nowMs, (endMs ?? nowMs) + share * spanMs));

  return (
    <section class="panel timeline" aria-label="Run timeline">
      <header>
        <h2>
          Run timeline <span class="subject">{`${deployment.userId}/${deployment.projectId}`}</span>
        </h2>
        <span class="zooms" role="group" aria-label="Zoom">
          {ZOOMS.map((z, i) => (
            <button type="button" key={z.label} class={i === zoom ? 'on' : ''} aria-pressed={i === zoom} onClick={() => setZoom(i)}>
              {z.label}
            </button>
          ))}
        </span>
        <span class="pan">
          <button type="button" aria-label="Earlier" onClick={() => pan(-0.5)}>
            ◀
          </button>
          <button type="button" aria-label="Later" disabled={endMs === undefined} onClick={() => pan(0.5)}>
            ▶
          </button>
          <button type="button" disabled={endMs === undefined} onClick={() => setEndMs(undefined)}>
            Now
          </button>
        </span>
      </header>
      {data.error && <p class="error">{data.error.message}</p>}
      <div
        class="timeline-box"
        ref={box}
        onWheel={(event) => {
          event.preventDefault();
          zoomBy(event.deltaY > 0 ? 1 : -1);
        }}
      >
        <svg width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={`${shownRuns} runs in the window`}>
          <rect class="lane" x={0} y={RUNS_Y} width={width} height={RUNS_H} />
          <g class="runs" data-runs={shownRuns}>
            {bars.map((bar) => (
              <BarShape key={bar.first.id} bar={bar} />
            ))}
          </g>
          <g class="marks" data-marks={marks.reduce((n, m) => n + m.ticks, 0)}>
            {marks.map((mark) => (
              <MarkShape key={`${mark.reason}@${mark.x}`} mark={mark} />
            ))}
          </g>
          <g class="axis">
            <line x1={0} x2={width} y1={AXIS_Y} y2={AXIS_Y} />
            {labels.map((label) => (
              <g key={label.x}>
                <line x1={label.x} x2={label.x} y1={AXIS_Y} y2={AXIS_Y + 5} />
                <text x={label.x} y={AXIS_Y + 18}>
                  {label.label}
                </text>
              </g>
            ))}
          </g>
          {nowX >= 0 && nowX <= width && <line class="now" x1={nowX} x2={nowX} y1={4} y2={AXIS_Y} />}
        </svg>
      </div>
      <p class="legend">
        <span class="key run-completed">completed</span>
        <span class="key run-failed">failed</span>
        <span class="key run-cancelled">cancelled</span>
        <span class="key run-running">in progress</span>
        <span class="key mark-skipped_overlap">skipped (overlap)</span>
        <span class="key mark-skipped_paused">skipped (paused)</span>
        <span class="key mark-errored_auth">errored</span>
        <span class="count">
          {shownRuns} runs, {marks.reduce((n, m) => n + m.ticks, 0)} marks in {ZOOMS[zoom]!.label} to{' '}
          {shortTime(new Date(view.endMs).toISOString())}
        </span>
      </p>
    </section>
  );
}

function BarShape({ bar }: { readonly bar: Bar }) {
  const title =
    bar.runs === 1
      ? `${bar.first.id} ${bar.first.trigger}: ${shortTime(bar.first.startedAt)} → ${shortTime(bar.first.endedAt)} ${bar.first.outcome ?? 'in progress'}`
      : `${bar.runs} runs ${bar.kind}: ${shortTime(bar.first.startedAt)} → ${shortTime(bar.last.endedAt ?? bar.last.startedAt)}`;
  return (
    <rect class={`run run-${bar.kind}`} x={bar.x} y={RUNS_Y} width={Math.max(bar.width, 2)} height={RUNS_H}>
      <title>{title}</title>
    </rect>
  );
}

function MarkShape({ mark }: { readonly mark: Mark }) {
  const x = mark.x;
  return (
    <path class={`mark mark-${mark.reason}`} d={`M${x - 4} ${MARKS_Y + 12} L${x} ${MARKS_Y} L${x + 4} ${MARKS_Y + 12} Z`}>
      <title>{`${mark.ticks} tick(s) ${mark.reason} from ${shortTime(mark.firstAt)}`}</title>
    </path>
  );
}
