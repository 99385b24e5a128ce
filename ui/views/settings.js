// The settings sheet (loaded on first use, see build.mjs): what new jobs run with (model, language, threads, preset,
// theme), the watched folders, the cache limits and the glossary. One Save
// button writes settings.toml (`save_settings`) and the glossary (`save_glossary`).
// The menus list what the Rust side accepts (`app_choices`).

import { h, icon, ICONS } from '../dom.js';
import { errorNodes, showErrorIn } from '../errors.js';
import { baseName, formatBytes } from '../format.js';
import { CommandError } from '../ipc.js';
import { addMessages } from '../i18n.js';
import { MESSAGES } from './settings-i18n.js';

addMessages(MESSAGES);


/** Languages listed first, in this order; the rest follow by name. */
const FIRST_LANGUAGES = ['auto', 'en', 'pt'];

/** Whisper's language name with each word capitalised: `haitian creole` → `Haitian Creole`. */
const capitalise = (name) => name.replace(/(^|\s)\p{L}/gu, (letter) => letter.toUpperCase());

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
 * The menus' `[value, label]` pairs from `app_choices` (null: none known, so each
 * menu holds only the value it shows): `auto` and the app's own languages first,
 * translated, then Whisper's by name; themes translated where the app knows them.
 */
export function menusFrom(choices, label, locale) {
  const rank = (code) => {
    const index = FIRST_LANGUAGES.indexOf(code);
    return index < 0 ? FIRST_LANGUAGES.length : index;
  };
  const languages = (choices?.languages ?? []).map(({ code, name }) => [code, label(`settings.language.${code}`, capitalise(name || code))]);
  languages.sort(([a, x], [b, y]) => rank(a) - rank(b) || x.localeCompare(y, locale));
  const named = (name, values) => (values ?? []).map((value) => [value, label(`settings.${name}.${value}`, value)]);
  return { language: languages, preset: named('preset', choices?.aspects), theme: named('theme', choices?.themes), formats: choices?.formats ?? [] };
}

/**
 * Builds the settings sheet (hidden) in `doc.body`; the app's gear button opens it
 * (this module is a chunk of its own, loaded on the first click).
 * `ipc` provides the settings, model, glossary, cache and watch commands;
 * `choices` is (a promise of) what `app_choices` returned, or null.
 * Returns `open()`, `close()` and `watchEvent(event)` (the app's `watch` events).
 */
export function createSettings(doc, { t, locale, ipc, choices = null, onError }) {
  const make = (...args) => h(doc, ...args);
  /** `t(key)`, or `fallback` where there is no such string. */
  const label = (key, fallback, params) => {
    const text = t(key, params);
    return text === key ? fallback : text;
  };
  let menus = menusFrom(null, label, locale);
  /** Fills `select` with the `name` menu showing `current` (kept even where the menu lacks it). */
  const fill = (select, name, current) => {
    const entries = menus[name];
    const extra = current && !entries.some(([value]) => value === current) ? [[current, current]] : [];
    select.replaceChildren(...[...entries, ...extra].map(([value, text]) => make('option', { value, text })));
    select.value = current || (entries[0]?.[0] ?? '');
  };
  const removeButton = (title, className, onClick) =>
    make('button', { class: `icon-button ${className}`, title, 'aria-label': title, onClick }, icon(doc, ICONS.remove));
  const checkbox = (className, checked, extra = {}) => make('input', { type: 'checkbox', class: className, checked: Boolean(checked), ...extra });

  const status = make('span', { class: 'editor-label', id: 'settings-status', role: 'status' });
  /** The status line: a confirmation, or an error (then `data-kind` is its kind). */
  function say(message) {
    status.textContent = message;
    delete status.dataset.kind;
  }
  const fail = (error) => showErrorIn(status, error, t);

  const fields = {};
  for (const name of ['model', 'language', 'preset', 'theme']) fields[name] = make('select', { id: `setting-${name}`, name });
  fields.threads = make('input', { id: 'setting-threads', name: 'threads', type: 'number', min: '0' });
  // Automatic, the CPU, or one of the GPUs this build's backends see (`choices.gpus`).
  fields.device = make('select', { id: 'setting-device', name: 'device' });
  // EBU R128 targets: auto is -14 LUFS whenever the audio is re-encoded anyway (music, a
  // voice-over that is not AAC); a number always applies.
  fields.loudness = make(
    'select',
    { id: 'setting-loudness', name: 'loudness' },
    ...['auto', '-16', '-23', 'off'].map((value) => make('option', { value, text: t(`settings.loudness.${value}`) })),
  );
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
      const select = make('select', { class: `watch-${name}`, 'aria-label': t(`settings.${name}`) });
      fill(select, name, folder[name]);
      return select;
    };
    const language = pick('language');
    const preset = pick('preset');
    const theme = pick('theme');
    const chosen = folder.formats ?? [];
    const formats = [...new Set([...menus.formats, ...chosen])].map((format) => checkbox('watch-format', chosen.includes(format), { value: format }));
    const enabled = checkbox('watch-enabled', folder.enabled !== false);
    let music = folder.music ?? null;
    // Sent only where there is or was one, so a folder without music reads back as it came.
    let sendMusic = 'music' in folder;
    const musicName = make('span', { class: 'watch-music-name', text: music ? baseName(music) : t('watch.noMusic'), title: music ?? '' });
    const showMusic = (path) => {
      music = path;
      sendMusic = true;
      musicName.textContent = path ? baseName(path) : t('watch.noMusic');
      musicName.title = path ?? '';
      musicClear.hidden = !path;
    };
    const musicPick = make('button', {
      class: 'button watch-music',
      text: t('watch.music'),
      onClick: async () => {
        try {
          const path = await ipc.pickMusicFile();
          if (path) showMusic(path);
        } catch (error) {
          fail(error);
        }
      },
    });
    const musicClear = make('button', { class: 'button watch-music-clear', text: '×', title: t('music.clear'), 'aria-label': t('music.clear'), hidden: !music, onClick: () => showMusic(null) });
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
        ...(sendMusic ? { music } : {}),
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
      make('div', { class: 'watch-options' }, musicPick, musicName, musicClear),
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
      showErrorIn(watchError, error, t);
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
  const addRuleButton = make('button', { class: 'button', id: 'glossary-add', text: t('glossary.add'), onClick: () => addRule() });

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
      glossaryInfo.replaceChildren(`${t('glossary.unavailable')} `, ...errorNodes(doc, error, t));
    }
    ruleBody.replaceChildren(...ruleRows.map((entry) => entry.el));
    threshold.disabled = addRuleButton.disabled = glossary === null;
  }

  /** The glossary to save (rules left blank are dropped); throws on a bad threshold. */
  function readGlossary() {
    const raw = String(threshold.value).trim();
    const reviewThreshold = raw === '' ? null : Number(raw);
    if (reviewThreshold !== null && !(reviewThreshold >= 0 && reviewThreshold <= 1)) {
      throw new CommandError('invalid_glossary', t('glossary.thresholdInvalid'));
    }
    const { path, ...rest } = glossary;
    const rules = ruleRows.map((entry) => entry.read()).filter((rule) => rule.from.length > 0 || rule.to);
    return { ...rest, reviewThreshold, rules };
  }

  const cacheStatus = make('span', { class: 'editor-label', id: 'cache-status', role: 'status' });
  const cleanupButton = make('button', { class: 'button', id: 'cache-cleanup', text: t('cache.cleanup'), onClick: () => cleanup() });
  async function cleanup() {
    cleanupButton.disabled = true;
    cacheStatus.textContent = '';
    delete cacheStatus.dataset.kind;
    try {
      const report = await ipc.cleanupCache();
      const removed = (report.removedByAge ?? 0) + (report.removedBySize ?? 0);
      const size = (bytes) => formatBytes(bytes, locale) || '0 B';
      const key = removed === 0 ? 'cache.cleanedNone' : removed === 1 ? 'cache.cleanedOne' : 'cache.cleaned';
      cacheStatus.textContent = t(key, { removed, freed: size(report.freedBytes), kept: report.kept ?? 0, keptSize: size(report.keptBytes) });
    } catch (error) {
      showErrorIn(cacheStatus, error, t);
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
        row('device', fields.device),
        row('loudness', fields.loudness),
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
        make('div', { class: 'editor-actions' }, make('button', { class: 'button', id: 'watch-add', text: t('watch.add'), onClick: () => addFolder() })),
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
        { class: 'sheet-section', 'data-section': 'log' },
        heading('log.title'),
        hint('log.hint'),
        make('div', { class: 'editor-actions' }, make('button', { class: 'button', id: 'show-log', text: t('log.show'), onClick: () => ipc.showLog().catch(fail) })),
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
        make('button', { class: 'button', id: 'settings-close', text: t('settings.close'), onClick: () => close() }),
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
    delete cacheStatus.dataset.kind;
    let models;
    let found;
    try {
      // The looks are listed afresh: the Looks sheet may have saved one since start-up.
      const looks = ipc.listLooks().then((list) => list.filter((look) => !look.error).map((look) => look.id), () => null);
      [loaded, models, found] = await Promise.all([ipc.getSettings(), ipc.listModels(), choices]);
      const themes = await looks;
      if (found && themes) found = { ...found, themes };
    } catch (error) {
      onError(error);
      return;
    }
    menus = menusFrom(found, label, locale);
    const installed = models.filter((model) => model.installed).map((model) => model.name);
    if (!installed.includes(loaded.model)) installed.unshift(loaded.model);
    fields.model.replaceChildren(...installed.map((name) => make('option', { value: name, text: name })));
    fields.model.value = loaded.model;
    for (const name of ['language', 'preset', 'theme']) fill(fields[name], name, loaded[name]);
    if (Number.isInteger(found?.maxThreads)) fields.threads.max = String(found.maxThreads);
    fields.threads.value = String(loaded.threads);
    const device = String(loaded.device ?? 'auto');
    const devices = [
      ['auto', t('settings.device.auto')],
      ['cpu', t('settings.device.cpu')],
      ...(found?.gpus ?? []).map((gpu) => [gpu.name, `${gpu.name} (${gpu.description})`]),
    ];
    // A GPU named in the file but not seen now stays chosen (saving refuses it by name).
    if (!devices.some(([value]) => value === device)) devices.push([device, device]);
    fields.device.replaceChildren(...devices.map(([value, text]) => make('option', { value, text })));
    fields.device.value = device;
    const loudness = String(loaded.loudness ?? 'auto');
    if (![...fields.loudness.options].some((option) => option.value === loudness)) {
      fields.loudness.append(make('option', { value: loudness, text: `${loudness} LUFS` }));
    }
    fields.loudness.value = loudness;
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
      // Left out while it is the default the file leaves out too.
      if (fields.loudness.value !== 'auto' || 'loudness' in loaded) settings.loudness = fields.loudness.value;
      if (fields.device.value !== 'auto' || 'device' in loaded) settings.device = fields.device.value;
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

  return Object.freeze({ open, close, watchEvent });
}
