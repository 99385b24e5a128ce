// The only module that touches `window.__TAURI__`. Everything else receives the
// object returned by `createIpc`, so tests can hand in a mocked Tauri API.

/**
 * An error from a command, as the Rust side serializes `CommandError`.
 * `kind` is a stable code the UI can branch on; `message` is English detail.
 */
export class CommandError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = 'CommandError';
    this.kind = kind;
  }
}

/** Turns whatever `invoke` rejected with into a `CommandError`. */
export function toCommandError(error) {
  if (error instanceof CommandError) return error;
  if (error && typeof error === 'object' && typeof error.kind === 'string') {
    return new CommandError(error.kind, String(error.message ?? ''));
  }
  // Tauri itself rejects with plain strings, e.g. when a capability is missing.
  const message = error instanceof Error ? error.message : String(error);
  return new CommandError('unknown', message);
}

/**
 * Wraps a Tauri API object (`window.__TAURI__`, or `{ core, event }` from
 * `@tauri-apps/api` in tests) into the app's typed commands.
 * Every method returns a promise that rejects with a `CommandError`.
 */
export function createIpc(tauri) {
  const invoke = tauri?.core?.invoke;

  async function call(command, args) {
    if (typeof invoke !== 'function') {
      throw new CommandError(
        'ipc_unavailable',
        'The Tauri IPC bridge is missing: this page only works inside VSL Studio.',
      );
    }
    try {
      return await invoke(command, args);
    } catch (error) {
      throw toCommandError(error);
    }
  }

  /** `tauri.event.listen`, or null outside the app (nothing to listen to then). */
  const listen = typeof tauri?.event?.listen === 'function' ? tauri.event.listen : null;

  /** A channel whose messages go to `onEvent` (one per job or export). */
  function channel(onEvent) {
    const created = new tauri.core.Channel();
    created.onmessage = onEvent;
    return created;
  }

  return Object.freeze({
    /** @returns {Promise<{name: string, version: string}>} */
    appInfo: () => call('app_info'),
    /** @returns {Promise<AppChoices>} what job settings may hold, from the Rust side */
    appChoices: () => call('app_choices'),
    /** @returns {Promise<Array<ModelEntry>>} see `vsl_core::models::ModelEntry` */
    listModels: () => call('list_models'),
    downloadModel: (name, onEvent) => call('download_model', { name, onProgress: channel(onEvent) }),
    /** Stops a running download (it rejects with kind `cancelled`); the `.part` file stays. */
    cancelDownload: (name) => call('cancel_download', { name }),
    /** Opens a file dialog in Rust; resolves to the imported name or null. */
    importModel: () => call('import_model'),
    importCt2Model: () => call('import_ct2_model'),
    removeModel: (name) => call('remove_model', { name }),
    /**
     * Queues `path`, with the copywriter's script when `script` names one (refused
     * with `invalid_script` before anything is queued); `onEvent` gets the job's
     * `JobEvent`s. Resolves to its `JobRecord`.
     */
    startJob: (path, onEvent, script = null) => call('start_job', { path, script, onProgress: channel(onEvent) }),
    retryJob: (id, onEvent) => call('retry_job', { id, onProgress: channel(onEvent) }),
    cancelJob: (id) => call('cancel_job', { id }),
    removeJob: (id) => call('remove_job', { id }),
    listJobs: () => call('list_jobs'),
    /** @returns {Promise<DeckView>} */
    openJob: (id) => call('open_job', { id }),
    /** @returns {Promise<{path: string, url: string|null}>} the rendition, and its loopback URL */
    previewAudio: (id) => call('preview_audio', { id }),
    /** `edit` is `{ op: 'setText' | 'mergeNext' | 'split' | 'nudge' | 'toggleHighlight', index, ... }`. */
    editSlide: (id, edit) => call('edit_slide', { id, edit }),
    stepHistory: (id, step) => call('step_history', { id, step }),
    /**
     * Cuts a finished job's slides again in its script's words, from the kept
     * transcript. `script` is `{ from: 'file', path }` or `{ from: 'pasted', text }`;
     * the old deck goes on Undo. Rejects with `invalid_script` / `script_mismatch`.
     * @returns {Promise<DeckView>}
     */
    setJobScript: (id, script) => call('set_job_script', { id, script }),
    /** `choices`: `{ music, musicVolume, duck, output, captionPosition }` (music null: the voice alone). */
    exportDeck: (id, folder, formats, choices, onEvent) =>
      call('export_deck', { id, folder, formats, choices, onProgress: channel(onEvent) }),
    showInFolder: (path) => call('show_in_folder', { path }),
    pickMediaFiles: () => call('pick_media_files'),
    pickExportFolder: () => call('pick_export_folder'),
    /** The Open dialog for a script (.txt, .md, .docx); resolves to its path or null. */
    pickScriptFile: () => call('pick_script_file'),
    pickMusicFile: () => call('pick_music_file'),
    /** The Open dialog for a look's `kind` ('font' or 'image'), checked in Rust; its path or null. */
    pickLookAsset: (kind) => call('pick_look_asset', { kind }),
    /** @returns {Promise<Array<{id: string, name: string, source: string, dir?: string, error?: string}>>} */
    listLooks: () => call('list_looks'),
    /** @returns {Promise<{id: string, saved: boolean, look: object}>} `look` is look.toml as JSON. */
    getLook: (id) => call('get_look', { id }),
    /** `request`: `{ id, look, from, replace }`; resolves to the saved look's id. */
    saveLook: (request) => call('save_look', { request }),
    deleteLook: (id) => call('delete_look', { id }),
    /** `request`: `{ look, from, text, preset }`; resolves to a PNG path (see `fileUrl`). */
    previewLook: (request) => call('preview_look', { request }),
    /** Draws a finished job's slides again with `look`; resolves to the new DeckView. */
    setJobLook: (id, look) => call('set_job_look', { id, look }),
    /** @returns {Promise<object>} `vsl_core::health::Health` (camelCase). */
    getHealth: () => call('get_health'),
    getSettings: () => call('get_settings'),
    saveSettings: (settings) => call('save_settings', { settings }),
    /** 'Always replace `from` with `to`' in every later job. */
    addGlossaryRule: (from, to) => call('add_glossary_rule', { from, to }),
    /** @returns {Promise<{path: string, reviewThreshold: number|null, rules: Array<{from: string[], to: string, highlight: boolean, accentInsensitive: boolean}>}>} */
    getGlossary: () => call('get_glossary'),
    /** `glossary` has the shape `getGlossary` resolves to, without `path`. */
    saveGlossary: (glossary) => call('save_glossary', { glossary }),
    /** @returns {Promise<{removedByAge: number, removedBySize: number, freedBytes: number, kept: number, keptBytes: number}>} */
    cleanupCache: () => call('cleanup_cache'),
    showLog: () => call('show_log'),
    /** @returns {Promise<{folders: Array<{dir: string, state: string, message: string|null}>, error: string|null}>} */
    getWatchStatus: () => call('get_watch_status'),
    /** A URL the webview can load for a file the app granted (asset protocol). */
    fileUrl: (path) => (tauri?.core?.convertFileSrc ? tauri.core.convertFileSrc(path) : path),
    /**
     * A URL the `<audio>` element can play for `path`. WebKitGTK hands media URLs
     * straight to GStreamer, which cannot read the asset protocol (WebKit bug
     * 146351), so the file is fetched through the protocol and played from a blob.
     * Only for files the media server does not serve (`previewAudio`'s `url`).
     * Falls back to the asset URL where fetching fails.
     */
    mediaUrl: async (path) => {
      let url = path;
      try {
        url = tauri?.core?.convertFileSrc ? tauri.core.convertFileSrc(path) : path;
        const response = await globalThis.fetch(url);
        if (!response.ok) return url;
        return URL.createObjectURL(await response.blob());
      } catch {
        return url;
      }
    },
    /**
     * Calls `handler(paths)` when files are dropped on the window, and
     * `onHover(bool)` while a drag is over it. Tauri's drag-drop events carry
     * real paths; HTML5 drop events do not reach the page.
     */
    onFileDrop: async (handler, onHover = () => {}) => {
      if (!listen) return;
      await listen('tauri://drag-drop', (event) => handler(event.payload?.paths ?? []));
      await listen('tauri://drag-enter', () => onHover(true));
      await listen('tauri://drag-leave', () => onHover(false));
    },
    /**
     * App-wide events, for jobs the app started on its own (watched folders):
     * `onJobAdded(jobRecord)` on `job-added`, `onJobEvent(id, jobEvent)` on
     * `job-event`, `onWatch(watchEvent)` on `watch`.
     */
    onAppEvents: async ({ onJobAdded, onJobEvent, onWatch }) => {
      if (!listen) return;
      await listen('job-added', (event) => onJobAdded(event.payload));
      await listen('job-event', (event) => onJobEvent(event.payload?.id, event.payload?.event ?? {}));
      await listen('watch', (event) => onWatch(event.payload ?? {}));
    },
  });
}

/** The IPC of the running app (`withGlobalTauri` exposes `window.__TAURI__`). */
export function connectIpc() {
  return createIpc(globalThis.window?.__TAURI__);
}

/**
 * @typedef {object} ModelEntry
 * @property {string} name
 * @property {boolean} installed
 * @property {string|null} path
 * @property {number} sizeBytes
 * @property {boolean} multilingual
 * @property {boolean} isDefault
 * @property {boolean} inCatalog
 * @property {string} quantization
 * @property {boolean} recommended the model for the device jobs run on (vsl_core::models::recommend)
 *
 * @typedef {object} AppChoices
 * @property {string[]} mediaExtensions lower case, without the dot
 * @property {string[]} scriptExtensions a script's, lower case, without the dot
 * @property {string[]} aspects
 * @property {string[]} themes
 * @property {string[]} formats
 * @property {string[]} subtitleModes
 * @property {Array<{code: string, name: string}>} languages Whisper's, `auto` first
 * @property {number} maxThreads
 *
 * @typedef {object} DeckView
 * @property {string} jobId
 * @property {string} audio
 * @property {string} slidesDir
 * @property {{duration: number, slides: Array<{index: number, start: number, end: number, text: string, highlights: string[], image: string}>}} deck
 * @property {Array<object>} review words to check (`vsl_core::correct::ReviewWord`)
 * @property {{script: string, lines: Array<object>, words: Array<object>, unscripted: Array<object>}|null} alignment
 *   how the script lined up (`alignment.json`, docs/formats.md), null without a script
 * @property {boolean} canUndo
 * @property {boolean} canRedo
 */
