// The settings sheet: what new jobs run with (model, language, threads, preset,
// theme), the watched folders, the cache limits and the glossary. One Save
// button writes settings.toml (`save_settings`) and the glossary (`save_glossary`).

import { h, icon } from '../dom.js';
import { baseName, formatBytes } from '../format.js';
import { CommandError, toCommandError } from '../ipc.js';

const GEAR_ICON =
  'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-2.9 1.2V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-2.9-1.2l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1A1.7 1.7 0 0 0 3 15H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.2-2.9l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 2.9-1.2V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 2.9 1.2l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0 1.2 2.9H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z';
const REMOVE_ICON = 'M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3';

const CHOICES = {
  language: ['auto', 'en', 'pt'],
  preset: ['16:9', '1:1', '9:16'],
  theme: ['classic', 'dark'],
};
/** What a watched folder can export (`vsl watch --formats`). */
const WATCH_FORMATS = ['mp4', 'srt', 'vtt', 'txt', 'json'];

/** A glossary rule's comma-separated `from` field as a list: trimmed, blanks dropped. */
export function splitList(value) {
  return String(value)
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/** Whether `path` lies inside the folder `dir` (either separator). */
function inside(path, dir) {
  return path.startsWith(dir) && /[\\/]/.test(dir.at(-1) + (path[dir.length] ?? ''));
}

/**
 * Adds a gear button to `headerSlot` that opens the settings sheet.
 * `ipc` provides the settings, model, glossary, cache and watch commands.
 * Returns `open()`, `close()` and `watchEvent(event)` (the app's `watch` events).
 */
export function createSettings(doc, headerSlot, { t, locale, ipc, onError }) {
  const make = (...args) => h(doc, ...args);
  /** `t(key)`, or `fallback` where there is no such string. */
  const label = (key, fallback, params) => {
    const text = t(key, params);
    return text === key ? fallback : text;
  };
  const options = (name) =>
    CHOICES[name].map((value) => make('option', { value, text: label(`settings.${name}.${value}`, value) }));
  const removeButton = (title, className, onClick) =>
    make('button', { class: `icon-button ${className}`, type: 'button', title, 'aria-label': title, onClick }, icon(doc, REMOVE_ICON));
  const checkbox = (className, checked, extra = {}) => make('input', { type: 'checkbox', class: className, checked: Boolean(checked), ...extra });

  const status = make('span', { class: 'editor-label', id: 'settings-status', role: 'status' });
  /** The status line: a confirmation, or an error's message (then `data-kind` is its kind). */
  function say(message, kind = null) {
    status.textContent = message;
    if (kind) status.dataset.kind = kind;
    else delete status.dataset.kind;
  }
  function fail(error) {
    const { kind, message } = toCommandError(error);
    say(message || kind, kind);
  }

  const fields = {};
  for (const name of Object.keys(CHOICES)) fields[name] = make('select', { id: `setting-${name}`, name }, ...options(name));
  fields.model = make('select', { id: 'setting-model', name: 'model' });
  fields.threads = make('input', { id: 'setting-threads', name: 'threads', type: 'number', min: '0', max: '64' });
  const cacheAge = make('input', { id: 'setting-cache-age', name: 'cacheMaxAge', type: 'text', placeholder: '30d', spellcheck: 'false' });
  const cacheSize = make('input', { id: 'setting-cache-size', name: 'cacheMaxSize', type: 'text', placeholder: '5GB', spellcheck: 'false' });
  const row = (name, control) => make('label', { class: 'setting' }, make('span', { text: t(`settings.${name}`) }), control);
  const heading = (key) => make('h3', { class: 'sheet-heading', text: t(key) });
  const hint = (key) => make('p', { class: 'editor-label', text: t(key) });

  // Watched folders: one entry per row, `{ folder, fresh, el, state, last, read() }`.
  let watchRows = [];
  /** dir → `{ state, message, last: { event, name } }`, from get_watch_status and `watch` events. */
  const watchState = new Map();
  const watchList = make('ul', { class: 'watch-list', id: 'watch-list' });
  const watchEmpty = make('p', { class: 'empty', text: t('watch.empty') });
  const watchError = make('p', { class: 'sheet-error', id: 'watch-error', hidden: true });

  function watchRow(folder, fresh = false) {
    const pick = (name) => {
      const select = make('select', { class: `watch-${name}`, 'aria-label': t(`settings.${name}`) }, ...options(name));
      select.value = folder[name] ?? CHOICES[name][0];
      return select;
    };
    const language = pick('language');
    const preset = pick('preset');
    const theme = pick('theme');
    const formats = WATCH_FORMATS.map((format) => checkbox('watch-format', (folder.formats ?? []).includes(format), { value: format }));
    const enabled = checkbox('watch-enabled', folder.enabled !== false);
    const entry = {
      folder,
      fresh,
      state: make('span', { class: 'watch-state' }),
      last: make('span', { class: 'watch-last' }),
      read: () => ({
        ...folder,
        language: language.value,
        preset: preset.value,
        theme: theme.value,
        formats: formats.filter((box) => box.checked).map((box) => box.value),
        enabled: enabled.checked,
      }),
    };
    entry.el = make(
      'li',
      { class: 'watch-row', 'data-dir': folder.dir },
      make(
        'div',
        { class: 'watch-head' },
        make(
          'div',
          { class: 'watch-paths' },
          make('span', { class: 'watch-dir', title: folder.dir, text: folder.dir }),
          make('span', { class: 'watch-out', title: folder.outDir, text: `→ ${folder.outDir}` }),
        ),
        removeButton(t('watch.remove'), 'watch-remove', () => {
          watchRows = watchRows.filter((other) => other !== entry);
          entry.el.remove();
          watchEmpty.hidden = watchRows.length > 0;
        }),
      ),
      make('div', { class: 'watch-status', role: 'status' }, entry.state, entry.last),
      make(
        'div',
        { class: 'watch-options' },
        language,
        preset,
        theme,
        ...formats.map((box) => make('label', { class: 'format' }, box, box.value.toUpperCase())),
        make('label', { class: 'format' }, enabled, t('watch.enabled')),
      ),
    );
    return entry;
  }

  function showWatchRows(rows) {
    watchRows = rows;
    watchList.replaceChildren(...rows.map((entry) => entry.el));
    watchEmpty.hidden = rows.length > 0;
    renderWatchState();
  }

  function renderWatchState() {
    for (const entry of watchRows) {
      const info = watchState.get(entry.folder.dir) ?? {};
      let text = entry.fresh ? t('watch.state.new') : info.state ? label(`watch.state.${info.state}`, info.state) : '';
      if (info.message) text = text ? `${text}: ${info.message}` : info.message;
      entry.state.textContent = text;
      entry.state.dataset.state = entry.fresh ? 'new' : info.state ?? '';
      entry.last.textContent = info.last ? label(`watch.last.${info.last.event}`, '', { name: info.last.name }) : '';
    }
  }

  async function loadWatchStatus() {
    try {
      const { folders = [], error = null } = await ipc.getWatchStatus();
      for (const folder of folders) {
        watchState.set(folder.dir, { ...watchState.get(folder.dir), state: folder.state, message: folder.message ?? null });
      }
      watchError.textContent = error ?? '';
    } catch (error) {
      watchError.textContent = toCommandError(error).message;
    }
    watchError.hidden = !watchError.textContent;
    renderWatchState();
  }

  /** Keeps the latest state of each folder from the app's `watch` events. */
  function watchEvent(event) {
    const path = String(event.path ?? '');
    const known = [...watchState.keys(), ...watchRows.map((entry) => entry.folder.dir)];
    const dir = event.dir ?? known.find((candidate) => inside(path, candidate));
    if (event.event === 'error' && !dir) {
      // The watcher as a whole stopped (get_watch_status's `error`).
      watchError.textContent = event.message ?? '';
      watchError.hidden = !watchError.textContent;
    }
    if (!dir) return;
    const info = { ...watchState.get(dir) };
    if (event.event === 'watching') Object.assign(info, { state: 'watching', message: null });
    else if (event.event === 'folderMissing') Object.assign(info, { state: 'missing', message: event.message ?? null });
    else if (event.event === 'error' && !path) info.message = event.message ?? null;
    if (path && event.event !== 'watching' && event.event !== 'folderMissing') {
      info.last = { event: event.event, name: baseName(path) };
    }
    watchState.set(dir, info);
    renderWatchState();
  }

  async function addFolder() {
    try {
      say(t('watch.pickDir'));
      const dir = await ipc.pickExportFolder();
      if (!dir) return say('');
      say(t('watch.pickOut'));
      const outDir = await ipc.pickExportFolder();
      if (!outDir) return say('');
      say('');
      const folder = {
        dir,
        outDir,
        language: fields.language.value,
        preset: fields.preset.value,
        theme: fields.theme.value,
        formats: ['mp4', 'srt'],
        enabled: true,
      };
      const entry = watchRow(folder, true);
      showWatchRows([...watchRows, entry]);
    } catch (error) {
      fail(error);
    }
  }

  // The glossary, as loaded (null when it could not be read: it is then not saved,
  // so a file with a mistake in it is never overwritten).
  let glossary = null;
  let ruleRows = [];
  const ruleBody = make('tbody', { id: 'glossary-rules' });
  const threshold = make('input', { id: 'glossary-threshold', type: 'number', min: '0', max: '1', step: '0.05', placeholder: '0.5' });
  const glossaryInfo = make('p', { class: 'editor-label', id: 'glossary-path' });
  const addRuleButton = make('button', { class: 'button', type: 'button', id: 'glossary-add', text: t('glossary.add'), onClick: () => addRule() });

  function ruleRow(rule) {
    const cell = (...children) => make('td', {}, ...children);
    const from = make('input', { type: 'text', class: 'glossary-from', value: (rule.from ?? []).join(', '), 'aria-label': t('glossary.from') });
    const to = make('input', { type: 'text', class: 'glossary-to', value: rule.to ?? '', 'aria-label': t('glossary.to') });
    const highlight = checkbox('glossary-highlight', rule.highlight, { 'aria-label': t('glossary.highlight') });
    const accents = checkbox('glossary-accents', rule.accentInsensitive, { 'aria-label': t('glossary.accents') });
    const entry = {
      read: () => ({ ...rule, from: splitList(from.value), to: to.value.trim(), highlight: highlight.checked, accentInsensitive: accents.checked }),
    };
    entry.el = make(
      'tr',
      { class: 'glossary-rule' },
      cell(from),
      cell(to),
      cell(highlight),
      cell(accents),
      cell(
        removeButton(t('glossary.remove'), 'glossary-remove', () => {
          ruleRows = ruleRows.filter((other) => other !== entry);
          entry.el.remove();
        }),
      ),
    );
    return entry;
  }

  function addRule() {
    const entry = ruleRow({ from: [], to: '', highlight: false, accentInsensitive: false });
    ruleRows.push(entry);
    ruleBody.append(entry.el);
    entry.el.querySelector('input').focus();
  }

  async function loadGlossary() {
    glossary = null;
    ruleRows = [];
    try {
      glossary = await ipc.getGlossary();
      ruleRows = (glossary.rules ?? []).map(ruleRow);
      threshold.value = glossary.reviewThreshold ?? '';
      glossaryInfo.textContent = glossary.path ?? '';
    } catch (error) {
      glossaryInfo.textContent = t('glossary.unavailable', { message: toCommandError(error).message });
    }
    ruleBody.replaceChildren(...ruleRows.map((entry) => entry.el));
    threshold.disabled = addRuleButton.disabled = glossary === null;
  }

  /** The glossary to save (rules left blank are dropped); throws on a bad threshold. */
  function readGlossary() {
    const raw = String(threshold.value).trim();
    const reviewThreshold = raw === '' ? null : Number(raw);
    if (reviewThreshold !== null && !(reviewThreshold >= 0 && reviewThreshold <= 1)) {
      throw new CommandError('glossary', t('glossary.thresholdInvalid'));
    }
    const { path, ...rest } = glossary;
    const rules = ruleRows.map((entry) => entry.read()).filter((rule) => rule.from.length > 0 || rule.to);
    return { ...rest, reviewThreshold, rules };
  }

  const cacheStatus = make('span', { class: 'editor-label', id: 'cache-status', role: 'status' });
  const cleanupButton = make('button', { class: 'button', type: 'button', id: 'cache-cleanup', text: t('cache.cleanup'), onClick: () => cleanup() });
  async function cleanup() {
    cleanupButton.disabled = true;
    cacheStatus.textContent = '';
    try {
      const report = await ipc.cleanupCache();
      const removed = (report.removedByAge ?? 0) + (report.removedBySize ?? 0);
      const size = (bytes) => formatBytes(bytes, locale) || '0 B';
      const key = removed === 0 ? 'cache.cleanedNone' : removed === 1 ? 'cache.cleanedOne' : 'cache.cleaned';
      cacheStatus.textContent = t(key, { removed, freed: size(report.freedBytes), kept: report.kept ?? 0, keptSize: size(report.keptBytes) });
    } catch (error) {
      const { kind, message } = toCommandError(error);
      cacheStatus.textContent = message || kind;
    } finally {
      cleanupButton.disabled = false;
    }
  }

  // The settings as loaded: saving spreads them first, so fields this version of
  // the UI does not know about survive.
  let loaded = {};

  const sheet = make(
    'div',
    { class: 'sheet-backdrop', id: 'settings', hidden: true },
    make(
      'form',
      // Checked here, so that every mistake shows in the status line.
      { class: 'sheet panel', 'aria-label': t('settings.title'), novalidate: true },
      make('h2', { class: 'panel-title', text: t('settings.title') }),
      make('p', { class: 'panel-subtitle', text: t('settings.subtitle') }),
      make(
        'section',
        { class: 'sheet-section', 'data-section': 'general' },
        heading('settings.general'),
        row('model', fields.model),
        row('language', fields.language),
        row('threads', fields.threads),
        row('preset', fields.preset),
        row('theme', fields.theme),
      ),
      make(
        'section',
        { class: 'sheet-section', 'data-section': 'watch' },
        heading('watch.title'),
        hint('watch.hint'),
        watchError,
        watchEmpty,
        watchList,
        make('div', { class: 'editor-actions' }, make('button', { class: 'button', type: 'button', id: 'watch-add', text: t('watch.add'), onClick: () => addFolder() })),
      ),
      make(
        'section',
        { class: 'sheet-section', 'data-section': 'cache' },
        heading('cache.title'),
        row('cacheMaxAge', cacheAge),
        row('cacheMaxSize', cacheSize),
        hint('cache.hint'),
        make('div', { class: 'editor-actions' }, cleanupButton, cacheStatus),
      ),
      make(
        'section',
        { class: 'sheet-section', 'data-section': 'glossary' },
        heading('glossary.title'),
        hint('glossary.hint'),
        glossaryInfo,
        make(
          'table',
          { class: 'glossary-table' },
          make(
            'thead',
            {},
            make('tr', {}, ...['from', 'to', 'highlight', 'accents'].map((key) => make('th', { text: t(`glossary.${key}`) })), make('th', {})),
          ),
          ruleBody,
        ),
        make('div', { class: 'editor-actions' }, addRuleButton),
        row('threshold', threshold),
      ),
      make(
        'div',
        { class: 'editor-actions sheet-actions' },
        status,
        make('button', { class: 'button', type: 'button', id: 'settings-close', text: t('settings.close'), onClick: () => close() }),
        make('button', { class: 'button button-primary', type: 'submit', id: 'settings-save', text: t('settings.save') }),
      ),
    ),
  );
  doc.body.append(sheet);

  function close() {
    sheet.hidden = true;
  }

  async function open() {
    say('');
    cacheStatus.textContent = '';
    let models;
    try {
      [loaded, models] = await Promise.all([ipc.getSettings(), ipc.listModels()]);
    } catch (error) {
      onError(error);
      return;
    }
    const installed = models.filter((model) => model.installed).map((model) => model.name);
    if (!installed.includes(loaded.model)) installed.unshift(loaded.model);
    fields.model.replaceChildren(...installed.map((name) => make('option', { value: name, text: name })));
    for (const name of ['model', 'language', 'preset', 'theme']) fields[name].value = loaded[name];
    fields.threads.value = String(loaded.threads);
    cacheAge.value = loaded.cacheMaxAge ?? '';
    cacheSize.value = loaded.cacheMaxSize ?? '';
    showWatchRows((loaded.watchFolders ?? []).map((folder) => watchRow(folder)));
    sheet.hidden = false;
    await Promise.all([loadGlossary(), loadWatchStatus()]);
  }

  sheet.querySelector('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    let settings;
    let nextGlossary = null;
    try {
      settings = {
        ...loaded,
        model: fields.model.value,
        language: fields.language.value,
        threads: Math.max(0, Number.parseInt(fields.threads.value, 10) || 0),
        preset: fields.preset.value,
        theme: fields.theme.value,
        cacheMaxAge: cacheAge.value.trim() || 'off',
        cacheMaxSize: cacheSize.value.trim() || 'off',
        watchFolders: watchRows.map((entry) => entry.read()),
      };
      if (glossary) nextGlossary = readGlossary();
      await ipc.saveSettings(settings);
      loaded = settings;
      for (const entry of watchRows) {
        entry.folder = entry.read();
        entry.fresh = false;
      }
      if (nextGlossary) await ipc.saveGlossary(nextGlossary);
      say(t('settings.saved'));
    } catch (error) {
      fail(error);
    }
    if (loaded === settings) await loadWatchStatus();
  });

  const button = make(
    'button',
    { class: 'icon-button', type: 'button', id: 'open-settings', title: t('settings.title'), 'aria-label': t('settings.title'), onClick: () => open() },
    icon(doc, GEAR_ICON),
  );
  headerSlot.after(button);
  return Object.freeze({ open, close, watchEvent });
}
