/**
 * Every ```js example in the README runs, unchanged, as an ES module that imports the package by
 * its own name (Node resolves a package's self-reference through its `exports`).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = fileURLToPath(new URL('../.readme-examples/', import.meta.url));
const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('README examples', () => {
  it('has examples to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it.each(examples.map((code, i) => [i + 1, code]))('example %i runs and prints what its comments say', async (i, code) => {
    await mkdir(dir, { recursive: true });
    const file = `${dir}example-${i}.mjs`;
    await writeFile(file, code);
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root, timeout: 15_000 });
    // Lines like `console.log(x); // expected` must print the expected text (placeholders in <...> are free).
    const expected = [...(code as string).matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
    const printed = stdout.trim().split('\n');
    expect(printed).toHaveLength(expected.length);
    expected.forEach((want, line) => {
      const pattern = new RegExp(
        `^${want
          .split(/<[^>]+>/)
          .map(escape)
          .join('.+')}$`,
      );
      expect(printed[line]).toMatch(pattern);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('README test examples', () => {
  it('the vitest fixture block is examples/vitest/readme.test.ts, word for word (that file runs with the suite)', async () => {
    const example = await readFile(new URL('../examples/vitest/readme.test.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });
});

describe('README pytest example', () => {
  it("the pytest block is the plugin's examples/test_readme.py, word for word (test/python-plugin/ runs it)", async () => {
    const example = await readFile(new URL('../python/pytest-rocketride-deploy-kit/examples/test_readme.py', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`python\n${example}\`\`\``);
  });
});

describe('README msw example', () => {
  it('the msw block is the start of examples/msw/browser-style.test.ts, word for word (that file runs with the suite)', async () => {
    const example = await readFile(new URL('../examples/msw/browser-style.test.ts', import.meta.url), 'utf8');
    const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes('createMswMock'));
    expect(block).toBeDefined();
    expect(example).toContain(block!.trimEnd());
  });
});
