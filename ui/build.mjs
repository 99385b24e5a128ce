// Bundles and minifies ui/ into ui-dist/, the folder tauri.conf.json embeds
// (`build.frontendDist`). Run with `npm run build`.
//
// Only index.html, main.js and style.css are shipped: tests and this script stay
// out of the binary. The build fails when the bundle outgrows its budget.

import { deepStrictEqual } from 'node:assert/strict';
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { build } from 'esbuild';

const BUDGET_BYTES = 60 * 1024; // JS + CSS, minified.

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const source = path.join(root, 'ui');
const outdir = path.join(root, 'ui-dist');

/**
 * i18n.js keeps each locale's strings in a map of its own (easy to read; the Rust
 * test src-tauri/tests/ui_kinds.rs finds every error kind in both). The bundle
 * names each key once instead, grouped by prefix, and each locale's strings in
 * that order: the same MESSAGES, built at start-up, in a third fewer bytes.
 */
const compactMessages = {
  name: 'compact-messages',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]i18n\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const { MESSAGES } = await import(`${pathToFileURL(args.path).href}?bundle=${Date.now()}`);
      const start = source.indexOf('export const MESSAGES = {');
      const end = source.indexOf('\n};\n', start);
      if (start < 0 || end < 0) throw new Error(`${args.path}: no \`export const MESSAGES = {...};\` block`);
      const groups = {};
      for (const key of new Set(Object.values(MESSAGES).flatMap(Object.keys))) {
        if (/\s/.test(key)) throw new Error(`${args.path}: the key ${JSON.stringify(key)} has a space`);
        const cut = key.lastIndexOf('.') + 1;
        (groups[key.slice(0, cut)] ??= []).push(key.slice(cut));
      }
      const keys = Object.entries(groups).flatMap(([prefix, names]) => names.map((name) => prefix + name));
      const values = Object.fromEntries(Object.entries(MESSAGES).map(([locale, texts]) => [locale, keys.map((key) => texts[key] ?? null)]));
      const names = Object.fromEntries(Object.entries(groups).map(([prefix, list]) => [prefix, list.join(' ')]));
      const expression =
        '((groups, values) => { const keys = Object.entries(groups).flatMap(([prefix, names]) => names.split(" ").map((name) => prefix + name)); ' +
        'return Object.fromEntries(Object.entries(values).map(([locale, texts]) => [locale, Object.fromEntries(keys.flatMap((key, i) => (texts[i] === null ? [] : [[key, texts[i]]])))])); })' +
        `(${JSON.stringify(names)}, ${JSON.stringify(values)})`;
      deepStrictEqual(new Function(`return ${expression}`)(), MESSAGES, 'the compact MESSAGES differ from i18n.js');
      return { contents: `${source.slice(0, start)}export const MESSAGES = ${expression};${source.slice(end + 3)}`, loader: 'js' };
    });
  },
};

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
  // Module scripts are always read as UTF-8: accents need no \u escapes.
  charset: 'utf8',
  logLevel: 'warning',
  plugins: [compactMessages],
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
