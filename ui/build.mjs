// Bundles and minifies ui/ into ui-dist/, the folder tauri.conf.json embeds
// (`build.frontendDist`). Run with `npm run build`.
//
// Only index.html, main.js and style.css are shipped: tests and this script stay
// out of the binary. The build fails when the bundle outgrows its budget.

import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { build } from 'esbuild';

const BUDGET_BYTES = 60 * 1024; // JS + CSS, minified.

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const source = path.join(root, 'ui');
const outdir = path.join(root, 'ui-dist');

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

await build({
  entryPoints: [path.join(source, 'main.js'), path.join(source, 'style.css')],
  outdir,
  bundle: true,
  minify: true,
  format: 'esm',
  // WebKitGTK 2.4x/2.5x on Linux; WKWebView and WebView2 are newer still.
  target: ['safari16'],
  legalComments: 'none',
  logLevel: 'warning',
});
await copyFile(path.join(source, 'index.html'), path.join(outdir, 'index.html'));

let total = 0;
for (const name of ['main.js', 'style.css']) {
  const { size } = await stat(path.join(outdir, name));
  total += size;
  console.log(`ui-dist/${name.padEnd(10)} ${(size / 1024).toFixed(1).padStart(6)} KB`);
}
console.log(`total JS+CSS     ${(total / 1024).toFixed(1).padStart(6)} KB (budget ${BUDGET_BYTES / 1024} KB)`);
if (total > BUDGET_BYTES) {
  console.error('error: the UI bundle is over budget');
  process.exitCode = 1;
}
