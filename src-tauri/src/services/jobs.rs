//! The job runtime: a voice-over's pipeline on a thread of its own, in the queue, one at a
//! time (`AppState::slots`), with its progress on a [`Forwarder`] and its final status saved
//! in the queue file.
//!
//! The pipeline itself (decode, transcribe, correct, slides, render) runs in the engine
//! process (`AppState::models`, a `vsl_core::worker::WorkerClient`), not in the app: an
//! abort or a segfault in whisper.cpp or FFmpeg, or an out-of-memory kill, ends the worker
//! and fails that one job with kind `engine_crashed` ("... the engine stopped unexpectedly
//! (signal N); retry"); the window, the queue and the editor go on, and a retry starts a new
//! worker. What is left in process (the deck loaded from the job's slides folder) is
//! still guarded against panics (`vsl_core::jobs::run_protected`).
//!
//! What a job runs with is decided when it starts, from the settings it reads then: a
//! [`JobPlan`] (the spec, where its outputs go and their name), which `JobSpec::resolve`
//! turns into the pipeline's options, the same way for a dropped file, a watched folder's
//! and a retry.

use std::path::{Path, PathBuf};

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};
use vsl_core::job::{Formats, JobSpec};
use vsl_core::jobs::{run_protected, CancelToken, JobOutcome};
use vsl_core::slides::SlideDeck;
use vsl_core::worker::{JobRequest, JobResult, Progress, WorkerDirs, WorkerError};
use vsl_core::ErrorKind;

use super::editor;
use super::events::{DeckView, Forwarder, JobEvent};
use super::queue;
use super::settings::{self, Settings};
use super::state::{AppState, Job, JobRecord, JobStatus, PendingExport, WORK_NAME};
use crate::error::{CommandError, CommandResult};

/// What one job runs with and where its outputs go.
#[derive(Debug, Clone)]
pub struct JobPlan {
    pub spec: JobSpec,
    pub out_dir: PathBuf,
    /// The outputs are named `<name>.*`.
    pub name: String,
    pub overwrite: bool,
}

impl JobPlan {
    /// A dropped or opened file: the settings' job, only the slides, in its working folder
    /// (the MP4 and subtitles come from Export, after editing).
    pub fn for_editing(settings: &Settings, work_dir: &Path, script: Option<PathBuf>) -> JobPlan {
        JobPlan {
            spec: JobSpec {
                formats: Formats::none(),
                script,
                ..settings.job.clone()
            },
            out_dir: work_dir.to_path_buf(),
            name: WORK_NAME.to_owned(),
            overwrite: true,
        }
    }
}

/// Checks a path the UI sent before anything opens it: it must be an absolute path to an
/// existing file with a media extension the decoder accepts.
///
/// # Errors
///
/// Kind `unsupported_media` naming the file, or `not_found`.
pub fn validate_media(path: &Path) -> CommandResult<PathBuf> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    if !path.is_absolute() || !vsl_core::media::is_supported(path) {
        return Err(CommandError::new(
            ErrorKind::UnsupportedMedia,
            format!("{name} is not an audio or video file VSL Studio can read"),
        ));
    }
    let canonical = path
        .canonicalize()
        .map_err(|error| CommandError::not_found(format!("{}: {error}", path.display())))?;
    if !canonical.is_file() {
        return Err(CommandError::not_found(format!(
            "{} is not a file",
            path.display()
        )));
    }
    Ok(canonical)
}

/// Checks a script path the UI sent: absolute, an existing file, a script extension; it is
/// read (and refused with its kind, naming it) before anything runs.
///
/// # Errors
///
/// Kind `invalid_script` or `not_found`.
pub fn validate_script(path: &Path) -> CommandResult<vsl_core::script::Script> {
    if !path.is_absolute() {
        return Err(CommandError::new(
            ErrorKind::InvalidScript,
            format!("{}: the script needs a full path", path.display()),
        ));
    }
    Ok(vsl_core::script::Script::load(path)?)
}

/// Queues a dropped or picked file (with its script, if the person gave one) and starts
/// it; events go to `channel`.
///
/// # Errors
///
/// See [`validate_media`] and [`validate_script`]; nothing is queued then.
pub fn start<R: Runtime>(
    app: &AppHandle<R>,
    path: &Path,
    script: Option<&Path>,
    channel: Channel<JobEvent>,
) -> CommandResult<JobRecord> {
    let input = validate_media(path)?;
    // Read now so a bad script is refused before the job is queued; the job reads it again
    // when it starts, as a retry would.
    if let Some(script) = script {
        validate_script(script)?;
    }
    let script = script.map(Path::to_path_buf);
    let record = JobRecord {
        script,
        ..app.state::<AppState>().new_record(input)
    };
    launch(app, record.clone(), channel);
    Ok(record)
}

/// Runs a failed, cancelled or interrupted job again, on a new channel. A watched folder's
/// job runs like a dropped file: its slides go to its own working folder, and it is
/// exported from the editor.
///
/// # Errors
///
/// Kind `not_found` for an unknown id, `busy` while it runs, or the media's error.
pub fn retry<R: Runtime>(
    app: &AppHandle<R>,
    id: &str,
    channel: Channel<JobEvent>,
) -> CommandResult<JobRecord> {
    let state = app.state::<AppState>();
    let record = state.with_jobs(|jobs| match jobs.get(id) {
        None => Err(CommandError::not_found(format!("no job {id}"))),
        Some(job) if job.record.status == JobStatus::Running => Err(CommandError::new(
            ErrorKind::Busy,
            format!("job {id} is still running"),
        )),
        Some(job) => Ok(job.record.clone()),
    })?;
    validate_media(&record.input)?;
    if let Some(export) = record.export.clone() {
        let record = JobRecord {
            status: JobStatus::Running,
            error: None,
            ..record
        };
        launch_export(app, record.clone(), export, channel);
        return Ok(record);
    }
    let record = JobRecord {
        status: JobStatus::Running,
        error: None,
        slides_dir: None,
        ..record
    };
    launch(app, record.clone(), channel);
    Ok(record)
}

/// Runs the export of a job whose export failed or was cut short (its deck is whole, the
/// editor's edits in it) again, with the same folder, formats and choices, instead of its
/// pipeline: nothing is transcribed or rendered again. It ends `done` with the deck, or
/// keeps the export for the next retry.
fn launch_export<R: Runtime>(
    app: &AppHandle<R>,
    record: JobRecord,
    export: PendingExport,
    channel: Channel<JobEvent>,
) {
    register(app, &record);
    let id = record.id.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("vsl-export-{id}"))
        .spawn({
            let (app, id, export) = (app.clone(), id.clone(), export.clone());
            let forward = Forwarder::new(channel.clone());
            move || {
                tracing::info!("job {id}: exporting again to {}", export.folder.display());
                let exported = run_protected(&CancelToken::new(), || {
                    let (folder, formats, choices) =
                        (&export.folder, &export.formats, &export.choices);
                    editor::export(&app, &id, folder, formats, choices, &forward)
                        .and_then(|_| editor::deck_view(&app, &id))
                });
                let error = match exported {
                    JobOutcome::Completed(view) => {
                        finish(&app, &id, JobStatus::Done, None);
                        forward.send(JobEvent::Done {
                            result: Box::new(view),
                        });
                        return;
                    }
                    JobOutcome::Cancelled => {
                        keep_export(&app, &id, export, JobStatus::Cancelled, None);
                        forward.send(JobEvent::Cancelled);
                        return;
                    }
                    JobOutcome::Failed(error) => error,
                    JobOutcome::Panicked(message) => {
                        CommandError::new(ErrorKind::Internal, message)
                    }
                };
                let message = Some(error.message.clone());
                keep_export(&app, &id, export, JobStatus::Failed, message);
                forward.send(JobEvent::Failed { error });
            }
        });
    if let Err(error) = spawned {
        let error = CommandError::task(error);
        keep_export(
            app,
            &id,
            export,
            JobStatus::Failed,
            Some(error.message.clone()),
        );
        let _ = channel.send(JobEvent::Failed { error });
    }
}

/// Ends a retried export that did not finish, keeping it for the next retry.
fn keep_export<R: Runtime>(
    app: &AppHandle<R>,
    id: &str,
    export: PendingExport,
    status: JobStatus,
    error: Option<String>,
) {
    app.state::<AppState>().with_jobs(|jobs| {
        if let Some(job) = jobs.get_mut(id) {
            job.record.export = Some(export);
        }
    });
    finish(app, id, status, error);
}

/// Puts `record` in the queue (replacing an earlier run of the same job) and saves the
/// queue; returns the job's cancel token.
pub fn register<R: Runtime>(app: &AppHandle<R>, record: &JobRecord) -> CancelToken {
    let state = app.state::<AppState>();
    let job = Job::new(record.clone());
    let cancel = job.cancel.clone();
    state.with_jobs(|jobs| jobs.insert(record.id.clone(), job));
    queue::save(&state);
    cancel
}

/// Registers `record` and starts its pipeline on a thread of its own: whisper and FFmpeg
/// block for seconds to minutes and must not hold an async worker.
fn launch<R: Runtime>(app: &AppHandle<R>, record: JobRecord, channel: Channel<JobEvent>) {
    let cancel = register(app, &record);
    let spawned = std::thread::Builder::new()
        .name(format!("vsl-job-{}", record.id))
        .spawn({
            let app = app.clone();
            let record = record.clone();
            let channel = channel.clone();
            move || {
                let work_dir = record.work_dir.clone();
                let script = record.script.clone();
                let plan =
                    move |settings: &Settings| JobPlan::for_editing(settings, &work_dir, script);
                drop(run(&app, &record, &cancel, &Forwarder::new(channel), plan));
            }
        });
    if let Err(error) = spawned {
        let error = CommandError::task(error);
        finish(
            app,
            &record.id,
            JobStatus::Failed,
            Some(error.message.clone()),
        );
        let _ = channel.send(JobEvent::Failed { error });
    }
}

/// Runs a registered job to its end: waits for a free slot, runs the pipeline in the
/// engine process, records the final status and sends the last event (`done`, `failed` or
/// `cancelled`).
///
/// # Errors
///
/// The job's error; kind `cancelled` when it was cancelled, `engine_crashed` when the
/// engine process died under it, `internal` when it panicked.
pub fn run<R: Runtime>(
    app: &AppHandle<R>,
    record: &JobRecord,
    cancel: &CancelToken,
    forward: &Forwarder,
    plan: impl FnOnce(&Settings) -> JobPlan,
) -> CommandResult<JobResult> {
    tracing::info!("job {} started: {}", record.id, record.input.display());
    let outcome = run_protected(cancel, || run_pipeline(app, record, cancel, forward, plan));
    let failed = |error: CommandError| {
        tracing::warn!(
            "job {} failed ({}): {}",
            record.id,
            error.kind.as_str(),
            error.message
        );
        finish(
            app,
            &record.id,
            JobStatus::Failed,
            Some(error.message.clone()),
        );
        forward.send(JobEvent::Failed {
            error: error.clone(),
        });
        Err(error)
    };
    match outcome {
        JobOutcome::Completed((view, outcome)) => {
            tracing::info!(
                "job {} done: {} slides in {}",
                record.id,
                view.deck.slides.len(),
                outcome.slides_dir.display()
            );
            finish(app, &record.id, JobStatus::Done, None);
            forward.send(JobEvent::Done {
                result: Box::new(view),
            });
            Ok(outcome)
        }
        JobOutcome::Cancelled => {
            tracing::info!("job {} cancelled", record.id);
            finish(app, &record.id, JobStatus::Cancelled, None);
            forward.send(JobEvent::Cancelled);
            Err(CommandError::cancelled())
        }
        JobOutcome::Failed(error) => failed(error),
        JobOutcome::Panicked(message) => failed(CommandError::new(
            ErrorKind::Internal,
            format!("the engine failed on {}: {message}", record.input.display()),
        )),
    }
}

fn run_pipeline<R: Runtime>(
    app: &AppHandle<R>,
    record: &JobRecord,
    cancel: &CancelToken,
    forward: &Forwarder,
    plan: impl FnOnce(&Settings) -> JobPlan,
) -> CommandResult<(DeckView, JobResult)> {
    let state = app.state::<AppState>();
    let _slot = state
        .slots
        .acquire(cancel, || forward.send(JobEvent::Stage { stage: "queued" }))
        .ok_or_else(CommandError::cancelled)?;
    forward.send(JobEvent::Stage { stage: "decoding" });
    let plan = plan(&settings::load(&state.dirs)?);
    // Resolved here too: a spec the worker would refuse is refused before it starts, and
    // the editor renders later edits with the same style.
    let resolved = plan.spec.resolve(&state.dirs)?;
    let style = resolved
        .pipeline_options(&plan.out_dir, plan.overwrite)
        .style;
    vsl_core::fs::create_dir_all(&plan.out_dir)?;
    let request = JobRequest {
        spec: plan.spec,
        input: record.input.clone(),
        out_dir: plan.out_dir,
        name: plan.name,
        overwrite: plan.overwrite,
        dirs: WorkerDirs::from(&state.dirs),
    };
    let mut progress = |update: &Progress| match update {
        Progress::Warning { message } => forward.send(JobEvent::Warning {
            message: message.clone(),
        }),
        _ => {
            if let Some(update) = update.to_pipeline() {
                forward.pipeline(update);
            }
        }
    };
    let outcome = state
        .models
        .run(&request, &mut progress, cancel)
        .map_err(engine_error)?;
    let deck = SlideDeck::load(&outcome.slides_dir)?;
    state.with_jobs(|jobs| {
        if let Some(job) = jobs.get_mut(&record.id) {
            job.deck = Some((deck, style));
        }
    });
    Ok((editor::deck_view(app, &record.id)?, outcome))
}

/// The engine's error as the UI gets it: the job's own kind and message as the pipeline
/// gave them, `engine_crashed` with the signal when the worker died.
pub(super) fn engine_error(error: WorkerError) -> CommandError {
    match error {
        WorkerError::Cancelled => CommandError::cancelled(),
        error => CommandError::new(error.kind(), error.to_string()),
    }
}

/// Records a job's final status and saves the queue.
fn finish<R: Runtime>(app: &AppHandle<R>, id: &str, status: JobStatus, error: Option<String>) {
    let state = app.state::<AppState>();
    state.with_jobs(|jobs| {
        if let Some(job) = jobs.get_mut(id) {
            job.record.status = status;
            job.record.error = error;
        }
    });
    queue::save(&state);
}

/// Asks a running job (or its export) to stop; it reports `cancelled` once it has.
///
/// # Errors
///
/// Kind `not_found` for an unknown id.
pub fn cancel(state: &AppState, id: &str) -> CommandResult<()> {
    state.with_jobs(|jobs| match jobs.get(id) {
        Some(job) => {
            job.cancel.cancel();
            Ok(())
        }
        None => Err(CommandError::not_found(format!("no job {id}"))),
    })
}

/// Removes a job that is not running from the queue (its working files stay in the cache).
///
/// # Errors
///
/// Kind `busy` while the job runs.
pub fn remove(state: &AppState, id: &str) -> CommandResult<()> {
    state.with_jobs(|jobs| {
        if jobs
            .get(id)
            .is_some_and(|job| job.record.status == JobStatus::Running)
        {
            return Err(CommandError::new(
                ErrorKind::Busy,
                format!("job {id} is still running"),
            ));
        }
        jobs.remove(id);
        Ok(())
    })?;
    queue::save(state);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_media_accepts_audio_and_names_what_it_refuses() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let wav = dir.path().join("Voice.WAV");
        vsl_core::fs::write_atomic(&wav, b"RIFF", vsl_core::fs::Replace::No).expect("written");
        assert_eq!(
            validate_media(&wav).expect("accepted"),
            wav.canonicalize().expect("exists")
        );
        // The decoder's list decides: an .avi a watched folder imports is accepted here too.
        let avi = dir.path().join("screen.avi");
        vsl_core::fs::write_atomic(&avi, b"RIFF", vsl_core::fs::Replace::No).expect("written");
        validate_media(&avi).expect("accepted");
        let notes = dir.path().join("notes.txt");
        vsl_core::fs::write_atomic(&notes, b"hi", vsl_core::fs::Replace::No).expect("written");
        let error = validate_media(&notes).expect_err("refused");
        assert_eq!(error.kind, ErrorKind::UnsupportedMedia);
        assert!(error.message.contains("notes.txt"), "{error}");
        let folder = dir.path().join("folder.mp3");
        vsl_core::fs::create_dir_all(&folder).expect("created");
        assert_eq!(
            validate_media(&folder).expect_err("refused").kind,
            ErrorKind::NotFound
        );
    }

    #[test]
    fn dropped_jobs_make_only_slides_at_the_settings_size() {
        let settings = Settings::default();
        let plan = JobPlan::for_editing(&settings, Path::new("/jobs/1"), None);
        assert!(plan.spec.formats.is_empty());
        assert_eq!(
            plan.spec.size, None,
            "the full size of the shape, as watched folders"
        );
        assert_eq!(plan.name, WORK_NAME);
    }
}
