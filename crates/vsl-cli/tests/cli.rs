//! The `vsl` binary end to end: real model (converted by `vsl models import-ct2`), real audio.

mod common;

use common::{test_data, text, tiny_models as models};

use std::path::Path;
use std::process::Command;

fn vsl(models: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vsl"));
    command.env("VSL_MODELS_DIR", models);
    command
}

#[test]
fn models_list_shows_installed_and_default() {
    let output = vsl(models())
        .args(["models", "list"])
        .output()
        .expect("run");
    assert!(output.status.success());
    let listing = text(&output);
    let tiny = listing
        .lines()
        .find(|l| l.starts_with("tiny.en "))
        .expect("tiny.en row");
    assert!(
        tiny.contains("installed") && tiny.contains("q8_0") && tiny.contains("english"),
        "{tiny}"
    );
    let base = listing
        .lines()
        .find(|l| l.starts_with("base "))
        .expect("base row");
    // This build computes on the CPU, where base is the recommendation (models::recommend).
    assert!(
        base.contains("(default, recommended)") && !base.contains("installed"),
        "{base}"
    );
    assert!(
        listing.contains("\nrecommended for CPU (") && listing.trim_end().ends_with(": base"),
        "{listing}"
    );

    let json = vsl(models())
        .args(["models", "list", "--json"])
        .output()
        .expect("run");
    let entries: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let rows = entries.as_array().expect("rows");
    assert!(rows
        .iter()
        .any(|row| row["name"] == "tiny.en" && row["installed"] == true));
    let recommended: Vec<_> = rows
        .iter()
        .filter(|row| row["recommended"] == true)
        .map(|row| row["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(recommended, ["base"]);

    // A GPU that is not there is refused with the choices, as for a job.
    let missing = vsl(models())
        .args(["models", "list", "--device", "CUDA3"])
        .output()
        .expect("run");
    assert!(!missing.status.success());
    assert!(text(&missing).contains("'CUDA3'"), "{}", text(&missing));
}

#[test]
fn transcribe_writes_json_and_a_summary() {
    let out = tempfile::tempdir().expect("tempdir");
    let output = vsl(models())
        .arg("transcribe")
        .arg(test_data().join("jfk.wav"))
        .args(["--model", "tiny.en", "--out"])
        .arg(out.path())
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("real-time factor"),
        "{}",
        text(&output)
    );
    let transcript: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("jfk.json")).expect("jfk.json"))
            .expect("json");
    // Same stem twice in one run: the second is named like a second output anywhere
    // (`jfk-2`) instead of overwriting the first.
    let twice = vsl(models())
        .arg("transcribe")
        .arg(test_data().join("jfk.wav"))
        .arg(test_data().join("jfk.mp3"))
        .args(["--model", "tiny.en", "--out"])
        .arg(out.path())
        .output()
        .expect("run");
    assert!(twice.status.success(), "{}", text(&twice));
    assert!(out.path().join("jfk-2.json").is_file());
    assert_eq!(transcript["language"], "en");
    assert_eq!(transcript["model"], "tiny.en");
    let words = transcript["segments"][0]["words"]
        .as_array()
        .expect("words");
    assert_eq!(words[0]["text"], "And");
    assert!(words[0]["start"].as_f64().is_some() && words[0]["probability"].as_f64().is_some());
}

#[test]
fn failures_have_exit_codes_and_messages() {
    let out = tempfile::tempdir().expect("tempdir");
    let missing = vsl(models())
        .args([
            "transcribe",
            "/nonexistent/talk.mp4",
            "--model",
            "tiny.en",
            "--out",
        ])
        .arg(out.path())
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing).contains("/nonexistent/talk.mp4"),
        "{}",
        text(&missing)
    );

    // Inputs are checked before the model: a missing file never waits for a model load.
    let not_installed = vsl(models())
        .arg("transcribe")
        .arg(test_data().join("jfk.wav"))
        .args(["--model", "base", "--out"])
        .arg(out.path())
        .output()
        .expect("run");
    assert_eq!(not_installed.status.code(), Some(1));
    assert!(
        text(&not_installed).contains("not installed"),
        "{}",
        text(&not_installed)
    );

    let usage = vsl(models())
        .args(["transcribe", "--bogus"])
        .output()
        .expect("run");
    assert_eq!(usage.status.code(), Some(2));

    let download = vsl(models())
        .args(["models", "download", "no-such-model"])
        .output()
        .expect("run");
    assert_eq!(download.status.code(), Some(1));
    assert!(
        text(&download).contains("unknown model"),
        "{}",
        text(&download)
    );
}

#[test]
fn ctrl_c_cancels_with_exit_code_130() {
    // Eight copies of the clip keep the job running long enough to interrupt it.
    let dir = tempfile::tempdir().expect("tempdir");
    let long = dir.path().join("long.wav");
    let status = Command::new("sox")
        .args(std::iter::repeat_n(test_data().join("jfk.wav"), 8))
        .arg(&long)
        .status()
        .expect("sox");
    assert!(status.success());
    let mut child = vsl(models())
        .arg("transcribe")
        .arg(&long)
        .args(["--model", "tiny.en", "--threads", "1", "--out"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Interrupt once the model is loaded (the CLI says so on stderr), mid-transcription.
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut stderr, &mut line).expect("read stderr") > 0
        && !line.contains("loaded")
    {
        line.clear();
    }
    assert!(
        line.contains("loaded"),
        "the CLI never reported the model as loaded"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: sending SIGINT to our own child process.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(130), "{}", text(&output));
    assert!(
        !dir.path().join("long.json").exists(),
        "no transcript for a cancelled job"
    );
}
