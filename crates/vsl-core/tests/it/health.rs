//! Health figures from the real machine.

use std::time::Duration;

use vsl_core::health::{preflight, Health, HealthOptions};

use crate::common::jfk_wav;

#[test]
fn health_values_are_sane() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let sizes = [
        ("transcripts/ab/ab.json", 1234),
        ("slides/cd/cd.png", 5678),
        ("slides/ef/ef.png", 10),
    ];
    for (name, bytes) in sizes {
        let path = cache.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, vec![0u8; bytes]).expect("write");
    }
    let health = Health::collect(&HealthOptions {
        output_dir: dir.path().join("not yet created"),
        cache_dir: cache,
        model: Some(jfk_wav()),
        cpu_window: Duration::from_millis(250),
    });
    assert!(health.memory_total > 0);
    assert!(health.memory_available > 0 && health.memory_available <= health.memory_total);
    assert!(health.process_rss > 0 && health.process_rss < health.memory_total);
    assert!(health
        .process_peak_rss
        .is_none_or(|peak| peak >= health.process_rss / 2));
    assert!(
        (0.0..=100.0).contains(&health.cpu_percent),
        "{}",
        health.cpu_percent
    );
    assert!(health.cpu_cores >= 1);
    assert_eq!(health.cache_bytes, 1234 + 5678 + 10);
    assert!(health.disk_free.is_some_and(|free| free > 0));
    assert!(health.backend.contains("whisper.cpp"), "{}", health.backend);
    let model = health.model.as_ref().expect("model info");
    assert_eq!(
        model.bytes,
        std::fs::metadata(jfk_wav()).expect("size").len()
    );
    assert!(health.line().contains("cache 6.92 KB"), "{}", health.line());
    // A small file into a folder on a disk with room, with a small "model": no warnings.
    assert_eq!(preflight(&jfk_wav(), dir.path(), Some(&jfk_wav())), vec![]);
}
