// The app header: logo (static markup in index.html), name and version.

/** Shows `info` from the `app_info` command in the header and window title. */
export function renderHeader(doc, info, { t }) {
  doc.getElementById('app-name').textContent = info.name;
  const version = doc.getElementById('app-version');
  version.textContent = t('header.version', { version: info.version });
  version.hidden = false;
  doc.title = info.name;
}
