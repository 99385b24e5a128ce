// Test helpers: a jsdom window with the app's real index.html, and the Tauri
// API (`{ core }` from @tauri-apps/api) answering through `mockIPC`.

import { readFile } from 'node:fs/promises';
import { JSDOM } from 'jsdom';
import * as core from '@tauri-apps/api/core';
import * as event from '@tauri-apps/api/event';
import { clearMocks, mockConvertFileSrc, mockIPC } from '@tauri-apps/api/mocks';

const INDEX_HTML = await readFile(new URL('../index.html', import.meta.url), 'utf8');

/**
 * Loads index.html into a fresh jsdom window (its scripts are not run) and
 * makes it the global `window`, which the IPC mocks write to.
 * `handler(command, args)` answers every `invoke`; throwing rejects it.
 * Returns the document and the Tauri API object to give `createIpc`.
 */
export function mockTauri(handler) {
  const dom = new JSDOM(INDEX_HTML);
  globalThis.window = dom.window;
  // Event mocking lets tests `emit('tauri://drag-drop', ...)` as the window would.
  mockIPC(handler, { shouldMockEvents: true });
  mockConvertFileSrc('linux');
  return { doc: dom.window.document, tauri: { core, event } };
}

/** Undoes `mockTauri`. */
export function resetTauri() {
  if (globalThis.window) {
    clearMocks();
    globalThis.window.close();
    delete globalThis.window;
  }
}

/** Visible text of an element, whitespace collapsed. */
export function text(element) {
  return element.textContent.replace(/\s+/g, ' ').trim();
}

/** What `app_choices` answers, in the Rust side's shape (a few of Whisper's languages). */
export const APP_CHOICES = {
  mediaExtensions: ['mp4', 'mov', 'mkv', 'webm', 'mp3', 'm4a', 'aac', 'wav', 'flac', 'ogg', 'opus'],
  scriptExtensions: ['txt', 'md', 'markdown', 'docx'],
  aspects: ['16:9', '1:1', '9:16'],
  themes: ['classic', 'dark'],
  formats: ['mp4', 'srt', 'vtt', 'txt', 'json', 'ass'],
  logoPositions: ['top-left', 'top', 'top-right', 'left', 'center', 'right', 'bottom-left', 'bottom', 'bottom-right'],
  barPositions: ['bottom', 'top'],
  wordHighlights: ['keywords', 'active', 'both'],
  subtitleModes: ['slides', 'segments'],
  languages: [
    { code: 'auto', name: '' },
    { code: 'en', name: 'english' },
    { code: 'zh', name: 'chinese' },
    { code: 'de', name: 'german' },
    { code: 'es', name: 'spanish' },
    { code: 'pt', name: 'portuguese' },
    { code: 'ht', name: 'haitian creole' },
  ],
  maxThreads: 16,
};
