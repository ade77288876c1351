import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// What `npm pack` would ship, listed once for the tests that need it.
let packed: Promise<Set<string>> | undefined;
function packedFiles(): Promise<Set<string>> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  packed ??= promisify(execFile)(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT }).then(
    ({ stdout }) => new Set((JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path)),
  );
  return packed;
}

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
    const plugin = [...(await packedFiles())].filter((f) => f.startsWith('python/pytest-rocketride-deploy-kit/'));
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
    const files = await packedFiles();
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/.test(target));
    expect(linked.length).toBeGreaterThan(10);
    const shipped = (target: string) => files.has(target) || [...files].some((f) => f.startsWith(`${target.replace(/\/$/, '')}/`));
    expect(linked.filter((target) => !shipped(target))).toEqual([]);
  }, 60_000);

  it('ships the sources its source maps and declaration maps point at', async () => {
    const files = await packedFiles();
    const maps = [...files].filter((f) => f.startsWith('dist/') && f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(100);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(ROOT, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const target = posix.normalize(posix.join(posix.dirname(map), source));
        if (!files.has(target)) missing.push(`${map} -> ${target}`);
      }
    }
    expect(missing).toEqual([]);
  }, 60_000);

  it('runs no script when it is installed: the build runs before packing, and before npm start in a clone', () => {
    const installTime = ['preinstall', 'install', 'postinstall', 'prepare'];
    expect(Object.keys(pkg.scripts).filter((name) => installTime.includes(name))).toEqual([]);
    expect(pkg.scripts.prepack).toBe('npm run build');
    expect(pkg.scripts.prestart).toBe('npm run build');
  });
});
