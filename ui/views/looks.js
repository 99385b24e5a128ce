// The Looks sheet (loaded on first use, see build.mjs): create, duplicate, edit and delete
// the maker's looks, with a live preview of the current slide drawn by the Rust renderer
// (`preview_look`). Fonts, logos and pictures come through the Rust dialogs
// (`pick_look_asset`, which checks them); saving copies them into the look's folder.
// A look is edited as look.toml's JSON (docs/formats.md, "Looks").

import { h } from '../dom.js';
import { showErrorIn } from '../errors.js';
import { baseName } from '../format.js';
import { addMessages } from '../i18n.js';
import { MESSAGES } from './looks-i18n.js';

addMessages(MESSAGES);

const CLASSIC = { background: '#FFFFFF', text: '#141417', highlight: '#D91A20' };
const PREVIEW_DELAY_MS = 150;

/** A fresh look: the classic colours under `name`. */
export function newLook(name) {
  return { name, colors: { ...CLASSIC } };
}

/** A deep copy of `look` (plain JSON), so edits never touch the one it came from. */
export const copyLook = (look) => JSON.parse(JSON.stringify(look ?? {}));

/**
 * Sets `value` at `path` (`['logo', 'image']`) in `look`, creating the section; an empty
 * string, null or undefined removes the key (the file leaves out what is default).
 */
export function setIn(look, [section, key], value) {
  if (key === undefined) {
    if (value === '' || value === null || value === undefined) delete look[section];
    else look[section] = value;
    return look;
  }
  const table = (look[section] ??= {});
  if (value === '' || value === null || value === undefined) delete table[key];
  else table[key] = value;
  if (Object.keys(table).length === 0) delete look[section];
  return look;
}

/** The intro or outro card for `text` and `seconds`: none without text. */
export function card(text, seconds) {
  const trimmed = String(text ?? '').trim();
  if (!trimmed) return undefined;
  const duration = Number.parseFloat(seconds);
  return { text: trimmed, duration: Number.isFinite(duration) && duration > 0 ? duration : 3 };
}

/**
 * Builds the sheet. `job` is the result view: its `current` slide's text and shape are
 * previewed, and its look menu is listed again (`refreshLooks()`) after a save or delete.
 */
export function createLooks(doc, { t, ipc, job, onError }) {
  const make = (...args) => h(doc, ...args);
  const status = make('span', { class: 'editor-label', id: 'looks-status', role: 'status' });
  const say = (message) => {
    status.textContent = message;
    delete status.dataset.kind;
  };
  const fail = (error) => showErrorIn(status, error, t);

  /** What is being edited: `{ id, saved, from, look }` (`from`: the saved look its file names belong to). */
  let draft = { id: '', saved: false, from: null, look: newLook(t('looks.newName')) };
  let looks = [];

  const picker = make('select', { id: 'looks-pick', 'aria-label': t('looks.pick'), onChange: () => load(picker.value) });
  const preview = make('img', { class: 'look-preview', id: 'look-preview', alt: t('looks.preview') });
  const row = (key, ...controls) => make('label', { class: 'setting' }, make('span', { text: t(key) }), ...controls);
  const heading = (key) => make('h3', { class: 'sheet-heading', text: t(key) });
  const input = (id, path, attrs = {}, read = (element) => element.value) => {
    const element = make('input', { id, ...attrs });
    element.addEventListener('input', () => {
      setIn(draft.look, path, read(element));
      schedulePreview();
    });
    return { element, path, read };
  };
  const colour = (id, path) => input(id, path, { type: 'color' }, (element) => element.value.toUpperCase());
  const number = (id, path, attrs) =>
    input(id, path, { type: 'number', ...attrs }, (element) => (element.value === '' ? undefined : Number.parseFloat(element.value)));
  /** A menu of what look.toml takes for `path`, filled from `app_choices[choice]` on open (`label(value)` names each). */
  const menus = [];
  let menusFilled = false;
  const select = (id, path, choice, label) => {
    const element = make('select', { id });
    element.addEventListener('change', () => {
      setIn(draft.look, path, element.value);
      schedulePreview();
    });
    menus.push({ element, choice, label });
    return { element, path, read: (el) => el.value };
  };

  /** An asset row: the file's name, Choose… (a Rust dialog that checks the file) and Remove. */
  const asset = (id, path, kind, emptyKey) => {
    const name = make('span', { class: 'watch-music-name', id: `${id}-name` });
    const show = () => {
      const value = draft.look[path[0]]?.[path[1]];
      name.textContent = value ? baseName(value) : t(emptyKey);
      name.title = value ?? '';
      clear.hidden = !value;
    };
    const choose = make('button', {
      class: 'button',
      id: `${id}-choose`,
      text: t('looks.choose'),
      onClick: async () => {
        try {
          const picked = await ipc.pickLookAsset(kind);
          if (!picked) return;
          setIn(draft.look, path, picked);
          show();
          schedulePreview();
        } catch (error) {
          fail(error);
        }
      },
    });
    const clear = make('button', {
      class: 'button',
      id: `${id}-clear`,
      text: t('looks.clear'),
      onClick: () => {
        setIn(draft.look, path, undefined);
        show();
        schedulePreview();
      },
    });
    return { element: make('span', { class: 'music-row' }, choose, name, clear), show };
  };

  const fields = {
    name: input('look-name', ['name'], { type: 'text', spellcheck: 'false' }),
    background: colour('look-background', ['colors', 'background']),
    text: colour('look-text', ['colors', 'text']),
    highlight: colour('look-highlight', ['colors', 'highlight']),
    dim: number('look-dim', ['background', 'dim'], { min: '0', max: '0.9', step: '0.05' }),
    logoPosition: select('look-logo-position', ['logo', 'position'], 'logoPositions', (p) => t(`looks.position.${p}`)),
    logoWidth: number('look-logo-width', ['logo', 'width'], { min: '0.03', max: '0.5', step: '0.01' }),
    progressColor: colour('look-progress-color', ['progress', 'color']),
    progressPosition: select('look-progress-position', ['progress', 'position'], 'barPositions', (p) => t(`looks.position.${p}`)),
    words: select('look-words', ['words', 'highlight'], 'wordHighlights', (mode) => t(`looks.words.${mode}`)),
    activeColor: colour('look-active-color', ['words', 'active_color']),
  };
  const progressShow = make('input', { type: 'checkbox', id: 'look-progress' });
  progressShow.addEventListener('change', () => {
    setIn(draft.look, ['progress', 'show'], progressShow.checked);
    if (progressShow.checked && !draft.look.progress.color) setIn(draft.look, ['progress', 'color'], fields.highlight.element.value.toUpperCase());
    schedulePreview();
  });
  const assets = {
    regular: asset('look-font-regular', ['font', 'regular'], 'font', 'looks.bundled'),
    bold: asset('look-font-bold', ['font', 'bold'], 'font', 'looks.bundled'),
    picture: asset('look-picture', ['background', 'image'], 'image', 'looks.none'),
    logo: asset('look-logo', ['logo', 'image'], 'image', 'looks.none'),
  };
  const cards = {};
  for (const which of ['intro', 'outro']) {
    const text = make('input', { id: `look-${which}-text`, type: 'text', 'aria-label': t(`looks.${which}`) });
    const seconds = make('input', { id: `look-${which}-seconds`, type: 'number', min: '0.5', max: '30', step: '0.5', value: '3', 'aria-label': t('looks.cardSeconds') });
    const update = () => {
      setIn(draft.look, [which], card(text.value, seconds.value));
      schedulePreview();
    };
    text.addEventListener('input', update);
    seconds.addEventListener('input', update);
    cards[which] = { text, seconds };
  }
  const builtinNote = make('p', { class: 'editor-label', id: 'looks-builtin', text: t('looks.builtin'), hidden: true });
  const deleteButton = make('button', { class: 'button', id: 'looks-delete', text: t('looks.delete'), onClick: () => remove() });

  /** Shows `draft` in the fields. */
  function fill() {
    const look = draft.look;
    for (const field of Object.values(fields)) {
      const [section, key] = field.path;
      const value = key === undefined ? look[section] : look[section]?.[key];
      const fallback = { 'look-dim': '0', 'look-logo-width': '0.12', 'look-logo-position': 'top-right', 'look-progress-position': 'bottom', 'look-words': 'keywords' }[field.element.id];
      const colourDefault = { 'look-background': CLASSIC.background, 'look-text': CLASSIC.text, 'look-highlight': CLASSIC.highlight };
      field.element.value = String(value ?? fallback ?? colourDefault[field.element.id] ?? (field.element.type === 'color' ? look.colors?.highlight ?? CLASSIC.highlight : ''));
    }
    progressShow.checked = Boolean(look.progress && look.progress.show !== false);
    for (const entry of Object.values(assets)) entry.show();
    for (const which of ['intro', 'outro']) {
      cards[which].text.value = look[which]?.text ?? '';
      cards[which].seconds.value = String(look[which]?.duration ?? 3);
    }
    builtinNote.hidden = draft.saved || !draft.id;
    deleteButton.disabled = !draft.saved;
  }

  let timer = null;
  let asked = 0;
  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(drawPreview, PREVIEW_DELAY_MS);
  }
  async function drawPreview() {
    const ticket = ++asked;
    try {
      const path = await ipc.previewLook({ look: draft.look, from: draft.from, text: job?.current?.text ?? '', preset: job?.current?.preset ?? null });
      if (ticket !== asked) return;
      preview.src = ipc.fileUrl(path);
      // A drawn preview clears an error it had shown, not a confirmation ("Saved as ...").
      if (status.dataset.kind) say('');
    } catch (error) {
      if (ticket === asked) fail(error);
    }
  }

  /** Lists the looks in the picker, the draft's selected (a new draft as an entry of its own). */
  async function list() {
    looks = await ipc.listLooks();
    picker.replaceChildren(
      ...looks.map((look) => make('option', { value: look.id, text: look.error ? `${look.name} ⚠` : look.name })),
      ...(draft.id ? [] : [make('option', { value: '', text: draft.look.name || t('looks.newName') })]),
    );
    picker.value = draft.id;
  }

  /** Counts loads and new drafts, so a slow load never replaces what came after it. */
  let generation = 0;
  async function load(id) {
    if (!id) return;
    const ticket = ++generation;
    try {
      const found = await ipc.getLook(id);
      if (ticket !== generation) return;
      draft = { id: found.id, saved: found.saved, from: found.saved ? found.id : null, look: copyLook(found.look) };
      fill();
      schedulePreview();
      await list();
    } catch (error) {
      fail(error);
    }
  }

  async function startNew(look, from) {
    generation += 1;
    draft = { id: '', saved: false, from, look };
    fill();
    await list();
    schedulePreview();
  }

  async function save() {
    try {
      const id = await ipc.saveLook({ id: draft.saved ? draft.id : '', look: draft.look, from: draft.from, replace: draft.saved });
      draft = { ...draft, id, saved: true, from: id };
      await load(id);
      say(t('looks.saved', { id }));
      job?.refreshLooks();
    } catch (error) {
      fail(error);
    }
  }

  async function remove() {
    if (!draft.saved) return;
    try {
      await ipc.deleteLook(draft.id);
      draft = { id: '', saved: false, from: null, look: newLook(t('looks.newName')) };
      await list();
      await load(looks[0]?.id);
      say(t('looks.deleted'));
      job?.refreshLooks();
    } catch (error) {
      fail(error);
    }
  }

  const sheet = make(
    'div',
    { class: 'sheet-backdrop', id: 'looks', hidden: true },
    make(
      'form',
      { class: 'sheet panel', 'aria-label': t('looks.title'), novalidate: true },
      make('h2', { class: 'panel-title', text: t('looks.title') }),
      make('p', { class: 'panel-subtitle', text: t('looks.subtitle') }),
      make(
        'div',
        { class: 'editor-actions' },
        picker,
        make('button', { class: 'button', id: 'looks-new', text: t('looks.new'), onClick: () => startNew(newLook(t('looks.newName')), null) }),
        make('button', {
          class: 'button',
          id: 'looks-duplicate',
          text: t('looks.duplicate'),
          onClick: () => startNew({ ...copyLook(draft.look), name: t('looks.copyName', { name: draft.look.name ?? draft.id }) }, draft.from),
        }),
        deleteButton,
      ),
      builtinNote,
      preview,
      make('section', { class: 'sheet-section' }, row('looks.name', fields.name.element)),
      make('section', { class: 'sheet-section' }, heading('looks.fonts'), row('looks.fontRegular', assets.regular.element), row('looks.fontBold', assets.bold.element)),
      make(
        'section',
        { class: 'sheet-section' },
        heading('looks.colors'),
        row('looks.background', fields.background.element),
        row('looks.text', fields.text.element),
        row('looks.highlight', fields.highlight.element),
        row('looks.picture', assets.picture.element),
        row('looks.dim', fields.dim.element),
      ),
      make(
        'section',
        { class: 'sheet-section' },
        heading('looks.logo'),
        row('looks.logo', assets.logo.element),
        row('looks.logoPosition', fields.logoPosition.element),
        row('looks.logoWidth', fields.logoWidth.element),
      ),
      make(
        'section',
        { class: 'sheet-section' },
        heading('looks.progress'),
        row('looks.progress', progressShow),
        row('looks.progressColor', fields.progressColor.element),
        row('looks.progressPosition', fields.progressPosition.element),
        row('looks.words', fields.words.element),
        row('looks.activeColor', fields.activeColor.element),
      ),
      make(
        'section',
        { class: 'sheet-section' },
        row('looks.intro', cards.intro.text, cards.intro.seconds),
        row('looks.outro', cards.outro.text, cards.outro.seconds),
      ),
      make(
        'div',
        { class: 'editor-actions sheet-actions' },
        status,
        make('button', { class: 'button', id: 'looks-close', text: t('looks.close'), onClick: () => close() }),
        make('button', { class: 'button button-primary', type: 'submit', id: 'looks-save', text: t('looks.save') }),
      ),
    ),
  );
  sheet.querySelector('form').addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });
  doc.body.append(sheet);

  function close() {
    sheet.hidden = true;
  }

  /** Opens the sheet on look `id`, by default the open job's, else on the first look. */
  async function open(id = job?.current?.look) {
    say('');
    try {
      // The menus hold what the Rust side's look.toml takes (`app_choices`), once.
      if (!menusFilled) {
        const found = await ipc.appChoices();
        for (const menu of menus) {
          menu.element.replaceChildren(...(found[menu.choice] ?? []).map((value) => make('option', { value, text: menu.label(value) })));
        }
        menusFilled = true;
      }
      await list();
      await load(id && looks.some((look) => look.id === id) ? id : looks[0]?.id);
    } catch (error) {
      onError?.(error);
    }
    // Shown once it holds the look, so nothing typed before is lost to a late load.
    sheet.hidden = false;
  }

  return Object.freeze({ open, close, save: () => save() });
}
