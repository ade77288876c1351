/**
 * Runs examples/python as its README says: the built CLI's `serve` with a fake clock, the app's
 * stand-in (add_deployment.mjs) adding the deployment, then `python3 -m unittest` on the example
 * with RRDK_CONTROL_URL. python3 is required here (and in CI).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DeployClient } from '../../src/index.js';
import { spawnCli } from '../helpers/cli.js';

const EXAMPLE_DIR = fileURLToPath(new URL('../../examples/python/', import.meta.url));
const START = '2026-11-26T10:07:00Z';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The environment without our variables (a developer's shell must not change the outcome), plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
  delete env['RRDK_CONTROL_URL'];
  delete env['RRDK_CONTROL_TOKEN'];
  return { ...env, ...extra };
}

/** `serve --port 0 --clock fake --start-at START`; resolves with its control base URL once it listens. */
async function serve(): Promise<string> {
  const cli = spawnCli(['serve', '--port', '0', '--clock', 'fake', '--start-at', START], children, cleanEnv());
  return new Promise<string>((resolve, reject) => {
    const check = () => {
      const control = /^control API: (http:\/\/\S+)\/control\/ /m.exec(cli.output().stdout)?.[1];
      if (control && /^users: .*\n/m.test(cli.output().stdout)) resolve(control);
    };
    cli.child.stdout.on('data', check);
    cli.child.on('exit', () => reject(new Error(`serve exited before listening: ${cli.output().stderr}`)));
  });
}

/** Runs a program in examples/python to its end. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { cwd: EXAMPLE_DIR, env });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A port nothing listens on: one the OS just handed out, closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return response.json();
}

describe('examples/python', () => {
  it('the Python unittest drives the standalone server over the control API and passes', async () => {
    const base = await serve();
    const env = cleanEnv({ RRDK_CONTROL_URL: base });

    const app = await run(process.execPath, ['add_deployment.mjs'], env);
    expect(app, app.stderr).toMatchObject({ code: 0, stdout: 'added reports (*/15 * * * *) as local\n' });

    const python = await run('python3', ['-m', 'unittest', '-v', 'test_deploy_control'], env);
    expect(python.code, `python3 -m unittest failed:\n${python.stderr}${python.stdout}`).toBe(0);
    expect(python.stderr).toMatch(/^Ran 5 tests in /m);
    expect(python.stderr).toMatch(/\nOK\n$/);
    expect(python.stderr).toContain('test_what_the_app_sent_and_how_its_runs_go (test_deploy_control.ReportsScheduleTest');

    // What the Python test did is visible on the server: the clock moved, the deployment errored,
    // and the app's key works again (restored at the end).
    expect(await getJson(`${base}/control/clock`)).toMatchObject({ now: '2026-11-26T12:15:00.000Z' });
    expect(await getJson(`${base}/control/deployments/local/reports`)).toMatchObject({
      state: 'errored',
      counters: { fired: 5, skipped_overlap: 3, errored_auth: 1, completed: 4, failed: 1 },
    });
    const client = new DeployClient({ uri: base, auth: 'MYAPIKEY' });
    expect((await client.connect()).userId).toBe('local');
    await client.disconnect();
  });

  it('without RRDK_CONTROL_URL it fails saying what to set', async () => {
    const python = await run('python3', ['-m', 'unittest', 'test_deploy_control'], cleanEnv());
    expect(python.code).toBe(1);
    expect(python.stderr).toContain('Set RRDK_CONTROL_URL to the mock server, e.g. RRDK_CONTROL_URL=http://127.0.0.1:5565');
  });

  it('against a server that is not there it says how to start one', async () => {
    const port = await closedPort();
    const python = await run('python3', ['-m', 'unittest', 'test_deploy_control'], cleanEnv({ RRDK_CONTROL_URL: `http://127.0.0.1:${port}` }));
    expect(python.code).toBe(1);
    expect(python.stderr).toContain(`No mock server answers at http://127.0.0.1:${port}/control/`);
    expect(python.stderr).toContain('npx rocketride-deploy-kit serve --clock fake --start-at 2026-11-26T10:07:00Z');
  });
});
