// The import area: a drop target for Tauri's drag-drop events (which carry real
// paths), an Open button for the native dialog, and the script for the next
// voice-over (picked here, or dropped on its own). Both imports end in the app's
// `importPaths(paths)`, which also pairs voice-overs with scripts dropped with them.

import { h, icon, iconButton, ICONS } from '../dom.js';

// An arrow into a tray.
const IMPORT_ICON = 'M12 3v12m0 0-4.5-4.5M12 15l4.5-4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3';

/**
 * Renders the drop zone; returns `setHover(bool)`, `showFormats(extensions)`,
 * `showRejected(names, unpaired)` and `showScript(name)` (null: none waiting).
 */
export function renderImport(container, { t, onOpen, onPickScript = () => {}, onClearScript = () => {} }) {
  const doc = container.ownerDocument;
  const zone = h(doc, 'div', { class: 'drop-zone', 'data-state': 'idle' });
  const notice = h(doc, 'p', { class: 'drop-rejected', role: 'alert', hidden: true });
  const formats = h(doc, 'p', { class: 'drop-formats', hidden: true });
  const pickScript = h(doc, 'button', { class: 'button', id: 'pick-script', text: t('import.script'), onClick: () => onPickScript() });
  const scriptName = h(doc, 'span', { class: 'drop-script-name', id: 'next-script' });
  const clearScript = iconButton(doc, t('import.scriptClear'), ICONS.close, () => onClearScript(), '', { id: 'clear-script' });
  const waiting = h(doc, 'p', { class: 'drop-script', hidden: true }, scriptName, clearScript);
  zone.append(
    h(doc, 'div', { class: 'drop-icon' }, icon(doc, IMPORT_ICON)),
    h(doc, 'h2', { class: 'drop-title', text: t('import.title') }),
    formats,
    h(doc, 'button', {
      class: 'button button-primary',
      id: 'open-files',
      text: t('import.open'),
      onClick: () => onOpen(),
    }),
    pickScript,
    waiting,
    h(doc, 'p', { class: 'drop-note', text: t('import.scriptHint') }),
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
    /** Names the files that were not imported: unsupported ones, and scripts no voice-over came with. */
    showRejected(names, unpaired = []) {
      const lines = [
        names.length > 0 && t('import.rejected', { names: names.join(', ') }),
        unpaired.length > 0 && t('import.unpaired', { names: unpaired.join(', ') }),
      ].filter(Boolean);
      notice.hidden = lines.length === 0;
      notice.textContent = lines.join(' ');
    },
    /** The script waiting for the next voice-over, or null. */
    showScript(name) {
      waiting.hidden = !name;
      scriptName.textContent = name ? t('import.scriptNext', { name }) : '';
      pickScript.hidden = Boolean(name);
    },
  });
}
