// How a deck's slides line up with the copywriter's script: `DeckView.alignment`
// (`alignment.json`, docs/formats.md "Alignment") mapped onto the slides by time.
// Pure functions; the result view draws what they return.

/** The slide on screen at `time`: the last one that started at or before it. */
export function slideAt(slides, time) {
  let found = 0;
  for (let i = 0; i < slides.length; i += 1) {
    if (slides[i].start <= time + 1e-6) found = i;
    else break;
  }
  return found;
}

/** A word as the editor's chips compare it: lower case, edge punctuation dropped. */
export const wordKey = (word) =>
  String(word)
    .toLowerCase()
    .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

/** Where slide `index` is on screen: from its start to the next one's (the last to the deck's end). */
function span(slides, index, duration) {
  const slide = slides[index];
  const next = slides[index + 1];
  return [slide.start, next ? next.start : Math.max(slide.end, duration ?? 0)];
}

/** Whether the unscripted run `run` is on the slide shown over `[from, to)`: more than half of the shorter of the two. */
function covers(run, [from, to]) {
  const overlap = Math.min(run.end, to) - Math.max(run.start, from);
  return overlap > 0 && overlap >= 0.5 * Math.min(run.end - run.start, to - from);
}

/**
 * Each slide's alignment, in slide order: `{ status, counts, review }`.
 * - `status`: `unscripted` (speech in no script line is on it), `substituted` (the
 *   voice said some of its words differently), `interpolated` (some were not heard,
 *   their times estimated), `script` (every word heard as written), or null (no
 *   script word and no unscripted speech maps to it).
 * - `counts`: how many script words of each status map to it.
 * - `review`: `Map(wordKey → { reason, heard })` of the words to check:
 *   `substituted` (with what was heard) and `unscripted` ones.
 * Script words map to the slide on screen at their midpoint; an unscripted run to
 * every slide it covers. Without an alignment every slide is `{ status: null }`.
 */
export function slideAlignments(slides, alignment, duration) {
  const result = slides.map(() => ({
    status: null,
    counts: { matched: 0, substituted: 0, interpolated: 0, unscripted: 0 },
    review: new Map(),
  }));
  if (!alignment || slides.length === 0) return result;
  for (const word of alignment.words ?? []) {
    if (word.status === 'skipped') continue;
    // A dash or other mark the voice cannot say is never heard: not worth a badge.
    if (word.status === 'interpolated' && !/[\p{L}\p{N}]/u.test(word.text)) continue;
    const entry = result[slideAt(slides, (word.start + word.end) / 2)];
    if (!(word.status in entry.counts)) continue;
    entry.counts[word.status] += 1;
    if (word.status === 'substituted') entry.review.set(wordKey(word.text), { reason: 'substituted', heard: word.heard ?? '' });
  }
  for (const run of alignment.unscripted ?? []) {
    slides.forEach((_, index) => {
      if (!covers(run, span(slides, index, duration))) return;
      const entry = result[index];
      entry.counts.unscripted += 1;
      for (const word of String(run.text).split(/\s+/)) {
        const key = wordKey(word);
        if (key && !entry.review.has(key)) entry.review.set(key, { reason: 'unscripted', heard: word });
      }
    });
  }
  for (const entry of result) {
    const { matched, substituted, interpolated, unscripted } = entry.counts;
    if (unscripted) entry.status = 'unscripted';
    else if (substituted) entry.status = 'substituted';
    else if (interpolated) entry.status = 'interpolated';
    else if (matched) entry.status = 'script';
  }
  return result;
}

/**
 * The summary line's facts: the script's name, lines spoken out of all, the skipped
 * lines (`{ line, text }`) and the unscripted runs (`{ start, end, text }`); null
 * without an alignment.
 */
export function alignmentSummary(alignment) {
  if (!alignment) return null;
  const lines = alignment.lines ?? [];
  return {
    script: alignment.script ?? '',
    spoken: lines.filter((line) => line.status === 'spoken').length,
    total: lines.length,
    skipped: lines.filter((line) => line.status === 'skipped').map(({ line, text }) => ({ line, text })),
    unscripted: (alignment.unscripted ?? []).map(({ start, end, text }) => ({ start, end, text })),
  };
}
