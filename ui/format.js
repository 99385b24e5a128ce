// Locale-aware formatting shared by the views.

// Binary units, like `vsl models list` and the whisper.cpp catalog (`142 MiB`).
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
const STEP = 1024;

/**
 * Formats a byte count: `formatBytes(148_897_792, 'en') === '142 MiB'`,
 * `'1,5 GiB'` in pt-BR. Returns an empty string for an unknown size (zero,
 * negative or not a number).
 */
export function formatBytes(bytes, locale) {
  if (!Number.isFinite(bytes) || bytes <= 0) return '';
  let value = bytes;
  let unit = 0;
  while (value >= STEP && unit < UNITS.length - 1) {
    value /= STEP;
    unit += 1;
  }
  const digits = value < 10 && unit > 0 ? 1 : 0;
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
  return `${number} ${UNITS[unit]}`;
}
