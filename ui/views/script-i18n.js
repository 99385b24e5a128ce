// The script dialog's strings (views/script.js adds them when it loads; the
// rest, the script bar's included, are in ../i18n.js).

export const MESSAGES = {
  en: {
    'script.title': 'Script',
    'script.hint': 'The slides will show the script’s words, timed to {name}. Nothing is transcribed again, and Undo brings back the slides you have now.',
    'script.current': 'The slides follow {script} now.',
    'script.file': 'Choose a file…',
    'script.fileTypes': 'TXT, MD or DOCX',
    'script.paste': 'Or paste the script',
    'script.applyPasted': 'Use pasted text',
    'script.close': 'Close',
    'script.aligning': 'Aligning {name} to the voice…',
    'script.pasted': 'pasted text',
  },
  'pt-BR': {
    'script.title': 'Roteiro',
    'script.hint': 'Os slides vão mostrar as palavras do roteiro, no tempo de {name}. Nada é transcrito de novo, e Desfazer traz de volta os slides atuais.',
    'script.current': 'Os slides seguem {script} agora.',
    'script.file': 'Escolher arquivo…',
    'script.fileTypes': 'TXT, MD ou DOCX',
    'script.paste': 'Ou cole o roteiro',
    'script.applyPasted': 'Usar texto colado',
    'script.close': 'Fechar',
    'script.aligning': 'Alinhando {name} à voz…',
    'script.pasted': 'texto colado',
  },
};
