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

/** `formatClock(65.4) === '1:05.4'`: a slide's start in the editor and strip. */
export function formatClock(seconds) {
  const safe = Math.max(0, Number.isFinite(seconds) ? seconds : 0);
  const minutes = Math.floor(safe / 60);
  const rest = (safe - minutes * 60).toFixed(1).padStart(4, '0');
  return `${minutes}:${rest}`;
}

/** A rough time left: `'~12 s'`, `'~3 min'`; empty when unknown. */
export function formatEta(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 60) return `~${Math.max(1, Math.round(seconds))} s`;
  return `~${Math.round(seconds / 60)} min`;
}

/** The last component of a path, for either separator. */
export function baseName(path) {
  return String(path).split(/[\\/]/).filter(Boolean).pop() ?? String(path);
}
