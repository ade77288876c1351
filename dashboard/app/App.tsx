/**
 * The dashboard: the clock on top; tabs for the deployments (with the selected one's run
 * timeline), the journal, and the connections and faults. Everything comes from the control API
 * (api.ts), reloaded on every beat (live.ts).
 */
import { useMemo, useState } from 'preact/hooks';
import { ApiError, createApi } from './api.js';
import { Clock } from './Clock.js';
import { Deployments } from './Deployments.js';
import { Journal } from './Journal.js';
import { useBeat, useResource } from './live.js';
import { Timeline } from './Timeline.js';
import { saveToken, takeToken } from './token.js';
import type { DeploymentKey } from './types.js';
import { Wires } from './Wires.js';

const TABS = [
  { id: 'deployments', label: 'Deployments' },
  { id: 'journal', label: 'Journal' },
  { id: 'wires', label: 'Connections & faults' },
] as const;
type TabId = (typeof TABS)[number]['id'];

export function App() {
  const [token, setToken] = useState(takeToken);
  const api = useMemo(() => createApi(() => token), [token]);
  const [beat, refresh] = useBeat();
  const [tab, setTab] = useState<TabId>('deployments');
  const [selected, setSelected] = useState<DeploymentKey | undefined>(undefined);
  const [status, setStatus] = useState<{ text: string; error: boolean } | undefined>(undefined);
  const clock = useResource(() => api.clock(), [beat, token]);

  const act = async (what: string, action: () => Promise<unknown>) => {
    try {
      const answer = await action();
      setStatus({ text: `${what}: done`, error: false });
      return answer;
    } catch (error) {
      setStatus({ text: `${what}: ${error instanceof Error ? error.message : String(error)}`, error: true });
      return undefined;
    } finally {
      refresh();
    }
  };

  const unauthorized = clock.error instanceof ApiError && clock.error.status === 401;
  return (
    <div class="app">
      <header class="top">
        <h1>
          rocketride-deploy-kit <span>dashboard</span>
        </h1>
        <Clock api={api} clock={clock.data} act={act} />
      </header>
      {unauthorized && (
        <TokenForm
          onToken={(t) => {
            saveToken(t);
            setToken(t === '' ? undefined : t);
          }}
        />
      )}
      {clock.error && !unauthorized && <p class="error banner">{clock.error.message}</p>}
      <p class={`status ${status?.error ? 'error' : ''}`} role="status">
        {status?.text ?? ''}
      </p>
      <nav class="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            type="button"
            role="tab"
            key={t.id}
            aria-selected={t.id === tab}
            class={t.id === tab ? 'on' : ''}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </nav>
      {!unauthorized && tab === 'deployments' && (
        <>
          <Deployments api={api} beat={beat} nowMs={clock.data?.nowMs} selected={selected} onSelect={setSelected} act={act} />
          {selected !== undefined && clock.data !== undefined && (
            <Timeline api={api} beat={beat} deployment={selected} nowMs={clock.data.nowMs} />
          )}
        </>
      )}
      {!unauthorized && tab === 'journal' && <Journal api={api} beat={beat} />}
      {!unauthorized && tab === 'wires' && <Wires api={api} beat={beat} act={act} />}
    </div>
  );
}

function TokenForm({ onToken }: { readonly onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="token"
      onSubmit={(event) => {
        event.preventDefault();
        onToken(value);
      }}
    >
      <p>
        This server requires its control token (serve --control-token). Open the dashboard as http://HOST:PORT/#token=TOKEN, or enter it:
      </p>
      <input
        type="password"
        aria-label="Control token"
        autocomplete="off"
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Use token</button>
    </form>
  );
}
