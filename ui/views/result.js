// The result view of a finished job: the current slide large, the voice-over
// player (asset protocol) kept in sync with it, the slide strip (click to seek),
// the editor for the selected slide and the export bar.

import { h, icon } from '../dom.js';
import { showErrorIn } from '../errors.js';
import { baseName, formatClock } from '../format.js';
import { toCommandError } from '../ipc.js';

const EXPORT_FORMATS = ['mp4', 'srt', 'vtt', 'txt'];
const FOLDER_ICON = 'M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z';
const UNDO_ICON = 'M9 14 4 9l5-5M4 9h11a5 5 0 0 1 0 10h-3';
const REDO_ICON = 'm15 14 5-5-5-5M20 9H9a5 5 0 0 0 0 10h3';

/** The slide on screen at `time`: the last one that started at or before it. */
export function slideAt(slides, time) {
  let found = 0;
  for (let i = 0; i < slides.length; i += 1) {
    if (slides[i].start <= time + 1e-6) found = i;
    else break;
  }
  return found;
}

/**
 * Builds the result view in `container`. `ipc` is the app's IPC object.
 * Returns `show(deckView)` and `clear()`.
 */
export function createResultView(container, { t, ipc, onError }) {
  const doc = container.ownerDocument;
  const make = (...args) => h(doc, ...args);

  const empty = make(
    'div',
    { class: 'result-empty' },
    make('h2', { text: t('result.emptyTitle') }),
    make('p', { text: t('result.emptyHint') }),
  );
  const preview = make('img', { class: 'preview', id: 'preview', alt: '' });
  const audio = make('audio', { class: 'player', id: 'player', controls: true, preload: 'auto' });
  const strip = make('ol', { class: 'strip', id: 'strip', 'aria-label': t('result.slides') });
  const title = make('h3', { class: 'editor-title' });
  const timing = make('span', { class: 'editor-timing' });
  const text = make('textarea', {
    class: 'slide-text',
    id: 'slide-text',
    rows: '4',
    spellcheck: 'false',
    'aria-label': t('editor.text'),
  });
  const words = make('div', { class: 'word-chips', 'aria-label': t('editor.highlight') });
  const ruleFrom = make('input', { class: 'rule-input', id: 'rule-from', type: 'text', 'aria-label': t('editor.ruleFrom'), placeholder: t('editor.ruleFrom') });
  const ruleTo = make('input', { class: 'rule-input', id: 'rule-to', type: 'text', 'aria-label': t('editor.ruleTo'), placeholder: t('editor.ruleTo') });
  const ruleStatus = make('span', { class: 'editor-label', id: 'rule-status', role: 'status' });
  const undo = make(
    'button',
    { class: 'icon-button', type: 'button', id: 'undo', title: t('editor.undo'), 'aria-label': t('editor.undo') },
    icon(doc, UNDO_ICON),
  );
  const redo = make(
    'button',
    { class: 'icon-button', type: 'button', id: 'redo', title: t('editor.redo'), 'aria-label': t('editor.redo') },
    icon(doc, REDO_ICON),
  );
  const action = (id, label, onClick, extra = '') =>
    make('button', { class: `button ${extra}`, type: 'button', id, text: label, onClick });

  const formatBoxes = EXPORT_FORMATS.map((format) =>
    make('input', { type: 'checkbox', value: format, id: `format-${format}`, checked: format === 'mp4' || format === 'srt' }),
  );
  const exportButton = make('button', { class: 'button button-primary', type: 'button', id: 'export', text: t('export.button') });
  const exportProgress = make('div', { class: 'progress', hidden: true }, make('div', { class: 'progress-fill' }));
  const exportStatus = make('span', { class: 'export-status', id: 'export-status' });
  /** The export status as plain text (no error kind, no exported path). */
  const exportSay = (message) => {
    exportStatus.textContent = message;
    delete exportStatus.dataset.kind;
    delete exportStatus.dataset.path;
  };
  const cancelExport = make('button', { class: 'button', type: 'button', id: 'export-cancel', text: t('export.cancel'), hidden: true });
  const showButton = make(
    'button',
    { class: 'button', type: 'button', id: 'show-in-folder', hidden: true },
    icon(doc, FOLDER_ICON),
    t('export.show'),
  );

  const main = make(
    'div',
    { class: 'result-main', hidden: true },
    make(
      'div',
      { class: 'result-top' },
      make('div', { class: 'preview-frame' }, preview),
      make(
        'div',
        { class: 'panel editor', id: 'editor' },
        make('header', { class: 'editor-header' }, make('div', {}, title, timing), make('div', { class: 'editor-history' }, undo, redo)),
        text,
        make(
          'div',
          { class: 'editor-actions' },
          action('apply-text', t('editor.apply'), () => applyText(), 'button-primary'),
          action('split', t('editor.split'), () => edit({ op: 'split', index: selected, offset: text.selectionStart ?? 0 })),
          action('merge', t('editor.merge'), () => edit({ op: 'mergeNext', index: selected })),
        ),
        make(
          'div',
          { class: 'editor-actions' },
          make('span', { class: 'editor-label', text: t('editor.start') }),
          action('nudge-back', '−0.1 s', () => edit({ op: 'nudge', index: selected, delta: -0.1 })),
          action('nudge-forward', '+0.1 s', () => edit({ op: 'nudge', index: selected, delta: 0.1 })),
        ),
        make('p', { class: 'editor-label', text: t('editor.highlight') }),
        words,
        make('p', { class: 'editor-label', text: t('editor.rule') }),
        make(
          'div',
          { class: 'editor-actions rule' },
          ruleFrom,
          ruleTo,
          action('add-rule', t('editor.ruleAdd'), () => addRule()),
        ),
        ruleStatus,
      ),
    ),
    audio,
    strip,
    make(
      'div',
      { class: 'export-bar' },
      make('span', { class: 'export-label', text: t('export.formats') }),
      ...formatBoxes.map((box) => make('label', { class: 'format' }, box, box.value.toUpperCase())),
      exportButton,
      exportProgress,
      cancelExport,
      exportStatus,
      showButton,
    ),
  );
  container.replaceChildren(empty, main);

  let view = null;
  let selected = 0;
  let playing = -1;
  let exported = null;
  let busy = false;
  /** The job whose export is running, else null. */
  let exporting = null;

  const imageUrl = (slide) => ipc.fileUrl(`${view.slidesDir}/${slide.image}`);

  function setBusy(value) {
    busy = value;
    for (const button of main.querySelectorAll('.editor button')) button.disabled = value;
    if (!value) {
      undo.disabled = !view?.canUndo;
      redo.disabled = !view?.canRedo;
    }
  }

  function renderStrip() {
    strip.replaceChildren(
      ...view.deck.slides.map((slide, index) =>
        make(
          'li',
          { class: 'thumb', 'data-index': String(index) },
          make(
            'button',
            { type: 'button', class: 'thumb-button', title: slide.text, onClick: () => seek(index) },
            make('img', { class: 'thumb-image', src: imageUrl(slide), alt: slide.text, loading: 'lazy' }),
            make('span', { class: 'thumb-number', text: String(index + 1) }),
            make('span', { class: 'thumb-time', text: formatClock(slide.start) }),
            reviewWords(slide).size > 0 && make('span', { class: 'thumb-review', title: t('editor.review'), text: '?' }),
          ),
        ),
      ),
    );
    markStrip();
  }

  function markStrip() {
    strip.querySelectorAll('.thumb').forEach((thumb, index) => {
      thumb.classList.toggle('selected', index === selected);
      thumb.classList.toggle('playing', index === playing);
    });
  }

  function showSlide(index) {
    const slide = view.deck.slides[index];
    if (!slide) return;
    preview.src = imageUrl(slide);
    preview.alt = slide.text;
  }

  function renderEditor() {
    const slide = view.deck.slides[selected];
    if (!slide) return;
    title.textContent = t('editor.title', { number: selected + 1, total: view.deck.slides.length });
    timing.textContent = `${formatClock(slide.start)} – ${formatClock(slide.end)}`;
    text.value = slide.text;
    const seen = new Set();
    const review = reviewWords(slide);
    words.replaceChildren(
      ...slide.text
        .split(/\s+/)
        .map((word) => word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
        .filter((word) => word && !seen.has(word) && seen.add(word))
        .map((word) =>
          make('button', {
            type: 'button',
            class: `chip${slide.highlights.includes(word) ? ' chip-on' : ''}${review.has(word.toLowerCase()) ? ' chip-review' : ''}`,
            title: review.has(word.toLowerCase()) ? t('editor.review') : null,
            'aria-pressed': String(slide.highlights.includes(word)),
            text: word,
            onClick: () => edit({ op: 'toggleHighlight', index: selected, word }),
          }),
        ),
    );
    undo.disabled = !view.canUndo;
    redo.disabled = !view.canRedo;
  }

  /** Words of the slide the model was unsure of (`view.review`, by time). */
  function reviewWords(slide) {
    const norm = (word) => word.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    return new Set(
      (view.review ?? [])
        .filter((word) => word.start >= slide.start - 0.05 && word.start < slide.end)
        .map((word) => norm(word.text)),
    );
  }

  async function addRule() {
    const from = ruleFrom.value.trim();
    const to = ruleTo.value.trim();
    if (!from || !to) return;
    try {
      await ipc.addGlossaryRule(from, to);
      ruleStatus.textContent = t('editor.ruleAdded', { from, to });
      ruleFrom.value = '';
      ruleTo.value = '';
    } catch (error) {
      onError(error);
    }
  }

  function select(index) {
    selected = Math.max(0, Math.min(index, view.deck.slides.length - 1));
    renderEditor();
    showSlide(selected);
    markStrip();
  }

  function seek(index) {
    const slide = view.deck.slides[index];
    if (!slide) return;
    audio.currentTime = slide.start;
    playing = index;
    select(index);
  }

  async function run(request) {
    if (busy || !view) return;
    setBusy(true);
    try {
      show(await request());
    } catch (error) {
      onError(error);
    } finally {
      setBusy(false);
    }
  }

  function edit(change) {
    return run(() => ipc.editSlide(view.jobId, change));
  }

  function applyText() {
    const slide = view?.deck.slides[selected];
    if (!slide || text.value.trim() === slide.text) return Promise.resolve();
    return edit({ op: 'setText', index: selected, text: text.value });
  }

  undo.addEventListener('click', () => run(() => ipc.stepHistory(view.jobId, 'undo')));
  redo.addEventListener('click', () => run(() => ipc.stepHistory(view.jobId, 'redo')));
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      applyText();
    }
  });
  audio.addEventListener('timeupdate', () => {
    if (!view) return;
    const index = slideAt(view.deck.slides, audio.currentTime);
    if (index === playing) return;
    playing = index;
    showSlide(index);
    markStrip();
    strip.children[index]?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
  });

  exportButton.addEventListener('click', async () => {
    if (!view) return;
    const formats = formatBoxes.filter((box) => box.checked).map((box) => box.value);
    if (formats.length === 0) {
      exportSay(t('export.none'));
      return;
    }
    let folder;
    try {
      folder = await ipc.pickExportFolder();
    } catch (error) {
      onError(error);
      return;
    }
    if (!folder) return;
    exporting = view.jobId;
    exportButton.disabled = true;
    showButton.hidden = true;
    exportProgress.hidden = false;
    cancelExport.disabled = false;
    cancelExport.hidden = false;
    const fill = exportProgress.firstChild;
    fill.style.width = '0%';
    exportSay(t('export.running'));
    try {
      const result = await ipc.exportDeck(exporting, folder, formats, (event) => {
        if (event.event === 'progress') fill.style.width = `${Math.round(event.fraction * 100)}%`;
      });
      fill.style.width = '100%';
      exported = result.mp4 ?? result.files[0] ?? null;
      exportStatus.textContent = t('export.done', { name: exported ? baseName(exported) : folder });
      exportStatus.dataset.path = exported ?? '';
      showButton.hidden = !exported;
    } catch (error) {
      // Beside the button it stays until the next export; the message names the file.
      if (toCommandError(error).kind === 'cancelled') exportSay(t('export.cancelled'));
      else showErrorIn(exportStatus, error, t);
    } finally {
      exportButton.disabled = false;
      exportProgress.hidden = true;
      cancelExport.hidden = true;
      exporting = null;
    }
  });
  // An export is cancelled like the job it belongs to (`cancel_job`).
  cancelExport.addEventListener('click', () => {
    if (exporting === null) return;
    cancelExport.disabled = true;
    ipc.cancelJob(exporting).catch(onError);
  });
  showButton.addEventListener('click', () => {
    if (exported) ipc.showInFolder(exported).catch(onError);
  });

  let audioUrl = null;
  async function loadAudio(next) {
    const url = await ipc.mediaUrl(next.audio);
    // Another job may have been opened while this one's audio was loading.
    if (view?.jobId !== next.jobId) return;
    if (audioUrl?.startsWith('blob:')) URL.revokeObjectURL(audioUrl);
    audioUrl = url;
    audio.src = url;
  }

  function show(next) {
    const sameJob = view?.jobId === next.jobId;
    view = next;
    empty.hidden = true;
    main.hidden = false;
    container.dataset.job = next.jobId;
    if (!sameJob) {
      loadAudio(next);
      selected = 0;
      playing = -1;
      exported = null;
      showButton.hidden = true;
      exportSay('');
    }
    renderStrip();
    select(selected);
  }

  return Object.freeze({
    show,
    clear() {
      view = null;
      audio.removeAttribute('src');
      empty.hidden = false;
      main.hidden = true;
      delete container.dataset.job;
    },
    get jobId() {
      return view?.jobId ?? null;
    },
  });
}
