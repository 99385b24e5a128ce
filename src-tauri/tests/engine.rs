//! The engine process behind the app's jobs, on the mock runtime with the real pipeline
//! (tiny.en, jfk.wav): a job runs in the app's own binary started as the worker
//! (`vsl-studio --engine-worker`) and gives the deck the pipeline gives in process; a worker
//! aborted mid-transcription (a real SIGABRT, through the test-only fault switch) fails its
//! job with `engine_crashed` while the app goes on answering, and a retry runs on a new
//! worker; a job cancelled from the queue stops in the worker, which stays up.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::{app_with_engine, app_worker, invoke, jfk, write_settings};
use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::{Manager, WebviewWindow};
use vsl_core::paths::Dirs;
use vsl_studio_lib::services::state::AppState;

/// The app's folders under `root`, with the models `make setup` installed (read only).
fn dirs_under(root: &tempfile::TempDir) -> Dirs {
    Dirs::under(root.path()).with_models(Dirs::from_env().models)
}

/// Polls the queue until job `id` is no longer running; returns its record.
fn wait_until_ended(window: &WebviewWindow<MockRuntime>, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let jobs = invoke(window, "list_jobs", json!({})).expect("the queue");
        let job = jobs
            .as_array()
            .and_then(|jobs| jobs.iter().find(|job| job["id"] == json!(id)).cloned())
            .expect("the job is listed");
        if job["status"] != json!("running") {
            return job;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "timed out waiting for job {id}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn tiny_en(dirs: &Dirs) -> PathBuf {
    vsl_core::models::ModelStore::open(dirs)
        .resolve("tiny.en")
        .expect("tiny.en is installed (`make setup`)")
}

#[test]
fn a_job_in_the_apps_own_engine_process_gives_the_in_process_deck() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let dirs = dirs_under(&root);
    write_settings(&dirs, "model = \"tiny.en\"\nlanguage = \"en\"\n");

    // What the pipeline makes in this process, as the app's job runs it (same plan, same
    // cache: the app's job then finds this transcript, so any difference is the worker's).
    let settings = vsl_studio_lib::services::settings::load(&dirs).expect("the settings");
    let reference_dir = root.path().join("in-process");
    let plan =
        vsl_studio_lib::services::jobs::JobPlan::for_editing(&settings, &reference_dir, None);
    let options = plan
        .spec
        .resolve(&dirs)
        .expect("the spec resolves")
        .pipeline_options(&plan.out_dir, plan.overwrite);
    vsl_core::fs::create_dir_all(&reference_dir).expect("the folder");
    let engine = vsl_core::transcribe::Engine::load(&tiny_en(&dirs)).expect("the model loads");
    let reference = vsl_core::pipeline::run_file(
        &engine,
        &jfk(),
        &plan.name,
        &options,
        &|_| {},
        &vsl_core::jobs::CancelToken::new(),
    )
    .expect("the in-process pipeline");
    let reference_deck =
        vsl_core::slides::SlideDeck::load(&reference.slides_dir).expect("the deck");
    drop(engine);

    let (app, window) = app_with_engine("main", dirs.clone(), app_worker(&[]));
    let state = app.state::<AppState>();
    assert_eq!(state.models.loaded(), None, "no job ran yet");
    let record = invoke(
        &window,
        "start_job",
        json!({ "path": jfk(), "onProgress": "__CHANNEL__:7" }),
    )
    .expect("started");
    let id = record["id"].as_str().expect("an id").to_owned();
    let job = wait_until_ended(&window, &id);
    assert_eq!(job["status"], json!("done"), "{job}");
    let view = invoke(&window, "open_job", json!({ "id": id })).expect("opens");
    assert_eq!(
        view["deck"],
        serde_json::to_value(&reference_deck).expect("json"),
        "the worker's deck is the in-process one"
    );
    let slides_dir = PathBuf::from(view["slidesDir"].as_str().expect("the slides folder"));
    for slide in reference_deck.slides.iter() {
        assert!(
            slides_dir.join(&slide.image).is_file(),
            "{} rendered",
            slide.image
        );
    }

    // The worker keeps the model it ran with, and the health readout says so.
    assert_eq!(state.models.loaded(), Some(tiny_en(&dirs)));
    assert_eq!(state.models.load_count(), 1);
    let health = invoke(&window, "get_health", json!({})).expect("health");
    assert_eq!(health["model"]["name"], json!("tiny.en"), "{health}");
    let worker = state
        .models
        .pid()
        .expect("the worker stays up between jobs");
    assert_ne!(worker, std::process::id());

    // A second job reuses the worker and its model.
    let again = invoke(
        &window,
        "retry_job",
        json!({ "id": id, "onProgress": "__CHANNEL__:8" }),
    )
    .expect("rerun");
    assert_eq!(again["status"], json!("running"));
    let job = wait_until_ended(&window, &id);
    assert_eq!(job["status"], json!("done"), "{job}");
    assert_eq!(state.models.pid(), Some(worker));
    assert_eq!(state.models.load_count(), 1, "the model was not read again");
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault switch: cargo test --workspace --features vsl-cli/fault-injection,vsl-studio/fault-injection (make test)"
)]
fn an_engine_crash_fails_the_job_the_app_goes_on_and_a_retry_succeeds() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let dirs = dirs_under(&root);
    write_settings(&dirs, "model = \"tiny.en\"\nlanguage = \"en\"\n");
    // The fault is the worker's alone: this process never sees VSL_FAULT.
    let (app, window) = app_with_engine(
        "main",
        dirs.clone(),
        app_worker(&[("VSL_FAULT", "abort:transcribe")]),
    );
    let state = app.state::<AppState>();
    let handle = app.handle().clone();

    // The job as `start_job` runs it, with its events kept: the UI's channel cannot be read
    // on the mock runtime.
    let record = state.new_record(jfk());
    let cancel = vsl_studio_lib::services::jobs::register(&handle, &record);
    let events = Arc::new(Mutex::new(Vec::<Value>::new()));
    let sink = Arc::clone(&events);
    let forward = vsl_studio_lib::services::events::Forwarder::with_sink(Box::new(move |event| {
        let event = serde_json::to_value(&event).expect("events are JSON");
        sink.lock().expect("not poisoned").push(event);
    }));
    let running = std::thread::spawn({
        let handle = handle.clone();
        let record = record.clone();
        move || {
            let work_dir = record.work_dir.clone();
            vsl_studio_lib::services::jobs::run(&handle, &record, &cancel, &forward, |settings| {
                vsl_studio_lib::services::jobs::JobPlan::for_editing(settings, &work_dir, None)
            })
        }
    });
    let error = running
        .join()
        .expect("the job's thread returns")
        .expect_err("the engine aborted");
    assert_eq!(error.kind, vsl_core::ErrorKind::EngineCrashed, "{error}");
    assert!(
        error
            .message
            .ends_with("jfk.wav: the engine stopped unexpectedly (signal 6); retry"),
        "{error}"
    );
    let events = events.lock().expect("not poisoned").clone();
    let stages: Vec<&Value> = events
        .iter()
        .filter(|event| event["event"] == json!("stage"))
        .map(|event| &event["stage"])
        .collect();
    assert_eq!(
        stages.last(),
        Some(&&json!("transcribing")),
        "it died mid-transcription: {events:?}"
    );
    let last = events.last().expect("a last event");
    assert_eq!(last["event"], json!("failed"), "{last}");
    assert_eq!(last["error"]["kind"], json!("engine_crashed"), "{last}");

    // The app is untouched: it answers, and the queue shows the failure with its message.
    let job = wait_until_ended(&window, &record.id);
    assert_eq!(job["status"], json!("failed"), "{job}");
    assert_eq!(job["error"], json!(error.message));
    let info = invoke(&window, "app_info", json!({})).expect("the app answers");
    assert_eq!(info["version"], json!(env!("CARGO_PKG_VERSION")));
    assert_eq!(state.models.loaded(), None, "the dead worker holds nothing");
    assert_eq!(state.models.pid(), None, "and is not kept");

    // Retry, the fault switch off for the next worker: it runs on a new one and succeeds.
    state.models.set_command(app_worker(&[]));
    invoke(
        &window,
        "retry_job",
        json!({ "id": record.id, "onProgress": "__CHANNEL__:9" }),
    )
    .expect("retried");
    let job = wait_until_ended(&window, &record.id);
    assert_eq!(job["status"], json!("done"), "{job}");
    assert_eq!(job["error"], Value::Null);
    let view = invoke(&window, "open_job", json!({ "id": record.id })).expect("opens");
    let slides = view["deck"]["slides"].as_array().expect("slides");
    assert!(!slides.is_empty(), "{view}");
    let text: String = slides
        .iter()
        .filter_map(|slide| slide["text"].as_str())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    assert!(text.contains("country"), "{text}");
    assert_eq!(state.models.loaded(), Some(tiny_en(&dirs)));
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault switch: cargo test --workspace --features vsl-cli/fault-injection,vsl-studio/fault-injection (make test)"
)]
fn cancel_job_stops_the_job_in_the_engine_which_stays_up_for_the_next() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let dirs = dirs_under(&root);
    write_settings(&dirs, "model = \"tiny.en\"\nlanguage = \"en\"\n");
    // slow.wav's transcription waits, like a long one, until it is cancelled.
    let slow = root.path().join("slow.wav");
    std::fs::copy(jfk(), &slow).expect("a copy of jfk.wav");
    let (app, window) = app_with_engine(
        "main",
        dirs.clone(),
        app_worker(&[("VSL_FAULT", "stall:transcribe:slow")]),
    );
    let state = app.state::<AppState>();
    let handle = app.handle().clone();

    let record = state.new_record(slow.clone());
    let cancel = vsl_studio_lib::services::jobs::register(&handle, &record);
    let (stages, seen) = std::sync::mpsc::channel();
    let forward = vsl_studio_lib::services::events::Forwarder::with_sink(Box::new(move |event| {
        let event = serde_json::to_value(&event).expect("events are JSON");
        if event["event"] == json!("stage") {
            let _ = stages.send(event["stage"].clone());
        }
    }));
    let running = std::thread::spawn({
        let handle = handle.clone();
        let record = record.clone();
        move || {
            let work_dir = record.work_dir.clone();
            vsl_studio_lib::services::jobs::run(&handle, &record, &cancel, &forward, |settings| {
                vsl_studio_lib::services::jobs::JobPlan::for_editing(settings, &work_dir, None)
            })
        }
    });
    // Cancelled through the command, as the UI's button does, once it is transcribing.
    loop {
        let stage = seen
            .recv_timeout(Duration::from_secs(300))
            .expect("the job reaches the transcription");
        if stage == json!("transcribing") {
            break;
        }
    }
    invoke(&window, "cancel_job", json!({ "id": record.id })).expect("cancelled");
    let error = running
        .join()
        .expect("the job's thread returns")
        .expect_err("cancelled");
    assert_eq!(error.kind, vsl_core::ErrorKind::Cancelled, "{error}");
    let job = wait_until_ended(&window, &record.id);
    assert_eq!(job["status"], json!("cancelled"), "{job}");
    let worker = state
        .models
        .pid()
        .expect("a cancelled job leaves its worker up");

    // The next job runs in the same worker.
    let next = invoke(
        &window,
        "start_job",
        json!({ "path": jfk(), "onProgress": "__CHANNEL__:7" }),
    )
    .expect("started");
    let id = next["id"].as_str().expect("an id").to_owned();
    let job = wait_until_ended(&window, &id);
    assert_eq!(job["status"], json!("done"), "{job}");
    assert_eq!(state.models.pid(), Some(worker));
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault switch: cargo test --workspace --features vsl-cli/fault-injection,vsl-studio/fault-injection (make test)"
)]
fn an_engine_crash_mid_export_fails_the_export_leaves_nothing_and_a_retry_exports() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let dirs = dirs_under(&root);
    write_settings(&dirs, "model = \"tiny.en\"\nlanguage = \"en\"\n");
    let (app, window) = app_with_engine("main", dirs.clone(), app_worker(&[]));
    let state = app.state::<AppState>();
    let (job, _) = common::run_job(&window, None);
    let id = job["id"].as_str().expect("an id");

    // The export runs in the engine process too: aborted there once its temporary MP4
    // exists (a real SIGABRT), it fails with the signal, and the app goes on.
    state
        .models
        .set_command(app_worker(&[("VSL_FAULT", "abort:export")]));
    let folder = root.path().join("exports");
    std::fs::create_dir(&folder).expect("the export folder");
    let export = |window: &WebviewWindow<MockRuntime>| {
        invoke(
            window,
            "export_deck",
            json!({
                "id": id,
                "folder": folder,
                "formats": ["mp4", "srt"],
                "choices": null,
                "onProgress": "__CHANNEL__:9",
            }),
        )
    };
    let error = export(&window).expect_err("the engine aborted mid-export");
    assert_eq!(error["kind"], json!("engine_crashed"), "{error}");
    assert!(
        error["message"].as_str().is_some_and(|message| message
            .ends_with("jfk.wav: the engine stopped unexpectedly (signal 6); retry")),
        "{error}"
    );
    let left: Vec<_> = std::fs::read_dir(&folder)
        .expect("the folder")
        .map(|entry| entry.expect("an entry").file_name())
        .collect();
    assert!(left.is_empty(), "nothing half-written is left: {left:?}");
    let info = invoke(&window, "app_info", json!({})).expect("the app answers");
    assert_eq!(info["version"], json!(env!("CARGO_PKG_VERSION")));
    let view = invoke(&window, "open_job", json!({ "id": id })).expect("the editor opens");
    assert!(view["deck"]["slides"]
        .as_array()
        .is_some_and(|s| !s.is_empty()));

    // Again, the fault switch off: a new engine exports the whole MP4.
    state.models.set_command(app_worker(&[]));
    let written = export(&window).expect("the retried export");
    let mp4 = PathBuf::from(written["mp4"].as_str().expect("an mp4"));
    assert!(
        mp4.starts_with(folder.canonicalize().expect("canonical")),
        "{written}"
    );
    assert!(
        std::fs::metadata(&mp4).is_ok_and(|meta| meta.len() > 10_000),
        "{written}"
    );
    let duration = written["duration"].as_f64().expect("duration");
    assert!((duration - 11.0).abs() < 0.2, "{written}");
    assert_eq!(
        written["files"].as_array().map(Vec::len),
        Some(2),
        "{written}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault switch: cargo test --workspace --features vsl-cli/fault-injection,vsl-studio/fault-injection (make test)"
)]
fn an_app_killed_mid_export_restarts_with_the_job_interrupted_and_its_retry_exports_the_edited_deck(
) {
    let root = tempfile::tempdir().expect("a temporary directory");
    let dirs = dirs_under(&root);
    write_settings(&dirs, "model = \"tiny.en\"\nlanguage = \"en\"\n");
    let folder = root.path().join("exports");
    std::fs::create_dir(&folder).expect("the export folder");
    let queue = dirs.jobs_dir().join("queue.json");
    let id;
    let on_disk_at_the_kill;
    {
        let (app, window) = app_with_engine("main", dirs.clone(), app_worker(&[]));
        let state = app.state::<AppState>();
        let (job, _) = common::run_job(&window, None);
        id = job["id"].as_str().expect("an id").to_owned();
        invoke(
            &window,
            "edit_slide",
            json!({ "id": id, "edit": { "op": "setText", "index": 0, "text": "Edited before the kill" } }),
        )
        .expect("edited");
        // The engine stalls once its temporary MP4 exists: what the disk holds then is what
        // a kill -9 of the app at that moment leaves.
        state
            .models
            .set_command(app_worker(&[("VSL_FAULT", "stall:export")]));
        let exporting = std::thread::spawn({
            let (window, id, folder) = (window.clone(), id.clone(), folder.clone());
            move || {
                invoke(
                    &window,
                    "export_deck",
                    json!({ "id": id, "folder": folder, "formats": ["mp4", "srt"],
                            "choices": null, "onProgress": "__CHANNEL__:9" }),
                )
            }
        });
        let started = Instant::now();
        // Non-empty: an empty temporary file younger than a few seconds may be one a live
        // writer has just made, so the restart rightly leaves it; the file's first bytes
        // can reach the disk a moment after it appears.
        let part = loop {
            let part = std::fs::read_dir(&folder)
                .expect("the folder")
                .map(|entry| entry.expect("an entry").path())
                .find(|path| {
                    path.to_string_lossy().ends_with(".part")
                        && std::fs::metadata(path).is_ok_and(|meta| meta.len() > 0)
                });
            if let Some(part) = part {
                break part;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "no temporary MP4"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        on_disk_at_the_kill = std::fs::read(&queue).expect("the queue file");
        let half = std::fs::read(&part).expect("the temporary MP4");
        // The engine dies with the app (PR_SET_PDEATHSIG); this app then tidies up as a live
        // app does, so the half-written file is put back as the kill would have left it.
        let pid = stalled_export_worker().expect("the export's engine runs");
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        exporting
            .join()
            .expect("the export thread")
            .expect_err("the engine was killed");
        vsl_core::fs::write_atomic(&part, &half, vsl_core::fs::Replace::Yes)
            .expect("the killed run's temporary MP4");
        drop(window);
        drop(app);
    }
    vsl_core::fs::write_atomic(&queue, &on_disk_at_the_kill, vsl_core::fs::Replace::Yes)
        .expect("the queue as the kill left it");

    // The next start: interrupted, nothing half-written, and a retry exports the deck as
    // edited (a pipeline run would have cut new slides from the transcript).
    let (_app, window) = app_with_engine("main", dirs.clone(), app_worker(&[]));
    let jobs = invoke(&window, "list_jobs", json!({})).expect("the queue");
    let job = jobs
        .as_array()
        .and_then(|jobs| jobs.iter().find(|job| job["id"] == json!(id)).cloned())
        .expect("the job came back");
    assert_eq!(job["status"], json!("interrupted"), "{job}");
    let listing = |folder: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .expect("the folder")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    };
    assert!(
        listing(&folder).is_empty(),
        "swept at start: {:?}",
        listing(&folder)
    );
    invoke(
        &window,
        "retry_job",
        json!({ "id": id, "onProgress": "__CHANNEL__:11" }),
    )
    .expect("retried");
    let job = wait_until_ended(&window, &id);
    assert_eq!(job["status"], json!("done"), "{job}");
    assert_eq!(listing(&folder), ["jfk.mp4", "jfk.srt"]);
    let srt = std::fs::read_to_string(folder.join("jfk.srt")).expect("the SRT");
    assert!(srt.contains("Edited before the kill"), "{srt}");
    let view = invoke(&window, "open_job", json!({ "id": id })).expect("the editor opens");
    assert_eq!(
        view["deck"]["slides"][0]["text"],
        json!("Edited before the kill")
    );
    let mp4 = folder.join("jfk.mp4");
    let duration = vsl_core::media::decode(&mp4, &vsl_core::jobs::CancelToken::new())
        .expect("a whole MP4")
        .duration();
    assert!((duration - 11.0).abs() < 0.3, "{duration}");
}

/// The pid of this test's engine process that the fault switch stalls mid-export: a child
/// of this process started with `VSL_FAULT=stall:export`.
fn stalled_export_worker() -> Option<u32> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // pid (comm) state ppid ...: the name may hold spaces, so read after the last ')'.
            let parent = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?;
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            let stalled = environ
                .split(|byte| *byte == 0)
                .any(|var| var == b"VSL_FAULT=stall:export");
            (parent == me && stalled).then_some(pid)
        })
}
