import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

describe('package', () => {
  it('reports the package.json version in rrext_public_probe', () => {
    expect(VERSION).toBe(pkg.version);
  });

  it('ships a bin named after the package, with typed ESM exports', () => {
    expect(pkg.name).toBe('rocketride-deploy-kit');
    expect(pkg.bin).toEqual({ 'rocketride-deploy-kit': 'dist/cli.js' });
    expect(pkg.type).toBe('module');
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', browser: null, default: './dist/index.js' });
  });

  it('keeps the Node-only entry points out of browser bundles, and lets the msw entry point in', async () => {
    const { build } = await import('esbuild');
    const bundle = (entry: string) =>
      build({
        stdin: { contents: `import * as m from '${entry}'; console.log(m);`, resolveDir: ROOT, loader: 'js' },
        bundle: true,
        write: false,
        platform: 'browser',
        format: 'esm',
        external: ['msw'],
        logLevel: 'silent',
      });
    const nodeOnly = Object.entries(pkg.exports as Record<string, unknown>).filter(
      ([, target]) => typeof target === 'object' && (target as { browser?: unknown }).browser === null,
    );
    expect(nodeOnly.map(([path]) => path).sort()).toEqual(
      [
        '.',
        './conformance',
        './conformance/reference-adapter',
        './testing',
        './testing/sdk-mutants',
        './vitest',
        './vitest/global-setup',
      ].sort(),
    );
    for (const [path] of nodeOnly) {
      const entry = path === '.' ? 'rocketride-deploy-kit' : `rocketride-deploy-kit/${path.slice(2)}`;
      await expect(bundle(entry), entry).rejects.toThrow(/Could not resolve/);
    }
    await expect(bundle('rocketride-deploy-kit/msw')).resolves.toMatchObject({ errors: [] });
    await expect(bundle('rocketride-deploy-kit/control-client')).resolves.toMatchObject({ errors: [] });
  });

  it('ships the pytest plugin (its package, pyproject.toml, examples), without what an in-tree pip install leaves', async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const { stdout } = await promisify(execFile)(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    const files = (JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
    const plugin = files.filter((f) => f.startsWith('python/pytest-rocketride-deploy-kit/'));
    for (const file of [
      'pyproject.toml',
      'README.md',
      'pytest_rocketride_deploy_kit/__init__.py',
      'pytest_rocketride_deploy_kit/plugin.py',
      'pytest_rocketride_deploy_kit/control.py',
      'pytest_rocketride_deploy_kit/_watchdog.cjs',
      'examples/test_readme.py',
    ])
      expect(plugin).toContain(`python/pytest-rocketride-deploy-kit/${file}`);
    expect(plugin.filter((f) => /\/(build|__pycache__|\.pytest_cache)\/|\.egg-info\//.test(f))).toEqual([]);
  }, 60_000);

  it('ships every file the README links to, so its links work in node_modules', async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const { stdout } = await promisify(execFile)(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    const files = new Set((JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path));
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/.test(target));
    expect(linked.length).toBeGreaterThan(10);
    const shipped = (target: string) => files.has(target) || [...files].some((f) => f.startsWith(`${target.replace(/\/$/, '')}/`));
    expect(linked.filter((target) => !shipped(target))).toEqual([]);
  }, 60_000);
});
