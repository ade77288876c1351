import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/index.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

describe('package', () => {
  it('reports the package.json version in rrext_public_probe', () => {
    expect(VERSION).toBe(pkg.version);
  });

  it('ships a bin named after the package, with typed ESM exports', () => {
    expect(pkg.name).toBe('rocketride-deploy-kit');
    expect(pkg.bin).toEqual({ 'rocketride-deploy-kit': 'dist/cli.js' });
    expect(pkg.type).toBe('module');
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
  });
});
