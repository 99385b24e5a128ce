// The import area: a drop target for Tauri's drag-drop events (which carry real
// paths) and an Open button for the native dialog. Both end in `onFiles(paths)`.

import { h, icon } from '../dom.js';

// An arrow into a tray.
const IMPORT_ICON = 'M12 3v12m0 0-4.5-4.5M12 15l4.5-4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3';

/** Renders the drop zone; returns `setHover(bool)`, `showFormats(extensions)` and `showRejected(names)`. */
export function renderImport(container, { t, onOpen }) {
  const doc = container.ownerDocument;
  const zone = h(doc, 'div', { class: 'drop-zone', 'data-state': 'idle' });
  const notice = h(doc, 'p', { class: 'drop-rejected', role: 'alert', hidden: true });
  const formats = h(doc, 'p', { class: 'drop-formats', hidden: true });
  zone.append(
    h(doc, 'div', { class: 'drop-icon' }, icon(doc, IMPORT_ICON)),
    h(doc, 'h2', { class: 'drop-title', text: t('import.title') }),
    formats,
    h(doc, 'button', {
      class: 'button button-primary',
      type: 'button',
      id: 'open-files',
      text: t('import.open'),
      onClick: () => onOpen(),
    }),
    notice,
  );
  container.replaceChildren(zone);
  return Object.freeze({
    setHover: (over) => zone.setAttribute('data-state', over ? 'over' : 'idle'),
    /** Lists what the pipeline decodes (app_choices' `mediaExtensions`); none hides the line. */
    showFormats(extensions) {
      formats.hidden = extensions.length === 0;
      formats.textContent = t('import.formats', { formats: extensions.join(', ').toUpperCase() });
    },
    showRejected(names) {
      notice.hidden = names.length === 0;
      notice.textContent = names.length ? t('import.rejected', { names: names.join(', ') }) : '';
    },
  });
}
