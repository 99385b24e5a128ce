// Entry point of the bundled UI (see build.mjs): connects to the real Tauri IPC
// and starts the app in the chosen language, else the OS one.

import { startApp } from './app.js';
import { createI18n } from './i18n.js';
import { connectIpc } from './ipc.js';

const LOCALE_KEY = 'vsl.locale';

startApp({
  doc: document,
  ipc: connectIpc(),
  i18n: createI18n(localStorage.getItem(LOCALE_KEY) ?? navigator.language),
  onLocale(locale) {
    // Every view renders its strings once; a reload redraws them all, and the
    // queue and open jobs live in the Rust side, so nothing is lost.
    localStorage.setItem(LOCALE_KEY, locale);
    location.reload();
  },
});
