// A tiny i18n layer: English and Brazilian Portuguese, chosen from
// `navigator.language`. Keys are grouped by view; `{name}` marks a parameter.

export const MESSAGES = {
  en: {
    'app.title': '{name} {version}',
    'header.version': 'v{version}',
    'import.title': 'Drop a voice-over here',
    'import.formats': 'Audio or video: WAV, MP3, M4A, MP4, MOV',
    'import.unavailable': 'Importing arrives in the next version.',
    'models.title': 'Models',
    'models.subtitle': 'Whisper speech recognition, offline',
    'models.refresh': 'Refresh the model list',
    'models.loading': 'Looking for models…',
    'models.installed': 'Installed',
    'models.available': 'Available to download',
    'models.noneInstalled': 'No models installed yet. Transcription needs at least one.',
    'models.noneAvailable': 'Every model in the catalog is installed.',
    'models.default': 'Default',
    'models.custom': 'Custom',
    'models.multilingual': 'Multilingual',
    'models.englishOnly': 'English only',
    'models.error': 'Could not list the models',
    'models.retry': 'Try again',
    'error.code': 'Error code: {kind}',
  },
  'pt-BR': {
    'app.title': '{name} {version}',
    'header.version': 'v{version}',
    'import.title': 'Solte uma locução aqui',
    'import.formats': 'Áudio ou vídeo: WAV, MP3, M4A, MP4, MOV',
    'import.unavailable': 'A importação chega na próxima versão.',
    'models.title': 'Modelos',
    'models.subtitle': 'Reconhecimento de fala Whisper, offline',
    'models.refresh': 'Atualizar a lista de modelos',
    'models.loading': 'Procurando modelos…',
    'models.installed': 'Instalados',
    'models.available': 'Disponíveis para baixar',
    'models.noneInstalled':
      'Nenhum modelo instalado ainda. A transcrição precisa de pelo menos um.',
    'models.noneAvailable': 'Todos os modelos do catálogo estão instalados.',
    'models.default': 'Padrão',
    'models.custom': 'Personalizado',
    'models.multilingual': 'Multilíngue',
    'models.englishOnly': 'Apenas inglês',
    'models.error': 'Não foi possível listar os modelos',
    'models.retry': 'Tentar de novo',
    'error.code': 'Código do erro: {kind}',
  },
};

const FALLBACK_LOCALE = 'en';

/** Maps a BCP 47 tag such as `pt-BR`, `pt` or `en-US` to a supported locale. */
export function pickLocale(language) {
  const tag = String(language ?? '').toLowerCase();
  // Every Portuguese variant gets Brazilian Portuguese, the only one we ship.
  if (tag === 'pt' || tag.startsWith('pt-')) return 'pt-BR';
  return FALLBACK_LOCALE;
}

/**
 * Creates the translator for `language` (normally `navigator.language`).
 * `t(key, params)` falls back to English, then to the key itself, so a missing
 * string shows up visibly instead of as a blank.
 */
export function createI18n(language) {
  const locale = pickLocale(language);
  const messages = MESSAGES[locale];
  const fallback = MESSAGES[FALLBACK_LOCALE];

  function t(key, params = {}) {
    const template = messages[key] ?? fallback[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (match, name) =>
      Object.hasOwn(params, name) ? String(params[name]) : match,
    );
  }

  return Object.freeze({ locale, t });
}
