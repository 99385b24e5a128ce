// Entry point of the bundled UI (see build.mjs): connects to the real Tauri IPC
// and starts the app in the user's language.

import { startApp } from './app.js';
import { createI18n } from './i18n.js';
import { connectIpc } from './ipc.js';

startApp({
  doc: document,
  ipc: connectIpc(),
  i18n: createI18n(navigator.language),
});
