#!/usr/bin/env node
// The browser page's build step (part of `npm run build`): bundles
// web/src/main.ts and the CSS it imports into dist/web/assets/app.js and
// app.css, and copies web/index.html to dist/web/. Everything the page
// loads comes from there: no third-party origin.
import { copyFile, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

await mkdir('dist/web/assets', { recursive: true });
await build({
  entryPoints: ['web/src/main.ts'],
  outfile: 'dist/web/assets/app.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
await copyFile('web/index.html', 'dist/web/index.html');
