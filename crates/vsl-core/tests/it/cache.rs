//! The caches on the real filesystem: cleanup by age and by size, and a transcript cache hit
//! when the same file runs through the pipeline twice.

use std::path::Path;
use std::time::{Duration, SystemTime};
use vsl_core::jobs::CancelToken;

use vsl_core::cache::{self, CacheKind, CacheLimits, TranscriptCache};
use vsl_core::job::{Formats, JobSpec, Language};
use vsl_core::paths::Dirs;
use vsl_core::pipeline::{self, PipelineOptions, Stage};
use vsl_core::render::{RenderSize, SlideCache};

use crate::common::{engine, jfk_wav};

/// Writes `bytes` bytes to `path`, last modified `age` ago.
fn entry(path: &Path, bytes: usize, age: Duration) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, vec![1u8; bytes]).expect("write entry");
    let file = std::fs::File::options()
        .append(true)
        .open(path)
        .expect("open entry");
    file.set_modified(SystemTime::now() - age)
        .expect("set mtime");
}

#[test]
fn cleanup_removes_old_entries_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let hour = Duration::from_secs(3600);
    let old_transcript = root.join("transcripts/ab/ab01.json");
    let old_slide = root.join("slides/cd/cd01.png");
    let fresh_transcript = root.join("transcripts/ef/ef01.json");
    let fresh_slide = root.join("slides/01/0101.png");
    entry(&old_transcript, 100, 48 * hour);
    entry(&old_slide, 200, 25 * hour);
    entry(&fresh_transcript, 300, hour);
    entry(&fresh_slide, 400, 2 * hour);

    let limits = CacheLimits {
        max_age: Some(cache::parse_duration("24h").expect("24h")),
        max_size: None,
    };
    let report = cache::cleanup(root, limits, SystemTime::now()).expect("cleanup");
    assert_eq!(report.removed_by_age, 2);
    assert_eq!(report.removed_by_size, 0);
    assert_eq!(report.freed_bytes, 300);
    assert_eq!((report.kept, report.kept_bytes), (2, 700));
    assert!(!old_transcript.exists() && !old_slide.exists());
    assert!(fresh_transcript.exists() && fresh_slide.exists());
}

#[test]
fn cleanup_by_size_removes_the_least_recently_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let minute = Duration::from_secs(60);
    // Five entries of 1000 bytes, used 5, 4, 3, 2 and 1 minutes ago, across both kinds.
    let paths: Vec<_> = (0..5)
        .map(|index| {
            let kind = if index % 2 == 0 {
                "slides"
            } else {
                "transcripts"
            };
            let path = root.join(format!("{kind}/0{index}/entry{index}.bin"));
            entry(&path, 1000, (5 - index) * minute);
            path
        })
        .collect();
    let limits = CacheLimits {
        max_age: Some(Duration::from_secs(3600)),
        max_size: Some(cache::parse_size("2.5KB").expect("size")),
    };
    let report = cache::cleanup(root, limits, SystemTime::now()).expect("cleanup");
    assert_eq!(report.removed_by_age, 0);
    assert_eq!(report.removed_by_size, 3);
    assert_eq!(report.kept_bytes, 2000);
    for (index, path) in paths.iter().enumerate() {
        assert_eq!(path.exists(), index >= 3, "entry {index}");
    }
    let after = cache::report(root).expect("report");
    assert_eq!(after.bytes(), 2000);
    assert_eq!(after.entries(), 2);
}

#[test]
fn the_second_run_of_a_file_reuses_its_transcript() {
    let engine = engine("tiny.en");
    let dir = tempfile::tempdir().expect("tempdir");
    // The test's own folders: nothing of a developer's glossary or slides.toml is read.
    let dirs = Dirs::under(dir.path());
    let slides = SlideCache::open(&dirs);
    let spec = JobSpec {
        language: Language::parse("en"),
        formats: Formats::parse("srt").expect("formats"),
        threads: 2,
        size: Some(RenderSize::parse("640x360").expect("size")),
        ..JobSpec::default()
    };
    let resolved = spec.resolve(&dirs).expect("resolves");
    let options =
        |out: &str| -> PipelineOptions { resolved.pipeline_options(&dir.path().join(out), false) };
    let run = |out: &str| {
        pipeline::run_file(
            engine,
            &jfk_wav(),
            "jfk",
            &options(out),
            &|_| {},
            &CancelToken::new(),
        )
        .expect("pipeline")
    };
    let has = |outcome: &pipeline::PipelineOutcome, stage: Stage| {
        outcome.timings.iter().any(|(s, _)| *s == stage)
    };

    let first = run("first");
    assert!(has(&first, Stage::Transcribe));
    let transcripts = TranscriptCache::beside(&slides);
    let stored = cache::report(&dir.path().join("cache")).expect("report");
    let kind = |kind| {
        stored
            .kinds
            .iter()
            .find(|report| report.kind == kind)
            .expect("kind")
            .clone()
    };
    assert_eq!(kind(CacheKind::Transcripts).entries, 1);
    assert_eq!(kind(CacheKind::Transcripts).dir, transcripts.dir());
    assert!(kind(CacheKind::Slides).entries >= 1);

    let second = run("second");
    assert!(!has(&second, Stage::Decode) && !has(&second, Stage::Transcribe));
    assert_eq!(second.words, first.words);
    assert_eq!(second.slides, first.slides);
    assert!((second.duration - first.duration).abs() < 1e-9);
    let first_srt = std::fs::read_to_string(dir.path().join("first/jfk.srt")).expect("srt");
    let second_srt = std::fs::read_to_string(dir.path().join("second/jfk.srt")).expect("srt");
    assert_eq!(first_srt, second_srt);
    // The hit log counts both runs' lookups: the first missed, the second hit, and the
    // second run's slides all came from the cache.
    let hits = cache::report(&dir.path().join("cache")).expect("report");
    let transcripts = &hits.kinds[0];
    assert_eq!(
        (transcripts.hits, transcripts.misses),
        (1, 1),
        "{transcripts:?}"
    );
    let slides = &hits.kinds[1];
    assert_eq!(slides.kind, CacheKind::Slides);
    assert_eq!(slides.misses, first.slides as u64, "{slides:?}");
    assert!(slides.hits >= second.slides as u64, "{slides:?}");
}
