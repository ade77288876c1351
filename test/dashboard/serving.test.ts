/**
 * The dashboard's files over HTTP (dashboard-http.ts), as built by npm run build: types, cache
 * headers, the page's CSP, 404 for unknown files, and who may load them (the control door's rules;
 * with a control token, anyone: the files hold no data).
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer, type MockServerOptions } from '../../src/index.js';
import { DASHBOARD_CSP } from '../../src/server/dashboard-http.js';

const servers: MockServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<MockServerOptions> = {}): Promise<MockServer> {
  const server = await createMockServer(options);
  servers.push(server);
  return server;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function assetsOf(page: string): string[] {
  return [...page.matchAll(/(?:src|href)="\.\/assets\/([^"]+)"/g)].map((m) => m[1]!);
}

describe('the dashboard files', () => {
  it('answers the page at / with a strict CSP, no inline script or style, and no caching of the page', async () => {
    const server = await start();
    for (const path of ['/', '/index.html', '/?from=bookmark']) {
      const page = await get(server.port, path);
      expect(page.status, path).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['content-security-policy']).toBe(DASHBOARD_CSP);
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.body).not.toMatch(/<script>|<script [^>]*>[^<]|<style|\sstyle=|\son\w+=/);
    }
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).toContain("connect-src 'self'");
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
    expect(DASHBOARD_CSP).not.toMatch(/unsafe|https?:|\*/);
  });

  it('answers its script and style sheet with their types, cached for good (their names carry a hash of their content)', async () => {
    const server = await start();
    const assets = assetsOf((await get(server.port, '/')).body);
    expect(assets.map((name) => name.replace(/-[A-Z0-9]+\./, '-HASH.')).sort()).toEqual(['app-HASH.css', 'app-HASH.js']);
    for (const name of assets) {
      const file = await get(server.port, `/assets/${name}`);
      expect(file.status, name).toBe(200);
      expect(file.headers['content-type']).toBe(name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(file.headers['x-content-type-options']).toBe('nosniff');
      expect(Number(file.headers['content-length'])).toBe(Buffer.byteLength(file.body));
      const head = await get(server.port, `/assets/${name}`, {}, 'HEAD');
      expect([head.status, head.headers['content-length'], head.body]).toEqual([200, file.headers['content-length'], '']);
    }
    // The bundle reaches no other host: no CDN, it works offline (its only URLs: XML namespaces, and the help text's own address).
    const script = (await get(server.port, `/assets/${assets.find((a) => a.endsWith('.js'))}`)).body;
    const urls = [...new Set(script.match(/https?:\/\/[^"'`\s)]+/g))].sort();
    expect(urls).toEqual([
      'http://HOST:PORT/#token=TOKEN,',
      'http://www.w3.org/1998/Math/MathML',
      'http://www.w3.org/1999/xhtml',
      'http://www.w3.org/2000/svg',
    ]);
  });

  it('answers 404 for files it does not have, and 405 for a method other than GET or HEAD', async () => {
    const server = await start();
    for (const path of ['/assets/', '/assets/app.js', '/assets/../index.html', '/assets/%2e%2e/package.json', '/assets/app-X.js.map']) {
      const answer = await get(server.port, path);
      expect(answer.status, path).toBe(404);
      expect(JSON.parse(answer.body).error.code).toBe('NOT_FOUND');
    }
    const post = await get(server.port, '/', {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });

  it('without a control token, serves only the control door’s callers: a foreign Host (DNS rebinding) is refused', async () => {
    const server = await start();
    expect((await get(server.port, '/', { host: 'rebound.evil.example' })).status).toBe(403);
    expect((await get(server.port, '/', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('with a control token, serves the files to anyone (they hold no data) while every control read needs the token', async () => {
    const server = await start({ controlToken: 'T' });
    expect((await get(server.port, '/', { host: 'mock-host.example:5565' })).status).toBe(200);
    expect((await get(server.port, '/control/clock')).status).toBe(401);
    expect((await get(server.port, '/control/clock', { authorization: 'Bearer T' })).status).toBe(200);
  });
});
