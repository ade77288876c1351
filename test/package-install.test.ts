/**
 * A new project installs the packed package from its tarball, as a user would from the
 * registry: the server alone works without the optional peers (vitest, msw); with them, the
 * README's vitest fixture example and the msw example run unchanged. Needs the build and the
 * npm registry (for the package's own dependencies), as CI has.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--loglevel=error'];

let dir: string;
let project: string;
let tarball: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rrdk-install-'));
  project = join(dir, 'project');
  await run(NPM, ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT });
  tarball = join(
    dir,
    (await readdir(dir)).find((f) => f.endsWith('.tgz'))!,
  );
  await cp(join(ROOT, 'examples'), join(project, 'examples'), { recursive: true });
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'new-project', private: true, type: 'module' }));
  await run(NPM, [...INSTALL, tarball], { cwd: project, timeout: 240_000 });
}, 300_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a new project that installs rocketride-deploy-kit', () => {
  it('starts a server without the optional peers, and conformance says how to get vitest', async () => {
    const script = [
      "const { createMockServer } = await import('rocketride-deploy-kit');",
      "const { createControlClient } = await import('rocketride-deploy-kit/control-client');",
      "const { createRequire } = await import('node:module');",
      'const s = await createMockServer(); console.log(s.url);',
      'console.log((await createControlClient(s.url).clock()).mode);',
      "console.log(createRequire(import.meta.url)('rocketride-deploy-kit/control-openapi.json').openapi);",
      'await s.close();',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    expect(stdout).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/task\/service\nfake\n3\.1\.0\n$/);
    const conformance = await run(process.execPath, [join(project, 'node_modules/rocketride-deploy-kit/dist/cli.js'), 'conformance'], {
      cwd: project,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(conformance).toMatchObject({ code: 1, stderr: expect.stringContaining('npm install --save-dev vitest@^4.1') });
  }, 60_000);

  it('with vitest and msw added, runs the README fixture example, the msw example and the global setup unchanged', async () => {
    await run(NPM, [...INSTALL, 'vitest@~4.1.12', 'msw@~2.15.0'], { cwd: project, timeout: 240_000 });
    // The global setup as the README configures it (by the package's name), and a test reading it.
    await writeFile(
      join(project, 'vitest.config.js'),
      "export default { test: { include: ['examples/vitest/readme.test.ts', 'examples/msw/*.test.ts', 'global.test.js'],\n" +
        "  globalSetup: ['rocketride-deploy-kit/vitest/global-setup'], execArgv: ['--experimental-websocket'] } };\n",
    );
    await writeFile(
      join(project, 'global.test.js'),
      "import { expect, test } from 'vitest';\nimport { injectMockServer } from 'rocketride-deploy-kit/vitest/global-setup';\n" +
        "import { createControlClient } from 'rocketride-deploy-kit/control-client';\n" +
        "test('the run shares one server', async () => {\n  const { url, controlUrl } = injectMockServer();\n" +
        '  expect(url).toMatch(/^ws:\\/\\/127\\.0\\.0\\.1:\\d+\\/task\\/service$/);\n' +
        "  expect((await createControlClient(controlUrl).clock()).mode).toBe('fake');\n});\n",
    );
    const { stdout } = await run(process.execPath, [join(project, 'node_modules/vitest/vitest.mjs'), 'run'], {
      cwd: project,
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    expect(stdout).toMatch(/Test Files\s+3 passed \(3\)/);
  }, 300_000);
});
