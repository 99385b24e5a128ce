//! An hour-long voice-over through `vsl run`: memory stays bounded (issue "Crash-proof and
//! restart-safe", Long files). Its own test binary, so nothing else runs beside it and its
//! peak is the run's own. The benchmark with base is in docs/BENCHMARKS.md, "Memory".

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{test_data, text, tiny_models, vsl_at};

/// The peak resident memory the issue allows `vsl run` on 60 minutes (with base; tiny.en
/// here, whose model is 40 MB smaller).
const PEAK_LIMIT_MB: u64 = 600;

/// 60 minutes of speech: espeak-ng reading the 2-minute fixture text, joined 29 times.
fn hour_of_speech(dir: &Path) -> std::path::PathBuf {
    let once = dir.join("once.wav");
    let text = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vsl-core/tests/fixtures/long_en.txt");
    let status = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "145", "-w"])
        .arg(&once)
        .arg("-f")
        .arg(&text)
        .status()
        .expect("espeak-ng is needed for this test (run `make setup`)");
    assert!(status.success());
    let hour = dir.join("an hour of voice-over.wav");
    let status = Command::new("sox")
        .arg(&once)
        .arg(&hour)
        .args(["repeat", "28"])
        .status()
        .expect("sox is needed for this test (run `make setup`)");
    assert!(status.success());
    hour
}

/// The peak resident set (VmHWM) of a running process, in MB.
fn peak_mb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

#[test]
fn an_hour_of_voice_over_runs_in_bounded_memory() {
    let _ = test_data();
    let home = tempfile::tempdir().expect("home");
    let input = hour_of_speech(home.path());
    let out = home.path().join("out");
    let mut child = vsl_at(home.path())
        .env("VSL_MODELS_DIR", tiny_models())
        .args(["run", "--model", "tiny.en", "--out"])
        .arg(&out)
        .arg(&input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vsl");
    // The last reading before the process ends: the high-water mark only rises, and the
    // transcription (the peak) ends minutes before the process does.
    let mut peak = 0;
    while child.try_wait().expect("wait").is_none() {
        if let Some(mb) = peak_mb(child.id()) {
            peak = peak.max(mb);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = child.wait_with_output().expect("output");
    let log = text(&output);
    assert!(output.status.success(), "{log}");
    // Written past the test harness's capture, so every run's output records the figure.
    let summary = log.lines().take(4).collect::<Vec<_>>().join("\n");
    let _ = writeln!(
        std::io::stderr(),
        "vsl run, 60 min of speech, tiny.en: peak RSS {peak} MB\n{summary}"
    );
    let seconds: f64 = log
        .split("audio ")
        .nth(1)
        .and_then(|rest| rest.split(" s").next())
        .and_then(|number| number.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(seconds >= 3600.0, "not an hour of audio: {summary}");
    let mp4 = out.join("an hour of voice-over.mp4");
    assert!(
        std::fs::metadata(&mp4).is_ok_and(|m| m.len() > 10_000_000),
        "{log}"
    );
    assert!(peak > 0, "the process's memory was never read");
    assert!(
        peak <= PEAK_LIMIT_MB,
        "peak RSS {peak} MB over {PEAK_LIMIT_MB} MB: {summary}"
    );
}
