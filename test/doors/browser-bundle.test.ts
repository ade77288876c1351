/**
 * The msw entry point is browser-safe, proven on what ships: `dist/msw/index.js` (built by
 * `npm test` before vitest runs) is bundled for the browser with esbuild, and
 * - no Node built-in may be imported anywhere in its graph (any `node:*` or bare `fs`, `path`...),
 *   nor any Node-only part of the kit (the server, the CLI's client, the test-only mutants);
 * - the bundle must run where only Web APIs exist: it is evaluated in a fresh V8 context with
 *   no `process`, `Buffer` or `require` (msw replaced by a stub that hands over connections), and
 *   serves a session there: auth, add, a refusal and its close, and scheduled runs on the fake clock.
 */
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { build, type Plugin } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../dist/msw/index.js', import.meta.url));
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const isNodeBuiltin = (path: string) => path.startsWith('node:') || NODE_BUILTINS.has(path) || NODE_BUILTINS.has(path.split('/')[0]!);

interface ImportSeen {
  path: string;
  importer: string;
  kind: string;
}

/** Records every import esbuild resolves (and lets it resolve them as usual). */
function recordImports(seen: ImportSeen[]): Plugin {
  return {
    name: 'record-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== 'entry-point') seen.push({ path: args.path, importer: relative(ROOT, args.importer), kind: args.kind });
        return undefined;
      });
    },
  };
}

beforeAll(() => {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first (\`npm test\` does)`);
});

describe('the msw entry point in a browser bundle', () => {
  it('bundles for the browser (platform browser, msw external) with no Node built-in and nothing Node-only of the kit', async () => {
    const seen: ImportSeen[] = [];
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      external: ['msw'],
      metafile: true,
      logLevel: 'silent',
      plugins: [recordImports(seen)],
    }).catch((error: unknown) => error as Error);

    // Checked first, so a failure names the module and who imports it.
    expect(seen.filter((i) => isNodeBuiltin(i.path))).toEqual([]);
    if (result instanceof Error) throw result;
    expect(result.errors).toEqual([]);

    const inputs = Object.keys(result.metafile!.inputs);
    expect(inputs).toContain('dist/core-build.js');
    expect(
      inputs.filter((path) =>
        /^dist\/(core|cli|index)\.js$|^dist\/(server|testing|vitest|conformance|client)\/|node_modules\/(ws|vitest)\//.test(path),
      ),
    ).toEqual([]);
    const [output] = Object.values(result.metafile!.outputs);
    expect(output!.imports).toEqual([{ path: 'msw', kind: 'import-statement', external: true }]);

    const text = result.outputFiles![0]!.text;
    expect(text).not.toMatch(/(?:\bfrom\s*|\bimport\s*\(\s*)["']node:/);
    expect(text).not.toContain('__require'); // esbuild's shim for a CommonJS require it could not bundle
    expect(text).toContain('createMswMock');
  });

  it('runs with Web APIs only: a session in a context without process, Buffer or require', async () => {
    // msw is a stub here: ws.link(url).addEventListener(type, listener) returns { url, type, listener }.
    const mswStub: Plugin = {
      name: 'msw-stub',
      setup(b) {
        b.onResolve({ filter: /^msw$/ }, () => ({ path: 'msw', namespace: 'stub' }));
        b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
          contents: 'export const ws = { link: (url) => ({ addEventListener: (type, listener) => ({ url, type, listener }) }) };',
          loader: 'js',
        }));
      },
    };
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'iife',
      globalName: 'rrdkMsw',
      logLevel: 'silent',
      plugins: [mswStub],
    });

    // A browser's globals, as far as the kit uses them; timers return numbers, as in a browser.
    const timers = new Map<number, ReturnType<typeof setTimeout>>();
    let nextTimer = 0;
    const sandbox: Record<string, any> = {
      TextEncoder,
      TextDecoder,
      URL,
      structuredClone, // control reads hand in-process callers copies of remembered pages
      crypto: globalThis.crypto,
      btoa,
      atob,
      queueMicrotask,
      console,
      setTimeout: (fn: () => void, ms?: number) => {
        const id = ++nextTimer;
        timers.set(
          id,
          setTimeout(() => (timers.delete(id), fn()), ms),
        );
        return id;
      },
      clearTimeout: (id: number) => {
        clearTimeout(timers.get(id));
        timers.delete(id);
      },
    };
    runInNewContext(result.outputFiles[0]!.text, sandbox);
    expect(runInNewContext('[typeof process, typeof Buffer, typeof require, typeof global]', sandbox)).toEqual([
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ]);

    const mock = await sandbox['rrdkMsw'].createMswMock({ clock: { mode: 'fake', startAt: '2026-11-26T10:07:00Z' } });
    const { listener } = mock.handler as { listener: (event: { client: unknown }) => void };

    /** A connection as msw hands it over: the client sends with `message`, the mock answers with send/close. */
    const connect = () => {
      const sent: any[] = [];
      const closes: Array<{ code: number; reason: string }> = [];
      const listeners: Record<string, (event: { data?: unknown }) => void> = {};
      listener({
        client: {
          send: (text: string) => sent.push(JSON.parse(text)),
          close: (code: number, reason: string) => closes.push({ code, reason }),
          addEventListener: (type: string, fn: (event: { data?: unknown }) => void) => (listeners[type] = fn),
        },
      });
      let seq = 0;
      const request = (command: string, args?: object) =>
        listeners['message']!({ data: JSON.stringify({ type: 'request', seq: ++seq, command, arguments: args }) });
      return { sent, closes, request };
    };

    const app = connect();
    app.request('auth', { auth: 'MYAPIKEY' });
    app.request('rrext_deploy_add', { pipeline: { project_id: 'report' }, schedule: '*/15 * * * *' });
    expect(app.sent.map((r) => [r.request_seq, r.success])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(app.sent[0].body.userToken).toMatch(/^rrdk_[\w-]{24}$/); // Web Crypto
    expect(JSON.parse(JSON.stringify(app.sent[1].body))).toEqual({
      pipeline: { project_id: 'report' },
      schedule: '*/15 * * * *',
      state: 'active',
      userId: 'local',
      createdAt: 1795687620,
      updatedAt: 1795687620,
      created_by: 'local',
      created_at: 1795687620,
      updated_at: 1795687620,
    });

    mock.control.advance('1h'); // croner and the scheduler, in the Web-only context
    expect(mock.control.runs().items.map((run: { startedAt: string }) => run.startedAt.slice(11, 16))).toEqual([
      '10:15',
      '10:30',
      '10:45',
      '11:00',
    ]);
    expect(mock.journal.find({ command: 'rrext_deploy_add', direction: 'in' })).toHaveLength(1); // TextEncoder/TextDecoder

    const intruder = connect();
    intruder.request('auth', { auth: 'NOSUCHKEY' });
    expect(intruder.sent.map((r) => r.message)).toEqual(['Invalid API key']);
    await new Promise((resolve) => setTimeout(resolve, 0)); // the close follows the response, a microtask later
    expect(intruder.closes).toEqual([{ code: 1000, reason: 'Invalid API key' }]);
    mock.close();
    expect(app.closes).toEqual([{ code: 1001, reason: 'Server shutting down' }]);
    expect(timers.size).toBe(0);
  });
});
