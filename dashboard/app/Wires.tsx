/** The open DAP connections and the injected faults (remove one, or all). */
import type { Api } from './api.js';
import { shortTime } from './format.js';
import { useResource } from './live.js';

export interface WiresProps {
  readonly api: Api;
  readonly beat: number;
  readonly act: (what: string, action: () => Promise<unknown>) => Promise<unknown>;
}

export function Wires({ api, beat, act }: WiresProps) {
  const connections = useResource(() => api.connections(), [beat]);
  const faults = useResource(() => api.faults(), [beat]);
  return (
    <div class="wires">
      <section class="panel connections" aria-label="Connections">
        <header>
          <h2>Connections</h2>
          <span class="count">{connections.data?.length ?? 0} open</span>
        </header>
        {connections.error && <p class="error">{connections.error.message}</p>}
        <table>
          <thead>
            <tr>
              <th>Id</th>
              <th>User</th>
              <th>Opened</th>
            </tr>
          </thead>
          <tbody>
            {(connections.data ?? []).map((c) => (
              <tr key={c.id} data-connection={c.id}>
                <td class="num">{c.id}</td>
                <td>{c.userId ?? '(not authenticated)'}</td>
                <td>{shortTime(c.openedAt)}</td>
              </tr>
            ))}
            {connections.data?.length === 0 && (
              <tr>
                <td colSpan={3} class="empty">
                  No open DAP connection.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
      <section class="panel faults" aria-label="Faults">
        <header>
          <h2>Faults</h2>
          <button type="button" disabled={!faults.data?.length} onClick={() => act('clear faults', () => api.clearFaults())}>
            Clear all
          </button>
        </header>
        {faults.error && <p class="error">{faults.error.message}</p>}
        <table>
          <thead>
            <tr>
              <th>Id</th>
              <th>Kind</th>
              <th>Scope</th>
              <th>Left</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(faults.data ?? []).map((f) => (
              <tr key={f.id} data-fault={f.id}>
                <td>{f.id}</td>
                <td>{f.kind}</td>
                <td>
                  {[
                    f.command && `command ${f.command}`,
                    f.connectionId !== undefined && `connection ${f.connectionId}`,
                    f.userId && `user ${f.userId}`,
                  ]
                    .filter(Boolean)
                    .join(', ') || 'every request'}
                </td>
                <td class="num">
                  {f.remaining} of {f.count}
                </td>
                <td>
                  <button type="button" onClick={() => act(`remove fault ${f.id}`, () => api.removeFault(f.id))}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
            {faults.data?.length === 0 && (
              <tr>
                <td colSpan={5} class="empty">
                  No active fault (POST /control/faults, or `control fault KIND`).
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
    </div>
  );
}
