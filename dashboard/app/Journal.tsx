/**
 * The frame journal, newest first, 50 entries a page: frames received (in) and sent (out),
 * filtered by connection, user, command and direction as the control API filters them.
 */
import { useState } from 'preact/hooks';
import type { Api, JournalFilter } from './api.js';
import { clip, shortTime } from './format.js';
import { useResource } from './live.js';
import { Pager, useCursorPages } from './Pager.js';

export const JOURNAL_PAGE = 50;

export interface JournalProps {
  readonly api: Api;
  readonly beat: number;
}

export function Journal({ api, beat }: JournalProps) {
  const [filter, setFilter] = useState<JournalFilter>({});
  const pages = useCursorPages();
  const { cursor } = pages;
  // An older page does not change: it is read once, not on every beat.
  const page = useResource(
    () => api.journal(filter, { order: 'newest', limit: JOURNAL_PAGE, cursor }),
    [cursor === undefined ? beat : 0, filter, cursor],
  );
  const set = (field: keyof JournalFilter) => (event: Event) => {
    const value = (event.target as HTMLInputElement | HTMLSelectElement).value.trim();
    setFilter((f) => ({ ...f, [field]: value === '' ? undefined : value }));
    pages.reset();
  };
  return (
    <section class="panel journal" aria-label="Journal">
      <header>
        <h2>Journal</h2>
        <form class="filters" onSubmit={(event) => event.preventDefault()}>
          <input aria-label="Connection" placeholder="connection" inputMode="numeric" size={9} onChange={set('connectionId')} />
          <input aria-label="User" placeholder="user" size={10} onChange={set('userId')} />
          <input aria-label="Command" placeholder="command" size={20} list="commands" onChange={set('command')} />
          <datalist id="commands">
            {[
              'auth',
              'deauth',
              'rrext_deploy_add',
              'rrext_deploy_list',
              'rrext_deploy_status',
              'rrext_deploy_update',
              'rrext_deploy_remove',
            ].map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
          <select aria-label="Direction" onChange={set('direction')}>
            <option value="">in and out</option>
            <option value="in">in</option>
            <option value="out">out</option>
          </select>
        </form>
        <Pager pages={pages} next={page.data?.next} labels={['◀ Newer', 'Older ▶']} />
      </header>
      {page.error && <p class="error">{page.error.message}</p>}
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>Time</th>
              <th>Conn.</th>
              <th>Dir.</th>
              <th>User</th>
              <th>Command</th>
              <th>Type</th>
              <th>Frame</th>
            </tr>
          </thead>
          <tbody>
            {(page.data?.items ?? []).map((e) => (
              <tr key={e.id} data-entry={e.id}>
                <td class="num">{e.id}</td>
                <td>{shortTime(e.at)}</td>
                <td class="num">{e.connectionId}</td>
                <td class={`dir dir-${e.direction}`}>{e.direction === 'in' ? '→ in' : '← out'}</td>
                <td>{e.userId ?? '—'}</td>
                <td class="command">{e.command ?? '—'}</td>
                <td>{e.type ?? '—'}</td>
                <td class="frame" title={clip(e.text, 4000)}>
                  <code>{clip(e.text, 160)}</code>
                </td>
              </tr>
            ))}
            {page.data !== undefined && page.data.items.length === 0 && (
              <tr>
                <td colSpan={8} class="empty">
                  No frames match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
