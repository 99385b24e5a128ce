//! `vsl health`, `vsl cache`, `vsl monitor` and `vsl watch`'s refusals, end to end, with the
//! data, config and cache folders inside a temporary home.

#![allow(clippy::disallowed_methods)] // fixtures are written directly

mod common;

use common::{text, vsl_at as vsl};

use std::path::Path;

fn fill_cache(home: &Path) {
    for (name, bytes) in [
        ("cache/transcripts/aa/aa.json", 3000),
        ("cache/slides/bb/bb.png", 2000),
        ("cache/slides/cc/cc.png", 1000),
    ] {
        let path = home.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, vec![0u8; bytes]).expect("write");
    }
}

#[test]
fn health_json_reports_the_cache_and_memory() {
    let home = tempfile::tempdir().expect("tempdir");
    fill_cache(home.path());
    let output = vsl(home.path())
        .args(["health", "--json", "--out"])
        .arg(home.path())
        .output()
        .expect("run vsl");
    assert!(output.status.success(), "{}", text(&output));
    let health: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(health["cacheBytes"], 6000);
    assert!(health["memoryTotal"]
        .as_u64()
        .is_some_and(|bytes| bytes > 0));
    assert!(health["processRss"].as_u64().is_some_and(|bytes| bytes > 0));
    assert!(health["diskFree"].as_u64().is_some_and(|bytes| bytes > 0));
    assert!(health["model"].is_null());
}

#[test]
fn cache_report_and_cleanup() {
    let home = tempfile::tempdir().expect("tempdir");
    fill_cache(home.path());
    let output = vsl(home.path())
        .args(["cache", "report", "--json"])
        .output()
        .expect("run vsl");
    assert!(output.status.success(), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["kinds"][0]["kind"], "transcripts");
    assert_eq!(report["kinds"][0]["bytes"], 3000);
    assert_eq!(report["kinds"][1]["entries"], 2);

    let output = vsl(home.path())
        .args(["cache", "cleanup", "--max-size", "3.5KB", "--json"])
        .output()
        .expect("run vsl");
    assert!(output.status.success(), "{}", text(&output));
    let cleanup: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert!(cleanup["removedBySize"].as_u64().is_some_and(|n| n >= 1));
    assert!(cleanup["keptBytes"].as_u64().is_some_and(|n| n <= 3500));

    let output = vsl(home.path())
        .args(["cache", "cleanup", "--max-age", "soon"])
        .output()
        .expect("run vsl");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("not a duration"),
        "{}",
        text(&output)
    );
}

#[test]
fn monitor_prints_a_line_per_interval() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = vsl(home.path())
        .args(["monitor", "--interval", "1", "--count", "2"])
        .output()
        .expect("run vsl");
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines
        .iter()
        .all(|line| line.contains("cpu") && line.contains("rss")));
}

#[test]
fn watch_refuses_an_output_folder_inside_a_watched_one() {
    let home = tempfile::tempdir().expect("tempdir");
    let inbox = home.path().join("inbox");
    std::fs::create_dir(&inbox).expect("inbox");
    // The folders are checked before the model is looked for.
    let output = vsl(home.path())
        .arg("watch")
        .arg(&inbox)
        .arg("--out")
        .arg(inbox.join("out"))
        .args(["--model", "/nonexistent/ggml-none.bin"])
        .output()
        .expect("run vsl");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("inside the watched folder"),
        "{}",
        text(&output)
    );
}
