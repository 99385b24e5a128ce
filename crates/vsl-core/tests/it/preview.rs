//! The player's audio rendition (`export::preview`): a small Opus copy made once per source.

use std::path::Path;

use vsl_core::export::preview::{cached_preview, ensure_preview, preview_path, PREVIEW_BIT_RATE};
use vsl_core::jobs::CancelToken;
use vsl_core::media;
use vsl_core::ErrorKind;

use super::common::jfk_wav;
use super::export::ffprobe_json;

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in walk(dir) {
        found.push(entry);
    }
    found
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in listing.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_preview_is_small_mono_opus_of_the_same_length_and_made_once() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // An odd name, as users' files have.
    let source = work.path().join("voz — take 1.wav");
    std::fs::copy(jfk_wav(), &source).unwrap();
    let cancel = CancelToken::new();

    assert_eq!(cached_preview(cache.path(), &source).unwrap(), None);
    let preview = ensure_preview(cache.path(), &source, &cancel).unwrap();
    assert_eq!(
        cached_preview(cache.path(), &source).unwrap(),
        Some(preview.clone())
    );
    assert!(preview.starts_with(cache.path().join("previews")));
    assert_eq!(preview.extension().unwrap(), "ogg");
    let probe = ffprobe_json(
        &preview,
        &[
            "-show_entries",
            "stream=codec_name,channels,sample_rate:format=duration,size",
        ],
    );
    let stream = &probe["streams"][0];
    assert_eq!(stream["codec_name"], "opus", "{probe}");
    assert_eq!(stream["channels"], 1, "{probe}");
    let number = |value: &serde_json::Value| value.as_str().unwrap().parse::<f64>().unwrap();
    let bit_rate = number(&probe["format"]["size"]) * 8.0 / number(&probe["format"]["duration"]);
    // Ogg pages and Opus headers add a little to the codec's rate on an 11 s file.
    assert!(bit_rate <= PREVIEW_BIT_RATE as f64 * 1.25, "{bit_rate} b/s");
    let source_bytes = std::fs::metadata(&source).unwrap().len();
    let preview_bytes = std::fs::metadata(&preview).unwrap().len();
    // jfk.wav is 16 kHz mono (256 kb/s); a 48 kHz stereo WAV is 32 times the rendition.
    assert!(
        preview_bytes * 4 < source_bytes,
        "{preview_bytes} of {source_bytes} bytes"
    );

    // The same length as the voice, so the player's clock matches the slides' times.
    let token = CancelToken::new();
    let original = media::decode(&source, &token).unwrap().duration();
    let copy = media::decode(&preview, &token).unwrap().duration();
    assert!(
        (original - copy).abs() < 0.05,
        "{original} s against {copy} s"
    );

    // A second call is a hit: the same file, not made again, and nothing else written.
    let made = std::fs::read(&preview).unwrap();
    let again = ensure_preview(cache.path(), &source, &cancel).unwrap();
    assert_eq!(again, preview);
    assert_eq!(std::fs::read(&again).unwrap(), made);
    assert_eq!(files_under(cache.path()), vec![preview.clone()]);
    assert_eq!(preview_path(cache.path(), &source).unwrap(), preview);

    // A re-recorded file (new content, new time) gets a rendition of its own.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&source, std::fs::read(jfk_wav()).unwrap()).unwrap();
    let file = std::fs::File::options().append(true).open(&source).unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    assert_ne!(preview_path(cache.path(), &source).unwrap(), preview);
}

#[test]
fn a_file_that_is_not_audio_is_refused_by_name_and_leaves_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let junk = work.path().join("notes.mp3");
    std::fs::write(&junk, b"these are notes, not audio".repeat(200)).unwrap();
    let error = ensure_preview(cache.path(), &junk, &CancelToken::new()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnsupportedMedia, "{error}");
    assert!(error.to_string().contains("notes.mp3"), "{error}");
    assert!(
        files_under(cache.path()).is_empty(),
        "{:?}",
        files_under(cache.path())
    );

    let missing = work.path().join("gone.wav");
    let error = ensure_preview(cache.path(), &missing, &CancelToken::new()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    assert!(error.to_string().contains("gone.wav"), "{error}");
}

#[test]
fn a_cancelled_preview_writes_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let cancel = CancelToken::new();
    cancel.cancel();
    let error = ensure_preview(cache.path(), &jfk_wav(), &cancel).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Cancelled, "{error}");
    assert!(
        files_under(cache.path()).is_empty(),
        "{:?}",
        files_under(cache.path())
    );
}
