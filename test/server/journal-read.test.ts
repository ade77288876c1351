/**
 * Reading the frame journal whatever clients sent: every door answers each frame's text as it
 * passed (embedded as a JSON string, never parsed and written out again), so frames nested
 * thousands deep, sent by anyone, cannot make a read fail. (Issue 17, Hardening II, item 3:
 * the journal used to parse each frame and pretty-print it, which overflowed the stack at
 * 10,000 levels and grew with the square of the depth.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createControlClient } from '../../src/control/client.js';
import { createMockServer, type JournalEntry, type MockServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { readAll, type Page } from '../../src/control/paging.js';

const servers: MockServer[] = [];
const raws: RawClient[] = [];
afterEach(async () => {
  for (const raw of raws.splice(0)) raw.socket.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(): Promise<MockServer> {
  const server = await createMockServer({ port: 0, clock: { mode: 'fake', startAt: '2026-01-05T10:07:00Z' } });
  servers.push(server);
  return server;
}

async function open(server: MockServer, key?: string): Promise<RawClient> {
  const raw = key === undefined ? await RawClient.open(server.url) : await RawClient.authed(server.url, key);
  raws.push(raw);
  return raw;
}

/** `depth` arrays, each the only element of the one around it, as JSON text. */
const brackets = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/**
 * `GET /control/journal` with a query, page after page: the first page's status and body as
 * they came, and the entries of every page.
 */
async function readJournal(server: MockServer, query = ''): Promise<{ status: number; body: string; entries: JournalEntry[] }> {
  const base = `${createControlClient(server.url).url}/control/journal`;
  const first = await fetch(`${base}${query}`);
  const body = await first.text();
  if (!first.ok) return { status: first.status, body, entries: [] };
  let page = JSON.parse(body) as Page<JournalEntry>;
  const entries = [...page.items];
  while (page.next !== null) {
    const response = await fetch(`${base}${query ? `${query}&` : '?'}cursor=${page.next}`);
    expect(response.status).toBe(200);
    page = (await response.json()) as Page<JournalEntry>;
    entries.push(...page.items);
  }
  return { status: first.status, body, entries };
}

describe('reading the journal of deeply nested frames', () => {
  it('answers a frame nested 10,000 deep, sent before auth, as its text byte for byte, through every door', async () => {
    const server = await start();
    const raw = await open(server);
    const frame = `{"type":"request","seq":1,"command":"rrext_deploy_list","arguments":{"deep":${brackets(10_000)}}}`;
    expect(frame.length).toBeGreaterThan(20_000);
    raw.sendRaw(frame);
    await raw.closed; // refused (not authenticated), but journaled first

    const http = await readJournal(server, '?direction=in');
    expect(http.status).toBe(200);
    expect(http.body).toContain(JSON.stringify(frame)); // one JSON string, as it came
    expect(http.entries).toEqual([
      {
        id: 1,
        connectionId: expect.any(Number),
        at: '2026-01-05T10:07:00.000Z',
        direction: 'in',
        userId: null,
        command: 'rrext_deploy_list',
        type: 'request',
        text: frame,
      },
    ]);
    // The filters still see the deep frame's command and type.
    expect((await readJournal(server, '?command=rrext_deploy_list&type=request')).entries.map((e) => e.text)).toEqual([frame]);

    const client = createControlClient(server.url);
    expect((await client.journal({ direction: 'in' })).items).toEqual(http.entries);
    // The in-process doors show the same entries; server.journal.find adds the parsed message.
    expect(JSON.parse(JSON.stringify(server.control.journal({ direction: 'in' }).items))).toEqual(http.entries);
    const [entry] = server.journal.find({ command: 'rrext_deploy_list', direction: 'in' });
    expect(entry!.text).toBe(frame);
    expect(entry!.message).toMatchObject({ type: 'request', seq: 1, command: 'rrext_deploy_list' });

    // What the server answered is there as it was sent, too.
    const out = await readJournal(server, '?direction=out');
    expect(out.entries.map((e) => e.text)).toEqual(raw.received);
  });

  it('answers 14 frames nested 4,000 deep, each as its exact text', async () => {
    const server = await start();
    const raw = await open(server, 'MYAPIKEY');
    const mark = Math.max(...server.journal.find().map((e) => e.id));
    const from = raw.received.length;
    const sent: string[] = [];
    for (let seq = 2; seq < 16; seq++) {
      const frame = `{"type":"request","seq":${seq},"command":"rrext_ping","arguments":{"deep":${brackets(4000)}}}`;
      sent.push(frame);
      raw.sendRaw(frame);
    }
    await raw.responseTo(15, from);

    const { status, entries } = await readJournal(server, `?after=${mark}`);
    expect(status).toBe(200);
    expect(entries.filter((e) => e.direction === 'in').map((e) => e.text)).toEqual(sent);
    expect(entries.filter((e) => e.direction === 'out').map((e) => e.text)).toEqual(raw.received.slice(from));
    expect(entries.map((e) => e.command)).toEqual(sent.flatMap(() => ['rrext_ping', 'rrext_ping']));
  });

  it('answers 140 adds of pipelines nested 999 levels (allowed) and their answers, each as its exact text', async () => {
    const server = await start();
    const raw = await open(server, 'MYAPIKEY');
    const mark = Math.max(...server.journal.find().map((e) => e.id));
    const from = raw.received.length;
    let nest: unknown[] = [];
    for (let level = 2; level < 999; level++) nest = [nest]; // 998 levels inside the pipeline object
    const sent: string[] = [];
    for (let i = 0; i < 140; i++) {
      const frame = JSON.stringify({
        type: 'request',
        seq: i + 2,
        command: 'rrext_deploy_add',
        arguments: { pipeline: { project_id: `deep-${i}`, nest } },
      });
      sent.push(frame);
      raw.sendRaw(frame);
    }
    expect(await raw.responseTo(141, from)).toMatchObject({ success: true });
    expect(readAll((page) => server.control.deployments({ ...page, userId: 'local' }))).toHaveLength(140);

    const { status, entries } = await readJournal(server, `?after=${mark}`);
    expect(status).toBe(200);
    expect(entries.filter((e) => e.direction === 'in').map((e) => e.text)).toEqual(sent);
    const answers = raw.received.slice(from);
    expect(answers).toHaveLength(140);
    expect(entries.filter((e) => e.direction === 'out').map((e) => e.text)).toEqual(answers);
    const client = createControlClient(server.url);
    const pages = [await client.journal({ after: mark })];
    for (let next = pages[0]!.next; next !== null; next = pages.at(-1)!.next)
      pages.push(await client.journal({ after: mark, cursor: next }));
    expect(pages.flatMap((p) => p.items)).toEqual(entries);
    expect(pages.length).toBeGreaterThan(1); // 280 entries: more than one page of 100
  });
});
