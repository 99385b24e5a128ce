use std::fs;

use vsl_core::media::{self, MediaError};

use crate::common::{jfk_wav, test_data};

#[test]
fn decodes_wav_and_mp3_to_16k_mono() {
    let wav = media::decode(&jfk_wav(), &|| false).expect("wav");
    assert_eq!(wav.samples.len(), 176_000, "jfk.wav is 11 s at 16 kHz");
    assert!(wav.samples.iter().all(|s| s.is_finite() && s.abs() <= 1.0));
    let mp3 = media::decode(&test_data().join("jfk.mp3"), &|| false).expect("mp3");
    assert!(
        (mp3.duration() - wav.duration()).abs() < 0.1,
        "{} vs {}",
        mp3.duration(),
        wav.duration()
    );
}

#[test]
fn bad_media_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.wav");
    assert!(matches!(
        media::decode(&missing, &|| false),
        Err(MediaError::NotFound { .. })
    ));

    let text = dir.path().join("notes.mp3");
    fs::write(&text, "not audio at all ".repeat(100)).expect("write");
    let error = media::decode(&text, &|| false).expect_err("text file");
    assert!(error.to_string().contains("notes.mp3"), "{error}");

    let cancelled = media::decode(&jfk_wav(), &|| true).expect_err("cancelled");
    assert!(matches!(cancelled, MediaError::Cancelled));
}
