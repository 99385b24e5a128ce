// The import area. It only shows where voice-overs will be dropped; the drop
// handling (Tauri's `onDragDropEvent`, which carries real file paths) and the
// job queue that replaces this placeholder come next.

import { h, icon } from '../dom.js';

// An arrow into a tray.
const IMPORT_ICON = 'M12 3v12m0 0-4.5-4.5M12 15l4.5-4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3';

export function renderImport(container, { t }) {
  const doc = container.ownerDocument;
  container.replaceChildren(
    h(
      doc,
      'div',
      { class: 'drop-zone', 'data-state': 'idle' },
      h(doc, 'div', { class: 'drop-icon' }, icon(doc, IMPORT_ICON)),
      h(doc, 'h2', { class: 'drop-title', text: t('import.title') }),
      h(doc, 'p', { class: 'drop-formats', text: t('import.formats') }),
      h(doc, 'p', { class: 'drop-note', text: t('import.unavailable') }),
    ),
  );
}
