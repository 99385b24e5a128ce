//! Watched folders, the glossary editor and cache cleanup through the app's commands, on the
//! mock runtime with the real pipeline: a voice-over copied into a watched folder becomes a
//! queue job announced app-wide, its MP4 and subtitles land in the output folder, and the
//! job opens like any other.
//!
//! The app works in folders of the test's own (`common::app_with_window`); the settings
//! file there picks the tiny.en model.

// Fixtures are written directly; only product code must go through vsl_core::fs.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::{app_with_window, invoke, jfk, write_settings};
use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::{Listener, Manager};

/// The `vsl` binary of this build (`cargo test --workspace` builds it with the tests).
fn vsl_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary");
    // target/<profile>/deps/watch-<hash> -> target/<profile>/vsl
    let binary = exe
        .parent()
        .and_then(Path::parent)
        .map(|profile| profile.join("vsl"))
        .expect("the profile folder");
    assert!(
        binary.is_file(),
        "{} is missing: run the tests with `cargo test --workspace`",
        binary.display()
    );
    binary
}

/// Polls `check` until it returns something or `limit` passes.
fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn collect(app: &tauri::App<MockRuntime>, event: &str) -> Arc<Mutex<Vec<Value>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    app.listen_any(event, move |event| {
        let payload = serde_json::from_str(event.payload()).expect("event payloads are JSON");
        sink.lock().expect("not poisoned").push(payload);
    });
    seen
}

fn folder(dir: &Path, out: &Path, enabled: bool) -> Value {
    json!({
        "dir": dir, "outDir": out, "language": "en", "preset": "16:9", "theme": "classic",
        "formats": ["mp4", "srt"], "enabled": enabled,
    })
}

#[test]
fn watched_folders_glossary_and_cache_cleanup_work_through_the_commands() {
    let test = app_with_window("main");
    // The model is the settings' (tiny.en, for speed), as a person would choose it.
    write_settings(&test.dirs, "model = \"tiny.en\"\nlanguage = \"en\"\n");
    let (app, window) = (&test.app, &test.window);
    let root = &test.dirs.data;
    let added = collect(app, "job-added");
    let job_events = collect(app, "job-event");
    let watch_events = collect(app, "watch");

    // The glossary editor: save, read back, and a bad rule is named and not written.
    let glossary = json!({
        "reviewThreshold": 0.3,
        "rules": [{ "from": ["ask not"], "to": "Ask Not", "highlight": true, "accentInsensitive": false }],
    });
    invoke(window, "save_glossary", json!({ "glossary": glossary })).expect("saved");
    let read = invoke(window, "get_glossary", json!({})).expect("read");
    assert_eq!(read["rules"], glossary["rules"], "{read}");
    assert!((read["reviewThreshold"].as_f64().expect("a number") - 0.3).abs() < 1e-6);
    assert!(read["path"]
        .as_str()
        .is_some_and(|path| path.ends_with("glossary.toml")));
    let bad = json!({ "rules": [{ "from": ["x"], "to": " " }] });
    let error = invoke(window, "save_glossary", json!({ "glossary": bad })).expect_err("refused");
    assert_eq!(error["kind"], json!("invalid_glossary"), "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("rule 1")),
        "{error}"
    );
    let read = invoke(window, "get_glossary", json!({})).expect("read");
    assert_eq!(
        read["rules"].as_array().map(Vec::len),
        Some(1),
        "the old glossary stays"
    );

    // A folder whose output is inside it would import its own videos: refused.
    let inbox = root.join("inbox");
    let out = root.join("out");
    std::fs::create_dir_all(&inbox).expect("created");
    let mut settings = invoke(window, "get_settings", json!({})).expect("settings");
    settings["watchFolders"] = json!([folder(&inbox, &inbox.join("videos"), true)]);
    let error = invoke(window, "save_settings", json!({ "settings": settings }))
        .expect_err("output inside the watched folder");
    assert_eq!(error["kind"], json!("output_inside_watched"), "{error}");

    settings["watchFolders"] = json!([folder(&inbox, &out, true)]);
    invoke(window, "save_settings", json!({ "settings": settings })).expect("saved");
    wait_for(Duration::from_secs(20), "the folder to be watched", || {
        let status = invoke(window, "get_watch_status", json!({})).expect("status");
        (status["folders"][0]["state"] == json!("watching")).then_some(())
    });

    // Copy a voice-over in: it becomes a job with an origin, announced app-wide.
    std::fs::copy(jfk(), inbox.join("jfk.wav")).expect("copied");
    let record = wait_for(Duration::from_secs(30), "job-added", || {
        added.lock().expect("not poisoned").first().cloned()
    });
    assert_eq!(record["origin"], json!(inbox), "{record}");
    assert_eq!(record["status"], json!("running"), "{record}");
    let id = record["id"].as_str().expect("an id").to_owned();
    let last = wait_for(Duration::from_secs(300), "the job to finish", || {
        job_events
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|message| message["id"] == json!(id))
            .map(|message| message["event"].clone())
            .find(|event| {
                ["done", "failed", "cancelled"].contains(&event["event"].as_str().unwrap_or(""))
            })
    });
    assert_eq!(last["event"], json!("done"), "{last}");
    let stages: Vec<Value> = job_events
        .lock()
        .expect("not poisoned")
        .iter()
        .filter(|message| message["event"]["event"] == json!("stage"))
        .map(|message| message["event"]["stage"].clone())
        .collect();
    assert!(stages.contains(&json!("transcribing")), "{stages:?}");

    // The folder's formats are in its output folder, whole.
    let mp4 = out.join("jfk.mp4");
    assert!(
        std::fs::metadata(&mp4).is_ok_and(|m| m.len() > 10_000),
        "{}",
        mp4.display()
    );
    let srt = std::fs::read_to_string(out.join("jfk.srt")).expect("the SRT was written");
    assert!(srt.to_lowercase().contains("ask not"), "{srt}");
    assert!(!out.join("jfk.vtt").exists(), "only the chosen formats");
    assert!(
        watch_events
            .lock()
            .expect("not poisoned")
            .iter()
            .any(|event| event["event"] == json!("done")),
        "a watch `done` event"
    );

    // The job is in the queue with its origin and opens in the editor.
    let jobs = invoke(window, "list_jobs", json!({})).expect("jobs");
    let listed = jobs
        .as_array()
        .and_then(|jobs| jobs.iter().find(|job| job["id"] == json!(id)))
        .cloned()
        .expect("the job is listed");
    assert_eq!(listed["status"], json!("done"), "{listed}");
    assert_eq!(listed["origin"], json!(inbox), "{listed}");
    let view = invoke(window, "open_job", json!({ "id": id })).expect("opens");
    assert!(!view["deck"]["slides"]
        .as_array()
        .expect("slides")
        .is_empty());

    // One job model: the same voice-over dropped on the window and run with `vsl run` with
    // the same settings makes the same slides, at the same size, as the watched folder.
    let watched_deck: Value =
        serde_json::from_slice(&std::fs::read(out.join("jfk_slides/slides.json")).expect("deck"))
            .expect("JSON");
    assert_eq!(
        watched_deck, view["deck"],
        "the editor shows what was written"
    );
    let dropped = invoke(
        window,
        "start_job",
        json!({ "path": jfk(), "onProgress": "__CHANNEL__:9" }),
    )
    .expect("started");
    let dropped_id = dropped["id"].as_str().expect("an id").to_owned();
    wait_for(Duration::from_secs(300), "the dropped job", || {
        let jobs = invoke(window, "list_jobs", json!({})).expect("jobs");
        jobs.as_array()?
            .iter()
            .find(|job| job["id"] == json!(dropped_id) && job["status"] != json!("running"))
            .cloned()
    });
    let dropped_deck = invoke(window, "open_job", json!({ "id": dropped_id })).expect("opens");
    assert_eq!(
        dropped_deck["deck"], watched_deck,
        "dropped and watched agree"
    );
    assert_eq!(
        watched_deck["width"],
        json!(1920),
        "full HD, however it arrived"
    );
    // A script pasted for the finished job: its slides show the script's words, cut again
    // without transcribing (the model is not loaded again), and Undo brings back the old.
    let loads = test
        .app
        .state::<vsl_studio_lib::services::state::AppState>()
        .models
        .load_count();
    let script = "And so, my fellow AMERICANS,\nask NOT what your country can do for you,\n---\nask what YOU can do for your country.";
    let scripted = invoke(
        window,
        "set_job_script",
        json!({ "id": dropped_id, "script": { "from": "pasted", "text": script } }),
    )
    .expect("the script is applied");
    let shown: Vec<String> = scripted["deck"]["slides"]
        .as_array()
        .expect("slides")
        .iter()
        .flat_map(|slide| {
            let text = slide["text"].as_str().expect("text").replace('*', "");
            text.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let expected: Vec<String> = script
        .replace("---", "")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(shown, expected);
    assert_eq!(
        scripted["alignment"]["script"],
        json!("script.txt"),
        "{scripted}"
    );
    assert_eq!(
        test.app
            .state::<vsl_studio_lib::services::state::AppState>()
            .models
            .load_count(),
        loads,
        "no transcription"
    );
    let undone = invoke(
        window,
        "step_history",
        json!({ "id": dropped_id, "step": "undo" }),
    )
    .expect("undone");
    assert_eq!(undone["deck"], watched_deck);
    let bad = invoke(
        window,
        "set_job_script",
        json!({ "id": dropped_id, "script": { "from": "pasted", "text": "Hoje você vai descobrir o segredo das vendas online em poucos passos." } }),
    )
    .expect_err("another voice-over's script");
    assert_eq!(bad["kind"], json!("script_mismatch"), "{bad}");

    let cli_out = root.join("cli");
    let ran = std::process::Command::new(vsl_binary())
        .arg("run")
        .arg(jfk())
        .arg("--out")
        .arg(&cli_out)
        .args(["--model", "tiny.en", "--language", "en", "--formats", "srt"])
        .env("VSL_DATA_DIR", &test.dirs.data)
        .env("VSL_CONFIG_DIR", &test.dirs.config)
        .env("VSL_CACHE_DIR", &test.dirs.cache)
        .env("VSL_MODELS_DIR", &test.dirs.models)
        .output()
        .expect("vsl runs");
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let cli_deck: Value = serde_json::from_slice(
        &std::fs::read(cli_out.join("jfk_slides/slides.json")).expect("the CLI's deck"),
    )
    .expect("JSON");
    assert_eq!(cli_deck, watched_deck, "vsl run and the app agree");

    // The same file again, under another name: reported as a duplicate, not a second job.
    std::fs::copy(jfk(), inbox.join("again.wav")).expect("copied");
    wait_for(Duration::from_secs(30), "a duplicate report", || {
        watch_events
            .lock()
            .expect("not poisoned")
            .iter()
            .any(|event| event["event"] == json!("duplicate"))
            .then_some(())
    });
    assert_eq!(
        added.lock().expect("not poisoned").len(),
        1,
        "no second job"
    );

    // A script beside the media, with its stem, is that file's: the slides show its words.
    std::fs::write(
        inbox.join("speech.txt"),
        "And so, my fellow AMERICANS,\nask NOT what your country can do for you,\nask what you can do for your country.\n",
    )
    .expect("the script");
    let mp3 = jfk().with_extension("mp3");
    std::fs::copy(&mp3, inbox.join("speech.mp3")).expect("copied");
    wait_for(Duration::from_secs(300), "the scripted job", || {
        let jobs = invoke(window, "list_jobs", json!({})).expect("jobs");
        jobs.as_array()?
            .iter()
            .find(|job| job["name"] == json!("speech.mp3") && job["status"] == json!("done"))
            .cloned()
    });
    let srt = std::fs::read_to_string(out.join("speech.srt")).expect("the scripted SRT");
    assert!(srt.contains("AMERICANS") && srt.contains("NOT"), "{srt}");
    assert!(out.join("speech_slides/alignment.json").is_file());

    // Turning the folder off stops watching it.
    settings["watchFolders"] = json!([folder(&inbox, &out, false)]);
    invoke(window, "save_settings", json!({ "settings": settings })).expect("saved");
    let status = invoke(window, "get_watch_status", json!({})).expect("status");
    assert_eq!(status["folders"][0]["state"], json!("disabled"), "{status}");

    // Cache cleanup within the settings' limits: a tiny size limit empties the cache the
    // job filled (its transcript and slide images).
    settings["cacheMaxAge"] = json!("off");
    settings["cacheMaxSize"] = json!("1B");
    invoke(window, "save_settings", json!({ "settings": settings })).expect("saved");
    let report = invoke(window, "cleanup_cache", json!({})).expect("cleaned");
    assert!(
        report["removedBySize"].as_u64().is_some_and(|n| n > 0),
        "{report}"
    );
    assert_eq!(report["kept"], json!(0), "{report}");
    settings["cacheMaxSize"] = json!("lots");
    let error = invoke(window, "save_settings", json!({ "settings": settings }))
        .expect_err("a size that does not parse");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("lots")),
        "{error}"
    );
}
