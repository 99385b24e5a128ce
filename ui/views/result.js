// The result view of a finished job: the current slide large, the voice-over
// player (asset protocol) kept in sync with it, the script bar (the Script button
// and how the script lined up), the slide strip (click to seek) with each slide's
// alignment badge, the editor for the selected slide and the export bar.

import { alignmentSummary, slideAlignments, slideAt, wordKey } from '../alignment.js';
import { h, icon, iconButton } from '../dom.js';
import { showErrorIn } from '../errors.js';
import { baseName, formatClock } from '../format.js';
import { CommandError, toCommandError } from '../ipc.js';

export { slideAt };

const EXPORT_FORMATS = ['mp4', 'srt', 'vtt', 'txt', 'ass'];
/** The strip's gap and a thumbnail's width with its borders (style.css `.strip`, `.thumb-image`). */
const THUMB_GAP = 8;
const THUMB_PITCH = 176 + 2 * 2 + THUMB_GAP;
/** Thumbnails rendered either side of those in view, and in all when the strip has no width. */
const THUMB_OVERSCAN = 4;
const THUMB_SCREEN = 24;
const FOLDER_ICON = 'M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z';
const UNDO_ICON = 'M9 14 4 9l5-5M4 9h11a5 5 0 0 1 0 10h-3';
const REDO_ICON = 'm15 14 5-5-5-5M20 9H9a5 5 0 0 0 0 10h3';

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
  // NaN: a scroll brings no slide into view, it only moves the window.
  strip.addEventListener('scroll', () => scrollStrip(NaN));
  const title = make('h3', { class: 'editor-title' });
  const timing = make('span', { class: 'editor-timing' });
  const slideBadge = make('span', { class: 'badge slide-align', id: 'slide-align', hidden: true });
  /** A text button; `props` adds a title, a label or `hidden`. */
  const action = (id, label, onClick, extra = '', props) =>
    make('button', { class: `button ${extra}`, id, text: label, onClick, ...props });
  const scriptButton = action('script-open', null, () => openScript());
  // The job's look: picking another draws the slides again (`set_job_look`), nothing else.
  const lookSelect = make('select', { id: 'job-look', onChange: () => run(() => ipc.setJobLook(view.jobId, lookSelect.value)) });
  const scriptSummary = make('span', { class: 'script-summary', id: 'script-summary' });
  const scriptList = make('ul', { class: 'script-list', id: 'script-list' });
  const scriptDetails = make('details', { class: 'script-details', hidden: true }, make('summary', { text: t('script.details') }), scriptList);
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
  const undo = iconButton(doc, t('editor.undo'), UNDO_ICON, null, '', { id: 'undo' });
  const redo = iconButton(doc, t('editor.redo'), REDO_ICON, null, '', { id: 'redo' });

  const formatBoxes = EXPORT_FORMATS.map((format) =>
    make('input', { type: 'checkbox', value: format, id: `format-${format}`, checked: format === 'mp4' || format === 'srt' }),
  );
  const exportButton = action('export', t('export.button'), null, 'button-primary');
  const exportProgress = make('div', { class: 'progress', hidden: true }, make('div', { class: 'progress-fill' }));
  const exportStatus = make('span', { class: 'export-status', id: 'export-status' });
  /** The export status as plain text (no error kind, no exported path). */
  const exportSay = (message) => {
    exportStatus.textContent = message;
    delete exportStatus.dataset.kind;
    delete exportStatus.dataset.path;
  };
  // The music bed: a file chosen through the Rust dialog, its level and whether it ducks
  // under the voice. Kept from one export to the next.
  let music = null;
  const musicButton = action('music-pick', t('music.pick'));
  const musicName = make('span', { class: 'music-name', id: 'music-name', text: t('music.none') });
  const musicClear = action('music-clear', '×', null, '', { title: t('music.clear'), 'aria-label': t('music.clear'), hidden: true });
  const musicVolume = make('input', { type: 'range', id: 'music-volume', min: '0.02', max: '0.6', step: '0.01', value: '0.12', 'aria-label': t('music.volume'), title: t('music.volume'), disabled: true });
  const musicDuck = make('input', { type: 'checkbox', id: 'music-duck', checked: true, disabled: true });
  function showMusic(path) {
    music = path;
    musicName.textContent = path ? baseName(path) : t('music.none');
    musicName.title = path ?? '';
    musicClear.hidden = !path;
    musicVolume.disabled = !path;
    musicDuck.disabled = !path;
  }
  // What the MP4 shows: the slides, or the source video with the slides' text as captions
  // (only for a job whose input has a picture).
  const outputMode = make(
    'select',
    { id: 'output-mode', 'aria-label': t('output.label') },
    ...['slides', 'captions'].map((value) => make('option', { value, text: t(`output.${value}`) })),
  );
  const captionPosition = make(
    'select',
    { id: 'caption-position', 'aria-label': t('output.position'), hidden: true },
    ...['bottom', 'center', 'top'].map((value) => make('option', { value, text: t(`output.position.${value}`) })),
  );
  outputMode.addEventListener('change', () => {
    captionPosition.hidden = outputMode.value !== 'captions';
  });
  /** What `export_deck` gets besides the formats: the music (null for the voice alone) and the picture. */
  const exportChoices = () => ({
    music,
    ...(music ? { musicVolume: Number(musicVolume.value), duck: musicDuck.checked } : {}),
    output: outputMode.value,
    captionPosition: captionPosition.value,
  });
  const cancelExport = action('export-cancel', t('export.cancel'), null, '', { hidden: true });
  const showButton = make(
    'button',
    { class: 'button', id: 'show-in-folder', hidden: true },
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
        make('header', { class: 'editor-header' }, make('div', {}, title, timing, slideBadge), make('div', { class: 'editor-history' }, undo, redo)),
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
    make(
      'div',
      { class: 'script-bar', id: 'script-bar' },
      scriptButton,
      scriptSummary,
      make('label', { class: 'format' }, t('look.label'), lookSelect),
      scriptDetails,
    ),
    strip,
    make(
      'div',
      { class: 'export-bar' },
      make('span', { class: 'export-label', text: t('export.formats') }),
      ...formatBoxes.map((box) => make('label', { class: 'format' }, box, box.value.toUpperCase())),
      make('span', { class: 'music-row', id: 'output-row' }, make('span', { class: 'export-label', text: t('output.label') }), outputMode, captionPosition),
      make(
        'span',
        { class: 'music-row', id: 'music-row' },
        make('span', { class: 'export-label', text: t('music.label') }),
        musicButton,
        musicName,
        musicClear,
        musicVolume,
        make('label', { class: 'format' }, musicDuck, t('music.duck')),
      ),
      exportButton,
      exportProgress,
      cancelExport,
      exportStatus,
      showButton,
    ),
  );
  container.replaceChildren(empty, main);

  let view = null;
  /** Each slide's `slideAlignments` entry for `view`. */
  let aligned = [];
  let selected = 0;
  let playing = -1;
  let exported = null;
  let busy = false;
  /** The job whose export is running, else null. */
  let exporting = null;

  /** The slide's picture, or its thumbnail with `folder` 'thumbs/'. */
  const imageUrl = (slide, folder = '') => ipc.fileUrl(`${view.slidesDir}/${folder}${slide.image}`);

  function setBusy(value) {
    busy = value;
    for (const button of main.querySelectorAll('.editor button')) button.disabled = value;
    scriptButton.disabled = value;
    if (!value) {
      undo.disabled = !view?.canUndo;
      redo.disabled = !view?.canRedo;
    }
  }

  /**
   * An hour-long VSL has a thousand slides, and the webview decodes each image whole. So
   * the strip shows the renderer's small thumbnails (`thumbs/`), only those in view and a
   * few either side, with a spacer standing in for each run of the rest; scrolling swaps
   * them in.
   */
  let stripRange = '';

  function stripWindow() {
    const count = view.deck.slides.length;
    const width = strip.clientWidth;
    // A strip not laid out yet (hidden) shows a screenful.
    const visible = width > 0 ? Math.ceil(width / THUMB_PITCH) + 1 : THUMB_SCREEN;
    const first = Math.max(0, Math.min(Math.floor(strip.scrollLeft / THUMB_PITCH), count - visible) - THUMB_OVERSCAN);
    return [first, Math.min(count, first + visible + 2 * THUMB_OVERSCAN), count];
  }

  /** Stands in for `slides` thumbnails (the strip's gap follows it, as it follows each). */
  function spacer(slides) {
    const item = make('li', { class: 'thumb-spacer', 'aria-hidden': 'true' });
    item.style.width = `${slides * THUMB_PITCH - THUMB_GAP}px`;
    return slides > 0 && item;
  }

  function renderStrip() {
    const [first, end, count] = stripWindow();
    stripRange = `${first} ${end}`;
    // The thumbnails taken out keep their decoded pictures until the JS collector frees
    // the elements, which scrolling through hundreds outruns; without a source, WebKit can
    // drop each one at once.
    for (const img of strip.querySelectorAll('img')) img.removeAttribute('src');
    strip.replaceChildren(
      ...[
        spacer(first),
        ...view.deck.slides.slice(first, end).map((slide, offset) => {
          const index = first + offset;
          const review = reviewWords(index);
          return make(
            'li',
            { class: 'thumb', 'data-index': String(index) },
            make(
              'button',
              { class: 'thumb-button', title: slide.text, onClick: () => seek(index) },
              make('img', { class: 'thumb-image', src: imageUrl(slide, 'thumbs/'), alt: slide.text }),
              make('span', { class: 'thumb-number', text: String(index + 1) }),
              make('span', { class: 'thumb-time', text: formatClock(slide.start) }),
              alignBadge('thumb-align', aligned[index]?.status),
              review.size > 0 && make('span', { class: 'thumb-review', title: reviewTitle(review.values().next().value), text: '?' }),
            ),
          );
        }),
        spacer(count - end),
      ].filter(Boolean),
    );
    markStrip();
  }

  /** After a scroll, or to bring slide `index` into view: renders the window if it moved. */
  function scrollStrip(index) {
    if (!view) return;
    const left = index * THUMB_PITCH;
    if (left < strip.scrollLeft) strip.scrollLeft = left;
    else if (left + THUMB_PITCH > strip.scrollLeft + strip.clientWidth) strip.scrollLeft = left + THUMB_PITCH - strip.clientWidth;
    const [first, end] = stripWindow();
    if (`${first} ${end}` !== stripRange) renderStrip();
  }

  function markStrip() {
    for (const item of strip.querySelectorAll('.thumb')) {
      item.classList.toggle('selected', item.dataset.index === String(selected));
      item.classList.toggle('playing', item.dataset.index === String(playing));
    }
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
    const status = aligned[selected]?.status;
    slideBadge.hidden = !status;
    slideBadge.dataset.status = status ?? '';
    slideBadge.textContent = status ? t(`align.${status}`) : '';
    slideBadge.title = status ? t(`align.${status}Title`) : '';
    text.value = slide.text;
    const seen = new Set();
    const review = reviewWords(selected);
    words.replaceChildren(
      ...slide.text
        .split(/\s+/)
        .map((word) => word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
        .filter((word) => word && !seen.has(word) && seen.add(word))
        .map((word) =>
          make('button', {
            class: `chip${slide.highlights.includes(word) ? ' chip-on' : ''}${review.has(wordKey(word)) ? ' chip-review' : ''}`,
            title: reviewTitle(review.get(wordKey(word))),
            'aria-pressed': String(slide.highlights.includes(word)),
            text: word,
            onClick: () => edit({ op: 'toggleHighlight', index: selected, word }),
          }),
        ),
    );
    undo.disabled = !view.canUndo;
    redo.disabled = !view.canRedo;
  }

  /**
   * Words of slide `index` to check: `wordKey → { reason }`, where the reason is
   * the alignment's (`substituted`, with what was heard, or `unscripted`) or else
   * `unsure` (`view.review`, by time: words the model was unsure of).
   */
  function reviewWords(index) {
    const slide = view.deck.slides[index];
    const words = new Map(aligned[index]?.review ?? []);
    for (const word of view.review ?? []) {
      const key = wordKey(word.text);
      if (word.start >= slide.start - 0.05 && word.start < slide.end && !words.has(key)) words.set(key, { reason: 'unsure' });
    }
    return words;
  }

  function reviewTitle(entry) {
    if (!entry) return null;
    if (entry.reason === 'substituted') return t('editor.reviewSubstituted', { heard: entry.heard });
    if (entry.reason === 'unscripted') return t('editor.reviewUnscripted');
    return t('editor.review');
  }

  /** A slide's alignment badge (`align.<status>`), or nothing without a status. */
  function alignBadge(className, status) {
    return status && make('span', { class: className, 'data-status': status, title: t(`align.${status}Title`), text: t(`align.${status}`) });
  }

  /** The Script button and the summary: lines spoken, skipped lines with their text, unscripted runs with their times. */
  function renderScriptBar() {
    const summary = alignmentSummary(view.alignment);
    scriptButton.textContent = t(summary ? 'script.change' : 'script.add');
    if (!summary) {
      scriptSummary.textContent = t('script.none');
      scriptDetails.hidden = true;
      scriptList.replaceChildren();
      return;
    }
    scriptSummary.textContent = [
      t('script.summary', summary),
      summary.skipped.length > 0 && t('script.skippedCount', { count: summary.skipped.length }),
      summary.unscripted.length > 0 && t('script.unscriptedCount', { count: summary.unscripted.length }),
    ]
      .filter(Boolean)
      .join(' · ');
    scriptList.replaceChildren(
      ...summary.skipped.map(({ line, text: said }) =>
        make('li', { class: 'script-skipped' }, make('span', { class: 'editor-label', text: t('script.skippedLine', { line }) }), ` “${said}”`),
      ),
      ...summary.unscripted.map((run) =>
        make(
          'li',
          { class: 'script-unscripted' },
          make('button', {
            class: 'script-run',
            text: t('script.unscriptedRun', { from: formatClock(run.start), to: formatClock(run.end) }),
            onClick: () => seek(slideAt(view.deck.slides, run.start + 0.01)),
          }),
          ` “${run.text}”`,
        ),
      ),
    );
    scriptDetails.hidden = scriptList.children.length === 0;
  }

  /** The look menu: every look (listed afresh: the Looks sheet may have saved one), the deck's selected. */
  async function renderLooks(current) {
    const looks = await ipc.listLooks().catch((error) => (onError(error), []));
    // A deck's look that no longer loads is still shown, so the menu never claims another.
    const shown = looks.filter((look) => !look.error || look.id === current);
    if (!shown.some((look) => look.id === current)) shown.push({ id: current, name: current });
    lookSelect.replaceChildren(...shown.map((look) => make('option', { value: look.id, text: look.name })));
    lookSelect.value = current;
  }

  /** The script dialog, loaded (a chunk of its own) the first time it is opened. */
  let scriptDialog = null;
  async function openScript() {
    if (!view) return;
    try {
      scriptDialog ??= import('./script.js').then(({ createScriptDialog }) =>
        createScriptDialog(doc, { t, pickFile: () => ipc.pickScriptFile(), apply: applyScript }),
      );
      (await scriptDialog).open({ name: baseName(view.audio), script: view.alignment?.script ?? null });
    } catch (error) {
      scriptDialog = null;
      onError(error);
    }
  }

  /** Gives the open job `source`'s script; the new deck replaces the shown one. Rejects with the command's error. */
  async function applyScript(source) {
    const id = view?.jobId;
    if (!id || busy) throw new CommandError('busy', '');
    setBusy(true);
    try {
      const next = await ipc.setJobScript(id, source);
      if (view?.jobId === id) show(next);
    } finally {
      setBusy(false);
    }
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
    scrollStrip(selected);
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
    scrollStrip(index);
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
      const result = await ipc.exportDeck(exporting, folder, formats, exportChoices(), (event) => {
        if (event.event === 'progress') fill.style.width = `${Math.round(event.fraction * 100)}%`;
      });
      fill.style.width = '100%';
      exported = result.mp4 ?? result.files[0] ?? null;
      const sound = [
        result.music ? t('export.withMusic', { name: baseName(result.music) }) : '',
        Number.isFinite(result.loudness) ? t('export.loudness', { lufs: result.loudness.toFixed(1) }) : '',
      ].filter(Boolean);
      exportStatus.textContent = t('export.done', { name: exported ? baseName(exported) : folder }) + (sound.length ? ` (${sound.join(', ')})` : '');
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
  musicButton.addEventListener('click', async () => {
    try {
      const path = await ipc.pickMusicFile();
      if (path) showMusic(path);
    } catch (error) {
      onError(error);
    }
  });
  musicClear.addEventListener('click', () => showMusic(null));

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
    // The small rendition the app made in its cache, streamed from the app's loopback
    // server; fetched into a blob where that server is not running; the input itself if
    // no rendition could be made.
    const preview = await ipc.previewAudio(next.jobId).catch(() => null);
    const url = preview?.url ?? (await ipc.mediaUrl(preview?.path ?? next.audio));
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
      // Captions need a picture to go over; an audio-only job has slides alone.
      outputMode.disabled = !next.hasVideo;
      outputMode.title = next.hasVideo ? '' : t('output.noVideo');
      if (!next.hasVideo) outputMode.value = 'slides';
      captionPosition.hidden = outputMode.value !== 'captions';
    }
    aligned = slideAlignments(next.deck.slides, next.alignment, next.deck.duration);
    renderScriptBar();
    // The looks are listed once per job (and after the Looks sheet saves), not at every edit.
    if (sameJob) lookSelect.value = next.deck.theme;
    else renderLooks(next.deck.theme);
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
    /** For the Looks sheet: the selected slide's text, the deck's shape and look. */
    get current() {
      return view && { text: view.deck.slides[selected]?.text, preset: view.deck.preset, look: view.deck.theme };
    },
    /** Lists the looks again (one was saved or deleted). */
    refreshLooks() {
      if (view) renderLooks(view.deck.theme);
    },
  });
}
