//! `vsl watch` killed with SIGKILL in the middle of an export, then started again: the file
//! comes out once, under its own name, with nothing half-written left anywhere.
//!
//! The first watcher runs with the test-only fault switch `stall:export`, so the kill lands
//! while the MP4 is being written (its `.part` file is on disk) on any machine, fast or slow.

#![allow(clippy::disallowed_methods)] // fixtures are written directly

mod common;
mod watching;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{test_data, text};
use watching::{files_under, is_temporary, wait_until, Watch};

/// The MP4's duration in seconds, as ffprobe reads it (which also proves it is whole).
fn mp4_duration(path: &Path) -> f64 {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-show_entries"])
        .args(["format=duration:stream=codec_name"])
        .arg(path)
        .output()
        .expect("ffprobe is needed (run `make setup`)");
    assert!(output.status.success(), "{}", text(&output));
    let probe: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let codecs: Vec<&str> = probe["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .filter_map(|stream| stream["codec_name"].as_str())
        .collect();
    assert!(
        codecs.contains(&"h264") && codecs.contains(&"aac"),
        "{codecs:?}"
    );
    probe["format"]["duration"]
        .as_str()
        .and_then(|duration| duration.parse().ok())
        .expect("a duration")
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault switch: cargo test --features vsl-cli/fault-injection (make test)"
)]
fn a_watcher_killed_mid_export_finishes_the_file_once_under_its_own_name() {
    let home = tempfile::tempdir().expect("tempdir");
    let inbox = home.path().join("inbox");
    let out = home.path().join("out");
    std::fs::create_dir_all(&inbox).expect("inbox");
    std::fs::copy(test_data().join("jfk.wav"), inbox.join("voice.wav")).expect("copy");

    let mut first = Watch::start(home.path(), &inbox, &out, Some("stall:export"));
    wait_until(
        "the export's temporary MP4",
        Duration::from_secs(300),
        || {
            files_under(&out).iter().any(|path| {
                is_temporary(path)
                    && path.to_string_lossy().contains(".voice.mp4.")
                    && std::fs::metadata(path).is_ok_and(|meta| meta.len() > 0)
            })
        },
    );
    first.kill();
    let first_output = first.output();
    // What the killed run left: the half-written MP4 and the slides folder.
    let left: Vec<_> = files_under(&out);
    assert!(
        left.iter().any(|path| is_temporary(path)),
        "the kill left no temporary file, so nothing is being tested: {left:?}"
    );
    assert!(out.join("voice_slides").is_dir(), "{left:?}");
    assert!(!out.join("voice.mp4").exists());
    // The worker dies with the watcher (a parent-death signal); once it has, the lock on its
    // temporary file is free, which is how the restart tells it is stale.
    let part = left
        .iter()
        .find(|path| is_temporary(path))
        .expect("a temporary file")
        .clone();
    wait_until(
        "the killed watcher's worker to die",
        Duration::from_secs(60),
        || vsl_core::fs::try_lock(&part).expect("lock").is_some(),
    );

    let mut second = Watch::start(home.path(), &inbox, &out, None);
    second.wait_for_line("done", "voice.wav");
    let second_output = second.output();
    second.kill();
    let context = format!("first run:\n{first_output}\nsecond run:\n{second_output}");

    assert!(
        second_output.contains("resuming") && second_output.contains("voice.wav"),
        "{context}"
    );
    assert!(
        second_output.contains("temporary files left by a killed run"),
        "{context}"
    );
    // Exactly one video, under the input's own name, and it is whole.
    let videos: Vec<_> = files_under(&out)
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "mp4"))
        .collect();
    assert_eq!(videos, [out.join("voice.mp4")], "{context}");
    let duration = mp4_duration(&out.join("voice.mp4"));
    assert!((10.5..12.0).contains(&duration), "duration {duration}");
    assert!(
        !files_under(&out)
            .iter()
            .any(|path| path.to_string_lossy().contains("voice-2")),
        "{:?}",
        files_under(&out)
    );
    // Nothing half-written anywhere: outputs, cache, watch state.
    for dir in [&out, &home.path().join("cache"), &home.path().join("data")] {
        let temporary: Vec<_> = files_under(dir)
            .into_iter()
            .filter(|path| is_temporary(path))
            .collect();
        assert!(temporary.is_empty(), "{temporary:?}");
    }
    // The retry reused the transcript the killed run had cached.
    let hits = std::fs::read_to_string(home.path().join("cache").join("hits.log"))
        .expect("the cache's hit log");
    assert!(
        hits.lines().any(|line| line == "transcripts 1 0"),
        "no transcript cache hit: {hits}"
    );
    // The state says done, once, under that name.
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(home.path().join("data/watch/state.json")).expect("state"),
    )
    .expect("json");
    let entries: Vec<_> = state["entries"]
        .as_object()
        .expect("entries")
        .values()
        .collect();
    assert_eq!(entries.len(), 1, "{state}");
    assert_eq!(entries[0]["status"], "done", "{state}");
    assert_eq!(entries[0]["name"], "voice", "{state}");

    // A third start finds nothing to do.
    let mut third = Watch::start(home.path(), &inbox, &out, None);
    third.wait_for_line("skipped", "voice.wav");
    assert!(
        third.output().contains("already processed"),
        "{}",
        third.output()
    );
}
