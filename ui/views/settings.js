// The settings sheet: what new jobs run with (model, language, threads, preset,
// theme), saved to settings.toml by the `save_settings` command.

import { h, icon } from '../dom.js';

const GEAR_ICON =
  'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-2.9 1.2V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-2.9-1.2l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1A1.7 1.7 0 0 0 3 15H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.2-2.9l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 2.9-1.2V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 2.9 1.2l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0 1.2 2.9H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z';

const CHOICES = {
  language: ['auto', 'en', 'pt'],
  preset: ['16:9', '1:1', '9:16'],
  theme: ['classic', 'dark'],
};

/**
 * Adds a gear button to `headerSlot` that opens the settings sheet.
 * `ipc` provides getSettings/saveSettings/listModels.
 */
export function createSettings(doc, headerSlot, { t, ipc, onError }) {
  const status = h(doc, 'span', { class: 'editor-label', id: 'settings-status', role: 'status' });
  const fields = {};
  const select = (name, options) => {
    fields[name] = h(
      doc,
      'select',
      { id: `setting-${name}`, name },
      ...options.map((value) => h(doc, 'option', { value, text: t(`settings.${name}.${value}`) === `settings.${name}.${value}` ? value : t(`settings.${name}.${value}`) })),
    );
    return fields[name];
  };
  fields.model = h(doc, 'select', { id: 'setting-model', name: 'model' });
  fields.threads = h(doc, 'input', { id: 'setting-threads', name: 'threads', type: 'number', min: '0', max: '64' });
  const row = (name, control) =>
    h(doc, 'label', { class: 'setting' }, h(doc, 'span', { text: t(`settings.${name}`) }), control);

  const sheet = h(
    doc,
    'div',
    { class: 'sheet-backdrop', id: 'settings', hidden: true },
    h(
      doc,
      'form',
      { class: 'sheet panel', 'aria-label': t('settings.title') },
      h(doc, 'h2', { class: 'panel-title', text: t('settings.title') }),
      h(doc, 'p', { class: 'panel-subtitle', text: t('settings.subtitle') }),
      row('model', fields.model),
      row('language', select('language', CHOICES.language)),
      row('threads', fields.threads),
      row('preset', select('preset', CHOICES.preset)),
      row('theme', select('theme', CHOICES.theme)),
      h(
        doc,
        'div',
        { class: 'editor-actions sheet-actions' },
        status,
        h(doc, 'button', { class: 'button', type: 'button', id: 'settings-close', text: t('settings.close'), onClick: () => close() }),
        h(doc, 'button', { class: 'button button-primary', type: 'submit', id: 'settings-save', text: t('settings.save') }),
      ),
    ),
  );
  doc.body.append(sheet);

  function close() {
    sheet.hidden = true;
  }

  async function open() {
    status.textContent = '';
    try {
      const [settings, models] = await Promise.all([ipc.getSettings(), ipc.listModels()]);
      const installed = models.filter((model) => model.installed).map((model) => model.name);
      if (!installed.includes(settings.model)) installed.unshift(settings.model);
      fields.model.replaceChildren(...installed.map((name) => h(doc, 'option', { value: name, text: name })));
      for (const name of ['model', 'language', 'preset', 'theme']) fields[name].value = settings[name];
      fields.threads.value = String(settings.threads);
      sheet.hidden = false;
    } catch (error) {
      onError(error);
    }
  }

  sheet.querySelector('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const settings = {
      model: fields.model.value,
      language: fields.language.value,
      threads: Math.max(0, Number.parseInt(fields.threads.value, 10) || 0),
      preset: fields.preset.value,
      theme: fields.theme.value,
    };
    try {
      await ipc.saveSettings(settings);
      status.textContent = t('settings.saved');
    } catch (error) {
      onError(error);
    }
  });

  const button = h(
    doc,
    'button',
    { class: 'icon-button', type: 'button', id: 'open-settings', title: t('settings.title'), 'aria-label': t('settings.title'), onClick: () => open() },
    icon(doc, GEAR_ICON),
  );
  headerSlot.after(button);
  return Object.freeze({ open, close });
}
