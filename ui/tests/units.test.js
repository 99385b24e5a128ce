import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatBytes } from '../format.js';
import { MESSAGES, createI18n, pickLocale } from '../i18n.js';
import { CommandError, createIpc, toCommandError } from '../ipc.js';

test('pickLocale maps every Portuguese tag to pt-BR and the rest to English', () => {
  const cases = [
    ['pt-BR', 'pt-BR'],
    ['pt', 'pt-BR'],
    ['pt-PT', 'pt-BR'],
    ['PT-br', 'pt-BR'],
    ['en-US', 'en'],
    ['fr-FR', 'en'],
    ['', 'en'],
    [undefined, 'en'],
  ];
  for (const [language, expected] of cases) {
    assert.equal(pickLocale(language), expected, `pickLocale(${language})`);
  }
});

test('t fills parameters and shows unknown keys as themselves', () => {
  const { t } = createI18n('en');
  assert.equal(t('error.code', { kind: 'io' }), 'Error code: io');
  assert.equal(t('error.code'), 'Error code: {kind}');
  assert.equal(t('no.such.key'), 'no.such.key');
});

test('both locales define the same keys', () => {
  const english = Object.keys(MESSAGES.en).sort();
  for (const [locale, messages] of Object.entries(MESSAGES)) {
    assert.deepEqual(Object.keys(messages).sort(), english, `keys of ${locale}`);
  }
});

test('formatBytes uses binary units and the locale', () => {
  const cases = [
    [0, 'en', ''],
    [-1, 'en', ''],
    [Number.NaN, 'en', ''],
    [512, 'en', '512 B'],
    [1536, 'en', '1.5 KiB'],
    [142 * 1024 * 1024, 'en', '142 MiB'],
    [1.5 * 1024 ** 3, 'en', '1.5 GiB'],
    [1.5 * 1024 ** 3, 'pt-BR', '1,5 GiB'],
    [3 * 1024 ** 3, 'en', '3 GiB'],
  ];
  for (const [bytes, locale, expected] of cases) {
    assert.equal(formatBytes(bytes, locale), expected, `formatBytes(${bytes}, ${locale})`);
  }
});

test('toCommandError keeps {kind, message} and wraps anything else', () => {
  const fromCommand = toCommandError({ kind: 'disk_full', message: 'no space left' });
  assert.ok(fromCommand instanceof CommandError);
  assert.equal(fromCommand.kind, 'disk_full');
  assert.equal(fromCommand.message, 'no space left');

  assert.equal(toCommandError('denied').kind, 'unknown');
  assert.equal(toCommandError(new TypeError('bad')).message, 'bad');
});

test('without the Tauri bridge every call rejects with ipc_unavailable', async () => {
  const ipc = createIpc(undefined);
  await assert.rejects(ipc.listModels(), (error) => error.kind === 'ipc_unavailable');
});

test('commands are invoked by their Rust names', async () => {
  const invoked = [];
  const ipc = createIpc({ core: { invoke: async (command) => invoked.push(command) } });
  await ipc.appInfo();
  await ipc.listModels();
  assert.deepEqual(invoked, ['app_info', 'list_models']);
});

test('every vsl_core::ErrorKind has a text in both locales', async () => {
  const { readFile } = await import('node:fs/promises');
  const source = await readFile(new URL('../../crates/vsl-core/src/error.rs', import.meta.url), 'utf8');
  const codes = [...source.matchAll(/^\s*\w+ => "(\w+)",$/gm)].map((match) => match[1]);
  assert.ok(codes.length > 40, `found the kinds in error.rs (${codes.length})`);
  for (const [locale, messages] of Object.entries(MESSAGES)) {
    assert.deepEqual(codes.filter((code) => !messages[`error.kind.${code}`]), [], `kinds without a ${locale} text`);
  }
});

test('describeError: the translated kind, the message as detail; unknown kinds show the message', async () => {
  const { describeError } = await import('../errors.js');
  const { t } = createI18n('pt-BR');
  assert.deepEqual(describeError({ kind: 'exists', message: '/out/a.mp4 exists' }, t), {
    kind: 'exists',
    title: 'Já existe um arquivo com esse nome',
    detail: '/out/a.mp4 exists',
  });
  assert.deepEqual(describeError({ kind: 'bad_folder', message: 'old code' }, t), { kind: 'bad_folder', title: 'old code', detail: '' });
  assert.deepEqual(describeError('denied', t), { kind: 'unknown', title: 'denied', detail: '' });
});
