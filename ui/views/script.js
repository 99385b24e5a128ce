// The script dialog of a finished job, loaded the first time it opens (a chunk of
// its own, see build.mjs): pick the copywriter's script (.txt, .md, .docx) or paste
// it, and the slides are cut again from the kept transcript in the script's words
// (`set_job_script`). A refused script leaves the deck as it was and says why,
// with the file's name.

import { h } from '../dom.js';
import { describeError } from '../errors.js';
import { baseName } from '../format.js';
import { addMessages } from '../i18n.js';
import { MESSAGES } from './script-i18n.js';

addMessages(MESSAGES);

/** `message` without its leading `<path>/<name>: `: the dialog names the file on its own. */
export function withoutPath(message, name) {
  const at = message.indexOf(`${name}: `);
  return at >= 0 ? message.slice(at + name.length + 2) : message;
}

/**
 * Builds the dialog (hidden) in `doc.body`.
 * `pickFile()` resolves to a path or null (the Open dialog, `pick_script_file`);
 * `apply(source)` applies `{ from: 'file', path }` or `{ from: 'pasted', text }`
 * and rejects with the command's error. Returns `open({ name, script })`, where
 * `name` is the voice-over's and `script` the one its slides follow now (or null),
 * and `close()`. The dialog's `data-state` is `idle`, `busy` or `error`.
 */
export function createScriptDialog(doc, { t, pickFile, apply }) {
  const make = (...args) => h(doc, ...args);
  const hint = make('p', { class: 'panel-subtitle', id: 'script-hint' });
  const current = make('p', { class: 'editor-label', id: 'script-current' });
  const fileButton = make('button', { class: 'button', id: 'script-file', text: t('script.file'), onClick: () => chooseFile() });
  const pasted = make('textarea', { class: 'slide-text', id: 'script-paste', rows: '8', spellcheck: 'false', 'aria-label': t('script.paste') });
  const applyButton = make('button', { class: 'button button-primary', type: 'submit', id: 'script-apply', text: t('script.applyPasted'), disabled: true });
  const closeButton = make('button', { class: 'button', id: 'script-close', text: t('script.close'), onClick: () => close() });
  const status = make('p', { class: 'script-status', id: 'script-status', role: 'status' });
  const form = make(
    'form',
    { class: 'sheet panel script-sheet', 'aria-label': t('script.title'), novalidate: true },
    make('h2', { class: 'panel-title', text: t('script.title') }),
    hint,
    current,
    make('div', { class: 'editor-actions' }, fileButton, make('span', { class: 'editor-label', text: t('script.fileTypes') })),
    make('label', { class: 'editor-label', for: 'script-paste', text: t('script.paste') }),
    pasted,
    status,
    make('div', { class: 'editor-actions sheet-actions' }, closeButton, applyButton),
  );
  const backdrop = make('div', { class: 'sheet-backdrop', id: 'script-dialog', hidden: true, 'data-state': 'idle' }, form);
  doc.body.append(backdrop);

  function setState(state) {
    backdrop.dataset.state = state;
    const busy = state === 'busy';
    fileButton.disabled = busy;
    pasted.readOnly = busy;
    applyButton.disabled = busy || pasted.value.trim() === '';
    if (state !== 'error') delete status.dataset.kind;
  }

  /** The error's translated kind, the script's name and what went wrong (without the path, which `file` ends). */
  function fail(error, name, file = name) {
    const { kind, title, detail } = describeError(error, t);
    const reason = file ? withoutPath(detail, file) : detail;
    status.replaceChildren(
      make('strong', { class: 'error-headline', text: title }),
      ...[name && make('span', { class: 'script-file', text: name }), reason && make('span', { class: 'error-detail', text: reason })]
        .filter(Boolean)
        .flatMap((part) => [' ', part]),
    );
    status.dataset.kind = kind;
    setState('error');
  }

  async function run(source, name, file) {
    setState('busy');
    status.textContent = t('script.aligning', { name });
    try {
      await apply(source);
    } catch (error) {
      fail(error, name, file);
      return;
    }
    pasted.value = '';
    status.textContent = '';
    setState('idle');
    close();
  }

  async function chooseFile() {
    let path;
    try {
      path = await pickFile();
    } catch (error) {
      fail(error, null);
      return;
    }
    if (path) await run({ from: 'file', path }, baseName(path));
  }

  pasted.addEventListener('input', () => {
    if (backdrop.dataset.state !== 'busy') applyButton.disabled = pasted.value.trim() === '';
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = pasted.value;
    if (backdrop.dataset.state === 'busy' || text.trim() === '') return;
    // The Rust side keeps pasted text as the job's `script.txt`, which its messages name.
    run({ from: 'pasted', text }, t('script.pasted'), 'script.txt');
  });
  backdrop.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });

  function close() {
    backdrop.hidden = true;
  }

  return Object.freeze({
    open({ name, script }) {
      hint.textContent = t('script.hint', { name });
      current.textContent = script ? t('script.current', { script }) : '';
      current.hidden = !script;
      if (backdrop.dataset.state !== 'busy') {
        status.textContent = '';
        setState('idle');
      }
      backdrop.hidden = false;
      pasted.focus?.();
    },
    close,
  });
}
