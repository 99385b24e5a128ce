// The core flow on jsdom with mocked IPC: drop or open files → queue with
// per-job progress → result view (strip, player, editor) → export.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { emit } from '@tauri-apps/api/event';

import { isMedia, startApp } from '../app.js';
import { createI18n } from '../i18n.js';
import { createIpc } from '../ipc.js';
import { slideAt } from '../views/result.js';
import { formatClock, formatEta } from '../format.js';
import { APP_CHOICES, mockTauri, resetTauri, text } from './dom.js';

const DECK = {
  jobId: 'j1',
  audio: '/voice/jfk.wav',
  slidesDir: '/work/j1/slides_slides',
  canUndo: false,
  canRedo: false,
  review: [{ segment: 0, wordIndex: 3, text: ' Americans', start: 1.9, end: 2.4, probability: 0.3 }],
  deck: {
    preset: '16:9',
    theme: 'classic',
    width: 1280,
    height: 720,
    duration: 6,
    slides: [
      { index: 0, start: 0, end: 2.5, text: 'And so my fellow Americans', highlights: [], image: 'slide-0000-aaaa.png' },
      { index: 1, start: 2.5, end: 6, text: 'ask not what your country', highlights: ['country'], image: 'slide-0001-bbbb.png' },
    ],
  },
};

/** Starts the app; `handlers[command](args)` answers, and every call is recorded. */
async function start(handlers = {}) {
  const calls = [];
  const channels = {};
  let nextId = 0;
  const defaults = {
    app_info: () => ({ name: 'VSL Studio', version: '0.1.0' }),
    app_choices: () => structuredClone(APP_CHOICES),
    list_models: () => [],
    list_jobs: () => [],
    get_health: () => ({ cpuPercent: 1, memoryTotal: 1, memoryAvailable: 1, cacheBytes: 0, model: null }),
    list_looks: () => [
      { id: 'classic', name: 'classic', source: 'builtin' },
      { id: 'dark', name: 'dark', source: 'builtin' },
    ],
    start_job: ({ path, onProgress }) => {
      nextId += 1;
      const id = `j${nextId}`;
      channels[id] = onProgress;
      return { id, name: path.split('/').pop(), input: path, workDir: `/work/${id}`, status: 'running', error: null };
    },
  };
  const { doc, tauri } = mockTauri((command, args) => {
    calls.push({ command, args });
    // The event plugin's own commands are answered by the mock itself.
    const handler = handlers[command] ?? defaults[command];
    if (!handler) throw new Error(`unexpected command ${command}`);
    return handler(args);
  });
  const errors = [];
  const app = await startApp({
    doc,
    ipc: createIpc(tauri),
    i18n: createI18n('en'),
    log: { error: (...args) => errors.push(args) },
    healthEveryMs: 0,
  });
  const send = (id, event) => channels[id].onmessage(event);
  const named = (command) => calls.filter((call) => call.command === command);
  return { doc, app, calls, named, send, errors };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(resetTauri);

test('isMedia accepts the extensions it is given, in any case', () => {
  const extensions = APP_CHOICES.mediaExtensions;
  assert.equal(isMedia('/a/jfk.WAV', extensions), true);
  assert.equal(isMedia('/a/talk.mp4', extensions), true);
  assert.equal(isMedia('/a/notes.txt', extensions), false);
  assert.equal(isMedia('/a/no-extension', extensions), false);
  assert.equal(isMedia('/a.mp4/no-extension', extensions), false);
});

test('the drop filter follows the extensions app_choices returns', async () => {
  const { doc, named } = await start({ app_choices: () => ({ ...APP_CHOICES, mediaExtensions: ['mkv', 'wav'] }) });
  assert.equal(text(doc.querySelector('.drop-formats')), 'Audio or video: MKV, WAV');

  await emit('tauri://drag-drop', { paths: ['/v/clip.avi', '/v/talk.MKV', '/v/talk.mp4', '/v/jfk.wav'], position: { x: 1, y: 1 } });
  await tick();

  assert.deepEqual(named('start_job').map((call) => call.args.path), ['/v/talk.MKV', '/v/jfk.wav']);
  assert.equal(text(doc.querySelector('.drop-rejected')), 'Not supported: clip.avi, talk.mp4');
});

test('without app_choices every file goes to the Rust side, which refuses what it cannot decode', async () => {
  const { doc, named, errors } = await start({
    app_choices: () => {
      throw { kind: 'internal', message: 'no choices' };
    },
    start_job: ({ path }) => {
      throw { kind: 'unsupported_media', message: `${path}: not audio or video` };
    },
  });
  assert.equal(doc.querySelector('.drop-formats').hidden, true);
  assert.equal(errors.length, 1, 'the failure is logged');

  await emit('tauri://drag-drop', { paths: ['/v/notes.txt'], position: { x: 1, y: 1 } });
  for (let i = 0; i < 4; i += 1) await tick();
  assert.equal(named('start_job').length, 1);
  assert.equal(text(doc.querySelector('.drop-rejected')), 'Not supported: notes.txt');
  assert.equal(doc.getElementById('toast').hidden, true, 'a refused file is not an error');
});

test('formatting helpers', () => {
  assert.equal(formatClock(65.44), '1:05.4');
  assert.equal(formatEta(12.2), '~12 s');
  assert.equal(formatEta(130), '~2 min');
  assert.equal(formatEta(undefined), '');
  assert.equal(slideAt(DECK.deck.slides, 0), 0);
  assert.equal(slideAt(DECK.deck.slides, 2.49), 0);
  assert.equal(slideAt(DECK.deck.slides, 2.5), 1);
  assert.equal(slideAt(DECK.deck.slides, 99), 1);
});

test('a drop queues each supported file and names the rejected ones and the unpaired scripts', async () => {
  const { doc, named } = await start();

  await emit('tauri://drag-drop', { paths: ['/v/jfk.wav', '/v/notes.txt', '/v/talk.mp4', '/v/a.pdf'], position: { x: 1, y: 1 } });
  await tick();

  assert.deepEqual(
    named('start_job').map((call) => call.args.path),
    ['/v/jfk.wav', '/v/talk.mp4'],
  );
  assert.equal(doc.querySelectorAll('.job').length, 2);
  const notice = doc.querySelector('.drop-rejected');
  assert.equal(notice.hidden, false);
  // Two voice-overs and a script named like neither: it is not guessed at.
  assert.equal(text(notice), 'Not supported: a.pdf No voice-over for: notes.txt');
});

test('the Open button imports what the dialog command returns', async () => {
  const { named } = await start({ pick_media_files: () => ['/v/jfk.wav'] });

  globalThis.window.document.getElementById('open-files').click();
  await tick();
  await tick();

  assert.equal(named('pick_media_files').length, 1);
  assert.deepEqual(named('start_job').map((call) => call.args.path), ['/v/jfk.wav']);
});

test('channel events drive the stage, the bar and the ETA; done opens the slides', async () => {
  const { doc, app, send } = await start();
  await app.importPaths(['/voice/jfk.wav']);
  const row = () => doc.querySelector('[data-job="j1"]');

  send('j1', { event: 'stage', stage: 'transcribing' });
  send('j1', { event: 'progress', fraction: 0.42, etaSeconds: 12 });
  assert.equal(text(row().querySelector('.job-stage')), 'Transcribing');
  assert.equal(text(row().querySelector('.job-eta')), '~12 s');
  assert.equal(row().querySelector('.progress').getAttribute('aria-valuenow'), '42');
  assert.ok(row().querySelector('.job-cancel'), 'a running job can be cancelled');

  send('j1', { event: 'done', result: DECK });
  assert.equal(row().dataset.status, 'done');
  assert.equal(text(row().querySelector('.job-stage')), 'Ready to edit');
  const thumbs = [...doc.querySelectorAll('#strip .thumb img')];
  assert.equal(thumbs.length, 2);
  // The strip shows the small thumbnails the renderer makes beside the slides.
  assert.match(thumbs[1].getAttribute('src'), /%2Fthumbs%2Fslide-0001-bbbb\.png$/);
  assert.equal(doc.getElementById('slide-text').value, 'And so my fellow Americans');
  // The audio URL is resolved asynchronously (fetched into a blob on Linux).
  for (let i = 0; i < 5 && !doc.getElementById('player').getAttribute('src'); i += 1) await tick();
  assert.match(doc.getElementById('player').getAttribute('src'), /jfk\.wav/);
});

test('an hour of slides keeps only the thumbnails in view in the strip', async () => {
  // 1,000 slides: the webview decodes each thumbnail whole, so the strip holds the ones in
  // view and a few either side, with spacers for the rest.
  const slides = Array.from({ length: 1000 }, (_, index) => ({
    index,
    start: index * 3.6,
    end: (index + 1) * 3.6,
    text: `slide number ${index + 1}`,
    highlights: [],
    image: `slide-${String(index).padStart(4, '0')}-cafe.png`,
  }));
  const { doc, app, send } = await start();
  await app.importPaths(['/voice/hour.wav']);
  const strip = doc.getElementById('strip');
  let scrolled = 0;
  Object.defineProperty(strip, 'clientWidth', { configurable: true, get: () => 940 });
  Object.defineProperty(strip, 'scrollLeft', { configurable: true, get: () => scrolled, set: (value) => { scrolled = value; } });
  send('j1', { event: 'done', result: { ...DECK, deck: { ...DECK.deck, duration: 3600, slides } } });

  const shown = () => [...strip.querySelectorAll('.thumb')].map((item) => Number(item.dataset.index));
  const spacers = () => [...strip.querySelectorAll('.thumb-spacer')].map((item) => parseInt(item.style.width, 10));
  // 940 px shows 5 thumbnails of 188 px (6 with a partial one), and 8 more around them.
  assert.deepEqual(shown(), Array.from({ length: 14 }, (_, i) => i));
  assert.deepEqual(spacers(), [986 * 188 - 8], 'one spacer stands for the 986 thumbnails after');

  // Scrolling to slide 500 swaps the window; the spacers keep the strip's full width.
  const before = [...strip.querySelectorAll('.thumb img')];
  scrolled = 500 * 188;
  strip.dispatchEvent(new doc.defaultView.Event('scroll'));
  assert.deepEqual(shown(), Array.from({ length: 14 }, (_, i) => 496 + i));
  assert.deepEqual(spacers(), [496 * 188 - 8, 490 * 188 - 8]);
  assert.equal(strip.querySelector('.thumb[data-index="500"] img').getAttribute('src').includes('slide-0500-cafe.png'), true);
  // The thumbnails taken out let go of their pictures at once, not when the collector runs.
  assert.ok(before.every((img) => !img.isConnected && !img.hasAttribute('src')), 'the old thumbnails have no source');

  // A click there seeks and marks it; the player reaching slide 900 brings it into view.
  strip.querySelector('.thumb[data-index="502"] .thumb-button').click();
  assert.equal(doc.getElementById('player').currentTime, 502 * 3.6);
  assert.ok(strip.querySelector('.thumb[data-index="502"]').classList.contains('playing'));
  const player = doc.getElementById('player');
  player.currentTime = 900 * 3.6 + 1;
  player.dispatchEvent(new doc.defaultView.Event('timeupdate'));
  assert.ok(shown().includes(900), `slide 900 is shown: ${shown()}`);
  assert.ok(strip.querySelector('.thumb[data-index="900"]').classList.contains('playing'));
  assert.ok(shown().length <= 14, `${shown().length} thumbnails in the strip`);
});

test('cancel and retry go to the right job; failures show their error', async () => {
  const { doc, app, send, named } = await start({
    cancel_job: () => null,
    retry_job: ({ id }) => ({ id, name: 'jfk.wav', input: '/voice/jfk.wav', workDir: '/w', status: 'running', error: null }),
  });
  await app.importPaths(['/voice/jfk.wav']);

  doc.querySelector('[data-job="j1"] .job-cancel').click();
  assert.deepEqual(named('cancel_job').map((call) => call.args.id), ['j1']);

  send('j1', { event: 'failed', error: { kind: 'media', message: 'jfk.wav: no audio stream' } });
  const row = doc.querySelector('[data-job="j1"]');
  assert.equal(row.dataset.status, 'failed');
  assert.equal(text(row.querySelector('.job-error')), 'jfk.wav: no audio stream');

  row.querySelector('.job-retry').click();
  await tick();
  assert.deepEqual(named('retry_job').map((call) => call.args.id), ['j1']);
  assert.equal(doc.querySelector('[data-job="j1"]').dataset.status, 'running');
});

test('the queue is restored from list_jobs', async () => {
  const { doc } = await start({
    list_jobs: () => [
      { id: 'old', name: 'talk.mp3', input: '/v/talk.mp3', workDir: '/w', status: 'interrupted', error: null },
    ],
  });
  const row = doc.querySelector('[data-job="old"]');
  assert.equal(text(row.querySelector('.job-stage')), 'Interrupted');
  assert.ok(row.querySelector('.job-retry'));
});

test('editing text sends one setText edit and shows the re-rendered thumbnail', async () => {
  const edited = structuredClone(DECK);
  edited.deck.slides[0].text = 'And so, my fellow citizens';
  edited.deck.slides[0].image = 'slide-0000-cccc.png';
  edited.canUndo = true;
  const { doc, app, send, named } = await start({ edit_slide: () => edited });
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: DECK });

  doc.getElementById('slide-text').value = 'And so, my fellow citizens';
  doc.getElementById('apply-text').click();
  await tick();

  assert.deepEqual(named('edit_slide').map((call) => call.args), [
    { id: 'j1', edit: { op: 'setText', index: 0, text: 'And so, my fellow citizens' } },
  ]);
  const first = doc.querySelector('#strip .thumb img');
  assert.match(first.getAttribute('src'), /slide-0000-cccc\.png/);
  assert.equal(doc.getElementById('undo').disabled, false);
});

test('clicking a slide seeks the player and selects it; chips toggle highlights', async () => {
  const { doc, app, send, named } = await start({ edit_slide: () => DECK });
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: DECK });

  doc.querySelectorAll('#strip .thumb-button')[1].click();
  assert.equal(doc.getElementById('player').currentTime, 2.5);
  assert.equal(doc.getElementById('slide-text').value, 'ask not what your country');
  const on = doc.querySelector('.chip-on');
  assert.equal(text(on), 'country');

  on.click();
  await tick();
  assert.deepEqual(named('edit_slide')[0].args.edit, { op: 'toggleHighlight', index: 1, word: 'country' });
});

test('export asks for a folder, reports progress and offers Show in folder', async () => {
  const { doc, app, send, named } = await start({
    pick_export_folder: () => '/out',
    export_deck: ({ onProgress }) => {
      onProgress.onmessage({ event: 'progress', fraction: 0.5, etaSeconds: 1 });
      return { mp4: '/out/jfk.mp4', duration: 11, files: ['/out/jfk.mp4', '/out/jfk.srt'] };
    },
    show_in_folder: () => null,
  });
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: DECK });

  doc.getElementById('export').click();
  for (let i = 0; i < 4; i += 1) await tick();

  const [call] = named('export_deck');
  assert.equal(call.args.id, 'j1');
  assert.equal(call.args.folder, '/out');
  assert.deepEqual(call.args.formats, ['mp4', 'srt']);
  assert.equal(text(doc.getElementById('export-status')), 'Saved jfk.mp4');
  const show = doc.getElementById('show-in-folder');
  assert.equal(show.hidden, false);
  show.click();
  assert.deepEqual(named('show_in_folder').map((c) => c.args.path), ['/out/jfk.mp4']);
});

test('a command error appears in the toast', async () => {
  const { doc, app, send } = await start({
    edit_slide: () => {
      throw { kind: 'edit', message: 'a slide\'s text cannot be empty' };
    },
  });
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: DECK });
  doc.getElementById('slide-text').value = '   x';
  doc.getElementById('apply-text').click();
  await tick();
  assert.match(text(doc.getElementById('toast')), /cannot be empty/);
});

test('words the model was unsure of are marked on the chip and the thumbnail', async () => {
  const { doc, app, send } = await start();
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: DECK });

  const flagged = [...doc.querySelectorAll('.chip-review')].map(text);
  assert.deepEqual(flagged, ['Americans']);
  const badges = [...doc.querySelectorAll('#strip .thumb')].map((thumb) => Boolean(thumb.querySelector('.thumb-review')));
  assert.deepEqual(badges, [true, false]);
});

test('"Always replace" sends a glossary rule and confirms it', async () => {
  const { doc, app, send, named } = await start({ add_glossary_rule: () => null });
  await app.importPaths(['/voice/jfk.wav']);
  send('j1', { event: 'done', result: DECK });

  doc.getElementById('rule-from').value = 'Kennedy';
  doc.getElementById('rule-to').value = 'JFK';
  doc.getElementById('add-rule').click();
  await tick();

  assert.deepEqual(named('add_glossary_rule').map((call) => call.args), [{ from: 'Kennedy', to: 'JFK' }]);
  assert.equal(text(doc.getElementById('rule-status')), 'Later jobs will replace “Kennedy” with “JFK”.');
});

test('the settings sheet loads, shows the installed models and saves', async () => {
  let saved = null;
  const { doc } = await start({
    // `fps` is a job setting the sheet does not edit: Save sends it back unchanged.
    get_settings: () => ({ model: 'base', language: 'auto', threads: 0, preset: '16:9', theme: 'classic', fps: 30 }),
    list_models: () => [
      { name: 'base', installed: true },
      { name: 'tiny.en', installed: true },
      { name: 'small', installed: false },
    ],
    save_settings: ({ settings }) => {
      saved = settings;
      return null;
    },
  });

  // The sheet is a chunk of its own, loaded on the first click.
  assert.equal(doc.getElementById('settings'), null);
  doc.getElementById('open-settings').click();
  for (let i = 0; i < 100 && doc.getElementById('settings')?.hidden !== false; i += 1) await tick();
  assert.equal(doc.getElementById('settings').hidden, false);
  assert.deepEqual([...doc.querySelectorAll('#setting-model option')].map((o) => o.value), ['base', 'tiny.en']);

  doc.getElementById('setting-model').value = 'tiny.en';
  doc.getElementById('setting-threads').value = '2';
  doc.getElementById('setting-preset').value = '9:16';
  doc.getElementById('settings-save').click();
  await tick();

  // Without cache limits or watched folders in the loaded settings, the sheet
  // saves none (an empty limit means off).
  assert.deepEqual(saved, {
    fps: 30,
    model: 'tiny.en',
    language: 'auto',
    threads: 2,
    preset: '9:16',
    theme: 'classic',
    cacheMaxAge: 'off',
    cacheMaxSize: 'off',
    watchFolders: [],
  });
  assert.equal(text(doc.getElementById('settings-status')), 'Saved.');
});
