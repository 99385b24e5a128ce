//! Watched folders on the real filesystem with real notify events: slow copies, a burst of
//! 100 files, temporary names, duplicates, a folder removed and recreated, a restart, and
//! one file through the real pipeline.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use vsl_core::jobs::CancelToken;

use vsl_core::job::{Formats, JobSpec, Language};
use vsl_core::paths::Dirs;
use vsl_core::pipeline;
use vsl_core::render::RenderSize;
use vsl_core::watch::{Status, WatchConfig, WatchEvent, WatchPreset, WatchState, Watcher};

use crate::common::{engine, jfk_wav};

/// Generous: the machine may be busy with other builds; the tests poll, never time.
const DEADLINE: Duration = Duration::from_secs(120);

type Calls = Arc<Mutex<Vec<(PathBuf, u64)>>>;
type Events = Arc<Mutex<Vec<WatchEvent>>>;

struct Running {
    stop: CancelToken,
    thread: Option<JoinHandle<()>>,
    calls: Calls,
    events: Events,
}

impl Running {
    fn calls(&self) -> Vec<(PathBuf, u64)> {
        self.calls.lock().expect("calls").clone()
    }

    fn events(&self) -> Vec<WatchEvent> {
        self.events.lock().expect("events").clone()
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("watcher thread");
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn config(folders: Vec<WatchPreset>, state: &Path, debounce_ms: u64) -> WatchConfig {
    let root = state.parent().expect("the state file is in a folder");
    let mut config = WatchConfig::new(folders, &Dirs::under(root));
    config.debounce = Duration::from_millis(debounce_ms);
    config.rescan = Duration::from_millis(300);
    config.state_file = state.to_path_buf();
    config
}

/// Runs a watcher whose processor records each call (and the file's size at that moment);
/// names containing `fail` fail.
fn start_counting(config: WatchConfig) -> Running {
    let mut watcher = Watcher::new(config).expect("start watcher");
    let stop = CancelToken::new();
    let calls: Calls = Arc::default();
    let events: Events = Arc::default();
    let thread = {
        let (stop, calls, events) = (stop.clone(), calls.clone(), events.clone());
        std::thread::spawn(move || {
            let mut process = |path: &Path, _preset: &WatchPreset| {
                let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
                calls
                    .lock()
                    .expect("calls")
                    .push((path.to_path_buf(), size));
                if path.to_string_lossy().contains("fail") {
                    return Err("this file was made to fail".to_owned());
                }
                Ok(Vec::new())
            };
            let mut report = |event| events.lock().expect("events").push(event);
            watcher
                .run(&mut process, &mut report, &stop)
                .expect("watcher run");
        })
    };
    Running {
        stop,
        thread: Some(thread),
        calls,
        events,
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count(calls: &[(PathBuf, u64)], path: &Path) -> usize {
    calls.iter().filter(|(p, _)| p == path).count()
}

#[test]
fn slow_copy_is_imported_once_when_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).expect("inbox");
    let state = dir.path().join("state.json");
    // The writer pauses 100 ms between chunks, well inside the 1.5 s window even when the
    // machine is loaded.
    let running = start_counting(config(
        vec![WatchPreset::new(
            &inbox,
            dir.path().join("out"),
            JobSpec::default(),
        )],
        &state,
        1500,
    ));
    let target = inbox.join("talk.wav");
    let chunk = vec![7u8; 16 * 1024];
    let mut file = std::fs::File::create(&target).expect("create");
    for _ in 0..12 {
        file.write_all(&chunk).expect("write chunk");
        file.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            running.calls().is_empty(),
            "imported while still being written"
        );
    }
    drop(file);
    let full = 12 * chunk.len() as u64;
    wait_until("the import", || !running.calls().is_empty());
    // Several more rescans and debounce windows must not import it again.
    std::thread::sleep(Duration::from_millis(2000));
    let calls = running.calls();
    running.stop();
    assert_eq!(calls, vec![(target.canonicalize().expect("path"), full)]);
}

#[test]
fn a_burst_of_100_files_each_once_across_folder_recreation_and_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).expect("inbox");
    let inbox = inbox.canonicalize().expect("inbox path");
    let out = dir.path().join("out");
    let state = dir.path().join("watch").join("state.json");
    let make = || {
        config(
            vec![WatchPreset::new(&inbox, &out, JobSpec::default())],
            &state,
            300,
        )
    };
    let running = start_counting(make());

    let clip = |index: usize| inbox.join(format!("clip-{index:03}.wav"));
    let content = |index: usize| format!("RIFF fake audio number {index}").repeat(50);
    for index in 0..100 {
        std::fs::write(clip(index), content(index)).expect("write clip");
    }
    for name in [
        ".hidden.wav",
        "download.mp4.part",
        "movie.mp4.crdownload",
        "render.tmp",
        "~$lock.wav",
        "notes.txt",
    ] {
        std::fs::write(inbox.join(name), "not for import").expect("write temp");
    }
    let copy = inbox.join("copy of clip 7.wav");
    std::fs::write(&copy, content(7)).expect("write duplicate");
    let failing = inbox.join("fail-me.wav");
    std::fs::write(&failing, "bad").expect("write failing");

    wait_until("100 imports, one failure and the duplicate", || {
        running.calls().len() >= 101
            && running
                .events()
                .iter()
                .any(|event| matches!(event, WatchEvent::Duplicate { .. }))
    });
    let calls = running.calls();
    for index in 0..100 {
        // Clip 7 and its copy have the same content: whichever came first is processed.
        let copies = if index == 7 { count(&calls, &copy) } else { 0 };
        assert_eq!(count(&calls, &clip(index)) + copies, 1, "clip {index}");
    }
    assert_eq!(count(&calls, &failing), 1);
    assert_eq!(calls.len(), 101, "only the clips and the failing file");
    let duplicate = running.events().into_iter().find_map(|event| match event {
        WatchEvent::Duplicate { path, original } => Some((path, original)),
        _ => None,
    });
    // Which of the two names came first depends on the listing; one of them is the copy.
    let (path, original) = duplicate.expect("duplicate event");
    assert!(
        (path == copy && original == clip(7)) || (path == clip(7) && original == copy),
        "duplicate {path:?} of {original:?}"
    );
    let saved = WatchState::load(&state).expect("state");
    assert_eq!(saved.entries.len(), 101);
    let failed: Vec<_> = saved
        .entries
        .values()
        .filter(|entry| entry.status == Status::Failed)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].path, failing);

    // The folder goes away and comes back: files in it are seen again.
    std::fs::remove_dir_all(&inbox).expect("remove inbox");
    wait_until("the folder to be missed", || {
        running
            .events()
            .iter()
            .any(|event| matches!(event, WatchEvent::FolderMissing { .. }))
    });
    std::fs::create_dir(&inbox).expect("recreate inbox");
    let after = inbox.join("after.wav");
    std::fs::write(&after, "recorded after the folder came back").expect("write after");
    // Same name and content as before deletion: done already, not done again.
    std::fs::write(clip(1), content(1)).expect("rewrite clip 1");
    std::fs::write(&failing, "bad").expect("rewrite failing");
    wait_until("the file in the recreated folder", || {
        count(&running.calls(), &after) == 1
            && running.events().iter().any(
                |event| matches!(event, WatchEvent::AlreadyProcessed { path } if *path == failing),
            )
    });
    // A few more rescans, then stop.
    std::thread::sleep(Duration::from_millis(1000));
    let calls = running.calls();
    assert_eq!(
        calls.len(),
        102,
        "nothing but after.wav was added: {calls:?}"
    );
    running.stop();

    // A restart with the saved state repeats nothing, failures included.
    let restarted = start_counting(make());
    wait_until("the restarted watcher to look at all three files", || {
        let events = restarted.events();
        [&after, &clip(1), &failing].iter().all(|file| {
            events.iter().any(
                |event| matches!(event, WatchEvent::AlreadyProcessed { path } if path == *file),
            )
        })
    });
    std::thread::sleep(Duration::from_millis(1000));
    assert!(restarted.calls().is_empty(), "{:?}", restarted.calls());
    restarted.stop();
}

#[test]
fn outputs_inside_a_watched_folder_are_refused_unless_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).expect("inbox");
    let state = dir.path().join("state.json");
    let preset = WatchPreset::new(&inbox, inbox.join("out"), JobSpec::default());
    let error = Watcher::new(config(vec![preset.clone()], &state, 300)).expect_err("refused");
    assert_eq!(error.kind(), "output_inside_watched");
    assert!(error.to_string().contains("inbox"), "{error}");
    let allowed = WatchPreset {
        allow_output_inside: true,
        ..preset
    };
    assert!(Watcher::new(config(vec![allowed], &state, 300)).is_ok());
}

#[test]
fn a_watched_file_goes_through_the_real_pipeline_once() {
    let engine = engine("tiny.en");
    let dir = tempfile::tempdir().expect("tempdir");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).expect("inbox");
    let out = dir.path().join("out");
    let dirs = Dirs::under(dir.path());
    let spec = JobSpec {
        language: Language::parse("en"),
        formats: Formats::parse("mp4,srt").expect("formats"),
        threads: 2,
        size: Some(RenderSize::parse("640x360").expect("size")),
        ..JobSpec::default()
    };
    let preset = WatchPreset::new(&inbox, &out, spec);
    let mut watcher =
        Watcher::new(config(vec![preset], &dir.path().join("state.json"), 300)).expect("watcher");
    let stop = CancelToken::new();
    let runs = Arc::new(Mutex::new(0usize));
    let thread = {
        let (stop, runs) = (stop.clone(), runs.clone());
        std::thread::spawn(move || {
            let mut process = |path: &Path, preset: &WatchPreset| {
                *runs.lock().expect("runs") += 1;
                let options = preset
                    .spec
                    .resolve(&dirs)
                    .map_err(|error| error.to_string())?
                    .pipeline_options(&preset.out_dir, false);
                assert_eq!(options.formats, Formats::parse("mp4,srt").expect("formats"));
                assert!(options.cache.dir().starts_with(&dirs.cache));
                let outcome = pipeline::run_file(
                    engine,
                    path,
                    &pipeline::stem(path),
                    &options,
                    &|_| {},
                    &CancelToken::new(),
                )
                .map_err(|error| error.to_string())?;
                Ok(outcome.files)
            };
            watcher
                .run(&mut process, &mut |_| {}, &stop)
                .expect("watcher run");
        })
    };
    // Copied in under a temporary name and renamed, as browsers and sync tools do.
    let partial = inbox.join("jfk.wav.part");
    std::fs::copy(jfk_wav(), &partial).expect("copy jfk");
    std::fs::rename(&partial, inbox.join("jfk.wav")).expect("rename");
    let mp4 = out.join("jfk.mp4");
    wait_until("the MP4", || mp4.is_file() && out.join("jfk.srt").is_file());
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    thread.join().expect("watcher thread");
    assert_eq!(*runs.lock().expect("runs"), 1);
    assert!(std::fs::metadata(&mp4).expect("mp4").len() > 1000);
    let srt = std::fs::read_to_string(out.join("jfk.srt")).expect("srt");
    assert!(srt.to_lowercase().contains("country"), "{srt}");
}

type Jobs = Arc<Mutex<Vec<(String, bool)>>>;

/// A watcher over `inbox` run through `run_jobs` on a thread, with `process` as its step.
fn start_jobs(
    config: WatchConfig,
    process: impl FnMut(&vsl_core::watch::WatchJob<'_>) -> Result<Vec<PathBuf>, String> + Send + 'static,
) -> (CancelToken, JoinHandle<()>, Events) {
    let mut watcher = Watcher::new(config).expect("start watcher");
    let stop = CancelToken::new();
    let events: Events = Arc::default();
    let thread = {
        let (stop, events) = (stop.clone(), events.clone());
        std::thread::spawn(move || {
            let mut process = process;
            let mut report = |event| events.lock().expect("events").push(event);
            watcher
                .run_jobs(&mut process, &mut report, &stop)
                .expect("watcher run");
        })
    };
    (stop, thread, events)
}

#[test]
fn a_job_killed_mid_way_is_resumed_once_under_its_own_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inbox = dir.path().join("inbox");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let inbox = inbox.canonicalize().expect("inbox path");
    let state = dir.path().join("watch").join("state.json");
    let make = || {
        config(
            vec![WatchPreset::new(&inbox, &out, JobSpec::default())],
            &state,
            200,
        )
    };
    std::fs::write(inbox.join("talk.wav"), "RIFF talk".repeat(100)).expect("write");

    // The first watcher dies in the middle of the job (a panic unwinds it past the state
    // save, as a kill would stop it), leaving half of its outputs: the slides folder and the
    // MP4's temporary file of a writer that no longer runs.
    let first: Jobs = Arc::default();
    let (_stop, thread, _) = start_jobs(make(), {
        let first = first.clone();
        let out = out.clone();
        move |job| {
            first
                .lock()
                .expect("jobs")
                .push((job.name.to_owned(), job.replace));
            std::fs::create_dir_all(out.join("talk_slides")).expect("slides");
            std::fs::write(out.join("talk_slides/0001.png"), "half").expect("png");
            std::fs::write(out.join(".talk.mp4.Zx81Qa.part"), "half a video").expect("part");
            panic!("killed mid-export");
        }
    });
    assert!(thread.join().is_err(), "the first watcher died");
    assert_eq!(*first.lock().expect("jobs"), [("talk".to_owned(), false)]);
    let saved = WatchState::load(&state).expect("state");
    let entry = saved.entries.values().next().expect("an entry");
    assert_eq!(entry.status, Status::Running);
    assert_eq!(entry.name.as_deref(), Some("talk"));

    // The restart: the stale temporary file is removed, the job resumes as "talk" (not
    // "talk-2", though talk_slides/ is there) with its half-done outputs gone.
    let second: Jobs = Arc::default();
    let (stop, thread, events) = start_jobs(make(), {
        let second = second.clone();
        let out = out.clone();
        move |job| {
            assert!(
                !out.join("talk_slides").exists(),
                "the half-done slides are gone"
            );
            assert!(!out.join(".talk.mp4.Zx81Qa.part").exists());
            second
                .lock()
                .expect("jobs")
                .push((job.name.to_owned(), job.replace));
            let mp4 = out.join("talk.mp4");
            std::fs::write(&mp4, "a whole video").expect("mp4");
            Ok(vec![mp4])
        }
    });
    wait_until("the resumed job", || {
        events
            .lock()
            .expect("events")
            .iter()
            .any(|event| matches!(event, WatchEvent::Done { .. }))
    });
    // More rescans must not run it again.
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    thread.join().expect("second watcher");
    assert_eq!(*second.lock().expect("jobs"), [("talk".to_owned(), true)]);
    let events = events.lock().expect("events").clone();
    assert!(
        events.iter().any(|event| matches!(event,
            WatchEvent::StaleRemoved { paths } if paths == &[out.join(".talk.mp4.Zx81Qa.part")])),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|event| matches!(event, WatchEvent::Resuming { .. })),
        "{events:?}"
    );
    let saved = WatchState::load(&state).expect("state");
    let entry = saved.entries.values().next().expect("an entry");
    assert_eq!(saved.entries.len(), 1);
    assert_eq!(entry.status, Status::Done);
    assert_eq!(entry.outputs, [out.join("talk.mp4")]);
    let running = std::fs::read_dir(dir.path().join("watch/running"))
        .expect("running folder")
        .count();
    assert_eq!(running, 0, "a finished job leaves no lock file");
}

#[test]
fn a_job_another_live_watcher_runs_is_left_to_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let inbox = inbox.canonicalize().expect("inbox path");
    let out = dir.path().join("out");
    let state = dir.path().join("watch").join("state.json");
    let preset = WatchPreset::new(&inbox, &out, JobSpec::default());
    let input = inbox.join("talk.wav");
    std::fs::write(&input, "RIFF talk".repeat(100)).expect("write");
    // Another process is running this file: its entry says running and it holds the lock.
    let key = format!(
        "{}:{}",
        vsl_core::cache::hash_file(&input).expect("hash"),
        preset.settings_id(&Dirs::under(dir.path()))
    );
    let lock_dir = dir.path().join("watch/running");
    std::fs::create_dir_all(&lock_dir).expect("lock dir");
    let held = vsl_core::fs::try_lock(&lock_dir.join(format!("{}.lock", key.replace(':', "-"))))
        .expect("lock")
        .expect("free");
    let mut other = WatchState::load(&state).expect("state");
    other.entries.insert(
        key,
        vsl_core::watch::StateEntry {
            path: input.clone(),
            status: Status::Running,
            error: None,
            outputs: Vec::new(),
            finished: 1,
            name: Some("talk".into()),
            out_dir: Some(out.clone()),
        },
    );
    other.save(&state).expect("save");

    let calls: Jobs = Arc::default();
    let (stop, thread, events) = start_jobs(config(vec![preset], &state, 200), {
        let calls = calls.clone();
        move |job| {
            calls
                .lock()
                .expect("jobs")
                .push((job.name.to_owned(), job.replace));
            Ok(Vec::new())
        }
    });
    wait_until("the watcher to look at the file", || {
        events
            .lock()
            .expect("events")
            .iter()
            .any(|event| matches!(event, WatchEvent::AlreadyProcessed { .. }))
    });
    stop.store(true, Ordering::Relaxed);
    thread.join().expect("watcher");
    drop(held);
    assert!(calls.lock().expect("jobs").is_empty(), "not run twice");
}
