// Bundles and minifies ui/ into ui-dist/, the folder tauri.conf.json embeds
// (`build.frontendDist`). Run with `npm run build`.
//
// Only index.html, style.css, main.js and the chunks it loads are shipped: tests and
// this script stay out of the binary. Views used now and then (the settings sheet,
// the script dialog) are loaded with `import()` and split into chunks of their own
// (ES modules, `splitting`), so the start-up bundle stays small. The build fails
// when what index.html loads at start (main.js, the chunks it imports statically,
// style.css) outgrows its budget; the total of every file is reported too.

import { deepStrictEqual } from 'node:assert/strict';
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { build } from 'esbuild';

const BUDGET_BYTES = 60 * 1024; // JS + CSS loaded at start, minified.

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const source = path.join(root, 'ui');
const outdir = path.join(root, 'ui-dist');

/**
 * i18n.js (and a lazy view's `views/*-i18n.js`) keeps each locale's strings in a
 * map of its own (easy to read; the Rust test src-tauri/tests/ui_kinds.rs finds
 * every error kind in both). The bundle names each key once instead, grouped by
 * prefix, and each locale's strings in that order: the same MESSAGES, built when
 * the module loads, in a third fewer bytes.
 */
const compactMessages = {
  name: 'compact-messages',
  setup(builder) {
    builder.onLoad({ filter: /[\\/-]i18n\.js$/ }, async (args) => {
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

const { metafile } = await build({
  entryPoints: [path.join(source, 'main.js'), path.join(source, 'style.css')],
  outdir,
  bundle: true,
  minify: true,
  format: 'esm',
  splitting: true,
  // `settings-<hash>.js`, `script-<hash>.js`; shared code in `chunk-<hash>.js`.
  chunkNames: '[name]-[hash]',
  metafile: true,
  // WebKitGTK 2.4x/2.5x on Linux; WKWebView and WebView2 are newer still.
  target: ['safari16'],
  legalComments: 'none',
  // Module scripts are always read as UTF-8: accents need no \u escapes.
  charset: 'utf8',
  logLevel: 'warning',
  plugins: [compactMessages],
});
await copyFile(path.join(source, 'index.html'), path.join(outdir, 'index.html'));

/** `file` (a path relative to the repository root) and what it imports statically, transitively. */
function loadedWith(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const { path: imported, kind } of metafile.outputs[file]?.imports ?? []) {
    if (kind === 'import-statement' && !imported.startsWith('<')) loadedWith(imported, seen);
  }
  return seen;
}

const relative = (name) => path.relative(root, path.join(outdir, name)).split(path.sep).join('/');
const atStart = new Set([...loadedWith(relative('main.js')), relative('style.css')]);
const sizes = {};
for (const file of Object.keys(metafile.outputs).sort()) {
  sizes[file] = (await stat(path.join(root, file))).size;
}
const kb = (bytes) => `${(bytes / 1024).toFixed(1).padStart(6)} KB`;
let first = 0;
let total = 0;
for (const [file, size] of Object.entries(sizes)) {
  total += size;
  if (atStart.has(file)) first += size;
  console.log(`${file.padEnd(30)} ${kb(size)}${atStart.has(file) ? '  (at start)' : '  (lazy)'}`);
}
console.log(`at start JS+CSS               ${kb(first)} (budget ${BUDGET_BYTES / 1024} KB)`);
console.log(`all files JS+CSS              ${kb(total)}`);
if (first > BUDGET_BYTES) {
  console.error('error: what index.html loads at start is over the UI budget');
  process.exitCode = 1;
}
