// How every view shows an error: the translated kind (`error.kind.<code>` in
// i18n.js, one for each `vsl_core::ErrorKind`) as the headline, the Rust message,
// which names the file, as the detail. An unknown kind shows its message alone.

import { h } from './dom.js';
import { toCommandError } from './ipc.js';

/** `{ kind, title, detail }` for anything a command rejected with. */
export function describeError(error, t) {
  const { kind, message } = toCommandError(error);
  const key = `error.kind.${kind}`;
  const title = t(key);
  if (title === key) return { kind, title: message || kind, detail: '' };
  return { kind, title, detail: message === title ? '' : message };
}

/** The headline and detail as one line of text. */
export function errorText(error, t) {
  const { title, detail } = describeError(error, t);
  return detail ? `${title} — ${detail}` : title;
}

/** The headline and detail as nodes, to put in a status line, a toast or a row. */
export function errorNodes(doc, error, t) {
  const { title, detail } = describeError(error, t);
  const headline = h(doc, 'strong', { class: 'error-headline', text: title });
  return detail ? [headline, ' ', h(doc, 'span', { class: 'error-detail', text: detail })] : [headline];
}

/** Shows `error` in `element` (its `data-kind` set to the kind). */
export function showErrorIn(element, error, t) {
  element.replaceChildren(...errorNodes(element.ownerDocument, error, t));
  element.dataset.kind = toCommandError(error).kind;
}
