//! Word start times against a forced alignment of real read speech (issue 13, part 6).
//!
//! The reference is pocketsphinx's forced alignment of the known text: for five LibriVox
//! utterances, the alignments pocketsphinx ships as test data (fetched by `make setup`), and
//! for jfk.wav one made the same way (`bench/word_timing.py align`, in tests/fixtures).
//! Every word both sides agree on counts; its error is the transcript's start minus the
//! reference start.

use std::path::Path;

use vsl_core::jobs::CancelToken;
use vsl_core::media;
use vsl_core::transcribe::TranscribeOptions;

use crate::common::{engine, jfk_wav, test_data};

/// A reference word: its spelling and where it starts, in seconds.
fn reference(path: &Path) -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("alignment JSON");
    json["w"]
        .as_array()
        .expect("`w` list")
        .iter()
        .filter_map(|word| {
            let spelling = word["t"].as_str()?;
            // Silences and fillers are not words; `and(2)` names a pronunciation variant.
            if spelling.starts_with('<') || spelling.starts_with('(') || spelling.starts_with('[') {
                return None;
            }
            let spelling = spelling.split('(').next().unwrap_or(spelling);
            Some((key(spelling), word["b"].as_f64()?))
        })
        .collect()
}

/// How words are compared: lower case, letters, digits and apostrophes only.
fn key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric() || *c == '\'')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Start errors of the words in the longest common subsequence of the two word lists.
fn start_errors(reference: &[(String, f64)], heard: &[(String, f64)]) -> Vec<f64> {
    let keys =
        |words: &[(String, f64)]| words.iter().map(|(key, _)| key.clone()).collect::<Vec<_>>();
    crate::common::common_words(&keys(reference), &keys(heard))
        .into_iter()
        .map(|(i, j)| heard[j].1 - reference[i].1)
        .collect()
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The clips and their references: LibriVox (held out: nothing was tuned on it) and jfk
/// (where tiny.en's DTW lag was measured).
fn clips() -> Vec<(std::path::PathBuf, std::path::PathBuf)> {
    let librivox = test_data().join("librivox");
    let ids = std::fs::read_to_string(librivox.join("fileids"))
        .expect("LibriVox test data missing: run `make setup`");
    let mut clips: Vec<_> = ids
        .lines()
        .filter(|id| !id.trim().is_empty())
        .map(|id| {
            let id = id.trim();
            (
                librivox.join(format!("{id}.wav")),
                librivox.join(format!("{id}.json")),
            )
        })
        .collect();
    assert_eq!(clips.len(), 5, "{}", librivox.display());
    clips.push((
        jfk_wav(),
        crate::common::crate_dir().join("tests/fixtures/jfk.align.json"),
    ));
    clips
}

fn errors_for(model: &str) -> (Vec<f64>, usize) {
    let (mut errors, mut words) = (Vec::new(), 0);
    let options = TranscribeOptions {
        language: Some("en".to_owned()),
        ..TranscribeOptions::default()
    };
    for (audio, alignment) in clips() {
        let pcm = media::decode(&audio, &CancelToken::new()).expect("decode");
        let transcript = engine(model)
            .transcribe(&pcm.samples, &options, &mut |_| {}, &CancelToken::new())
            .expect("transcribe");
        let heard: Vec<(String, f64)> = transcript
            .words()
            .map(|word| (key(&word.text), word.start))
            .filter(|(word, _)| !word.is_empty())
            .collect();
        let reference = reference(&alignment);
        words += reference.len();
        errors.extend(start_errors(&reference, &heard));
    }
    (errors, words)
}

#[test]
fn word_starts_match_a_forced_alignment_of_real_speech() {
    for model in ["tiny.en", "base"] {
        let (errors, words) = errors_for(model);
        let mut absolute: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
        absolute.sort_by(f64::total_cmp);
        let (median, p95) = (quantile(&absolute, 0.5), quantile(&absolute, 0.95));
        eprintln!(
            "{model}: {} of {words} words matched, start error median {median:.3} s, \
             p95 {p95:.3} s, worst {:.3} s",
            absolute.len(),
            absolute.last().unwrap_or(&0.0)
        );
        // Hyphenated compounds ("ill-disposed") and misheard words do not match; most do.
        assert!(
            absolute.len() * 10 >= words * 8,
            "{model}: only {} of {words} words matched",
            absolute.len()
        );
        assert!(median <= 0.05, "{model}: median start error {median:.3} s");
        assert!(p95 <= 0.25, "{model}: p95 start error {p95:.3} s");
    }
}

#[test]
fn forced_alignment_matching_counts_only_shared_words() {
    let reference = vec![
        ("he".to_owned(), 0.2),
        ("was".to_owned(), 0.3),
        ("not".to_owned(), 0.6),
    ];
    let heard = vec![
        ("he".to_owned(), 0.25),
        ("wasnt".to_owned(), 0.4),
        ("not".to_owned(), 0.5),
    ];
    let errors = start_errors(&reference, &heard);
    assert_eq!(errors.len(), 2);
    assert!((errors[0] - 0.05).abs() < 1e-9 && (errors[1] + 0.1).abs() < 1e-9);
    assert_eq!(key("Americans,"), "americans");
}
