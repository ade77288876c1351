/**
 * Builds the dashboard (dashboard/app/, preact) into static files the server ships and serves:
 * dist/dashboard/index.html and dist/dashboard/assets/app-HASH.{js,css}. One bundle, no CDN, no
 * inline script or style (the page's CSP allows only its own files). Part of `npm run build`.
 */
import { build } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'dist', 'dashboard');

async function main(): Promise<void> {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(join(OUT, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: { app: join(ROOT, 'dashboard', 'app', 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: join(OUT, 'assets'),
    entryNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
  const script = outputs.find((name) => name.endsWith('.js'));
  const style = outputs.find((name) => name.endsWith('.css'));
  if (script === undefined || style === undefined) throw new Error(`build-dashboard: expected a .js and a .css, got ${outputs.join(', ')}`);
  await writeFile(join(OUT, 'index.html'), page(script, style));
}

function page(script: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>rocketride-deploy-kit dashboard</title>
<link rel="stylesheet" href="./assets/${style}">
<script type="module" src="./assets/${script}"></script>
</head>
<body>
<noscript>The dashboard needs JavaScript. The same data is on the control API: GET ./control/</noscript>
<div id="app"></div>
</body>
</html>
`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
