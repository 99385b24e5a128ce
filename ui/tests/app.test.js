import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { startApp } from '../app.js';
import { createI18n } from '../i18n.js';
import { createIpc } from '../ipc.js';
import { APP_CHOICES, mockTauri, resetTauri, text } from './dom.js';

const MIB = 1024 * 1024;

const APP_INFO = { name: 'VSL Studio', version: '0.1.0' };

// The shape `get_health` returns (vsl_core::health::Health, camelCase).
const HEALTH = {
  cpuPercent: 23.4,
  cpuCores: 2,
  memoryTotal: 16 * 1024 * MIB,
  memoryAvailable: 12 * 1024 * MIB,
  processRss: 200 * MIB,
  processPeakRss: null,
  model: { name: 'tiny.en', path: '/m/ggml-tiny.en.bin', bytes: 75 * MIB },
  cacheDir: '/cache',
  cacheBytes: 12 * MIB,
  outputDir: '/data',
  diskFree: null,
  backend: 'cpu',
};

// The shape `list_models` returns (vsl_core::models::ModelEntry, camelCase).
const MODELS = [
  {
    name: 'base',
    installed: true,
    path: '/models/ggml-base.bin',
    sizeBytes: 142 * MIB,
    multilingual: true,
    isDefault: true,
    inCatalog: true,
    quantization: 'f16',
    source: 'download',
  },
  {
    name: 'tiny.en',
    installed: false,
    path: null,
    sizeBytes: 75 * MIB,
    multilingual: false,
    isDefault: false,
    inCatalog: true,
    quantization: 'f16',
    source: null,
  },
  {
    name: 'large-v3-turbo-q5_0',
    installed: false,
    path: null,
    sizeBytes: 547 * MIB,
    multilingual: true,
    isDefault: false,
    inCatalog: true,
    quantization: 'q5_0',
    source: null,
    recommended: true,
  },
  {
    name: 'my-finetune',
    installed: true,
    path: '/models/ggml-my-finetune.bin',
    sizeBytes: 1.5 * 1024 * MIB,
    multilingual: true,
    isDefault: false,
    inCatalog: false,
    quantization: 'q8_0',
    source: 'import',
  },
];

/** Starts the app on jsdom with `handler` answering the IPC. */
async function start(handler, language = 'en-US') {
  const calls = [];
  const { doc, tauri } = mockTauri((command, args) => {
    calls.push(command);
    return handler(command, args);
  });
  const errors = [];
  const app = await startApp({
    doc,
    ipc: createIpc(tauri),
    i18n: createI18n(language),
    log: { error: (...args) => errors.push(args) },
    healthEveryMs: 0,
  });
  return { doc, app, calls, errors };
}

function answer(overrides = {}) {
  const responses = { app_info: APP_INFO, app_choices: APP_CHOICES, list_models: MODELS, list_jobs: [], get_health: HEALTH, ...overrides };
  return (command, args) => {
    if (!(command in responses)) throw new Error(`unexpected command ${command}`);
    const response = responses[command];
    return typeof response === 'function' ? response(args) : response;
  };
}

function rows(doc, group) {
  return [...doc.querySelectorAll(`[data-group="${group}"] .model`)];
}

afterEach(resetTauri);

test('the header shows the name and version from app_info', async () => {
  const { doc } = await start(answer());

  assert.equal(text(doc.getElementById('app-name')), 'VSL Studio');
  const version = doc.getElementById('app-version');
  assert.equal(version.hidden, false);
  assert.equal(text(version), 'v0.1.0');
  assert.equal(doc.title, 'VSL Studio');
});

test('list_models is rendered as installed and downloadable models', async () => {
  const { doc, calls } = await start(answer());

  assert.deepEqual(calls.toSorted(), ['app_choices', 'app_info', 'get_health', 'list_jobs', 'list_models']);

  const installed = rows(doc, 'installed');
  assert.deepEqual(
    installed.map((row) => row.dataset.model),
    ['base', 'my-finetune'],
  );
  const [base, custom] = installed;
  assert.equal(text(base.querySelector('.model-name')), 'base');
  assert.equal(text(base.querySelector('.model-size')), '142 MiB');
  assert.equal(text(base.querySelector('.badge-accent')), 'Default');
  assert.equal(base.title, '/models/ggml-base.bin');
  assert.match(text(custom), /Custom/);
  assert.match(text(custom), /q8_0/);
  assert.equal(text(custom.querySelector('.model-size')), '1.5 GiB');
  assert.equal(custom.querySelector('.badge-accent'), null, 'only the default model has the badge');

  const available = rows(doc, 'available');
  // The model recommended for this machine's GPU comes first, with its badge.
  assert.deepEqual(
    available.map((row) => row.dataset.model),
    ['large-v3-turbo-q5_0', 'tiny.en'],
  );
  assert.equal(text(available[0].querySelector('.badge-ok')), 'Recommended here');
  assert.equal(doc.querySelectorAll('.model .badge-ok').length, 1, 'only the recommended model has the badge');
  assert.match(text(available[1]), /English only/);
  assert.equal(text(available[0].querySelector('.model-size')), '547 MiB');

  assert.equal(text(doc.querySelector('[data-group="installed"] .group-count')), '2');
  assert.equal(doc.querySelector('.error'), null);
  assert.equal(doc.getElementById('models-view').getAttribute('aria-busy'), 'false');
});

test('with nothing installed the panel says so and still lists the catalog', async () => {
  const catalogOnly = MODELS.filter((model) => model.inCatalog).map((model) => ({
    ...model,
    installed: false,
    path: null,
  }));
  const { doc } = await start(answer({ list_models: catalogOnly }));

  assert.equal(rows(doc, 'installed').length, 0);
  assert.equal(
    text(doc.querySelector('[data-group="installed"] .empty')),
    'No models installed yet. Transcription needs at least one.',
  );
  assert.equal(rows(doc, 'available').length, 3);
});

test('model names are shown as text, never parsed as markup', async () => {
  const hostile = { ...MODELS[1], name: '<img src=x onerror=alert(1)>' };
  const { doc } = await start(answer({ list_models: [hostile] }));

  assert.equal(doc.querySelector('.models img'), null);
  assert.equal(text(doc.querySelector('.model-name')), hostile.name);
});

test('a {kind, message} error is shown translated, with its message and code', async () => {
  const { doc } = await start(
    answer({
      list_models: () => {
        throw { kind: 'io', message: 'cannot read /models: permission denied' };
      },
    }),
  );

  const error = doc.querySelector('.models .error');
  assert.ok(error, 'an error box is shown');
  assert.equal(error.getAttribute('role'), 'alert');
  assert.equal(error.dataset.kind, 'io');
  assert.equal(text(error.querySelector('.error-title')), 'Could not list the models');
  assert.equal(text(error.querySelector('.error-headline')), 'A file could not be read or written');
  assert.equal(text(error.querySelector('.error-detail')), 'cannot read /models: permission denied');
  assert.equal(text(error.querySelector('.error-kind')), 'Error code: io');
  assert.equal(doc.querySelectorAll('.model').length, 0);
});

test('"Try again" after an error calls list_models again and shows the result', async () => {
  let attempts = 0;
  const { doc, app } = await start(
    answer({
      list_models: () => {
        attempts += 1;
        if (attempts === 1) throw { kind: 'io', message: 'temporarily unavailable' };
        return MODELS;
      },
    }),
  );
  assert.ok(doc.querySelector('.error'));

  doc.querySelector('.error .button').click();
  // The click starts a reload; wait for it the same way the app does.
  await app.reloadModels();

  assert.equal(attempts, 3);
  assert.equal(doc.querySelector('.error'), null);
  assert.equal(rows(doc, 'installed').length, 2);
});

test('a plain-string rejection from Tauri is shown as an unknown error', async () => {
  const { doc } = await start(
    answer({
      list_models: () => {
        throw 'Command list_models not allowed by ACL';
      },
    }),
  );

  const error = doc.querySelector('.error');
  assert.equal(error.dataset.kind, 'unknown');
  // An unknown kind has no translation: its message is the headline.
  assert.equal(text(error.querySelector('.error-message')), 'Command list_models not allowed by ACL');
  assert.equal(error.querySelector('.error-detail'), null);
});

test('a failing app_info keeps the static name and hides the version', async () => {
  const { doc, errors } = await start(
    answer({
      app_info: () => {
        throw { kind: 'task', message: 'boom' };
      },
    }),
  );

  assert.equal(text(doc.getElementById('app-name')), 'VSL Studio');
  assert.equal(doc.getElementById('app-version').hidden, true);
  assert.equal(errors.length, 1);
  assert.equal(rows(doc, 'installed').length, 2, 'the models still load');
});

test('Brazilian Portuguese is used for pt-BR, with localized numbers', async () => {
  const { doc } = await start(answer(), 'pt-BR');

  assert.equal(doc.documentElement.lang, 'pt-BR');
  assert.equal(text(doc.querySelector('.drop-title')), 'Solte locuções aqui');
  assert.equal(text(doc.querySelector('.models .panel-title')), 'Modelos');
  assert.equal(text(doc.querySelector('.queue .panel-title')), 'Fila');
  const custom = rows(doc, 'installed')[1];
  assert.equal(text(custom.querySelector('.model-size')), '1,5 GiB');
  assert.equal(text(rows(doc, 'installed')[0].querySelector('.badge-accent')), 'Padrão');
});

test('the header shows CPU, memory, cache and the loaded model from get_health', async () => {
  const { doc } = await start(answer());

  const value = (key) => text(doc.querySelector(`.health-item[data-key="${key}"] dd`));
  assert.equal(value('cpu'), '23%');
  assert.equal(value('memory'), '4 GiB / 16 GiB');
  assert.equal(value('cache'), '12 MiB');
  assert.equal(value('model'), 'tiny.en');
  assert.equal(doc.querySelector('.health-item[data-key="device"]'), null, 'no device line without one');
});

test('the header names the device automatic jobs transcribe on', async () => {
  const { doc } = await start(answer({ get_health: { ...HEALTH, device: 'Vulkan0 (NVIDIA GeForce RTX 4070, 12.0 GB)' } }));

  assert.equal(text(doc.querySelector('.health-item[data-key="device"] dt')), 'Device');
  assert.equal(text(doc.querySelector('.health-item[data-key="device"] dd')), 'Vulkan0 (NVIDIA GeForce RTX 4070, 12.0 GB)');
});

test('with no model loaded the health readout says so, in Portuguese too', async () => {
  const { doc } = await start(answer({ get_health: { ...HEALTH, model: null } }), 'pt-BR');

  assert.equal(text(doc.querySelector('.health-item[data-key="model"] dd')), 'nenhum carregado');
  assert.equal(text(doc.querySelector('.health-item[data-key="memory"] dt')), 'Memória');
});

test('model rows offer remove and download; the store actions reload the list', async () => {
  let listed = 0;
  const calls = [];
  const { doc } = await start(
    answer({
      list_models: () => {
        listed += 1;
        return MODELS;
      },
      remove_model: () => {
        calls.push('remove');
        return null;
      },
      import_model: () => {
        calls.push('import');
        return 'mine';
      },
    }),
  );
  const base = rows(doc, 'installed')[0];
  assert.equal(base.querySelector('.model-remove').getAttribute('aria-label'), 'Remove base');
  assert.equal(rows(doc, 'available')[1].querySelector('.model-download').getAttribute('aria-label'), 'Download tiny.en');

  base.querySelector('.model-remove').click();
  doc.getElementById('import-model').click();
  for (let i = 0; i < 6; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));

  assert.deepEqual(calls, ['remove', 'import']);
  assert.ok(listed >= 3, `the list was reloaded after each action (${listed} loads)`);
});

test('a download shows a cancel button that stops it without an error toast', async () => {
  const calls = [];
  let finish = null;
  const { doc } = await start(
    answer({
      download_model: (args) => {
        calls.push(['download', args?.name]);
        return new Promise((_, reject) => {
          finish = () => reject({ kind: 'cancelled', message: 'cancelled' });
        });
      },
      cancel_download: (args) => {
        calls.push(['cancel', args?.name]);
        finish();
        return null;
      },
    }),
  );
  rows(doc, 'available')[1].querySelector('.model-download').click();
  const cancel = rows(doc, 'available')[1].querySelector('.model-cancel');
  assert.ok(cancel, 'a cancel button appears while downloading');
  assert.equal(cancel.getAttribute('aria-label'), 'Cancel the download of tiny.en');
  cancel.click();
  for (let i = 0; i < 6; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(calls, [
    ['download', 'tiny.en'],
    ['cancel', 'tiny.en'],
  ]);
  assert.equal(doc.getElementById('toast').hidden, true, 'a cancel is not an error');
  assert.equal(doc.querySelector('.model-cancel'), null, 'the cancel button goes away');
});
