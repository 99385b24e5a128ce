//! The hallucination guard: Whisper invents text over silence, noise and music.
//!
//! Three checks run on every decoded segment, each recorded as a [`Flag`] in the transcript:
//! - a segment with (almost) no speech-like energy under it, or one the model itself rates as
//!   probably not speech, is dropped;
//! - the stock phrases Whisper emits on silence ("Thanks for watching", "Obrigado por
//!   assistir", subtitle credits) are dropped unless speech clearly backs them;
//! - an n-gram repeated in a loop is collapsed to a single occurrence;
//! - a sentence the decoder repeats over consecutive segments that overlap in time (a loop
//!   whose timestamps have collapsed, as over music) is dropped whole.

use serde::{Deserialize, Serialize};

use super::energy::Envelope;
use super::{Segment, Word};

/// What the guard changed, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub start: f64,
    pub end: f64,
    /// The text as the model produced it.
    pub text: String,
    /// `silence`, `no_speech`, `stock_phrase`, `non_speech_tag` or `repetition`.
    pub reason: String,
    /// `dropped` or `collapsed`.
    pub action: String,
}

impl Flag {
    fn new(segment: &Segment, reason: &str, action: &str) -> Flag {
        Flag {
            start: segment.start,
            end: segment.end,
            text: segment.text.clone(),
            reason: reason.to_owned(),
            action: action.to_owned(),
        }
    }
}

/// A segment as decoded, before the guard.
pub(crate) struct RawSegment {
    pub segment: Segment,
    pub no_speech_probability: f32,
}

/// Phrases Whisper is known to produce on silence, normalised (lowercase, no punctuation).
const STOCK_PHRASES: &[&str] = &[
    "thanks for watching",
    "thank you for watching",
    "thank you so much for watching",
    "thanks for watching and see you next time",
    "please subscribe",
    "please subscribe to my channel",
    "like and subscribe",
    "dont forget to like and subscribe",
    "subtitles by the amaraorg community",
    "subtitles by",
    "transcribed by",
    "obrigado por assistir",
    "obrigada por assistir",
    "obrigado",
    "legendas pela comunidade amaraorg",
    "legendas pela comunidade",
    "inscrevase no canal",
    "se inscreva no canal",
    "até a próxima",
    "até o próximo vídeo",
    "tchau tchau",
    "gracias por ver el video",
    "subtítulos realizados por la comunidad de amaraorg",
];

fn normalise(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            word.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_stock_phrase(text: &str) -> bool {
    let normalised = normalise(text);
    !normalised.is_empty()
        && STOCK_PHRASES.iter().any(|phrase| {
            normalised == *phrase
                || (normalised.starts_with(phrase)
                    && normalised.split(' ').count() <= phrase.split(' ').count() + 2)
        })
}

/// `[Music]`, `(applause)`, `♪ ♪`, `*sigh*`: annotations, not words.
fn is_non_speech_tag(text: &str) -> bool {
    let trimmed = text.trim();
    let bracketed = |open: char, close: char| trimmed.starts_with(open) && trimmed.ends_with(close);
    !trimmed.is_empty()
        && (bracketed('[', ']')
            || bracketed('(', ')')
            || bracketed('*', '*')
            || trimmed
                .chars()
                .all(|c| matches!(c, '♪' | '♫' | '♬' | '-' | ' ' | '.')))
}

/// Collapses a run of the same n-gram (n = 1..=6) repeated 3 or more times in a row.
fn collapse_loops(words: &[Word]) -> Option<Vec<Word>> {
    let key = |word: &Word| normalise(&word.text);
    let keys: Vec<String> = words.iter().map(key).collect();
    let mut out: Vec<Word> = Vec::with_capacity(words.len());
    let mut index = 0;
    let mut changed = false;
    while index < words.len() {
        let mut collapsed = false;
        for n in 1..=6 {
            if index + 3 * n > words.len() {
                break;
            }
            let gram = &keys[index..index + n];
            let mut repeats = 1;
            while index + (repeats + 1) * n <= words.len()
                && keys[index + repeats * n..index + (repeats + 1) * n] == *gram
            {
                repeats += 1;
            }
            if repeats >= 3 {
                let mut kept = words[index..index + n].to_vec();
                // The kept occurrence spans the whole loop so the timeline has no hole.
                if let (Some(last), Some(loop_end)) =
                    (kept.last_mut(), words.get(index + repeats * n - 1))
                {
                    last.end = loop_end.end;
                }
                out.extend(kept);
                index += repeats * n;
                collapsed = true;
                changed = true;
                break;
            }
        }
        if !collapsed {
            out.push(words[index].clone());
            index += 1;
        }
    }
    changed.then_some(out)
}

/// Drops a run of consecutive segments that repeats a cycle of 1 to 4 segments 3 or more
/// times, at least 4 words a cycle, where each segment starts before the one before it ends.
/// Spoken segments follow one another; overlapping ones that say the same thing again and
/// again are the decoder stuck on its own output (the test's chord pad gives 8 segments that
/// all end at 9.96 s, "I'm going to go back to the" / "next video." four times). A repeat
/// with sane timing is left alone: a call to action can be said three times.
fn drop_overlapping_loops(segments: Vec<Segment>, flags: &mut Vec<Flag>) -> Vec<Segment> {
    let keys: Vec<String> = segments
        .iter()
        .map(|segment| normalise(&segment.text))
        .collect();
    let overlaps = |from: usize, to: usize| {
        segments[from..to]
            .windows(2)
            .all(|pair| pair[1].start < pair[0].end - 0.1)
    };
    let mut out = Vec::with_capacity(segments.len());
    let mut index = 0;
    while index < segments.len() {
        let mut run = 0;
        for period in 1..=4 {
            if index + 3 * period > keys.len() {
                break;
            }
            let cycle = &keys[index..index + period];
            let words: usize = cycle.iter().map(|key| key.split_whitespace().count()).sum();
            let mut repeats = 1;
            while index + (repeats + 1) * period <= keys.len()
                && keys[index + repeats * period..index + (repeats + 1) * period] == *cycle
            {
                repeats += 1;
            }
            if repeats >= 3 && words >= 4 && overlaps(index, index + repeats * period) {
                run = repeats * period;
                break;
            }
        }
        if run == 0 {
            out.push(segments[index].clone());
            index += 1;
            continue;
        }
        flags.extend(
            segments[index..index + run]
                .iter()
                .map(|segment| Flag::new(segment, "repetition", "dropped")),
        );
        index += run;
    }
    out
}

pub(crate) fn apply(raw: Vec<RawSegment>, envelope: &Envelope) -> (Vec<Segment>, Vec<Flag>) {
    let mut kept = Vec::with_capacity(raw.len());
    let mut flags = Vec::new();
    for RawSegment {
        mut segment,
        no_speech_probability,
    } in raw
    {
        let speech = envelope.speech_ratio(segment.start, segment.end.max(segment.start + 0.01));
        let reason = if is_non_speech_tag(&segment.text) {
            Some("non_speech_tag")
        } else if speech < 0.03 {
            Some("silence")
        } else if no_speech_probability > 0.8 && speech < 0.3 {
            Some("no_speech")
        } else if is_stock_phrase(&segment.text) && (speech < 0.3 || no_speech_probability > 0.3) {
            Some("stock_phrase")
        } else {
            None
        };
        if let Some(reason) = reason {
            flags.push(Flag::new(&segment, reason, "dropped"));
            continue;
        }
        if let Some(words) = collapse_loops(&segment.words) {
            flags.push(Flag::new(&segment, "repetition", "collapsed"));
            segment.text = words
                .iter()
                .map(|word| word.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            segment.words = words;
        }
        kept.push(segment);
    }
    let kept = drop_overlapping_loops(kept, &mut flags);
    (kept, flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, start: f64) -> Word {
        Word {
            text: text.to_owned(),
            start,
            end: start + 0.2,
            probability: 0.9,
        }
    }

    #[test]
    fn recognises_stock_phrases_and_tags() {
        assert!(is_stock_phrase("Thanks for watching!"));
        assert!(is_stock_phrase(" Obrigado por assistir."));
        assert!(is_stock_phrase("Legendas pela comunidade Amara.org"));
        assert!(!is_stock_phrase(
            "Thanks for watching the market with us every week, friends"
        ));
        assert!(!is_stock_phrase("Ask what you can do for your country."));
        assert!(is_non_speech_tag("[Music]"));
        assert!(is_non_speech_tag(" (applause) "));
        assert!(is_non_speech_tag("♪ ♪"));
        assert!(!is_non_speech_tag("Buy now (limited offer)"));
    }

    #[test]
    fn collapses_repetition_loops() {
        let words: Vec<Word> = [
            "buy", "now", "buy", "now", "buy", "now", "buy", "now", "today",
        ]
        .iter()
        .enumerate()
        .map(|(i, text)| word(text, i as f64 * 0.3))
        .collect();
        let collapsed = collapse_loops(&words).expect("loop found");
        let texts: Vec<_> = collapsed.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["buy", "now", "today"]);
        assert!((collapsed[1].end - words[7].end).abs() < 1e-9);
        let normal: Vec<Word> = ["so", "so", "good"].iter().map(|t| word(t, 0.0)).collect();
        assert!(
            collapse_loops(&normal).is_none(),
            "a doubled word is speech, not a loop"
        );
    }

    #[test]
    fn drops_a_loop_of_overlapping_segments_but_keeps_a_spoken_repeat() {
        let segment = |text: &str, start: f64, end: f64| Segment {
            start,
            end,
            text: text.to_owned(),
            words: vec![word(text, start)],
        };
        // As whisper.cpp gave it over a chord pad: every segment runs to the window's end.
        let mut stuck = vec![segment("Hello.", 0.0, 0.5)];
        for cycle in 0..4 {
            let at = 1.0 + f64::from(cycle) * 2.0;
            stuck.push(segment(" I'm going to go back to the", at, 9.96));
            stuck.push(segment(" next video.", at + 1.0, 9.96));
        }
        let mut flags = Vec::new();
        let kept = drop_overlapping_loops(stuck, &mut flags);
        let texts: Vec<_> = kept.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["Hello."]);
        assert_eq!(flags.len(), 8);
        assert!(flags
            .iter()
            .all(|flag| flag.reason == "repetition" && flag.action == "dropped"));

        // The same words one after another in time: a person saying it three times.
        let said: Vec<Segment> = (0..3)
            .map(|i| {
                segment(
                    "Click the button below.",
                    f64::from(i) * 2.0,
                    f64::from(i) * 2.0 + 1.8,
                )
            })
            .collect();
        let mut flags = Vec::new();
        assert_eq!(drop_overlapping_loops(said, &mut flags).len(), 3);
        assert!(flags.is_empty());
        // Overlapping but short, or only twice: left alone.
        let twice = vec![
            segment("I'm going to go back", 0.0, 9.0),
            segment("I'm going to go back", 1.0, 9.0),
        ];
        assert_eq!(drop_overlapping_loops(twice, &mut Vec::new()).len(), 2);
        let short: Vec<Segment> = (0..3).map(|i| segment("Yes.", f64::from(i), 9.0)).collect();
        assert_eq!(drop_overlapping_loops(short, &mut Vec::new()).len(), 3);
    }

    #[test]
    fn drops_invented_text_over_silence_but_keeps_spoken_text() {
        let mut pcm = vec![0.0f32; 16000 * 2];
        pcm.extend((0..16000 * 2).map(|i| 0.3 * (i as f32 * 0.2).sin()));
        let envelope = Envelope::new(&pcm);
        let segment = |text: &str, start: f64, end: f64| RawSegment {
            segment: Segment {
                start,
                end,
                text: text.to_owned(),
                words: vec![word(text, start)],
            },
            no_speech_probability: 0.1,
        };
        let (kept, flags) = apply(
            vec![
                segment("Thanks for watching!", 0.0, 1.9),
                segment("Thanks for watching!", 2.0, 3.9),
                segment("Hello there", 2.0, 3.9),
            ],
            &envelope,
        );
        assert_eq!(kept.len(), 2, "spoken segments stay");
        assert_eq!(flags.len(), 1);
        assert_eq!(
            (flags[0].reason.as_str(), flags[0].action.as_str()),
            ("silence", "dropped")
        );
    }
}
