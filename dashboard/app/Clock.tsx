/** The server's clock: its mode and time, and buttons that move it (the control API's advance, next and set). */
import { useState } from 'preact/hooks';
import type { Api } from './api.js';
import { shortTime } from './format.js';
import type { Clock as ClockAnswer, ClockMove } from './types.js';

const STEPS = [
  { label: '+1 m', by: '1m' },
  { label: '+1 h', by: '1h' },
  { label: '+1 d', by: '1d' },
];

export interface ClockProps {
  readonly api: Api;
  readonly clock: ClockAnswer | undefined;
  readonly act: (what: string, action: () => Promise<unknown>) => Promise<unknown>;
}

function moveSummary(move: ClockMove): string {
  const t = move.ticks;
  const skipped = (t['skipped_overlap'] ?? 0) + (t['skipped_paused'] ?? 0);
  const parts = [`${t['fired'] ?? 0} fired`, `${skipped} skipped`, `${t['errored_auth'] ?? 0} errored`, `${move.runsEnded} runs ended`];
  const tail =
    move.from === move.to ? ' (nothing was due: the clock stayed)' : move.complete === false ? ' (stopped early: move again)' : '';
  return `${shortTime(move.from)} → ${shortTime(move.to)}: ${parts.join(', ')}${tail}`;
}

export function Clock({ api, clock, act }: ClockProps) {
  const [instant, setInstant] = useState('');
  const [last, setLast] = useState<string | undefined>(undefined);
  const move = (what: string, call: () => Promise<ClockMove>) =>
    act(what, async () => {
      const answer = await call();
      setLast(moveSummary(answer));
      return answer;
    });
  return (
    <section class="clock" aria-label="Clock">
      <div class="clock-now">
        <span class="mode" title="fake: time stands still until moved; real: wall-clock time plus every jump">
          {clock?.mode ?? '…'}
        </span>
        <output aria-label="Server time">{clock === undefined ? '…' : shortTime(clock.now)}</output>
        <span class="zone">{clock?.timezone ?? ''}</span>
      </div>
      <div class="clock-buttons">
        {STEPS.map((step) => (
          <button type="button" key={step.by} onClick={() => move(`advance ${step.by}`, () => api.advance(step.by))}>
            {step.label}
          </button>
        ))}
        <button type="button" onClick={() => move('next tick', () => api.next())}>
          Next tick
        </button>
        <form
          class="clock-to"
          onSubmit={(event) => {
            event.preventDefault();
            const to = /^\d+$/.test(instant.trim()) ? Number(instant.trim()) : instant.trim();
            void move(`set clock to ${instant}`, () => api.setClock(to));
          }}
        >
          <input
            aria-label="Instant"
            placeholder="2026-11-27T00:00:00Z"
            value={instant}
            onInput={(event) => setInstant((event.target as HTMLInputElement).value)}
          />
          <button type="submit">Go to</button>
        </form>
      </div>
      {last !== undefined && <p class="clock-last">{last}</p>}
    </section>
  );
}
