//! The engine process: a worker aborted mid-transcription (a real SIGABRT, through the
//! test-only fault switch) fails its job with `engine_crashed`, and the next job runs on a
//! fresh worker; `vsl watch` fails the poisoned file alone and goes on with the next; the
//! player's rendition is made there too.

#![allow(clippy::disallowed_methods)] // fixtures are written directly

mod common;
mod watching;

use vsl_core::job::JobSpec;
use vsl_core::jobs::CancelToken;
use vsl_core::paths::Dirs;
use vsl_core::worker::{JobRequest, PreviewRequest, WorkerClient, WorkerCommand, WorkerDirs};
use vsl_core::ErrorKind;

use common::{test_data, tiny_models};
use watching::{files_under, Watch};

fn job(dirs: &Dirs, input: &std::path::Path, out: &std::path::Path) -> JobRequest {
    JobRequest {
        spec: JobSpec {
            model: "tiny.en".into(),
            ..JobSpec::default()
        },
        input: input.to_path_buf(),
        out_dir: out.to_path_buf(),
        name: vsl_core::pipeline::stem(input),
        overwrite: false,
        dirs: WorkerDirs::from(dirs),
    }
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault switch: cargo test --features vsl-cli/fault-injection (make test)"
)]
fn an_aborted_worker_fails_its_job_and_the_next_job_gets_a_new_one() {
    let home = tempfile::tempdir().expect("tempdir");
    let dirs = Dirs::under(home.path()).with_models(tiny_models().to_path_buf());
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).expect("out");
    let poison = home.path().join("poison.wav");
    std::fs::copy(test_data().join("jfk.wav"), &poison).expect("copy");

    let mut client = WorkerClient::new(WorkerCommand {
        env: vec![("VSL_FAULT".into(), "abort:transcribe:poison".into())],
        ..WorkerCommand::vsl(env!("CARGO_BIN_EXE_vsl"))
    });
    let mut stages = Vec::new();
    let error = client
        .run(
            &job(&dirs, &poison, &out),
            &mut |update| stages.push(update.clone()),
            &CancelToken::new(),
        )
        .expect_err("the worker aborts");
    assert_eq!(error.kind(), ErrorKind::EngineCrashed, "{error}");
    let message = error.to_string();
    assert!(
        message.contains("the engine stopped unexpectedly (signal 6); retry")
            && message.contains("poison.wav"),
        "{message}"
    );
    // It died in the transcription, after decoding.
    let last = stages.last().and_then(|update| update.to_pipeline());
    assert!(
        matches!(
            last,
            Some(vsl_core::pipeline::PipelineProgress::Stage(
                vsl_core::pipeline::Stage::Transcribe
            ))
        ),
        "{stages:?}"
    );
    assert_eq!(client.pid(), None, "the dead worker is dropped");
    // Nothing half-written from the dead job.
    assert!(
        !files_under(&out)
            .iter()
            .any(|path| path.ends_with("poison.mp4")),
        "{:?}",
        files_under(&out)
    );

    let good = job(&dirs, &test_data().join("jfk.wav"), &out);
    let done = client
        .run(&good, &mut |_| {}, &CancelToken::new())
        .expect("a fresh worker runs the next job");
    let first_pid = client.pid().expect("a worker runs");
    assert!(done.words > 10 && done.slides > 0, "{done:?}");
    assert!(out.join("jfk.mp4").is_file());
    // The worker stays up (and keeps its model) for the job after.
    let again = client
        .run(
            &JobRequest {
                name: "jfk-again".into(),
                ..good
            },
            &mut |_| {},
            &CancelToken::new(),
        )
        .expect("the same worker runs a third job");
    assert_eq!(client.pid(), Some(first_pid));
    assert_eq!(again.words, done.words);
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault switch: cargo test --features vsl-cli/fault-injection (make test)"
)]
fn a_poisoned_file_fails_alone_and_the_watcher_goes_on() {
    let home = tempfile::tempdir().expect("tempdir");
    let inbox = home.path().join("inbox");
    let out = home.path().join("out");
    std::fs::create_dir_all(&inbox).expect("inbox");
    // Different content, so the second is not a duplicate of the first; sorted by name, the
    // poisoned one goes first.
    std::fs::copy(test_data().join("jfk.wav"), inbox.join("a-poison.wav")).expect("copy");
    std::fs::copy(test_data().join("jfk.mp3"), inbox.join("b-good.mp3")).expect("copy");

    let mut watch = Watch::start(home.path(), &inbox, &out, Some("abort:transcribe:poison"));
    watch.wait_for_line("failed", "a-poison.wav");
    watch.wait_for_line("done", "b-good.mp3");
    let output = watch.output();
    assert!(
        watch.child.try_wait().expect("status").is_none(),
        "the watcher is still running:\n{output}"
    );
    watch.kill();
    let failed = output
        .lines()
        .find(|line| line.starts_with("failed") && line.contains("a-poison.wav"))
        .expect("a failed line");
    assert!(
        failed.contains("the engine stopped unexpectedly (signal 6); retry"),
        "{output}"
    );
    assert!(out.join("b-good.mp4").is_file(), "{:?}", files_under(&out));
    assert!(!out.join("a-poison.mp4").exists());
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault switch: cargo test --features vsl-cli/fault-injection (make test)"
)]
fn a_cancelled_job_stops_in_the_worker_which_stays_up() {
    let home = tempfile::tempdir().expect("tempdir");
    let dirs = Dirs::under(home.path()).with_models(tiny_models().to_path_buf());
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).expect("out");
    let slow = home.path().join("slow.wav");
    std::fs::copy(test_data().join("jfk.wav"), &slow).expect("copy");
    // The export of slow.wav waits, like a long one, until it is cancelled.
    let mut client = WorkerClient::new(WorkerCommand {
        env: vec![("VSL_FAULT".into(), "stall:export:slow".into())],
        ..WorkerCommand::vsl(env!("CARGO_BIN_EXE_vsl"))
    });
    let cancel = CancelToken::new();
    let error = client
        .run(
            &job(&dirs, &slow, &out),
            &mut |update| {
                if matches!(update, vsl_core::worker::Progress::Exporting { .. }) {
                    cancel.cancel();
                }
            },
            &cancel,
        )
        .expect_err("cancelled");
    assert_eq!(error.kind(), ErrorKind::Cancelled, "{error}");
    let pid = client.pid().expect("the worker is still up");
    // Cancelled mid-export: nothing of the MP4 stays behind.
    let left: Vec<_> = files_under(&out)
        .into_iter()
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "mp4") || watching::is_temporary(path)
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let done = client
        .run(
            &job(&dirs, &test_data().join("jfk.wav"), &out),
            &mut |_| {},
            &CancelToken::new(),
        )
        .expect("the same worker runs the next job");
    assert_eq!(client.pid(), Some(pid));
    assert!(done.files.contains(&out.join("jfk.mp4")), "{done:?}");
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault switch: cargo test --features vsl-cli/fault-injection (make test)"
)]
fn the_players_rendition_is_made_in_the_worker_whose_crash_fails_only_that_request() {
    let home = tempfile::tempdir().expect("tempdir");
    let cache = home.path().join("cache");
    let poison = home.path().join("poison.wav");
    std::fs::copy(test_data().join("jfk.wav"), &poison).expect("copy");
    let not_audio = home.path().join("notes.wav");
    std::fs::write(&not_audio, "not audio at all").expect("write");
    let preview = |source: &std::path::Path| PreviewRequest {
        source: source.to_path_buf(),
        cache: cache.clone(),
    };
    // A decoder that takes the process down (here the fault switch's abort at decode).
    let mut client = WorkerClient::new(WorkerCommand {
        env: vec![("VSL_FAULT".into(), "abort:decode:poison".into())],
        ..WorkerCommand::vsl(env!("CARGO_BIN_EXE_vsl"))
    });
    let error = client
        .preview(&preview(&poison), &CancelToken::new())
        .expect_err("the worker aborts");
    assert_eq!(error.kind(), ErrorKind::EngineCrashed, "{error}");
    assert!(error.to_string().contains("poison.wav"), "{error}");

    // The next request gets a new worker: the rendition, in the cache, the same on a second ask.
    let made = client
        .preview(&preview(&test_data().join("jfk.wav")), &CancelToken::new())
        .expect("a rendition");
    assert!(
        made.starts_with(cache.join("previews")),
        "{}",
        made.display()
    );
    assert_eq!(made.extension().expect("extension"), "ogg");
    let pid = client.pid().expect("a worker");
    assert_eq!(
        client
            .preview(&preview(&test_data().join("jfk.wav")), &CancelToken::new())
            .expect("again"),
        made
    );
    // A file that is not audio is the input's own error, naming it; the worker stays up.
    let error = client
        .preview(&preview(&not_audio), &CancelToken::new())
        .expect_err("not audio");
    assert_ne!(error.kind(), ErrorKind::EngineCrashed, "{error}");
    assert!(error.to_string().contains("notes.wav"), "{error}");
    assert_eq!(client.pid(), Some(pid));
}
