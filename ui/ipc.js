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
 * Wraps a Tauri API object (`window.__TAURI__`, or `{ core }` from
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

  return Object.freeze({
    /** @returns {Promise<{name: string, version: string}>} */
    appInfo: () => call('app_info'),
    /** @returns {Promise<Array<ModelEntry>>} see `vsl_core::models::ModelEntry` */
    listModels: () => call('list_models'),
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
 */
