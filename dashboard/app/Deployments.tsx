/**
 * Deployments per user, one page at a time (50, with the control API's cursor): schedule,
 * state, next due times, counters, and pause, resume and trigger. A click on a row selects the
 * deployment for the run timeline.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.js';
import { relative, shortTime } from './format.js';
import { useResource } from './live.js';
import { Pager, useCursorPages } from './Pager.js';
import type { Deployment, DeploymentKey } from './types.js';

export const DEPLOYMENTS_PAGE = 50;

export interface DeploymentsProps {
  readonly api: Api;
  readonly beat: number;
  readonly nowMs: number | undefined;
  readonly selected: DeploymentKey | undefined;
  readonly onSelect: (key: DeploymentKey) => void;
  readonly act: (what: string, action: () => Promise<unknown>) => Promise<unknown>;
}

export function sameDeployment(a: DeploymentKey | undefined, b: DeploymentKey | undefined): boolean {
  return a !== undefined && b !== undefined && a.userId === b.userId && a.projectId === b.projectId;
}

export function Deployments({ api, beat, nowMs, selected, onSelect, act }: DeploymentsProps) {
  const [userId, setUserId] = useState('');
  const pages = useCursorPages();
  const { cursor } = pages;
  const users = useResource(() => api.users(), [Math.floor(beat / 10)]);
  const page = useResource(() => api.deployments({ userId, cursor, limit: DEPLOYMENTS_PAGE }), [beat, userId, cursor]);
  const items = page.data?.items ?? [];
  const first = items[0];
  useEffect(() => {
    if (selected === undefined && first !== undefined) onSelect({ userId: first.userId, projectId: first.projectId }); // something to look at
  }, [selected, first]);

  return (
    <section class="panel deployments" aria-label="Deployments">
      <header>
        <h2>Deployments</h2>
        <label>
          User{' '}
          <select
            aria-label="User"
            value={userId}
            onChange={(event) => {
              setUserId((event.target as HTMLSelectElement).value);
              pages.reset();
            }}
          >
            <option value="">every user</option>
            {(users.data ?? []).map((user) => (
              <option key={user.userId} value={user.userId}>
                {user.userId}
              </option>
            ))}
          </select>
        </label>
        <Pager pages={pages} next={page.data?.next} labels={['◀ Previous', 'Next ▶']} />
      </header>
      {page.error && <p class="error">{page.error.message}</p>}
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>User</th>
              <th>Project</th>
              <th>Schedule</th>
              <th>State</th>
              <th>Next due</th>
              <th title="completed / failed / cancelled">Runs</th>
              <th title="fired / skipped (overlap + paused) / errored">Ticks</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <Row
                key={`${d.userId}/${d.projectId}`}
                d={d}
                nowMs={nowMs}
                selected={sameDeployment(d, selected)}
                onSelect={onSelect}
                api={api}
                act={act}
              />
            ))}
            {page.data !== undefined && items.length === 0 && (
              <tr>
                <td colSpan={8} class="empty">
                  No deployments{userId === '' ? '' : ` of ${userId}`} yet: add one over DAP (rrext_deploy_add), or `control seed 25`.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

interface RowProps {
  readonly d: Deployment;
  readonly nowMs: number | undefined;
  readonly selected: boolean;
  readonly onSelect: (key: DeploymentKey) => void;
  readonly api: Api;
  readonly act: DeploymentsProps['act'];
}

function Row({ d, nowMs, selected, onSelect, api, act }: RowProps) {
  const c = d.counters;
  const name = `${d.userId}/${d.projectId}`;
  const next = d.nextDue[0];
  return (
    <tr class={selected ? 'selected' : ''} data-deployment={name} onClick={() => onSelect({ userId: d.userId, projectId: d.projectId })}>
      <td>{d.userId}</td>
      <td class="project">{d.projectId}</td>
      <td>
        <code>{d.schedule ?? 'manual'}</code>
      </td>
      <td>
        <span class={`state state-${d.state}`}>{d.runInProgress ? `${d.state}, running` : d.state}</span>
      </td>
      <td title={d.nextDue.map(shortTime).join('\n')}>
        {next === undefined ? '—' : nowMs === undefined ? shortTime(next) : `${shortTime(next)} (${relative(next, nowMs)})`}
      </td>
      <td class="num">
        {c.completed} / {c.failed} / {c.cancelled}
      </td>
      <td class="num">
        {c.fired} / {c.skipped_overlap + c.skipped_paused} / {c.errored_auth}
      </td>
      <td class="actions" onClick={(event) => event.stopPropagation()}>
        {d.state === 'paused' ? (
          <button type="button" aria-label={`Resume ${name}`} onClick={() => act(`resume ${name}`, () => api.resume(d))}>
            Resume
          </button>
        ) : (
          <button
            type="button"
            aria-label={`Pause ${name}`}
            disabled={d.state === 'errored'}
            onClick={() => act(`pause ${name}`, () => api.pause(d))}
          >
            Pause
          </button>
        )}
        <button
          type="button"
          aria-label={`Trigger ${name}`}
          disabled={d.state === 'errored' || d.runInProgress !== null}
          onClick={() => act(`trigger ${name}`, () => api.trigger(d))}
        >
          Trigger
        </button>
      </td>
    </tr>
  );
}
