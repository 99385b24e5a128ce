// A minimal element builder. Text always goes in through `textContent`, never
// `innerHTML`, so names coming over IPC cannot inject markup.

/**
 * `h(doc, 'span', { class: 'badge', title: 'x' }, 'text', childNode)`.
 * Props: `class`, `text`, `hidden`, `on<Event>` listeners, and any attribute
 * (`aria-*`, `data-*`, `type`, ...). `null`, `undefined` and `false` children
 * are skipped, which keeps conditional markup readable.
 */
export function h(doc, tag, props = {}, ...children) {
  const element = doc.createElement(tag);
  // Every button here is a plain button unless it says `type: 'submit'`.
  if (tag === 'button') element.type = 'button';
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else if (name === 'hidden') element.hidden = Boolean(value);
    else if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(typeof child === 'string' ? doc.createTextNode(child) : child);
  }
  return element;
}

/**
 * A button showing the icon `path`, named by `label` (its tooltip and accessible name);
 * `props` adds an `id` or `hidden`.
 */
export const iconButton = (doc, label, path, onClick, extra = '', props) =>
  h(doc, 'button', { class: `icon-button ${extra}`, title: label, 'aria-label': label, onClick, ...props }, icon(doc, path));

/** Icon paths more than one view uses (24x24, stroked), kept once. */
export const ICONS = {
  close: 'M6 6l12 12M18 6 6 18',
  refresh: 'M20 11a8 8 0 0 0-14.9-3M4 4v4h4M4 13a8 8 0 0 0 14.9 3M20 20v-4h-4',
  remove: 'M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3',
};

/** Builds an inline SVG icon from path data (24×24 grid, stroked). */
export function icon(doc, pathData, className = 'icon') {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = doc.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', className);
  svg.setAttribute('aria-hidden', 'true');
  const path = doc.createElementNS(ns, 'path');
  path.setAttribute('d', pathData);
  svg.append(path);
  return svg;
}
