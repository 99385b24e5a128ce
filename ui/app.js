// Wires the views to the IPC. `startApp` receives its IPC and translator, so the
// tests run it on jsdom with a mocked Tauri API.

import { h, iconButton } from './dom.js';
import { baseName } from './format.js';
import { errorNodes, errorText } from './errors.js';
import { toCommandError } from './ipc.js';
import { renderHeader } from './views/header.js';
import { renderHealth } from './views/health.js';
import { renderImport } from './views/import.js';
import { createModelsView } from './views/models.js';
import { createQueueView } from './views/queue.js';
import { createResultView } from './views/result.js';

/** A brush: the Looks sheet. */
const LOOKS_ICON = 'M4 20l5-5m1-7 6 6 5-5-6-6z';

/** Two sliders: the Settings sheet (a gear's outline cost 450 bytes of the start budget). */
const GEAR_ICON = 'M4 7h9m4 0h3M4 17h3m4 0h9M15 5v4M9 15v4';

/** Whether `path` ends in one of `extensions` (app_choices' `mediaExtensions`; the Rust side checks again). */
export function isMedia(path, extensions) {
  const match = /\.([^./\\]+)$/.exec(String(path));
  return Boolean(match && extensions.includes(match[1].toLowerCase()));
}

/** A file name without its folder and last extension, lower case: what pairs `talk.mp4` with `talk.txt`. */
const stem = (path) => baseName(path).replace(/\.[^.]*$/, '').toLowerCase();

/**
 * What a drop (or the Open dialog) queues: `{ jobs: [{ path, script }], rejected,
 * unpaired, pending }`. Voice-overs are the paths with a media extension (every
 * path when `mediaExtensions` is unknown: the Rust side decides), scripts those with
 * a script extension. A script goes with the voice-over of its stem (`talk.mp4` +
 * `talk.docx`, as in a watched folder), or with the only voice-over when exactly one
 * of each was dropped. The `pending` script (picked in the import area, or dropped on
 * its own earlier) goes with the first voice-over still without one. A script dropped
 * without any voice-over becomes the pending one; `pending` is what waits afterwards.
 * `rejected` and `unpaired` are file names: unsupported files, and scripts left over.
 */
export function planImports(paths, { mediaExtensions = null, scriptExtensions = [], pending = null } = {}) {
  const media = [];
  const scripts = [];
  const rejected = [];
  for (const path of paths) {
    if (isMedia(path, scriptExtensions ?? [])) scripts.push(path);
    else if (!mediaExtensions || isMedia(path, mediaExtensions)) media.push(path);
    else rejected.push(baseName(path));
  }
  const jobs = media.map((path) => ({ path, script: null }));
  if (jobs.length === 1 && scripts.length === 1) jobs[0].script = scripts.pop();
  for (const job of jobs) {
    const match = scripts.findIndex((script) => stem(script) === stem(job.path));
    if (match >= 0) [job.script] = scripts.splice(match, 1);
  }
  let next = pending;
  const bare = jobs.find((job) => !job.script);
  if (next && bare) {
    bare.script = next;
    next = null;
  }
  if (jobs.length === 0 && scripts.length === 1) next = scripts.pop();
  return { jobs, rejected, unpaired: scripts.map(baseName), pending: next };
}

/** The toast text for a `watch` event worth interrupting for, else null. */
export function watchNotice(event, t) {
  const name = baseName(event.path ?? event.dir ?? '');
  const error = event.error;
  const message = event.message ?? (typeof error === 'string' ? error : error ? errorText(error, t) : '');
  if (event.event === 'duplicate') {
    return event.original ? t('watch.duplicate', { name, original: baseName(event.original) }) : t('watch.duplicateSeen', { name });
  }
  if (event.event === 'failed') return t('watch.failed', { name, message });
  if (event.event === 'error') return t('watch.error', { message });
  return null;
}

/**
 * Renders the shell into `doc` and loads its data.
 * Resolves once the first load has finished (successfully or not).
 * `onLocale(locale)` is called when the person picks another language.
 */
export async function startApp({ doc, ipc, i18n, log = console, onLocale = () => {}, healthEveryMs = 5000 }) {
  const { t } = i18n;
  doc.documentElement.lang = i18n.locale;

  const toast = h(doc, 'div', { class: 'toast', id: 'toast', role: 'alert', hidden: true });
  doc.body.append(toast);
  let toastTimer = null;
  /** Shows `message` (text or nodes) in the toast for a while; `tone` is `error` or `notice`. */
  function notify(message, tone = 'notice') {
    toast.replaceChildren(...[message].flat());
    toast.dataset.tone = tone;
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      toast.hidden = true;
    }, 8000);
  }
  function showError(error) {
    notify(errorNodes(doc, error, t), 'error');
  }

  // What job settings may hold and which files the pipeline decodes, once per
  // start. Without them the menus show only the saved values, and every dropped
  // file goes to the Rust side, which refuses what it cannot decode.
  const choices = ipc.appChoices().catch((error) => {
    log.error('app_choices failed:', error);
    return null;
  });

  const localeSelect = doc.getElementById('locale-select');
  if (localeSelect) {
    localeSelect.value = i18n.locale;
    localeSelect.addEventListener('change', () => onLocale(localeSelect.value));
    const label = doc.getElementById('locale-label');
    if (label) label.textContent = t('header.language');
  }

  /**
   * `open(arg)` of a sheet that is a chunk of its own (build.mjs), made by `load()` on
   * first use; `after(sheet)` runs once it is open. A sheet that fails to load is tried
   * again on the next click.
   */
  function lazySheet(load, after) {
    let sheet = null;
    return async (arg) => {
      try {
        sheet ??= load();
        const made = await sheet;
        await made.open(arg);
        after?.(made);
      } catch (error) {
        sheet = null;
        showError(error);
      }
    };
  }

  // The settings sheet is a chunk of its own (build.mjs), loaded on the first click of
  // the gear. Until it has opened, `watch` events about files wait here (the latest
  // ones) for its "last file" lines; the folders' state comes fresh when it opens.
  const localeSlot = doc.querySelector('.locale-picker');
  let openedSheet = null;
  const earlyWatch = [];
  const openSettings = lazySheet(
    () => import('./views/settings.js').then(({ createSettings }) => createSettings(doc, { t, locale: i18n.locale, ipc, choices, onError: showError })),
    // Once it is open, events go straight to it: only the first open finds any waiting.
    (sheet) => {
      openedSheet = sheet;
      earlyWatch.splice(0).filter((event) => event.path).forEach(sheet.watchEvent);
    },
  );
  const settings = localeSlot && {
    watchEvent(event) {
      if (openedSheet) openedSheet.watchEvent(event);
      else if (earlyWatch.push(event) > 100) earlyWatch.shift();
    },
  };
  localeSlot?.after(iconButton(doc, t('settings.title'), GEAR_ICON, () => openSettings(), '', { id: 'open-settings' }));

  const result = createResultView(doc.getElementById('result-view'), { t, ipc, onError: showError });

  // The Looks sheet is a chunk of its own too, loaded on the first click of the palette. It
  // previews the open job's current slide, and the job's look menu lists what it saves.
  const openLooks = lazySheet(() => import('./views/looks.js').then(({ createLooks }) => createLooks(doc, { t, ipc, job: result, onError: showError })));
  localeSlot?.after(iconButton(doc, t('looks.title'), LOOKS_ICON, () => openLooks(), '', { id: 'open-looks' }));

  async function open(id) {
    try {
      result.show(await ipc.openJob(id));
      queue.select(id);
    } catch (error) {
      showError(error);
    }
  }

  /** A channel handler that buffers events until the job's id is known. */
  function follow() {
    let id = null;
    const early = [];
    const handle = (event) => {
      jobEvent(id, event);
      if (event.event === 'done' && result.jobId === null) {
        result.show(event.result);
        queue.select(id);
      }
    };
    return {
      onEvent: (event) => (id === null ? early.push(event) : handle(event)),
      started(record) {
        id = record.id;
        queue.upsert(record);
        early.splice(0).forEach(handle);
      },
    };
  }

  const queue = createQueueView(doc.getElementById('queue-view'), {
    t,
    onOpen: open,
    onCancel: (id) => ipc.cancelJob(id).catch(showError),
    async onRetry(id) {
      const tracker = follow();
      try {
        tracker.started(await ipc.retryJob(id, tracker.onEvent));
      } catch (error) {
        showError(error);
      }
    },
    async onRemove(id) {
      try {
        await ipc.removeJob(id);
        queue.remove(id);
        if (result.jobId === id) result.clear();
      } catch (error) {
        showError(error);
      }
    },
  });

  /** A job's event for the queue; a warning (low disk or memory: the job goes on) also as a notice. */
  function jobEvent(id, event) {
    queue.apply(id, event);
    if (event.event === 'warning') notify(t('job.warning', { name: queue.name(id), message: event.message ?? '' }));
  }

  /** The script waiting for the next voice-over (a path), or null. */
  let pendingScript = null;
  function setPendingScript(path) {
    pendingScript = path;
    importer.showScript(path ? baseName(path) : null);
  }

  /**
   * Queues every supported path, each voice-over with its script (`planImports`);
   * names the others in one message. A script that is refused (`invalid_script`)
   * queues nothing: the voice-over was meant to follow it.
   */
  async function importPaths(paths) {
    const found = await choices;
    const plan = planImports(paths, { mediaExtensions: found?.mediaExtensions, scriptExtensions: found?.scriptExtensions, pending: pendingScript });
    if (plan.pending !== pendingScript) setPendingScript(plan.pending);
    const { rejected } = plan;
    for (const { path, script } of plan.jobs) {
      const tracker = follow();
      try {
        tracker.started(await ipc.startJob(path, tracker.onEvent, script));
      } catch (error) {
        const failure = toCommandError(error);
        if (failure.kind === 'unsupported_media') rejected.push(baseName(path));
        else showError(failure);
      }
    }
    importer.showRejected(rejected, plan.unpaired);
  }

  const importer = renderImport(doc.getElementById('import-view'), {
    t,
    async onOpen() {
      try {
        await importPaths(await ipc.pickMediaFiles());
      } catch (error) {
        showError(error);
      }
    },
    async onPickScript() {
      try {
        const path = await ipc.pickScriptFile();
        if (path) setPendingScript(path);
      } catch (error) {
        showError(error);
      }
    },
    onClearScript: () => setPendingScript(null),
  });
  const dropping = ipc
    .onFileDrop(
      (paths) => {
        importer.setHover(false);
        importPaths(paths);
      },
      (over) => importer.setHover(over),
    )
    .catch((error) => log.error('drag-drop listener failed:', error));

  // Jobs the app starts on its own (watched folders) arrive as app-wide events;
  // their results are not opened, since nobody asked for them just now.
  const appEvents = ipc
    .onAppEvents({
      onJobAdded: (record) => queue.upsert(record),
      onJobEvent: jobEvent,
      onWatch(event) {
        settings?.watchEvent(event);
        const notice = watchNotice(event, t);
        if (notice) notify(notice);
      },
    })
    .catch((error) => log.error('app event listeners failed:', error));

  // A refresh can start while an earlier load is still running: only the
  // latest one may update the panel.
  let latestLoad = 0;
  /** Runs a model-store action, then shows the new list (or the error). */
  async function modelAction(action) {
    try {
      await action();
    } catch (error) {
      // A cancelled download is what the person asked for, not a failure.
      if (toCommandError(error).kind !== 'cancelled') showError(error);
    }
    await loadModels();
  }
  const models = createModelsView(doc.getElementById('models-view'), {
    ...i18n,
    onRefresh: () => loadModels(),
    onDownload: (name, setProgress) =>
      modelAction(() =>
        ipc.downloadModel(name, (event) => {
          if (event.event === 'progress') setProgress(event.fraction);
        }),
      ),
    onCancelDownload: (name) => ipc.cancelDownload(name).catch(showError),
    onRemove: (name) => modelAction(() => ipc.removeModel(name)),
    onImport: () => modelAction(() => ipc.importModel()),
    onImportCt2: () => modelAction(() => ipc.importCt2Model()),
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

  const restored = ipc
    .listJobs()
    .then((records) => records.forEach((record) => queue.upsert(record)))
    .catch((error) => log.error('list_jobs failed:', error));

  const header = ipc
    .appInfo()
    .then((info) => renderHeader(doc, info, i18n))
    // The static name in index.html stays; only the version is missing.
    .catch((error) => log.error('app_info failed:', error));

  const healthView = doc.getElementById('health-view');
  async function refreshHealth() {
    try {
      renderHealth(healthView, await ipc.getHealth(), i18n);
    } catch (error) {
      // The readout is informative only; a failed sample leaves the last one.
      log.error('get_health failed:', error);
    }
  }
  const health = healthView ? refreshHealth() : Promise.resolve();
  if (healthView && healthEveryMs > 0) setInterval(refreshHealth, healthEveryMs);

  const formats = choices.then((found) => importer.showFormats(found?.mediaExtensions ?? []));

  await Promise.all([header, loadModels(), restored, dropping, appEvents, health, formats]);
  return Object.freeze({ reloadModels: loadModels, importPaths, open, openSettings });
}
