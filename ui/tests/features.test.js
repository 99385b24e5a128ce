// Watched folders, cache limits, the glossary editor, app-wide job events and
// export cancel, on jsdom with mocked IPC.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { emit } from '@tauri-apps/api/event';

import { startApp } from '../app.js';
import { createI18n } from '../i18n.js';
import { createIpc } from '../ipc.js';
import { splitList } from '../views/settings.js';
import { APP_CHOICES, mockTauri, resetTauri, text } from './dom.js';

const MIB = 1024 * 1024;

const SETTINGS = {
  model: 'base',
  language: 'en',
  threads: 0,
  preset: '16:9',
  theme: 'classic',
  cacheMaxAge: '30d',
  cacheMaxSize: '5GB',
  // Fields this sheet does not edit (job settings, or added by a later version): saving must keep them.
  fps: 30,
  prompt: 'VSL Studio, Kubernetes',
  subtitles: 'segments',
  formats: ['mp4', 'srt', 'json'],
  futureField: { keep: true },
  watchFolders: [
    {
      dir: '/in',
      outDir: '/out',
      language: 'pt',
      preset: '1:1',
      theme: 'dark',
      formats: ['mp4', 'srt'],
      enabled: true,
      futureFolderField: 7,
    },
  ],
};

const GLOSSARY = {
  path: '/config/glossary.toml',
  reviewThreshold: 0.6,
  rules: [
    { from: ['nao', 'naum'], to: 'não', highlight: false, accentInsensitive: true },
    { from: ['kubernetes'], to: 'Kubernetes', highlight: true, accentInsensitive: false },
  ],
};

const DECK = {
  jobId: 'j1',
  audio: '/voice/jfk.wav',
  slidesDir: '/work/j1/slides',
  canUndo: false,
  canRedo: false,
  deck: {
    duration: 6,
    slides: [{ index: 0, start: 0, end: 6, text: 'And so my fellow Americans', highlights: [], image: 'slide-0000.png' }],
  },
};

/** Starts the app; `handlers[command](args)` answers, and every call is recorded. */
async function start(handlers = {}, language = 'en') {
  const calls = [];
  const channels = {};
  const defaults = {
    app_info: () => ({ name: 'VSL Studio', version: '0.1.0' }),
    app_choices: () => structuredClone(APP_CHOICES),
    list_models: () => [{ name: 'base', installed: true }],
    list_jobs: () => [],
    get_health: () => ({ cpuPercent: 1, memoryTotal: 1, memoryAvailable: 1, cacheBytes: 0, model: null }),
    list_looks: () => [
      { id: 'classic', name: 'classic', source: 'builtin' },
      { id: 'dark', name: 'dark', source: 'builtin' },
    ],
    get_settings: () => structuredClone(SETTINGS),
    get_glossary: () => structuredClone(GLOSSARY),
    get_watch_status: () => ({ folders: [{ dir: '/in', state: 'watching', message: null }], error: null }),
    save_settings: () => null,
    save_glossary: () => null,
    start_job: ({ path, onProgress }) => {
      channels.j1 = onProgress;
      return { id: 'j1', name: 'jfk.wav', input: path, workDir: '/work/j1', status: 'running', error: null, origin: null };
    },
  };
  const { doc, tauri } = mockTauri((command, args) => {
    calls.push({ command, args });
    const handler = handlers[command] ?? defaults[command];
    if (!handler) throw new Error(`unexpected command ${command}`);
    return handler(args);
  });
  const app = await startApp({
    doc,
    ipc: createIpc(tauri),
    i18n: createI18n(language),
    log: { error: () => {} },
    healthEveryMs: 0,
  });
  const named = (command) => calls.filter((call) => call.command === command).map((call) => call.args);
  const send = (id, event) => channels[id].onmessage(event);
  return { doc, app, named, send };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const settle = async (times = 6) => {
  for (let i = 0; i < times; i += 1) await tick();
};

async function openSettings(doc) {
  doc.getElementById('open-settings').click();
  // The sheet is a chunk of its own, loaded on the first click.
  for (let i = 0; i < 100 && doc.getElementById('settings')?.hidden !== false; i += 1) await tick();
  await settle();
  assert.equal(doc.getElementById('settings').hidden, false);
}

/** Sets a control's value and fires the events a person's edit would. */
function set(control, value) {
  if (control.type === 'checkbox') control.checked = value;
  else control.value = value;
  control.dispatchEvent(new control.ownerDocument.defaultView.Event('change', { bubbles: true }));
}

afterEach(resetTauri);

test('splitList trims, splits on commas and drops blanks', () => {
  assert.deepEqual(splitList(' a , ,b,, c d '), ['a', 'b', 'c d']);
  assert.deepEqual(splitList(''), []);
});

test('the settings sheet round-trips watched folders, cache limits and the glossary', async () => {
  const { doc, named } = await start();
  await openSettings(doc);

  // What was loaded is shown.
  assert.equal(doc.getElementById('setting-cache-age').value, '30d');
  assert.equal(doc.getElementById('setting-cache-size').value, '5GB');
  const row = doc.querySelector('.watch-row');
  assert.equal(row.dataset.dir, '/in');
  assert.equal(text(row.querySelector('.watch-dir')), '/in');
  assert.match(text(row.querySelector('.watch-out')), /\/out/);
  assert.equal(row.querySelector('.watch-language').value, 'pt');
  assert.equal(row.querySelector('.watch-preset').value, '1:1');
  assert.equal(row.querySelector('.watch-theme').value, 'dark');
  assert.deepEqual(
    [...row.querySelectorAll('.watch-format')].filter((box) => box.checked).map((box) => box.value),
    ['mp4', 'srt'],
  );
  assert.equal(text(row.querySelector('.watch-state')), 'Watching');
  const rules = () => [...doc.querySelectorAll('.glossary-rule')];
  assert.equal(rules().length, 2);
  assert.equal(rules()[0].querySelector('.glossary-from').value, 'nao, naum');
  assert.equal(rules()[0].querySelector('.glossary-accents').checked, true);
  assert.equal(rules()[1].querySelector('.glossary-highlight').checked, true);
  assert.equal(doc.getElementById('glossary-threshold').value, '0.6');
  assert.equal(text(doc.getElementById('glossary-path')), '/config/glossary.toml');

  // Edits everywhere.
  set(doc.getElementById('setting-threads'), '4');
  set(doc.getElementById('setting-cache-age'), ' 7d ');
  set(doc.getElementById('setting-cache-size'), '');
  set(row.querySelector('.watch-preset'), '9:16');
  set(row.querySelector('.watch-format[value="srt"]'), false);
  set(row.querySelector('.watch-format[value="json"]'), true);
  set(row.querySelector('.watch-enabled'), false);
  set(rules()[0].querySelector('.glossary-from'), ' nao , ,naum,nãao ');
  rules()[1].querySelector('.glossary-remove').click();
  doc.getElementById('glossary-add').click();
  const added = rules().at(-1);
  set(added.querySelector('.glossary-from'), 'vsl studio');
  set(added.querySelector('.glossary-to'), 'VSL Studio');
  set(added.querySelector('.glossary-highlight'), true);
  doc.getElementById('glossary-add').click(); // left blank: not saved
  set(doc.getElementById('glossary-threshold'), '');

  doc.getElementById('settings-save').click();
  await settle();

  assert.deepEqual(named('save_settings'), [
    {
      settings: {
        ...SETTINGS,
        threads: 4,
        cacheMaxAge: '7d',
        cacheMaxSize: 'off',
        watchFolders: [
          {
            dir: '/in',
            outDir: '/out',
            language: 'pt',
            preset: '9:16',
            theme: 'dark',
            formats: ['mp4', 'json'],
            enabled: false,
            futureFolderField: 7,
          },
        ],
      },
    },
  ]);
  assert.deepEqual(named('save_glossary'), [
    {
      glossary: {
        reviewThreshold: null,
        rules: [
          { from: ['nao', 'naum', 'nãao'], to: 'não', highlight: false, accentInsensitive: true },
          { from: ['vsl studio'], to: 'VSL Studio', highlight: true, accentInsensitive: false },
        ],
      },
    },
  ]);
  assert.equal(text(doc.getElementById('settings-status')), 'Saved.');
  assert.equal(named('get_watch_status').length, 2, 'the folder states are reloaded after saving');
});

test('a save error is shown in the sheet, translated, with its message; nothing else is saved', async () => {
  const { doc, named } = await start({
    save_settings: () => {
      throw { kind: 'output_inside_watched', message: 'the output folder /in/out is inside the watched folder /in' };
    },
  });
  await openSettings(doc);
  doc.getElementById('settings-save').click();
  await settle();

  const status = doc.getElementById('settings-status');
  assert.equal(text(status.querySelector('.error-headline')), 'The output folder is inside the watched one: choose another');
  assert.equal(text(status.querySelector('.error-detail')), 'the output folder /in/out is inside the watched folder /in');
  assert.equal(status.dataset.kind, 'output_inside_watched');
  assert.equal(named('save_glossary').length, 0);
  assert.equal(doc.getElementById('toast').hidden, true);
});

test('a glossary error names the rule in the status line', async () => {
  const { doc } = await start({
    save_glossary: () => {
      throw { kind: 'invalid_glossary', message: 'rule 2: `to` is empty' };
    },
  });
  await openSettings(doc);
  doc.getElementById('settings-save').click();
  await settle();
  assert.equal(text(doc.getElementById('settings-status')), 'The glossary has a mistake rule 2: `to` is empty');
  assert.equal(doc.getElementById('settings-status').dataset.kind, 'invalid_glossary');
});

test('an out-of-range review threshold is refused before anything is saved', async () => {
  const { doc, named } = await start();
  await openSettings(doc);
  set(doc.getElementById('glossary-threshold'), '1.5');
  doc.getElementById('settings-save').click();
  await settle();
  assert.equal(text(doc.querySelector('#settings-status .error-detail')), 'The review threshold must be between 0 and 1.');
  assert.equal(named('save_settings').length, 0);
  assert.equal(named('save_glossary').length, 0);
});

test('an unreadable glossary is reported and never overwritten', async () => {
  const { doc, named } = await start({
    get_glossary: () => {
      throw { kind: 'invalid_glossary', message: 'glossary.toml line 3: expected `=`' };
    },
  });
  await openSettings(doc);
  assert.match(text(doc.getElementById('glossary-path')), /line 3: expected `=`/);
  assert.equal(doc.getElementById('glossary-add').disabled, true);
  doc.getElementById('settings-save').click();
  await settle();
  assert.equal(named('save_settings').length, 1);
  assert.equal(named('save_glossary').length, 0);
});

test('"Add folder…" asks for the watched folder, then the output folder', async () => {
  const answers = [null, '/media/inbox', '/media/done'];
  const { doc, named } = await start({
    get_settings: () => ({ model: 'base', language: 'auto', threads: 0, preset: '16:9', theme: 'classic', watchFolders: [] }),
    get_watch_status: () => ({ folders: [], error: null }),
    pick_export_folder: () => answers.shift(),
  });
  await openSettings(doc);
  assert.equal(doc.querySelectorAll('.watch-row').length, 0);

  // Cancelling the first dialog adds nothing.
  doc.getElementById('watch-add').click();
  await settle();
  assert.equal(named('pick_export_folder').length, 1);
  assert.equal(doc.querySelectorAll('.watch-row').length, 0);

  // The new row takes the general language, shape and theme.
  set(doc.getElementById('setting-language'), 'pt');
  set(doc.getElementById('setting-preset'), '9:16');
  set(doc.getElementById('setting-theme'), 'dark');
  doc.getElementById('watch-add').click();
  await settle();
  assert.equal(named('pick_export_folder').length, 3);
  const row = doc.querySelector('.watch-row');
  assert.equal(row.dataset.dir, '/media/inbox');
  assert.equal(text(row.querySelector('.watch-state')), 'Starts when you save');

  doc.getElementById('settings-save').click();
  await settle();
  assert.deepEqual(named('save_settings')[0].settings.watchFolders, [
    { dir: '/media/inbox', outDir: '/media/done', language: 'pt', preset: '9:16', theme: 'dark', formats: ['mp4', 'srt'], enabled: true },
  ]);

  // Removing the row and saving again drops it.
  row.querySelector('.watch-remove').click();
  doc.getElementById('settings-save').click();
  await settle();
  assert.deepEqual(named('save_settings')[1].settings.watchFolders, []);
});

test('"Clean up now" reports what cleanup_cache removed and kept', async () => {
  const { doc, named } = await start({
    cleanup_cache: () => ({
      removedByAge: 10,
      removedBySize: 2,
      freedBytes: 34.5 * MIB,
      kept: 80,
      keptBytes: 1.2 * 1024 * MIB,
    }),
  });
  await openSettings(doc);
  doc.getElementById('cache-cleanup').click();
  await settle();
  assert.equal(named('cleanup_cache').length, 1);
  assert.equal(text(doc.getElementById('cache-status')), 'Removed 12 files (35 MiB); 80 kept (1.2 GiB).');
});

test('job-added and job-event from a watched folder drive the queue, with an "auto" badge', async () => {
  const { doc, app, named } = await start();
  await app.importPaths(['/voice/jfk.wav']);
  await emit('job-added', { id: 'w1', name: 'talk.mp4', input: '/in/talk.mp4', workDir: '/work/w1', status: 'running', error: null, origin: '/in' });
  await tick();

  const row = () => doc.querySelector('[data-job="w1"]');
  assert.ok(row(), 'the watched job is queued');
  const badge = row().querySelector('.job-auto');
  assert.equal(text(badge), 'auto');
  assert.equal(badge.title, 'Imported from /in');
  assert.equal(doc.querySelector('[data-job="j1"] .job-auto'), null, 'jobs the person started have no badge');

  await emit('job-event', { id: 'w1', event: { event: 'stage', stage: 'queued' } });
  assert.equal(text(row().querySelector('.job-stage')), 'Queued');
  await emit('job-event', { id: 'w1', event: { event: 'stage', stage: 'transcribing' } });
  await emit('job-event', { id: 'w1', event: { event: 'progress', fraction: 0.25, etaSeconds: 30 } });
  assert.equal(text(row().querySelector('.job-stage')), 'Transcribing');
  assert.equal(row().querySelector('.progress').getAttribute('aria-valuenow'), '25');

  // A second announcement of a running job keeps its progress.
  await emit('job-added', { id: 'w1', name: 'talk.mp4', input: '/in/talk.mp4', workDir: '/work/w1', status: 'running', error: null, origin: '/in' });
  assert.equal(row().querySelector('.progress').getAttribute('aria-valuenow'), '25');

  await emit('job-event', { id: 'w1', event: { event: 'done', result: { ...DECK, jobId: 'w1' } } });
  assert.equal(row().dataset.status, 'done');
  assert.equal(doc.getElementById('result-view').dataset.job, undefined, 'a watched job does not open by itself');
  assert.equal(named('open_job').length, 0);
});

test('a duplicate in a watched folder shows a notice; folder events update the sheet', async () => {
  const { doc } = await start();
  await openSettings(doc);

  await emit('watch', { event: 'duplicate', path: '/in/copy of talk.mp4', original: '/in/talk.mp4' });
  const toast = doc.getElementById('toast');
  assert.equal(toast.hidden, false);
  assert.equal(text(toast), 'copy of talk.mp4 was skipped: it is a copy of talk.mp4.');
  assert.equal(toast.dataset.tone, 'notice');
  const row = doc.querySelector('.watch-row');
  assert.equal(text(row.querySelector('.watch-last')), 'Skipped copy of talk.mp4 (duplicate)');

  await emit('watch', { event: 'folderMissing', dir: '/in' });
  assert.equal(text(row.querySelector('.watch-state')), 'Folder missing');
  await emit('watch', { event: 'watching', dir: '/in' });
  assert.equal(text(row.querySelector('.watch-state')), 'Watching');

  await emit('watch', { event: 'failed', path: '/in/broken.mp4', error: 'no audio stream' });
  assert.equal(text(toast), 'Watched folder: broken.mp4 failed: no audio stream');
  await emit('watch', { event: 'error', message: 'no folder to watch' });
  assert.equal(text(toast), 'Watched folders: no folder to watch');
  assert.equal(text(doc.getElementById('watch-error')), 'no folder to watch');
  await emit('watch', { event: 'importing', path: '/in/next.mp4' });
  assert.equal(text(row.querySelector('.watch-last')), 'Importing next.mp4…', 'an event without dir is matched by its path');
});

test('a file event from before the settings sheet first opened shows in its folder row', async () => {
  const { doc } = await start();
  assert.equal(doc.getElementById('settings'), null, 'not loaded yet');
  await emit('watch', { event: 'importing', path: '/in/early.mp4' });
  await openSettings(doc);
  const row = doc.querySelector('.watch-row');
  assert.equal(text(row.querySelector('.watch-last')), 'Importing early.mp4…');
  assert.equal(text(row.querySelector('.watch-state')), 'Watching');
});

test('an export can be cancelled; a cancelled export is not an error', async () => {
  let rejectExport = null;
  const { doc, app, send, named } = await start({
    pick_export_folder: () => '/exports',
    export_deck: () =>
      new Promise((resolve, reject) => {
        rejectExport = reject;
      }),
    cancel_job: () => {
      rejectExport({ kind: 'cancelled', message: 'the export was cancelled' });
      return null;
    },
  });
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: DECK });

  const cancel = doc.getElementById('export-cancel');
  assert.equal(cancel.hidden, true, 'no cancel button without an export');
  doc.getElementById('export').click();
  await settle();
  assert.equal(named('export_deck').length, 1);
  assert.equal(cancel.hidden, false);

  cancel.click();
  await settle();
  assert.deepEqual(named('cancel_job'), [{ id: 'j1' }]);
  assert.equal(text(doc.getElementById('export-status')), 'Export cancelled');
  assert.equal(doc.getElementById('toast').hidden, true);
  assert.equal(cancel.hidden, true);
  assert.equal(doc.getElementById('export').disabled, false);
});

test('a music file chosen in the export bar goes with the export, with its volume and ducking', async () => {
  const { doc, app, send, named } = await start({
    pick_export_folder: () => '/exports',
    pick_music_file: () => '/music/bed track.mp3',
    export_deck: () => ({ mp4: '/exports/jfk.mp4', duration: 11, files: ['/exports/jfk.mp4'], music: '/music/bed track.mp3', loudness: -14.02 }),
  });
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: DECK });
  const volume = doc.getElementById('music-volume');
  assert.equal(volume.disabled, true, 'no volume without music');
  assert.equal(text(doc.getElementById('music-name')), 'none');

  // Without music the export asks for the voice alone, and slides.
  doc.getElementById('export').click();
  await settle();
  assert.deepEqual(named('export_deck')[0].choices, { music: null, output: 'slides', captionPosition: 'bottom' });

  doc.getElementById('music-pick').click();
  await settle();
  assert.equal(text(doc.getElementById('music-name')), 'bed track.mp3');
  assert.equal(volume.disabled, false);
  set(volume, '0.3');
  doc.getElementById('music-duck').checked = false;
  doc.getElementById('export').click();
  await settle();
  assert.deepEqual(named('export_deck')[1].choices, { music: '/music/bed track.mp3', musicVolume: 0.3, duck: false, output: 'slides', captionPosition: 'bottom' });
  assert.equal(text(doc.getElementById('export-status')), 'Saved jfk.mp4 (with music bed track.mp3, -14.0 LUFS)');

  // "No music" takes it away again.
  doc.getElementById('music-clear').click();
  doc.getElementById('export').click();
  await settle();
  assert.equal(named('export_deck')[2].choices.music, null);
  assert.equal(text(doc.getElementById('music-name')), 'none');
});

test('an audio-only job offers no captions over the video', async () => {
  const { doc, app, send } = await start();
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: { ...DECK, hasVideo: false } });
  const mode = doc.getElementById('output-mode');
  assert.equal(mode.disabled, true);
  assert.equal(mode.value, 'slides');
  assert.equal(mode.title, 'This voice-over has no picture to put captions on');
});

test('captions over the video go with the export of a job with a picture, with their position', async () => {
  const { doc, app, send, named } = await start({
    pick_export_folder: () => '/exports',
    export_deck: () => ({ mp4: '/exports/talk.mp4', duration: 11, files: ['/exports/talk.mp4'], music: null, loudness: null }),
  });
  await app.importPaths(['/video/talk.mp4']);
  send('j1', { event: 'done', result: { ...DECK, hasVideo: true } });
  const mode = doc.getElementById('output-mode');
  const position = doc.getElementById('caption-position');
  assert.equal(mode.disabled, false);
  assert.equal(position.hidden, true, 'the position only with captions');
  set(mode, 'captions');
  assert.equal(position.hidden, false);
  set(position, 'top');
  doc.getElementById('export').click();
  await settle();
  assert.deepEqual(named('export_deck')[0].choices, { music: null, output: 'captions', captionPosition: 'top' });
});

test('a watched folder keeps a music file of its own, and the loudness setting is saved', async () => {
  const { doc, named } = await start({
    get_settings: () => ({
      model: 'base',
      language: 'auto',
      threads: 0,
      preset: '16:9',
      theme: 'classic',
      loudness: -23,
      watchFolders: [{ dir: '/in', outDir: '/out', language: 'auto', preset: '16:9', theme: 'classic', formats: ['mp4'], enabled: true }],
    }),
    get_watch_status: () => ({ folders: [], error: null }),
    pick_music_file: () => '/music/loop.wav',
  });
  await openSettings(doc);
  assert.equal(doc.getElementById('setting-loudness').value, '-23');
  const row = doc.querySelector('.watch-row');
  assert.equal(text(row.querySelector('.watch-music-name')), 'no music');
  row.querySelector('.watch-music').click();
  await settle();
  assert.equal(text(row.querySelector('.watch-music-name')), 'loop.wav');
  set(doc.getElementById('setting-loudness'), 'off');
  doc.getElementById('settings-save').click();
  await settle();
  const saved = named('save_settings')[0].settings;
  assert.equal(saved.loudness, 'off');
  assert.equal(saved.watchFolders[0].music, '/music/loop.wav');

  row.querySelector('.watch-music-clear').click();
  doc.getElementById('settings-save').click();
  await settle();
  assert.equal(named('save_settings')[1].settings.watchFolders[0].music, null);
});

test('the settings offer automatic, the CPU and each GPU to transcribe on, and save the choice', async () => {
  const { doc, named } = await start({
    get_settings: () => ({ model: 'base', language: 'auto', threads: 0, preset: '16:9', theme: 'classic', watchFolders: [] }),
    get_watch_status: () => ({ folders: [], error: null }),
    app_choices: () => ({
      aspects: ['16:9'],
      themes: ['classic'],
      languages: [{ code: 'auto', name: '' }],
      maxThreads: 8,
      gpus: [{ name: 'Vulkan0', description: 'AMD Radeon RX 7600', kind: 'gpu', memoryTotal: 8e9, memoryFree: 7e9 }],
    }),
  });
  await openSettings(doc);
  const device = doc.getElementById('setting-device');
  assert.deepEqual(
    [...device.options].map((option) => [option.value, text(option)]),
    [
      ['auto', 'Automatic (a GPU if there is one)'],
      ['cpu', 'CPU'],
      ['Vulkan0', 'Vulkan0 (AMD Radeon RX 7600)'],
    ],
  );
  assert.equal(device.value, 'auto');
  doc.getElementById('settings-save').click();
  await settle();
  assert.ok(!('device' in named('save_settings')[0].settings), 'automatic is left out, as the file leaves it out');
  set(device, 'Vulkan0');
  doc.getElementById('settings-save').click();
  await settle();
  assert.equal(named('save_settings')[1].settings.device, 'Vulkan0');
});

test('other export failures show beside the export button, translated', async () => {
  const { doc, app, send } = await start({
    pick_export_folder: () => '/exports',
    export_deck: () => {
      throw { kind: 'exists', message: '/exports/jfk.mp4 already exists' };
    },
  });
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: DECK });
  doc.getElementById('export').click();
  await settle();
  const status = doc.getElementById('export-status');
  assert.equal(status.dataset.kind, 'exists');
  assert.equal(status.dataset.path, undefined);
  assert.equal(text(status.querySelector('.error-headline')), 'A file with that name is already there');
  assert.equal(text(status.querySelector('.error-detail')), '/exports/jfk.mp4 already exists');
  assert.equal(doc.getElementById('export').disabled, false);
});

test('the menus come from app_choices: a custom theme, Whisper languages, formats, threads', async () => {
  const { doc, named } = await start({
    app_choices: () => ({ ...APP_CHOICES, themes: ['classic', 'dark'], formats: ['mp4', 'vtt'], maxThreads: 12 }),
    // Looks are listed when the sheet opens (one may have been saved since start-up); one
    // that does not load is left out.
    list_looks: () => [
      { id: 'classic', name: 'classic', source: 'builtin' },
      { id: 'dark', name: 'dark', source: 'builtin' },
      { id: 'brand', name: 'Brand', source: 'saved' },
      { id: 'broken', name: 'broken', source: 'saved', error: 'look.toml: not a look' },
    ],
  });
  await openSettings(doc);

  const menu = (select) => [...select.options].map((option) => [option.value, text(option)]);
  assert.deepEqual(menu(doc.getElementById('setting-theme')), [
    ['classic', 'Classic (light)'],
    ['dark', 'Dark'],
    ['brand', 'brand'],
  ]);
  assert.deepEqual(menu(doc.getElementById('setting-language')), [
    ['auto', 'Detect automatically'],
    ['en', 'English'],
    ['pt', 'Portuguese'],
    ['zh', 'Chinese'],
    ['de', 'German'],
    ['ht', 'Haitian Creole'],
    ['es', 'Spanish'],
  ]);
  assert.deepEqual(menu(doc.getElementById('setting-preset')).map(([value]) => value), ['16:9', '1:1', '9:16']);
  assert.equal(doc.getElementById('setting-threads').max, '12');

  const row = doc.querySelector('.watch-row');
  assert.ok(menu(row.querySelector('.watch-theme')).some(([value]) => value === 'brand'), 'the watch row offers it too');
  set(row.querySelector('.watch-theme'), 'brand');
  // The folder's own formats (mp4, srt) stay offered even where the list lacks them.
  const boxes = [...row.querySelectorAll('.watch-format')];
  assert.deepEqual(boxes.map((box) => [box.value, box.checked]), [['mp4', true], ['vtt', false], ['srt', true]]);
  doc.getElementById('settings-save').click();
  await settle();
  assert.equal(named('save_settings')[0].settings.watchFolders[0].theme, 'brand');
});

test('a saved value the menus no longer list is kept, not lost on Save', async () => {
  const { doc, named } = await start({
    get_settings: () => ({ ...structuredClone(SETTINGS), theme: 'retired', language: 'xx' }),
  });
  await openSettings(doc);
  assert.equal(doc.getElementById('setting-theme').value, 'retired');
  assert.equal(doc.getElementById('setting-language').value, 'xx');
  doc.getElementById('settings-save').click();
  await settle();
  const [{ settings }] = named('save_settings');
  assert.equal(settings.theme, 'retired');
  assert.equal(settings.language, 'xx');
});

test('languages are translated in Portuguese; the others keep Whisper names', async () => {
  const { doc } = await start({}, 'pt-BR');
  await openSettings(doc);
  const labels = [...doc.getElementById('setting-language').options].map(text);
  assert.deepEqual(labels, ['Detectar automaticamente', 'Inglês', 'Português', 'Chinese', 'German', 'Haitian Creole', 'Spanish']);
});

test('Save sends back every field the sheet does not edit, unchanged', async () => {
  const { doc, named } = await start();
  await openSettings(doc);
  doc.getElementById('settings-save').click();
  await settle();
  const [{ settings }] = named('save_settings');
  assert.equal(settings.fps, 30);
  assert.deepEqual(settings.formats, ['mp4', 'srt', 'json']);
  assert.deepEqual(settings, SETTINGS);
});

for (const [language, headline] of [
  ['en', 'The disk is full: free some space and try again'],
  ['pt-BR', 'O disco está cheio: libere espaço e tente de novo'],
]) {
  test(`a disk_full error shows its translated text (${language}) and the file`, async () => {
    const { doc, app, send } = await start(
      {
        edit_slide: () => {
          throw { kind: 'disk_full', message: '/work/j1/slides: no space left on device' };
        },
      },
      language,
    );
    await app.importPaths(['/voice/jfk.wav']);
    send('j1', { event: 'done', result: DECK });
    doc.getElementById('slide-text').value = 'changed';
    doc.getElementById('apply-text').click();
    await settle();
    const toast = doc.getElementById('toast');
    assert.equal(toast.hidden, false);
    assert.equal(toast.dataset.tone, 'error');
    assert.equal(text(toast.querySelector('.error-headline')), headline);
    assert.equal(text(toast.querySelector('.error-detail')), '/work/j1/slides: no space left on device');

    // The same kind in a failed job's row.
    send('j1', { event: 'failed', error: { kind: 'disk_full', message: '/work/j1: no space left on device' } });
    assert.equal(text(doc.querySelector('[data-job="j1"] .job-error .error-headline')), headline);
  });
}

test('a job warning is a notice, and the job goes on', async () => {
  const { doc, app, send } = await start();
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'warning', message: 'only 300 MB free on /out' });
  const toast = doc.getElementById('toast');
  assert.equal(toast.hidden, false);
  assert.equal(toast.dataset.tone, 'notice');
  assert.equal(text(toast), 'Note on jfk.wav: only 300 MB free on /out');
  const row = doc.querySelector('[data-job="j1"]');
  assert.equal(row.dataset.status, 'running');
  assert.equal(text(row.querySelector('.job-warning')), 'only 300 MB free on /out');
  send('j1', { event: 'stage', stage: 'transcribing' });
  assert.equal(text(doc.querySelector('[data-job="j1"] .job-stage')), 'Transcribing');
});

test('a watched file that failed names its translated error', async () => {
  const { doc } = await start();
  await emit('watch', { event: 'failed', path: '/in/half.mp4', error: { kind: 'truncated_media', message: '/in/half.mp4 ends early' } });
  assert.equal(text(doc.getElementById('toast')), 'Watched folder: half.mp4 failed: The file is incomplete — is it still being copied? — /in/half.mp4 ends early');
});

test('a job gets another look from its look menu: the slides are drawn again', async () => {
  const saved = { id: 'minha-marca', name: 'Minha marca', source: 'saved', dir: '/config/looks/minha-marca' };
  const { doc, app, send, named } = await start({
    list_looks: () => [
      { id: 'classic', name: 'classic', source: 'builtin' },
      { id: 'dark', name: 'dark', source: 'builtin' },
      saved,
    ],
    set_job_look: ({ look }) => ({ ...DECK, deck: { ...DECK.deck, theme: look } }),
  });
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: { ...DECK, deck: { ...DECK.deck, theme: 'classic' } } });
  await settle();
  const menu = doc.getElementById('job-look');
  assert.deepEqual([...menu.options].map((option) => option.textContent), ['classic', 'dark', 'Minha marca']);
  assert.equal(menu.value, 'classic');
  set(menu, 'minha-marca');
  await settle();
  assert.deepEqual(named('set_job_look'), [{ id: 'j1', look: 'minha-marca' }]);
  assert.equal(doc.getElementById('job-look').value, 'minha-marca');
  assert.equal(doc.getElementById('toast').hidden, true);
});

test('the Looks sheet edits a look with a live preview and saves it with its logo', async () => {
  const looks = [
    { id: 'classic', name: 'classic', source: 'builtin' },
    { id: 'dark', name: 'dark', source: 'builtin' },
  ];
  const { doc, app, send, named } = await start({
    list_looks: () => structuredClone(looks),
    get_look: ({ id }) =>
      id === 'classic'
        ? { id, saved: false, look: { name: 'classic', colors: { background: '#FFFFFF', text: '#141417', highlight: '#D91A20' } } }
        : { id, saved: true, look: { name: 'Minha marca', colors: { background: '#101820' }, logo: { image: 'logo.png' } } },
    preview_look: () => '/cache/look-preview/1.png',
    pick_look_asset: ({ kind }) => (kind === 'image' ? '/brand/logo.png' : '/brand/Brand.ttf'),
    save_look: ({ request }) => {
      looks.push({ id: 'minha-marca', name: request.look.name, source: 'saved' });
      return 'minha-marca';
    },
  });
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: { ...DECK, deck: { ...DECK.deck, theme: 'classic' } } });
  await settle();
  doc.getElementById('open-looks').click();
  for (let i = 0; i < 100 && doc.getElementById('looks')?.hidden !== false; i += 1) await tick();
  await settle(10);
  assert.equal(doc.getElementById('looks-pick').value, 'classic');
  assert.equal(doc.getElementById('looks-builtin').hidden, false, 'a built-in look is copied on save');

  doc.getElementById('looks-new').click();
  await settle();
  const name = doc.getElementById('look-name');
  name.value = 'Minha marca';
  name.dispatchEvent(new doc.defaultView.Event('input'));
  const background = doc.getElementById('look-background');
  background.value = '#101820';
  background.dispatchEvent(new doc.defaultView.Event('input'));
  doc.getElementById('look-logo-choose').click();
  await settle();
  assert.equal(text(doc.getElementById('look-logo-name')), 'logo.png');
  set(doc.getElementById('look-logo-position'), 'bottom-left');
  set(doc.getElementById('look-progress'), true);
  set(doc.getElementById('look-words'), 'active');
  await new Promise((resolve) => setTimeout(resolve, 200));
  await settle();
  // The preview draws the draft on the open job's current slide.
  const previews = named('preview_look');
  const last = previews.at(-1).request;
  assert.equal(last.text, 'And so my fellow Americans');
  assert.deepEqual(last.look.logo, { image: '/brand/logo.png', position: 'bottom-left' });
  assert.equal(last.look.words.highlight, 'active');
  assert.equal(last.look.progress.show, true);
  assert.ok(doc.getElementById('look-preview').src.includes('look-preview'), 'the preview image is shown');

  doc.getElementById('looks-save').click();
  await settle(10);
  const [{ request }] = named('save_look');
  assert.equal(request.id, '', 'a new look takes its id from its name');
  assert.equal(request.replace, false);
  assert.equal(request.look.name, 'Minha marca');
  assert.equal(request.look.colors.background, '#101820');
  assert.equal(text(doc.getElementById('looks-status')), 'Saved as “minha-marca”.');
  // The preview drawn after the save does not wipe the confirmation.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await settle();
  assert.ok(named('preview_look').length > previews.length, 'the saved look is previewed again');
  assert.equal(text(doc.getElementById('looks-status')), 'Saved as “minha-marca”.');
  // The job's look menu lists the new look.
  assert.ok([...doc.getElementById('job-look').options].some((option) => option.value === 'minha-marca'));
});
