//! Segmentation: properties over random word streams (proptest) and snapshots of real
//! transcripts (`tests/fixtures/*.json`, made by `vsl transcribe` with the base model).
//!
//! Snapshots live in `tests/snapshots/`; `VSL_UPDATE_SNAPSHOTS=1` rewrites them.

use std::path::PathBuf;

use proptest::prelude::*;
use vsl_core::correct::{apply, Glossary};
use vsl_core::slides::{check, segment, Aspect, Slide, SlidePreset};
use vsl_core::transcribe::{Segment, Transcript, Word};

fn transcript_of(words: Vec<Word>, tail: f64) -> Transcript {
    let end = words.last().map_or(0.0, |w| w.end);
    Transcript {
        language: "en".into(),
        duration: end + tail,
        model: "test".into(),
        segments: vec![Segment {
            start: 0.0,
            end,
            text: String::new(),
            words,
        }],
        flags: Vec::new(),
    }
}

/// A word with optional punctuation, now and then a very long one.
fn word_text() -> impl Strategy<Value = String> {
    let core = prop_oneof![
        8 => proptest::sample::select(vec![
            "a", "we", "you", "the", "sales", "letter", "money", "back", "R$", "49,90", "$97",
            "não", "vídeo", "promoção", "3x", "50%", "ask", "country", "Americans",
        ])
        .prop_map(str::to_owned),
        1 => "[a-z]{15,24}",
    ];
    let punctuation = proptest::sample::select(vec!["", "", "", "", ",", ".", "?", "!", ";", "…"]);
    (core, punctuation).prop_map(|(core, punctuation)| format!("{core}{punctuation}"))
}

/// Words of up to 1 s with gaps of up to 0.8 s, so a slide can always be split to stay
/// under the 6 s maximum.
fn word_stream() -> impl Strategy<Value = (Vec<Word>, f64)> {
    (
        proptest::collection::vec((word_text(), 0.05f64..1.0, 0.0f64..0.8), 1..150),
        0.0f64..3.0,
    )
        .prop_map(|(items, tail)| {
            let mut time = 0.2;
            let words = items
                .into_iter()
                .map(|(text, length, gap)| {
                    let word = Word {
                        text,
                        start: time,
                        end: time + length,
                        probability: 0.9,
                    };
                    time += length + gap;
                    word
                })
                .collect();
            (words, tail)
        })
}

fn chars(words: &[&str]) -> usize {
    words.iter().map(|w| w.chars().count()).sum::<usize>() + words.len().saturating_sub(1)
}

/// Speech on a slide as the segmenter measures it: its first word's start to the next
/// slide's first word (the last slide: to its last word).
fn speech(words: &[Word], first: usize, next: usize) -> f64 {
    let until = words.get(next).map_or(words[next - 1].end, |w| w.start);
    until - words[first].start
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn segmentation_properties(
        (words, tail) in word_stream(),
        aspect in proptest::sample::select(Aspect::ALL.to_vec()),
    ) {
        let preset = SlidePreset::for_aspect(aspect);
        let t = transcript_of(words.clone(), tail);
        let slides = segment(&t, &preset, &[]);

        // Deterministic.
        prop_assert_eq!(&slides, &segment(&t, &preset, &[]));

        // Text preserved exactly and in order.
        let all: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        let joined: Vec<&str> = slides.iter().flat_map(|s| s.text.split(' ')).collect();
        prop_assert_eq!(&joined, &all);

        // [0, duration] covered without gaps, in index order.
        prop_assert_eq!(slides[0].start, 0.0);
        prop_assert_eq!(slides.last().map(|s| s.end), Some(t.duration));
        for (k, slide) in slides.iter().enumerate() {
            prop_assert_eq!(slide.index, k);
            prop_assert!(slide.start <= slide.end);
            prop_assert!(slide.image.is_empty());
        }
        for pair in slides.windows(2) {
            prop_assert_eq!(pair[0].end, pair[1].start);
        }

        // Limits.
        let mut first = 0;
        let mut bounds = Vec::new();
        for slide in &slides {
            let slide_words: Vec<&str> = slide.text.split(' ').collect();
            let count = slide_words.len();
            prop_assert!(count <= preset.max_words, "{} words: {}", count, slide.text);
            prop_assert!(
                count == 1 || chars(&slide_words) <= preset.max_chars,
                "{} chars: {}", chars(&slide_words), slide.text
            );
            bounds.push((first, first + count));
            first += count;
        }
        for &(i, j) in &bounds {
            let seconds = speech(&words, i, j);
            prop_assert!(seconds <= preset.max_duration + 1e-9, "{:.2} s of speech in words {}..{}", seconds, i, j);
        }
        // A slide shown under the minimum could not have been merged into a neighbour
        // without breaking a limit.
        for (k, (slide, &(i, j))) in slides.iter().zip(&bounds).enumerate() {
            if slide.end - slide.start >= preset.min_duration {
                continue;
            }
            let fits = |a: usize, b: usize| {
                let merged: Vec<&str> = all[a..b].to_vec();
                merged.len() <= preset.max_words
                    && chars(&merged) <= preset.max_chars
                    && speech(&words, a, b) <= preset.max_duration
            };
            let with_previous = k > 0 && fits(bounds[k - 1].0, j);
            let with_next = k + 1 < bounds.len() && fits(i, bounds[k + 1].1);
            prop_assert!(
                !with_previous && !with_next,
                "slide {} ({:.2} s, {:?}) could have been merged", k, slide.end - slide.start, slide.text
            );
        }
    }
}

fn fixture(name: &str) -> Transcript {
    let path = crate::common::fixture_text(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("transcript json")
}

fn snapshot_path(name: &str) -> PathBuf {
    crate::common::crate_dir()
        .join("tests/snapshots")
        .join(format!("{name}.txt"))
}

/// One line per slide: index, start, end, text, highlights.
fn describe(slides: &[Slide]) -> String {
    let mut out = String::new();
    for slide in slides {
        out.push_str(&format!(
            "{:>3} {:>7.2} {:>7.2} | {}",
            slide.index, slide.start, slide.end, slide.text
        ));
        if !slide.highlights.is_empty() {
            out.push_str(&format!("  [{}]", slide.highlights.join(" | ")));
        }
        out.push('\n');
    }
    out
}

fn assert_snapshot(name: &str, actual: &str) {
    let path = snapshot_path(name);
    if std::env::var_os("VSL_UPDATE_SNAPSHOTS").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("snapshot dir");
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "snapshot {} unreadable ({error}); run with VSL_UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from {} at line {}:\n  expected: {}\n  actual:   {}\n\
             (VSL_UPDATE_SNAPSHOTS=1 accepts the new segmentation)\n--- actual ---\n{actual}",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

#[test]
fn snapshots_of_real_transcripts() {
    let glossary = Glossary::parse(
        "accent_insensitive = true\n\
         [[rule]]\nfrom = \"carta de vendas em video\"\nto = \"Carta de Vendas em Vídeo\"\nhighlight = true\n\
         [[rule]]\nto = \"VSL Studio\"\nhighlight = true\n",
    )
    .expect("glossary");
    for name in ["jfk", "long_en", "pt_br"] {
        let mut transcript = fixture(&format!("{name}.json"));
        apply(&mut transcript, &glossary);
        for aspect in Aspect::ALL {
            let preset = SlidePreset::for_aspect(aspect);
            let slides = segment(&transcript, &preset, &glossary.highlight_terms());
            let words: Vec<&str> = transcript.words().map(|w| w.text.as_str()).collect();
            let joined: Vec<&str> = slides.iter().flat_map(|s| s.text.split(' ')).collect();
            assert_eq!(joined, words, "{name} {}: text changed", aspect.name());
            let mut text = describe(&slides);
            for warning in check(&slides, &preset) {
                text.push_str(&format!(
                    "warning: {}\n",
                    serde_json::to_string(&warning).expect("json")
                ));
            }
            let label = aspect.name().replace(':', "x");
            assert_snapshot(&format!("slides_{name}_{label}"), &text);
        }
    }
}

#[test]
fn jfk_cuts_at_its_commas() {
    let transcript = fixture("jfk.json");
    let slides = segment(
        &transcript,
        &SlidePreset::for_aspect(Aspect::Landscape),
        &[],
    );
    let texts: Vec<&str> = slides.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "And so my fellow Americans,",
            "ask not what your country can do for you,",
            "ask what you can do for your country."
        ]
    );
    // Each slide appears when its first word is spoken.
    let words: Vec<&Word> = transcript.words().collect();
    assert_eq!(slides[1].start, words[5].start);
    assert_eq!(slides[2].start, words[14].start);
    assert_eq!(slides[2].end, transcript.duration);
}
