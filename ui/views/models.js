// The Models panel: installed Whisper models and the catalog's downloadable
// ones, with loading and error states.

import { h, iconButton, ICONS } from '../dom.js';
import { errorNodes } from '../errors.js';
import { formatBytes } from '../format.js';

// Two arrows chasing each other.

/**
 * Builds the panel inside `container` and returns its three states.
 * `onRefresh` runs when the user asks to reload (refresh or retry buttons).
 */
const DOWNLOAD_ICON = 'M12 4v11m0 0-4-4m4 4 4-4M5 20h14';

export function createModelsView(container, { t, locale, onRefresh, onDownload, onCancelDownload, onRemove, onImport, onImportCt2 }) {
  const doc = container.ownerDocument;
  const make = (...args) => h(doc, ...args);

  const refresh = iconButton(doc, t('models.refresh'), ICONS.refresh, () => onRefresh());

  const body = make('div', { class: 'panel-body' });

  const footer = (onImport || onImportCt2) && make(
    'footer',
    { class: 'panel-footer' },
    onImport && make('button', { class: 'button', id: 'import-model', text: t('models.import'), onClick: () => onImport() }),
    onImportCt2 && make('button', { class: 'button', id: 'import-ct2', text: t('models.importCt2'), onClick: () => onImportCt2() }),
  );
  container.replaceChildren(
    make(
      'header',
      { class: 'panel-header' },
      make(
        'div',
        {},
        make('h2', { class: 'panel-title', text: t('models.title') }),
        make('p', { class: 'panel-subtitle', text: t('models.subtitle') }),
      ),
      refresh,
    ),
    body,
    footer,
  );

  function setBusy(busy) {
    refresh.disabled = busy;
    container.setAttribute('aria-busy', String(busy));
  }

  function tags(model) {
    return [
      model.isDefault && make('span', { class: 'badge badge-accent', text: t('models.default') }),
      // For the device jobs run on (vsl_core::models::recommend).
      model.recommended && make('span', { class: 'badge badge-ok', text: t('models.recommended') }),
      make('span', {
        class: 'badge',
        text: t(model.multilingual ? 'models.multilingual' : 'models.englishOnly'),
      }),
      model.quantization && make('span', { class: 'badge badge-mono', text: model.quantization }),
      !model.inCatalog && make('span', { class: 'badge', text: t('models.custom') }),
    ];
  }

  function row(model) {
    return make(
      'li',
      { class: 'model', 'data-model': model.name, title: model.path ?? undefined },
      make(
        'div',
        { class: 'model-main' },
        make('span', { class: 'model-name', text: model.name }),
        make('span', { class: 'model-tags' }, tags(model)),
      ),
      make('span', { class: 'model-size', text: formatBytes(model.sizeBytes, locale) }),
      modelAction(model),
    );
  }

  /** The row's button: remove an installed model, download a catalog one. */
  function modelAction(model) {
    const handler = model.installed ? onRemove : onDownload;
    if (!handler) return null;
    const label = t(model.installed ? 'models.remove' : 'models.download', { name: model.name });
    const button = iconButton(doc, label, model.installed ? ICONS.remove : DOWNLOAD_ICON, null, `model-${model.installed ? 'remove' : 'download'}`);
    button.addEventListener('click', () => {
      button.disabled = true;
      const bar = make('div', { class: 'progress model-progress' }, make('div', { class: 'progress-fill' }));
      button.closest('.model')?.querySelector('.model-main')?.append(bar);
      const setProgress = (fraction) => {
        bar.firstChild.style.width = `${Math.round(fraction * 100)}%`;
      };
      // A download can be stopped; its partial file stays for the next try.
      let cancel = null;
      if (!model.installed && onCancelDownload) {
        const label = t('models.cancelDownload', { name: model.name });
        cancel = iconButton(doc, label, ICONS.close, () => onCancelDownload(model.name), 'model-cancel');
        button.after(cancel);
      }
      Promise.resolve(handler(model.name, setProgress)).finally(() => {
        button.disabled = false;
        bar.remove();
        cancel?.remove();
      });
    });
    return button;
  }

  function group(id, title, models, emptyText) {
    return make(
      'section',
      { class: 'model-group', 'data-group': id },
      make(
        'h3',
        { class: 'group-title' },
        title,
        make('span', { class: 'group-count', text: String(models.length) }),
      ),
      models.length > 0
        ? make('ul', { class: 'model-list' }, models.map(row))
        : make('p', { class: 'empty', text: emptyText }),
    );
  }

  return Object.freeze({
    showLoading() {
      setBusy(true);
      body.replaceChildren(
        make(
          'p',
          { class: 'loading' },
          make('span', { class: 'spinner', 'aria-hidden': 'true' }),
          t('models.loading'),
        ),
      );
    },

    /** @param {import('../ipc.js').ModelEntry[]} models */
    showModels(models) {
      setBusy(false);
      const installed = models.filter((model) => model.installed);
      // The recommended model leads the downloads.
      const available = models.filter((model) => !model.installed && model.inCatalog).sort((a, b) => !a.recommended - !b.recommended);
      body.replaceChildren(
        group('installed', t('models.installed'), installed, t('models.noneInstalled')),
        group('available', t('models.available'), available, t('models.noneAvailable')),
      );
    },

    /** @param {import('../ipc.js').CommandError} error */
    showError(error) {
      setBusy(false);
      body.replaceChildren(
        make(
          'div',
          { class: 'error', role: 'alert', 'data-kind': error.kind },
          make('p', { class: 'error-title', text: t('models.error') }),
          make('p', { class: 'error-message' }, errorNodes(doc, error, t)),
          make('p', { class: 'error-kind', text: t('error.code', { kind: error.kind }) }),
          make('button', {
            class: 'button',
            text: t('models.retry'),
            onClick: () => onRefresh(),
          }),
        ),
      );
    },
  });
}
