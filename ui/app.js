// Wires the views to the IPC. `startApp` receives its IPC and translator, so the
// tests run it on jsdom with a mocked Tauri API.

import { toCommandError } from './ipc.js';
import { renderHeader } from './views/header.js';
import { renderImport } from './views/import.js';
import { createModelsView } from './views/models.js';

/**
 * Renders the shell into `doc` and loads its data.
 * Resolves once the first load has finished (successfully or not).
 */
export async function startApp({ doc, ipc, i18n, log = console }) {
  doc.documentElement.lang = i18n.locale;

  renderImport(doc.getElementById('import-view'), i18n);

  // A refresh can start while an earlier load is still running: only the
  // latest one may update the panel.
  let latestLoad = 0;
  const models = createModelsView(doc.getElementById('models-view'), {
    ...i18n,
    onRefresh: () => loadModels(),
  });

  async function loadModels() {
    const load = ++latestLoad;
    models.showLoading();
    try {
      const entries = await ipc.listModels();
      if (load === latestLoad) models.showModels(entries);
    } catch (error) {
      if (load === latestLoad) models.showError(toCommandError(error));
    }
  }

  const header = ipc
    .appInfo()
    .then((info) => renderHeader(doc, info, i18n))
    // The static name in index.html stays; only the version is missing.
    .catch((error) => log.error('app_info failed:', error));

  await Promise.all([header, loadModels()]);
  return Object.freeze({ reloadModels: loadModels });
}
