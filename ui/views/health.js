// The health readout in the header: CPU, memory, cache size, the loaded model and the device,
// from the `get_health` command (vsl_core::health).

import { h } from '../dom.js';
import { formatBytes } from '../format.js';

/** Renders `health` into `container` as label/value pairs. */
export function renderHealth(container, health, { t, locale }) {
  const doc = container.ownerDocument;
  const used = health.memoryTotal - health.memoryAvailable;
  const items = [
    ['cpu', t('health.cpu'), `${Math.round(health.cpuPercent)}%`],
    ['memory', t('health.memory'), `${formatBytes(used, locale)} / ${formatBytes(health.memoryTotal, locale)}`],
    ['cache', t('health.cache'), formatBytes(health.cacheBytes, locale) || '0 B'],
    ['model', t('health.model'), health.model?.name ?? t('health.noModel')],
  ];
  // Where an automatic job transcribes: a GPU's name (`Vulkan0 (…)`) or the CPU.
  if (health.device) items.push(['device', t('health.device'), health.device]);
  container.replaceChildren(
    ...items.map(([key, label, value]) =>
      h(doc, 'div', { class: 'health-item', 'data-key': key }, h(doc, 'dt', { text: label }), h(doc, 'dd', { text: value })),
    ),
  );
}
