/**
 * RUN-3 across real transports: DAP commands (WebSocket) and control calls (HTTP) are in flight
 * at the same time, and fast-check's scheduler decides the order in which they are issued and
 * their answers are handled. Whatever the order, runs of one deployment never overlap, and every
 * request gets an answer.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, DeployClient, type MockServer } from '../../src/index.js';
import { readAll, type Page } from '../../src/control/paging.js';

const MINUTE = 60_000;
let server: MockServer;
beforeAll(async () => {
  server = await createMockServer({ port: 0, clock: { startAt: '2026-11-26T10:07:00Z' } });
});
afterAll(() => server.close());

type Op =
  | { kind: 'advance'; ms: number }
  | { kind: 'trigger' | 'pause' | 'resume' | 'endRun' | 'remove' | 'add'; id: number }
  | { kind: 'update'; id: number; schedule: string }
  | { kind: 'behavior'; id: number; duration: number; hold: boolean };

const id = fc.nat(1);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 40 * MINUTE }).map((ms) => ({ kind: 'advance' as const, ms })) },
  fc.record({
    kind: fc.constantFrom('trigger' as const, 'pause' as const, 'resume' as const, 'endRun' as const, 'remove' as const, 'add' as const),
    id,
  }),
  fc.record({ kind: fc.constant('update' as const), id, schedule: fc.constantFrom('*/5 * * * *', '*/15 * * * *', '* * * * *', 'manual') }),
  fc.record({ kind: fc.constant('behavior' as const), id, duration: fc.integer({ min: 0, max: 30 * MINUTE }), hold: fc.boolean() }),
);

describe('DAP and control calls interleaved (RUN-3, RUN-9)', () => {
  it('never lets runs of one deployment overlap, whatever order the calls land in', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(op, { minLength: 1, maxLength: 20 }), async (s, ops) => {
        server.control.reset();
        const prefix = `r${++round}-`;
        const client = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
        await client.connect();
        for (const i of [0, 1]) await client.deploy.add({ project_id: `${prefix}${i}` }, { schedule: '*/15 * * * *' });
        const control = (path: string, body: unknown = {}) =>
          fetch(`http://127.0.0.1:${server.port}/control${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.status);

        const run = async (o: Op): Promise<number | string> => {
          if (o.kind === 'advance') return control('/clock/advance', { by: o.ms });
          const projectId = `${prefix}${o.id}`;
          const at = `/deployments/local/${encodeURIComponent(projectId)}`;
          switch (o.kind) {
            case 'trigger':
              return control(`${at}/trigger`);
            case 'pause':
              return control(`${at}/pause`);
            case 'resume':
              return control(`${at}/resume`);
            case 'behavior':
              return control('/run-behavior', { userId: 'local', projectId, duration: o.duration, hold: o.hold });
            case 'endRun': {
              // Runs of one deployment never overlap: an open one is its newest.
              const newest = await fetch(
                `http://127.0.0.1:${server.port}/control/runs?projectId=${encodeURIComponent(projectId)}&order=newest&limit=1`,
              ).then((r) => r.json());
              const open = (newest as Page<{ id: string; endedAt: string | null }>).items.find((r) => r.endedAt === null);
              return open ? control(`/runs/${open.id}/end`) : 'none open';
            }
            case 'remove':
              return client.deploy.remove(projectId).then(
                () => 'ok',
                (e: Error) => e.message,
              );
            case 'add':
              return client.deploy.add({ project_id: projectId }, { schedule: '*/5 * * * *' }).then(
                () => 'ok',
                (e: Error) => e.message,
              );
            case 'update':
              return client.deploy.update(projectId, { schedule: o.schedule }).then(
                () => 'ok',
                (e: Error) => e.message,
              );
          }
        };
        // Every call starts when fast-check releases it, so several are in flight over both doors.
        const answers = await Promise.all(ops.map((o) => s.schedule(Promise.resolve(o)).then(run)).concat([s.waitAll().then(() => 0)]));
        for (const answer of answers.slice(0, -1)) {
          // Only answers the contract allows: success, a documented refusal, or a DAP error message.
          if (typeof answer === 'number') expect([200, 201, 404, 409]).toContain(answer);
          else expect(answer).toMatch(/^(ok|none open|Deployment (not found|already exists): .+)$/);
        }
        for (const i of [0, 1]) {
          const runs = readAll((page) => server.control.runs({ ...page, projectId: `${prefix}${i}` }));
          expect(runs.filter((r) => r.endedAt === null).length).toBeLessThanOrEqual(1);
          for (let k = 1; k < runs.length; k++) {
            expect(runs[k - 1]!.endedAt, `${runs[k - 1]!.id} open when ${runs[k]!.id} started`).not.toBeNull();
            expect(Date.parse(runs[k - 1]!.endedAt!)).toBeLessThanOrEqual(Date.parse(runs[k]!.startedAt));
          }
        }
        await client.disconnect();
      }),
      { numRuns: 40 },
    );
  });
});
