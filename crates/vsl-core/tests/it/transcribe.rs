use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vsl_core::media;
use vsl_core::transcribe::{TranscribeError, TranscribeOptions};

use crate::common::{engine, jfk_wav, normalize, JFK_TEXT};

fn jfk_pcm() -> Vec<f32> {
    media::decode(&jfk_wav(), &|| false)
        .expect("decode jfk")
        .samples
}

fn transcribe(model: &str, language: Option<&str>) -> vsl_core::transcribe::Transcript {
    let options = TranscribeOptions {
        language: language.map(str::to_owned),
        ..TranscribeOptions::default()
    };
    engine(model)
        .transcribe(&jfk_pcm(), &options, &mut |_| {}, &AtomicBool::new(false))
        .expect("transcribe")
}

#[test]
fn converted_tiny_en_transcribes_jfk() {
    let transcript = transcribe("tiny.en", None);
    assert_eq!(normalize(&transcript.text()), normalize(JFK_TEXT));
    assert_eq!(transcript.language, "en");
    assert_eq!(transcript.model, "tiny.en");
    assert!(
        (transcript.duration - 11.0).abs() < 0.01,
        "{}",
        transcript.duration
    );
}

#[test]
fn converted_base_transcribes_jfk_and_detects_english() {
    let transcript = transcribe("base", Some("auto"));
    assert_eq!(normalize(&transcript.text()), normalize(JFK_TEXT));
    assert_eq!(transcript.language, "en");
}

#[test]
fn quantized_base_transcribes_jfk() {
    let transcript = transcribe("base-ct2-q8", Some("en"));
    assert_eq!(normalize(&transcript.text()), normalize(JFK_TEXT));
}

#[test]
fn words_are_timed_monotonic_and_inside_segments() {
    let transcript = transcribe("tiny.en", None);
    let words: Vec<_> = transcript.words().collect();
    assert_eq!(
        normalize(
            &words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        normalize(JFK_TEXT)
    );
    let mut previous = 0.0;
    for segment in &transcript.segments {
        for word in &segment.words {
            assert!(
                word.start >= previous - 1e-9,
                "{word:?} starts before {previous}"
            );
            assert!(word.end >= word.start, "{word:?}");
            assert!(
                word.start >= segment.start - 0.01 && word.end <= segment.end + 0.01,
                "{word:?} outside {}..{}",
                segment.start,
                segment.end
            );
            assert!(word.end <= transcript.duration);
            assert!((0.0..=1.0).contains(&word.probability));
            previous = word.start;
        }
    }
}

#[test]
fn english_only_model_refuses_portuguese() {
    let error = engine("tiny.en")
        .transcribe(
            &jfk_pcm(),
            &TranscribeOptions {
                language: Some("pt".into()),
                ..Default::default()
            },
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .expect_err("pt on tiny.en");
    assert!(
        matches!(error, TranscribeError::EnglishOnly { .. }),
        "{error}"
    );
    let error = engine("base")
        .transcribe(
            &jfk_pcm(),
            &TranscribeOptions {
                language: Some("klingon".into()),
                ..Default::default()
            },
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .expect_err("unknown language");
    assert!(matches!(error, TranscribeError::Language(_)), "{error}");
}

#[test]
fn cancel_stops_the_job_and_the_engine_stays_usable() {
    let engine = engine("base");
    // A longer input so the job is still running when the flag flips.
    let mut pcm = jfk_pcm();
    for _ in 0..3 {
        pcm.extend_from_within(..);
    }
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        flag.store(true, Ordering::Relaxed);
        Instant::now()
    });
    let result = engine.transcribe(&pcm, &TranscribeOptions::default(), &mut |_| {}, &cancel);
    let returned = Instant::now();
    let cancelled_at = canceller.join().expect("canceller");
    assert!(
        matches!(result, Err(TranscribeError::Cancelled)),
        "{result:?}"
    );
    // Correctness, not speed: the job ended because of the flag, some time after it was set.
    assert!(returned >= cancelled_at);

    let again = engine
        .transcribe(
            &jfk_pcm(),
            &TranscribeOptions::default(),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .expect("engine usable after cancel");
    assert_eq!(normalize(&again.text()), normalize(JFK_TEXT));
}

#[test]
fn progress_reaches_one_hundred() {
    let mut seen = Vec::new();
    engine("tiny.en")
        .transcribe(
            &jfk_pcm(),
            &TranscribeOptions::default(),
            &mut |p| seen.push(p),
            &AtomicBool::new(false),
        )
        .expect("transcribe");
    assert_eq!(seen.last(), Some(&100));
    assert!(seen.windows(2).all(|pair| pair[0] <= pair[1]), "{seen:?}");
}
