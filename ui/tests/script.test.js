// The copywriter's script in the app: slides mapped onto `DeckView.alignment`,
// the script bar and badges, the script dialog (pick or paste, busy, refused),
// a script for a dropped voice-over, and the lazily loaded chunks' strings.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { emit } from '@tauri-apps/api/event';

import { alignmentSummary, slideAlignments, slideAt, wordKey } from '../alignment.js';
import { planImports, startApp } from '../app.js';
import { MESSAGES, createI18n } from '../i18n.js';
import { createIpc } from '../ipc.js';
import { MESSAGES as SCRIPT_MESSAGES } from '../views/script-i18n.js';
import { withoutPath } from '../views/script.js';
import { MESSAGES as SETTINGS_MESSAGES } from '../views/settings-i18n.js';
import { APP_CHOICES, mockTauri, resetTauri, text } from './dom.js';

const word = (text, line, start, end, status = 'matched', heard = text) => ({ text, line, start, end, status, heard: status === 'interpolated' || status === 'skipped' ? null : heard });

/** jfk-like: a script line per slide, one substitution, one unscripted run, one skipped line, one word not heard. */
const ALIGNMENT = {
  script: 'speech.md',
  lines: [
    { line: 1, text: 'And so, my fellow AMERICANS:', start: 0.3, end: 2.2, status: 'spoken' },
    { line: 2, text: 'ask NOT what your country —', start: 2.6, end: 5.5, status: 'spoken' },
    { line: 3, text: 'Buy *now*.', start: 8, end: 8, status: 'skipped' },
    { line: 4, text: 'ask what you can do for your country.', start: 8.2, end: 10.8, status: 'spoken' },
  ],
  words: [
    word('And', 1, 0.3, 0.7),
    word('so,', 1, 0.7, 1.0, 'matched', 'so'),
    word('my', 1, 1.0, 1.4),
    word('fellow', 1, 1.4, 1.7),
    word('AMERICANS:', 1, 1.7, 2.2, 'matched', 'Americans'),
    word('ask', 2, 2.6, 3.0),
    word('NOT', 2, 3.0, 3.4, 'matched', 'not'),
    word('what', 2, 3.4, 3.8),
    word('your', 2, 3.8, 4.2),
    word('country', 2, 4.2, 5.0, 'substituted', 'county'),
    word('—', 2, 5.0, 5.5, 'interpolated'),
    word('Buy', 3, 8.0, 8.0, 'skipped'),
    word('*now*.', 3, 8.0, 8.0, 'skipped'),
    word('ask', 4, 8.2, 8.6),
    word('what', 4, 8.6, 8.9),
    word('you', 4, 8.9, 9.3),
    word('can', 4, 9.3, 9.5, 'interpolated'),
    word('do', 4, 9.5, 9.7),
    word('for', 4, 9.7, 9.9),
    word('your', 4, 9.9, 10.2),
    word('country.', 4, 10.2, 10.8, 'matched', 'country'),
  ],
  unscripted: [{ text: 'and now a word from our sponsor', start: 6.1, end: 7.8 }],
};

const slide = (index, start, end, text) => ({ index, start, end, text, highlights: [], image: `slide-${index}.png` });

/** The deck the script made, and the one before it (as heard, no alignment). */
const SCRIPTED = {
  jobId: 'j1',
  audio: '/voice/jfk.wav',
  slidesDir: '/work/j1/slides_slides',
  canUndo: true,
  canRedo: false,
  review: [
    { segment: 1, wordIndex: 4, text: 'country', start: 4.2, end: 5.0, probability: 0 },
    { segment: 2, wordIndex: 0, text: 'and', start: 6.1, end: 6.4, probability: 0 },
  ],
  alignment: ALIGNMENT,
  deck: {
    preset: '16:9',
    theme: 'classic',
    width: 1280,
    height: 720,
    duration: 11,
    slides: [
      slide(0, 0.3, 2.2, 'And so, my fellow AMERICANS:'),
      slide(1, 2.6, 5.5, 'ask NOT what your country —'),
      slide(2, 6.1, 7.8, 'and now a word from our sponsor'),
      slide(3, 8.2, 10.8, 'ask what you can do for your country.'),
    ],
  },
};
const HEARD = {
  ...SCRIPTED,
  canUndo: false,
  review: [{ segment: 0, wordIndex: 3, text: ' Americans', start: 1.7, end: 2.2, probability: 0.3 }],
  alignment: null,
  deck: { ...SCRIPTED.deck, slides: [slide(0, 0.3, 5.5, 'And so my fellow Americans ask not what your county'), slide(1, 6.1, 10.8, 'and now a word from our sponsor ask what you can do for your country')] },
};

afterEach(resetTauri);

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const settle = async (times = 8) => {
  for (let i = 0; i < times; i += 1) await tick();
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
    start_job: ({ path, script, onProgress }) => {
      nextId += 1;
      const id = `j${nextId}`;
      channels[id] = onProgress;
      return { id, name: path.split('/').pop(), input: path, workDir: `/work/${id}`, status: 'running', error: null, script };
    },
  };
  const { doc, tauri } = mockTauri((command, args) => {
    calls.push({ command, args });
    const handler = handlers[command] ?? defaults[command];
    if (!handler) throw new Error(`unexpected command ${command}`);
    return handler(args);
  });
  const app = await startApp({ doc, ipc: createIpc(tauri), i18n: createI18n('en'), log: { error: () => {} }, healthEveryMs: 0 });
  const send = (id, event) => channels[id].onmessage(event);
  const named = (command) => calls.filter((call) => call.command === command).map((call) => call.args);
  return { doc, app, named, send };
}

/** Starts the app with job j1 done, showing `deck`. */
async function opened(deck, handlers = {}) {
  const started = await start(handlers);
  await started.app.importPaths(['/voice/jfk.wav']);
  started.send('j1', { event: 'done', result: structuredClone(deck) });
  return started;
}

const badges = (doc) => [...doc.querySelectorAll('#strip .thumb')].map((thumb) => thumb.querySelector('.thumb-align')?.dataset.status ?? null);

test('script words map to the slide on screen at their midpoint; an unscripted run to the slides it covers', () => {
  const slides = SCRIPTED.deck.slides;
  const aligned = slideAlignments(slides, ALIGNMENT, 11);
  assert.deepEqual(
    aligned.map((entry) => entry.status),
    ['script', 'substituted', 'unscripted', 'interpolated'],
  );
  assert.deepEqual(aligned[0].counts, { matched: 5, substituted: 0, interpolated: 0, unscripted: 0 });
  // The dash is never heard: it is not counted, so slide 2 is "substituted", not "not heard".
  assert.deepEqual(aligned[1].counts, { matched: 4, substituted: 1, interpolated: 0, unscripted: 0 });
  assert.deepEqual([...aligned[1].review], [['country', { reason: 'substituted', heard: 'county' }]]);
  assert.deepEqual([...aligned[2].review.keys()], ['and', 'now', 'a', 'word', 'from', 'our', 'sponsor']);
  assert.ok([...aligned[2].review.values()].every((entry) => entry.reason === 'unscripted'));
  assert.equal(aligned[3].counts.interpolated, 1);
  assert.equal(aligned[3].review.size, 0, 'a word not heard is timed, not flagged');

  // Slides merged or nudged keep the mapping by time: one slide over lines 1-2 holds both.
  const merged = [slide(0, 0.3, 5.5, 'x'), slide(1, 6.1, 10.8, 'y')];
  assert.deepEqual(
    slideAlignments(merged, ALIGNMENT, 11).map((entry) => entry.status),
    ['substituted', 'unscripted'],
  );
  // A run touching the edge of a slide does not mark it.
  const edge = { ...ALIGNMENT, words: [], unscripted: [{ text: 'uh huh yes', start: 2.3, end: 2.7 }] };
  assert.deepEqual(
    slideAlignments(slides, edge, 11).map((entry) => entry.status),
    ['unscripted', null, null, null],
  );
  // Without a script nothing is marked.
  assert.deepEqual(slideAlignments(slides, null, 11).map((entry) => entry.status), [null, null, null, null]);
  assert.deepEqual(slideAlignments([], ALIGNMENT, 11), []);
});

test('slideAt and wordKey', () => {
  const slides = SCRIPTED.deck.slides;
  assert.deepEqual([0, 0.3, 2.59, 2.6, 7, 99].map((time) => slideAt(slides, time)), [0, 0, 0, 1, 2, 3]);
  assert.equal(slideAt([], 3), 0);
  assert.equal(wordKey('“AMERICANS:”'), 'americans');
  assert.equal(wordKey('R$'), 'r');
});

test('the summary counts spoken lines and lists skipped lines and unscripted runs', () => {
  assert.deepEqual(alignmentSummary(ALIGNMENT), {
    script: 'speech.md',
    spoken: 3,
    total: 4,
    skipped: [{ line: 3, text: 'Buy *now*.' }],
    unscripted: [{ start: 6.1, end: 7.8, text: 'and now a word from our sponsor' }],
  });
  assert.equal(alignmentSummary(null), null);
});

test('planImports pairs a voice-over with its script by stem, or the only one with the only one', () => {
  const choices = { mediaExtensions: APP_CHOICES.mediaExtensions, scriptExtensions: APP_CHOICES.scriptExtensions };
  const cases = [
    [['/v/a.wav'], null, { jobs: [{ path: '/v/a.wav', script: null }], rejected: [], unpaired: [], pending: null }],
    [['/v/a.wav', '/s/Roteiro final.DOCX'], null, { jobs: [{ path: '/v/a.wav', script: '/s/Roteiro final.DOCX' }], rejected: [], unpaired: [], pending: null }],
    [
      ['/v/a.wav', '/v/b.mp4', '/v/b.md', '/v/a.txt', '/v/notes.pdf'],
      null,
      { jobs: [{ path: '/v/a.wav', script: '/v/a.txt' }, { path: '/v/b.mp4', script: '/v/b.md' }], rejected: ['notes.pdf'], unpaired: [], pending: null },
    ],
    [
      ['/v/a.wav', '/v/b.mp4', '/v/c.txt'],
      null,
      { jobs: [{ path: '/v/a.wav', script: null }, { path: '/v/b.mp4', script: null }], rejected: [], unpaired: ['c.txt'], pending: null },
    ],
    // The pending script goes with the first voice-over that has none.
    [
      ['/v/a.wav', '/v/a.txt', '/v/b.mp4'],
      '/s/next.docx',
      { jobs: [{ path: '/v/a.wav', script: '/v/a.txt' }, { path: '/v/b.mp4', script: '/s/next.docx' }], rejected: [], unpaired: [], pending: null },
    ],
    // A script dropped alone waits for the next voice-over (replacing one that waited).
    [['/s/new.md'], '/s/old.md', { jobs: [], rejected: [], unpaired: [], pending: '/s/new.md' }],
    [['/s/a.md', '/s/b.md'], '/s/old.md', { jobs: [], rejected: [], unpaired: ['a.md', 'b.md'], pending: '/s/old.md' }],
  ];
  for (const [paths, pending, expected] of cases) {
    assert.deepEqual(planImports(paths, { ...choices, pending }), expected, paths.join(' '));
  }
  // Without app_choices every path goes to the Rust side, scripts included (it refuses them).
  assert.deepEqual(planImports(['/v/a.txt']).jobs, [{ path: '/v/a.txt', script: null }]);
});

test('the script bar, the badges and the review marks follow the deck shown', async () => {
  const { doc } = await opened(SCRIPTED);
  assert.equal(text(doc.getElementById('script-summary')), 'speech.md: 3 of 4 lines spoken · 1 skipped · 1 unscripted');
  assert.equal(text(doc.getElementById('script-open')), 'Change script…');
  const items = [...doc.querySelectorAll('#script-list li')].map(text);
  assert.deepEqual(items, ['Skipped, line 3: “Buy *now*.”', 'Unscripted 0:06.1–0:07.8: “and now a word from our sponsor”']);
  assert.deepEqual(badges(doc), ['script', 'substituted', 'unscripted', 'interpolated']);
  assert.equal(text(doc.querySelector('#strip .thumb[data-index="2"] .thumb-align')), 'Unscripted — review');
  assert.equal(text(doc.getElementById('slide-align')), 'Script');
  assert.deepEqual([...doc.querySelectorAll('#strip .thumb')].map((thumb) => Boolean(thumb.querySelector('.thumb-review'))), [false, true, true, false]);
  assert.equal(doc.querySelector('#strip .thumb[data-index="1"] .thumb-review').title, 'The voice said “county” here: check it');

  doc.querySelectorAll('#strip .thumb-button')[1].click();
  assert.equal(text(doc.getElementById('slide-align')), 'Has substitutions');
  const flagged = doc.querySelector('.chip-review');
  assert.equal(text(flagged), 'country');
  assert.equal(flagged.title, 'The voice said “county” here: check it');

  // The unscripted run's time seeks to its slide.
  doc.querySelector('.script-run').click();
  assert.equal(doc.getElementById('player').currentTime, 6.1);
  assert.equal(text(doc.getElementById('slide-align')), 'Unscripted — review');
  assert.deepEqual([...doc.querySelectorAll('.chip-review')].map(text), ['and', 'now', 'a', 'word', 'from', 'our', 'sponsor']);
  assert.equal(doc.querySelector('.chip-review').title, 'Not in the script, shown as heard: check it');
});

test('Undo of a script shows the deck before it with no alignment, Redo brings the badges back', async () => {
  const { doc, named } = await opened(SCRIPTED, { step_history: ({ step }) => structuredClone(step === 'undo' ? { ...HEARD, canRedo: true } : SCRIPTED) });
  doc.getElementById('undo').click();
  await settle();
  assert.deepEqual(named('step_history'), [{ id: 'j1', step: 'undo' }]);
  assert.equal(text(doc.getElementById('script-summary')), 'No script: the slides show the words as heard.');
  assert.equal(text(doc.getElementById('script-open')), 'Add script…');
  assert.deepEqual(badges(doc), [null, null]);
  assert.equal(doc.getElementById('slide-align').hidden, true);
  assert.equal(doc.querySelector('#script-list').children.length, 0);
  // The low-probability mark of the heard deck is back, with its own reason.
  assert.equal(doc.querySelector('.chip-review').title, 'The model was unsure of this word: check it');

  doc.getElementById('redo').click();
  await settle();
  assert.deepEqual(named('step_history')[1], { id: 'j1', step: 'redo' });
  assert.deepEqual(badges(doc), ['script', 'substituted', 'unscripted', 'interpolated']);
});

test('the script dialog: paste, busy while aligning, then the new deck', async () => {
  let answer;
  const { doc, named } = await opened(HEARD, {
    set_job_script: () => new Promise((resolve) => {
      answer = resolve;
    }),
  });
  assert.equal(doc.getElementById('script-dialog'), null, 'loaded on first use');
  doc.getElementById('script-open').click();
  await settle();
  const dialog = doc.getElementById('script-dialog');
  assert.equal(dialog.hidden, false);
  assert.equal(dialog.dataset.state, 'idle');
  assert.match(text(doc.getElementById('script-hint')), /timed to jfk\.wav/);
  assert.equal(doc.getElementById('script-current').hidden, true);
  const apply = doc.getElementById('script-apply');
  assert.equal(apply.disabled, true, 'nothing pasted yet');

  const pasted = doc.getElementById('script-paste');
  pasted.value = 'And so, my fellow AMERICANS:\nask NOT what your country can do for you';
  pasted.dispatchEvent(new doc.defaultView.Event('input'));
  assert.equal(apply.disabled, false);
  apply.click();
  await settle();
  assert.deepEqual(named('set_job_script'), [{ id: 'j1', script: { from: 'pasted', text: pasted.value } }]);
  assert.equal(dialog.dataset.state, 'busy');
  assert.equal(text(doc.getElementById('script-status')), 'Aligning pasted text to the voice…');
  assert.equal(doc.getElementById('script-file').disabled, true);
  assert.equal(apply.disabled, true);
  assert.equal(doc.getElementById('script-open').disabled, true, 'no second script meanwhile');
  assert.equal(doc.getElementById('apply-text').disabled, true, 'no edit meanwhile');

  answer(structuredClone(SCRIPTED));
  await settle();
  assert.equal(dialog.hidden, true);
  assert.equal(pasted.value, '');
  assert.equal(doc.querySelectorAll('#strip .thumb').length, 4);
  assert.deepEqual(badges(doc), ['script', 'substituted', 'unscripted', 'interpolated']);
  assert.equal(doc.getElementById('undo').disabled, false);
  assert.equal(doc.getElementById('script-open').disabled, false);

  // Opened again, it names the script the slides follow now.
  doc.getElementById('script-open').click();
  await settle();
  assert.equal(text(doc.getElementById('script-current')), 'The slides follow speech.md now.');
  doc.getElementById('script-close').click();
  assert.equal(dialog.hidden, true);
});

test('a refused script file shows its translated kind and name, and the deck stays', async () => {
  const { doc, named } = await opened(HEARD, {
    pick_script_file: () => '/scripts/other video.docx',
    set_job_script: ({ script }) => {
      throw { kind: 'script_mismatch', message: `${script.path}: the script does not match this voice-over (only 4 % of its words were heard)` };
    },
  });
  const before = [...doc.querySelectorAll('#strip .thumb img')].map((img) => img.getAttribute('src'));
  doc.getElementById('script-open').click();
  await settle();
  doc.getElementById('script-file').click();
  await settle();

  assert.equal(named('pick_script_file').length, 1);
  assert.deepEqual(named('set_job_script'), [{ id: 'j1', script: { from: 'file', path: '/scripts/other video.docx' } }]);
  const dialog = doc.getElementById('script-dialog');
  assert.equal(dialog.hidden, false, 'the dialog stays open to try another');
  assert.equal(dialog.dataset.state, 'error');
  const status = doc.getElementById('script-status');
  assert.equal(status.dataset.kind, 'script_mismatch');
  assert.equal(text(status.querySelector('.error-headline')), 'The script does not match this voice-over');
  assert.equal(text(status.querySelector('.script-file')), 'other video.docx');
  assert.equal(text(status.querySelector('.error-detail')), 'the script does not match this voice-over (only 4 % of its words were heard)');
  assert.deepEqual([...doc.querySelectorAll('#strip .thumb img')].map((img) => img.getAttribute('src')), before);
  assert.equal(text(doc.getElementById('script-summary')), 'No script: the slides show the words as heard.');
  assert.equal(doc.getElementById('script-file').disabled, false);
  assert.equal(doc.getElementById('toast').hidden, true, 'shown in the dialog, not as a toast');
});

test('an unreadable pasted script names "pasted text"; a cancelled picker does nothing', async () => {
  const { doc, named } = await opened(HEARD, {
    pick_script_file: () => null,
    set_job_script: () => {
      throw { kind: 'invalid_script', message: '/work/j1/script.txt: the script has no words' };
    },
  });
  doc.getElementById('script-open').click();
  await settle();
  doc.getElementById('script-file').click();
  await settle();
  assert.equal(named('pick_script_file').length, 1);
  assert.equal(named('set_job_script').length, 0);
  assert.equal(doc.getElementById('script-dialog').dataset.state, 'idle');

  const pasted = doc.getElementById('script-paste');
  pasted.value = '***';
  pasted.dispatchEvent(new doc.defaultView.Event('input'));
  doc.getElementById('script-apply').click();
  await settle();
  const status = doc.getElementById('script-status');
  assert.equal(text(status), 'The script cannot be read pasted text the script has no words');
  assert.equal(pasted.value, '***', 'the text stays to be fixed');
});

test('withoutPath drops the leading path only where the message names the file first', () => {
  assert.equal(withoutPath('/a/b c/x.docx: not a Word document', 'x.docx'), 'not a Word document');
  assert.equal(withoutPath('the voice-over is missing', 'x.docx'), 'the voice-over is missing');
});

test('a script picked in the import area goes with the next voice-over, then clears', async () => {
  const { doc, named, app } = await start({ pick_script_file: () => '/scripts/roteiro.docx' });
  const waiting = doc.querySelector('.drop-script');
  assert.equal(waiting.hidden, true);
  doc.getElementById('pick-script').click();
  await settle();
  assert.equal(waiting.hidden, false);
  assert.equal(text(doc.getElementById('next-script')), 'Script for the next voice-over: roteiro.docx');
  assert.equal(doc.getElementById('pick-script').hidden, true);

  await emit('tauri://drag-drop', { paths: ['/voice/vsl.wav'], position: { x: 1, y: 1 } });
  await settle();
  assert.deepEqual(named('start_job').map(({ path, script }) => [path, script]), [['/voice/vsl.wav', '/scripts/roteiro.docx']]);
  assert.equal(waiting.hidden, true, 'used once');
  const badge = doc.querySelector('[data-job="j1"] .job-script');
  assert.equal(text(badge), 'script');
  assert.equal(badge.title, 'Follows the script roteiro.docx');

  // The next one goes without; a script can also be dropped first, and cleared.
  await app.importPaths(['/voice/two.wav']);
  assert.equal(named('start_job')[1].script, null);
  await emit('tauri://drag-drop', { paths: ['/scripts/three.md'], position: { x: 1, y: 1 } });
  await settle();
  assert.equal(text(doc.getElementById('next-script')), 'Script for the next voice-over: three.md');
  doc.getElementById('clear-script').click();
  assert.equal(waiting.hidden, true);
  await app.importPaths(['/voice/four.wav']);
  assert.equal(named('start_job')[2].script, null);
});

test('a refused script queues nothing and says why; leftover scripts are named', async () => {
  const { doc, named, app } = await start({
    start_job: ({ script }) => {
      throw { kind: 'invalid_script', message: `${script}: not a text file (a script is UTF-8 text, Markdown or a Word document)` };
    },
  });
  await app.importPaths(['/voice/talk.mp4', '/voice/talk.txt']);
  assert.equal(named('start_job').length, 1);
  assert.equal(doc.querySelectorAll('.job').length, 0);
  const toast = doc.getElementById('toast');
  assert.equal(toast.hidden, false);
  assert.equal(text(toast.querySelector('.error-headline')), 'The script cannot be read');
  assert.match(text(toast), /talk\.txt: not a text file/);

  const second = await start();
  await second.app.importPaths(['/v/a.wav', '/v/b.wav', '/v/notes.md', '/v/x.pdf']);
  assert.equal(text(second.doc.querySelector('.drop-rejected')), 'Not supported: x.pdf No voice-over for: notes.md');
});

test('the lazily loaded views carry their strings in both locales, under keys of their own', async () => {
  // A fresh copy of i18n.js: the views imported above have added their strings to this one.
  const { MESSAGES: own } = await import('../i18n.js?unextended');
  const core = new Set(Object.keys(own.en));
  assert.ok(core.has('script.add') && !core.has('script.title') && !core.has('settings.model'));
  assert.ok(MESSAGES.en['script.title'], 'added once the script dialog module loaded');
  for (const [name, messages] of [['settings', SETTINGS_MESSAGES], ['script', SCRIPT_MESSAGES]]) {
    const english = Object.keys(messages.en).sort();
    assert.deepEqual(Object.keys(messages['pt-BR']).sort(), english, `${name}: both locales`);
    assert.deepEqual(english.filter((key) => core.has(key)), [], `${name}: no key also in i18n.js`);
  }
});
