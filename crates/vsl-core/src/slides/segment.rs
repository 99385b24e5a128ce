//! The segmenter: a dynamic program over the whole word stream that picks the breaks that
//! cost least (sentence > clause > pause > word), with the preset's limits as costs.

use super::markup::auto_highlights;
use super::{Slide, SlidePreset};
use crate::text::{ends_clause, ends_sentence, is_currency, is_number, split_edges};
use crate::transcribe::Transcript;

/// A word of the stream being cut.
struct Item<'t> {
    text: &'t str,
    start: f64,
    end: f64,
    chars: usize,
}

// Costs of the segmentation, in arbitrary units. Their order is the break priority; the
// big ones are well above any sum of small ones so the limits win wherever the words let
// them (the property tests rely on that).
const SLIDE_COST: f64 = 4.0;
const SENTENCE_BREAK: f64 = 0.0;
const CLAUSE_BREAK: f64 = 3.0;
const PAUSE_BREAK: f64 = 5.0;
const WORD_BREAK: f64 = 9.0;
/// Ending a slide on "the", "de", "para": the reader waits for a word that isn't there.
const FUNCTION_WORD_END: f64 = 3.0;
/// Starting a slide on "and", "e", "mas": where subtitlers break.
const CONJUNCTION_START: f64 = 3.0;
/// Starting a slide on "the", "para", "de".
const FUNCTION_WORD_START: f64 = 1.0;
/// Breaking inside a price or a multi-word glossary term.
const GLUED: f64 = 20.0;
/// A slide that runs past a sentence end into a fragment of the next sentence.
const FRAGMENT: f64 = 8.0;
const ORPHAN: f64 = 12.0;
const TOO_SHORT: f64 = 30.0;
const TOO_SHORT_PER_SECOND: f64 = 40.0;
const TOO_LONG: f64 = 100.0;
const TOO_LONG_PER_SECOND: f64 = 50.0;
/// Favours evenly filled slides (7 + 7 words over 12 + 2) without outweighing a break.
const UNDERFILL: f64 = 0.15;

/// Articles, prepositions, possessives: a slide should not end on one.
const FUNCTION_WORDS: &[&str] = &[
    // English
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "with", "from", "by", "my", "your",
    "our", "his", "her", "its", "their", "this", "that", "is", "are", "was", "i", "we",
    // Portuguese
    "o", "os", "as", "um", "uma", "de", "da", "do", "das", "dos", "em", "no", "na", "nos", "nas",
    "para", "pra", "por", "com", "se", "ao", "à", "seu", "sua", "meu", "minha",
    // Spanish
    "el", "la", "los", "las", "en", "con", "del", "un", "una",
];

/// Conjunctions: a slide should not end on one, and one is the best word to start a slide.
const CONJUNCTIONS: &[&str] = &[
    "and", "or", "but", "because", "so", "e", "ou", "mas", "porque", "que", "y", "pero",
];

fn core_lowercase(word: &str) -> String {
    split_edges(word).1.to_lowercase()
}

/// Cost of ending a slide between `last` and `next`.
fn break_cost(last: &Item, next: &Item, pause: f64) -> f64 {
    let gap = (next.start - last.end).max(0.0);
    let mut cost = if ends_sentence(last.text) {
        SENTENCE_BREAK
    } else if ends_clause(last.text) {
        CLAUSE_BREAK
    } else if gap >= pause {
        PAUSE_BREAK
    } else {
        WORD_BREAK
    };
    if cost >= PAUSE_BREAK {
        let (last, next) = (core_lowercase(last.text), core_lowercase(next.text));
        let is = |list: &[&str], word: &str| list.contains(&word);
        if is(FUNCTION_WORDS, &last) || is(CONJUNCTIONS, &last) {
            cost += FUNCTION_WORD_END;
        } else if cost < WORD_BREAK {
            // A pause stays a pause: the bonuses below only rank plain word boundaries,
            // and never lift one above a pause.
        } else if is(CONJUNCTIONS, &next) {
            // "... com pressa | e querem entender": subtitlers break before a conjunction,
            // and a little less gladly before a preposition or article.
            cost -= CONJUNCTION_START;
        } else if is(FUNCTION_WORDS, &next) {
            cost -= FUNCTION_WORD_START;
        }
    }
    // Among equal breaks, the longer silence; capped so it never changes the priority.
    cost - 2.0 * gap.min(pause)
}

/// For each boundary between two words, whether it sits inside a price ("R$ | 49,90")
/// or a multi-word glossary term ("Carta de | Vendas").
fn glued_boundaries(words: &[Item], terms: &[String]) -> Vec<bool> {
    let mut glued = vec![false; words.len().saturating_sub(1)];
    for k in 0..glued.len() {
        glued[k] = is_currency(split_edges(words[k].text).1)
            && is_number(split_edges(words[k + 1].text).1);
    }
    for term in terms {
        let parts: Vec<&str> = term.split_whitespace().collect();
        if parts.len() < 2 || parts.len() > words.len() {
            continue;
        }
        for at in 0..=words.len() - parts.len() {
            let matches = parts
                .iter()
                .zip(&words[at..at + parts.len()])
                .all(|(part, word)| split_edges(word.text).1 == split_edges(part).1);
            if matches {
                for boundary in &mut glued[at..at + parts.len() - 1] {
                    *boundary = true;
                }
            }
        }
    }
    glued
}

/// Breaks a script asks for, by word of the stream: after `soft[k]` a slide may end as after a
/// sentence (a script line's end); after `hard[k]` one must (a blank line or `---`, the edge
/// of unscripted speech).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breaks {
    pub soft: Vec<bool>,
    pub hard: Vec<bool>,
}

/// Cuts the transcript's words into slides. Deterministic; the slides cover
/// `[0, duration]` without gaps and hold every word once, in order. `terms` are the
/// glossary's highlight terms. An empty transcript gives no slides.
pub fn segment(transcript: &Transcript, preset: &SlidePreset, terms: &[String]) -> Vec<Slide> {
    segment_with(transcript, preset, terms, None)
}

/// [`segment`] with a script's line ends and hard breaks.
pub fn segment_with(
    transcript: &Transcript,
    preset: &SlidePreset,
    terms: &[String],
    breaks: Option<&Breaks>,
) -> Vec<Slide> {
    let words: Vec<Item> = transcript
        .words()
        .filter_map(|word| {
            let text = word.text.trim();
            (!text.is_empty()).then(|| Item {
                text,
                start: word.start,
                end: word.end.max(word.start),
                chars: text.chars().count(),
            })
        })
        .collect();
    let Some(last) = words.last() else {
        return Vec::new();
    };
    let duration = transcript.duration.max(last.end).max(0.0);
    let n = words.len();
    let max_words = preset.max_words.max(1);
    let glued = glued_boundaries(&words, terms);
    let soft = |k: usize| breaks.is_some_and(|breaks| breaks.soft.get(k) == Some(&true));
    let hard = |k: usize| breaks.is_some_and(|breaks| breaks.hard.get(k) == Some(&true));
    let cut = Cuts {
        break_cost: (0..n.saturating_sub(1))
            .map(|k| {
                let mut cost = break_cost(&words[k], &words[k + 1], preset.pause);
                if soft(k) {
                    cost = cost.min(SENTENCE_BREAK);
                }
                if glued[k] {
                    cost + GLUED
                } else {
                    cost
                }
            })
            .collect(),
        sentence_end: (0..n)
            .map(|k| ends_sentence(words[k].text) || soft(k))
            .collect(),
    };

    // best[j] = (lowest cost of cutting words[..j], start of its last slide).
    let mut best: Vec<(f64, usize)> = vec![(f64::INFINITY, 0); n + 1];
    best[0] = (0.0, 0);
    for j in 1..=n {
        let mut chars = 0;
        for i in (j.saturating_sub(max_words)..j).rev() {
            // A hard break after word `i` may not fall inside the slide `i..j`.
            if i + 1 < j && hard(i) {
                break;
            }
            let count = j - i;
            chars += words[i].chars + usize::from(count > 1);
            if count > 1 && chars > preset.max_chars {
                break;
            }
            let cost = best[i].0 + slide_cost(&words, &cut, i, j, duration, preset);
            if cost < best[j].0 {
                best[j] = (cost, i);
            }
        }
    }

    let mut bounds = Vec::new();
    let mut j = n;
    while j > 0 {
        let i = best[j].1;
        bounds.push((i, j));
        j = i;
    }
    bounds.reverse();

    let mut starts: Vec<f64> = Vec::with_capacity(bounds.len());
    for (k, (i, _)) in bounds.iter().enumerate() {
        let start = if k == 0 {
            0.0
        } else {
            // Whisper's times can step back by a few milliseconds; the deck must not.
            // (`max`/`min` rather than `clamp`: they cannot panic on a NaN time.)
            words[*i].start.max(starts[k - 1]).min(duration)
        };
        starts.push(start);
    }
    bounds
        .iter()
        .enumerate()
        .map(|(k, (i, j))| {
            let text = words[*i..*j]
                .iter()
                .map(|word| word.text)
                .collect::<Vec<_>>()
                .join(" ");
            Slide {
                index: k,
                start: starts[k],
                end: starts.get(k + 1).copied().unwrap_or(duration),
                highlights: auto_highlights(&text, terms),
                text,
                image: String::new(),
                words: words[*i..*j]
                    .iter()
                    .map(|word| super::SlideWord {
                        text: word.text.to_owned(),
                        start: word.start,
                        end: word.end,
                        image: String::new(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// What the cost of a slide needs besides its words, computed once per transcript.
struct Cuts {
    /// Cost of a break after word `k`.
    break_cost: Vec<f64>,
    sentence_end: Vec<bool>,
}

fn slide_cost(
    words: &[Item],
    cut: &Cuts,
    i: usize,
    j: usize,
    duration: f64,
    preset: &SlidePreset,
) -> f64 {
    let n = words.len();
    let count = j - i;
    let mut cost = SLIDE_COST;
    if j < n {
        cost += cut.break_cost[j - 1];
        let inner_sentence_end = cut.sentence_end[i..j - 1].iter().any(|end| *end);
        if inner_sentence_end && !cut.sentence_end[j - 1] {
            cost += FRAGMENT;
        }
    }
    if count == 1 && n > 1 {
        cost += ORPHAN;
    }
    let shown_from = if i == 0 { 0.0 } else { words[i].start };
    let shown_until = if j == n { duration } else { words[j].start };
    let shown = shown_until - shown_from;
    if shown < preset.min_duration {
        cost += TOO_SHORT + TOO_SHORT_PER_SECOND * (preset.min_duration - shown);
    }
    // Speech on the slide: from its first word to the next slide's first word (the last
    // slide: to its last word), so leading and trailing silence of the media never forces
    // a split that cannot help.
    let speech_until = if j == n {
        words[n - 1].end
    } else {
        words[j].start
    };
    let speech = speech_until - words[i].start;
    if speech > preset.max_duration {
        cost += TOO_LONG + TOO_LONG_PER_SECOND * (speech - preset.max_duration);
    }
    let missing = preset.max_words.saturating_sub(count) as f64;
    cost + UNDERFILL * missing * missing / preset.max_words.max(1) as f64
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::slides::Aspect;
    use crate::transcribe::{Segment, Word};

    pub(crate) fn transcript(words: &[(&str, f64, f64)], duration: f64) -> Transcript {
        Transcript {
            language: "en".into(),
            duration,
            model: "test".into(),
            segments: vec![Segment {
                start: 0.0,
                end: duration,
                text: String::new(),
                words: words
                    .iter()
                    .map(|(text, start, end)| Word {
                        text: (*text).to_owned(),
                        start: *start,
                        end: *end,
                        probability: 0.9,
                    })
                    .collect(),
            }],
            flags: Vec::new(),
        }
    }

    /// Evenly timed words, 0.3 s each.
    fn even(text: &str) -> Transcript {
        paced(text, 0.3)
    }

    /// Evenly timed words, `step` seconds each.
    pub(crate) fn paced(text: &str, step: f64) -> Transcript {
        let words: Vec<(&str, f64, f64)> = text
            .split_whitespace()
            .enumerate()
            .map(|(i, w)| (w, i as f64 * step, i as f64 * step + step - 0.02))
            .collect();
        let duration = words.len() as f64 * step + 0.5;
        transcript(&words, duration)
    }

    fn texts(slides: &[Slide]) -> Vec<&str> {
        slides.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn breaks_prefer_sentences_then_clauses() {
        let preset = SlidePreset::for_aspect(Aspect::Landscape);
        let t = even("We built this for you. It turns a voice into slides, and it does it offline without any account at all.");
        let slides = segment(&t, &preset, &[]);
        assert_eq!(
            texts(&slides),
            [
                "We built this for you.",
                "It turns a voice into slides,",
                "and it does it offline without any account at all."
            ]
        );
    }

    #[test]
    fn a_pause_beats_a_plain_word_boundary() {
        let preset = SlidePreset::for_aspect(Aspect::Portrait);
        // Six words, no punctuation, a 0.5 s pause after the third.
        let t = transcript(
            &[
                ("one", 0.0, 0.3),
                ("two", 0.3, 0.6),
                ("three", 0.6, 0.9),
                ("four", 1.4, 1.7),
                ("five", 1.7, 2.0),
                ("six", 2.0, 2.3),
            ],
            2.5,
        );
        assert_eq!(
            texts(&segment(&t, &preset, &[])),
            ["one two three", "four five six"]
        );
    }

    #[test]
    fn prices_and_glossary_terms_stay_whole() {
        let preset = SlidePreset::for_aspect(Aspect::Portrait);
        let slides = segment(&even("Pague só R$ 49,90 hoje mesmo"), &preset, &[]);
        assert!(
            slides.iter().any(|s| s.text.contains("R$ 49,90")),
            "{slides:?}"
        );
        assert_eq!(
            slides
                .iter()
                .find(|s| s.text.contains("R$"))
                .map(|s| s.highlights.clone()),
            Some(vec!["R$ 49,90".to_owned()])
        );
        let terms = vec!["Carta de Vendas".to_owned()];
        let slides = segment(
            &paced("Use uma Carta de Vendas agora mesmo", 0.4),
            &preset,
            &terms,
        );
        assert!(
            slides.iter().any(|s| s.text.contains("Carta de Vendas")),
            "{slides:?}"
        );
    }

    #[test]
    fn a_pause_outranks_a_break_before_a_conjunction() {
        let preset = SlidePreset::for_aspect(Aspect::Portrait);
        // "one two | and three" has no pause; "one two and | three four" has one.
        let t = transcript(
            &[
                ("one", 0.0, 0.3),
                ("two", 0.3, 0.6),
                ("and", 0.6, 0.9),
                ("three", 1.4, 1.7),
                ("four", 1.7, 2.0),
                ("five", 2.0, 2.3),
            ],
            2.5,
        );
        let slides = segment(&t, &preset, &[]);
        assert_eq!(slides[0].text, "one two and", "{slides:?}");
    }

    #[test]
    fn no_orphans_where_avoidable() {
        let preset = SlidePreset::for_aspect(Aspect::Portrait);
        let slides = segment(&even("one two three four five"), &preset, &[]);
        assert!(
            slides.iter().all(|s| s.text.split(' ').count() > 1),
            "{slides:?}"
        );
    }

    #[test]
    fn timing_is_contiguous_from_zero_to_the_end() {
        let preset = SlidePreset::for_aspect(Aspect::Portrait);
        let t = even("a b c d e f g h i j k l m n o p");
        let slides = segment(&t, &preset, &[]);
        assert_eq!(slides[0].start, 0.0);
        for pair in slides.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert_eq!(slides.last().map(|s| s.end), Some(t.duration));
    }

    #[test]
    fn long_slow_speech_is_split() {
        let preset = SlidePreset::for_aspect(Aspect::Landscape);
        // Eight slow words of 1 s each: one slide would be 8 s.
        let words: Vec<(String, f64, f64)> = (0..8)
            .map(|i| (format!("word{i}"), i as f64, i as f64 + 0.9))
            .collect();
        let borrowed: Vec<(&str, f64, f64)> =
            words.iter().map(|(t, s, e)| (t.as_str(), *s, *e)).collect();
        let slides = segment(&transcript(&borrowed, 8.0), &preset, &[]);
        assert!(slides.len() >= 2);
        assert!(slides.iter().all(|s| s.end - s.start <= 6.0), "{slides:?}");
    }

    #[test]
    fn empty_transcript_has_no_slides() {
        let preset = SlidePreset::for_aspect(Aspect::Landscape);
        assert!(segment(&transcript(&[], 3.0), &preset, &[]).is_empty());
    }
}
