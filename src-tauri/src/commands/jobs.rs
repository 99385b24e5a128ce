//! The job queue: start a voice-over's pipeline, follow it over a per-job
//! [`Channel`], cancel or retry it, and list the queue (which survives a restart).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use vsl_core::correct::Glossary;
use vsl_core::pipeline::{
    self, Formats, PipelineError, PipelineOptions, PipelineOutcome, PipelineProgress, Stage,
    SubtitleMode,
};
use vsl_core::render::{SlideCache, SlideStyle};
use vsl_core::slides::{Aspect, SlideDeck, SlidesConfig};
use vsl_core::transcribe::{default_threads, TranscribeOptions};

use crate::error::{CommandError, CommandResult};
use crate::queue;
use crate::settings::Settings;
use crate::state::{AppState, Job, JobRecord, JobStatus};

/// Progress messages are sent at most this often, so a fast stage cannot flood the
/// webview with thousands of IPC messages (about 10 Hz).
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// What a job's channel carries.
#[derive(Debug, Clone, Serialize)]
#[serde(
    tag = "event",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum JobEvent {
    /// A stage began: `decoding`, `transcribing`, `correcting`, `rendering`, `exporting`.
    Stage {
        stage: &'static str,
    },
    /// Overall progress in `0..=1` and the estimated seconds left.
    Progress {
        fraction: f64,
        eta_seconds: Option<f64>,
    },
    Done {
        result: DeckView,
    },
    Failed {
        error: CommandError,
    },
    Cancelled,
}

/// A finished job as the result view needs it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeckView {
    pub job_id: String,
    /// The voice-over, played through the asset protocol.
    pub audio: PathBuf,
    /// The folder holding the slide PNGs named in `deck`.
    pub slides_dir: PathBuf,
    pub deck: SlideDeck,
    /// Words the model was unsure of, for the editor to mark.
    pub review: Vec<vsl_core::correct::ReviewWord>,
    pub can_undo: bool,
    pub can_redo: bool,
}

/// The UI's name for a pipeline stage, and where it sits in the overall bar.
fn stage_span(stage: Stage) -> (&'static str, f64, f64) {
    match stage {
        Stage::Decode => ("decoding", 0.0, 0.05),
        Stage::Transcribe => ("transcribing", 0.05, 0.8),
        Stage::Correct | Stage::Slides => ("correcting", 0.8, 0.82),
        Stage::Render => ("rendering", 0.82, 0.97),
        Stage::Export | Stage::Files => ("exporting", 0.97, 1.0),
    }
}

/// A job event for the whole app, for jobs no window started (watched folders): the
/// `job-event` event carries `{ id, event }`.
#[derive(Debug, Clone, Serialize)]
pub struct AppJobEvent<'a> {
    pub id: &'a str,
    pub event: &'a JobEvent,
}

/// The app-wide event names the UI listens to.
pub const JOB_ADDED_EVENT: &str = "job-added";
pub const JOB_EVENT: &str = "job-event";

type Sink = Box<dyn Fn(JobEvent) + Send + Sync>;

/// Turns stage-local progress into throttled overall progress with an ETA.
pub struct Forwarder {
    sink: Sink,
    started: Instant,
    state: Mutex<(f64, f64, Option<Instant>)>,
}

impl Forwarder {
    /// Sends to the channel of the command that started the job.
    pub fn new(channel: Channel<JobEvent>) -> Self {
        // A closed webview (window reloaded) is not an error for the job itself.
        Self::with_sink(Box::new(move |event| drop(channel.send(event))))
    }

    /// Sends app-wide `job-event`s for job `id`, which every window receives.
    pub fn app_wide<R: Runtime>(app: AppHandle<R>, id: String) -> Self {
        Self::with_sink(Box::new(move |event| {
            let _ = app.emit(
                JOB_EVENT,
                AppJobEvent {
                    id: &id,
                    event: &event,
                },
            );
        }))
    }

    fn with_sink(sink: Sink) -> Self {
        Self {
            sink,
            started: Instant::now(),
            state: Mutex::new((0.0, 1.0, None)),
        }
    }

    pub fn send(&self, event: JobEvent) {
        (self.sink)(event);
    }

    fn stage(&self, stage: Stage) {
        let (name, from, to) = stage_span(stage);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        *state = (from, to, None);
        drop(state);
        self.send(JobEvent::Stage { stage: name });
        self.fraction(0.0);
    }

    /// Reports `local` (0..=1) of the current stage, unless the last report was too recent.
    pub fn fraction(&self, local: f64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (from, to, last) = *state;
        if last.is_some_and(|last| last.elapsed() < PROGRESS_INTERVAL) && local < 1.0 {
            return;
        }
        state.2 = Some(Instant::now());
        drop(state);
        let fraction = (from + (to - from) * local.clamp(0.0, 1.0)).clamp(0.0, 1.0);
        let elapsed = self.started.elapsed().as_secs_f64();
        // Under 5 % the estimate is mostly noise from model loading.
        let eta_seconds = (fraction > 0.05).then(|| elapsed * (1.0 - fraction) / fraction);
        self.send(JobEvent::Progress {
            fraction,
            eta_seconds,
        });
    }

    pub fn pipeline(&self, update: PipelineProgress) {
        match update {
            PipelineProgress::Stage(stage) => self.stage(stage),
            PipelineProgress::Transcribing { percent } => self.fraction(f64::from(percent) / 100.0),
            PipelineProgress::Rendering { done, total } => {
                self.fraction(done as f64 / total.max(1) as f64);
            }
            PipelineProgress::Exporting(export) => self.fraction(export.fraction()),
        }
    }
}

/// Checks a path the UI sent before anything opens it: it must be an absolute path to an
/// existing file with a media extension the decoder accepts.
///
/// # Errors
///
/// Kind `unsupported` naming the file, or `not_found`.
pub fn validate_media(path: &Path) -> CommandResult<PathBuf> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if !path.is_absolute() || !vsl_core::media::SUPPORTED_EXTENSIONS.contains(&extension.as_str()) {
        return Err(CommandError::new(
            "unsupported",
            format!("{name} is not an audio or video file VSL Studio can read"),
        ));
    }
    let canonical = path
        .canonicalize()
        .map_err(|error| CommandError::new("not_found", format!("{}: {error}", path.display())))?;
    if !canonical.is_file() {
        return Err(CommandError::new(
            "not_found",
            format!("{} is not a file", path.display()),
        ));
    }
    Ok(canonical)
}

/// The model jobs use: `$VSL_MODEL` (tests pick `tiny.en` for speed), else the setting.
pub fn model_name(settings: &Settings) -> String {
    std::env::var("VSL_MODEL")
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| settings.model.clone())
}

/// The options a job runs with. Only the slides are made here: the MP4 and subtitles are
/// written by `export_deck` after the person has edited the deck.
fn pipeline_options(work_dir: &Path, settings: &Settings) -> CommandResult<PipelineOptions> {
    let config =
        SlidesConfig::load_default().map_err(|e| CommandError::new(e.kind(), e.to_string()))?;
    let aspect =
        Aspect::parse(&settings.preset).map_err(|e| CommandError::new(e.kind(), e.to_string()))?;
    let preset = config.preset(aspect);
    let theme = config
        .theme(&settings.theme)
        .map_err(|e| CommandError::new(e.kind(), e.to_string()))?;
    let global = Glossary::global_path();
    let glossary = Glossary::load_layers(Some(&global), None)
        .map_err(|e| CommandError::new(e.kind(), e.to_string()))?;
    Ok(PipelineOptions {
        out_dir: work_dir.to_path_buf(),
        transcribe: TranscribeOptions {
            language: Some(settings.language.clone()).filter(|language| language != "auto"),
            prompt: None,
            threads: if settings.threads == 0 {
                default_threads()
            } else {
                settings.threads
            },
        },
        glossary,
        style: SlideStyle {
            theme,
            // Half the preset's full size: thumbnails and edits stay fast, and the export
            // uses the same images (720p for 16:9).
            size: {
                let full = aspect.default_size();
                vsl_core::render::RenderSize::new(full.width * 2 / 3, full.height * 2 / 3)
            },
            max_lines: preset.max_lines,
        },
        preset,
        cache: SlideCache::open_default(),
        formats: Formats {
            mp4: false,
            srt: false,
            vtt: false,
            txt: false,
            json: false,
        },
        subtitles: SubtitleMode::Slides,
        fps: None,
        overwrite: true,
    })
}

/// Starts the pipeline for one dropped or picked file and returns its queue record.
/// Progress, the result or the error arrive on `on_progress`.
///
/// # Errors
///
/// Kind `unsupported` or `not_found` when the path is refused; nothing is queued then.
#[tauri::command]
pub fn start_job<R: Runtime>(
    app: AppHandle<R>,
    path: PathBuf,
    on_progress: Channel<JobEvent>,
) -> CommandResult<JobRecord> {
    let input = validate_media(&path)?;
    let state = app.state::<AppState>();
    let record = JobRecord::running(state.new_job_id(), input);
    launch(&app, record.clone(), on_progress);
    Ok(record)
}

/// Runs a failed, cancelled or interrupted job again, on a new channel.
///
/// # Errors
///
/// Kind `not_found` for an unknown id, `busy` if it is still running.
#[tauri::command]
pub fn retry_job<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    on_progress: Channel<JobEvent>,
) -> CommandResult<JobRecord> {
    let state = app.state::<AppState>();
    let record = state.with_jobs(|jobs| match jobs.get(&id) {
        None => Err(CommandError::new("not_found", format!("no job {id}"))),
        Some(job) if job.record.status == JobStatus::Running => Err(CommandError::new(
            "busy",
            format!("job {id} is still running"),
        )),
        Some(job) => Ok(job.record.clone()),
    })?;
    validate_media(&record.input)?;
    let record = JobRecord {
        status: JobStatus::Running,
        error: None,
        // A retried watched-folder job runs like a dropped file: its slides go to its own
        // working folder, and it is exported from the editor.
        slides_dir: None,
        ..record
    };
    launch(&app, record.clone(), on_progress);
    Ok(record)
}

/// Puts `record` in the queue (replacing an earlier run of the same job) and saves the
/// queue; returns the job's cancel flag.
pub fn register<R: Runtime>(app: &AppHandle<R>, record: &JobRecord) -> Arc<AtomicBool> {
    let state = app.state::<AppState>();
    let cancel = Arc::new(AtomicBool::new(false));
    state.with_jobs(|jobs| {
        jobs.insert(
            record.id.clone(),
            Job {
                record: record.clone(),
                cancel: Arc::clone(&cancel),
                deck: None,
                undo: Vec::new(),
                redo: Vec::new(),
            },
        );
    });
    queue::save(&state);
    cancel
}

/// Registers `record` as running and starts its pipeline on a thread of its own: whisper
/// and FFmpeg block for seconds to minutes and must not hold an async worker.
fn launch<R: Runtime>(app: &AppHandle<R>, record: JobRecord, channel: Channel<JobEvent>) {
    let cancel = register(app, &record);
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("vsl-job-{}", record.id))
        .spawn({
            let app = app.clone();
            let record = record.clone();
            let channel = channel.clone();
            move || {
                let work_dir = record.work_dir.clone();
                // The MP4 and subtitles are written by `export_deck`, after editing.
                let plan = move |settings: &Settings| {
                    Ok((pipeline_options(&work_dir, settings)?, "slides".to_owned()))
                };
                drop(run(
                    &app,
                    &record,
                    &cancel,
                    &Forwarder::new(channel),
                    Box::new(plan),
                ));
            }
        });
    if let Err(error) = spawned {
        finish(&app, &record.id, JobStatus::Failed, Some(error.to_string()));
        let _ = channel.send(JobEvent::Failed {
            error: CommandError::task(error),
        });
    }
}

/// What a job runs with, decided from the settings when it starts: the pipeline options
/// and the name of its outputs.
pub type Plan<'a> = Box<dyn FnOnce(&Settings) -> CommandResult<(PipelineOptions, String)> + 'a>;

/// Runs a registered job to its end: waits for a free slot, runs the pipeline, records the
/// final status and sends the last event (`done`, `failed` or `cancelled`).
pub fn run<R: Runtime>(
    app: &AppHandle<R>,
    record: &JobRecord,
    cancel: &AtomicBool,
    forward: &Forwarder,
    plan: Plan<'_>,
) -> CommandResult<PipelineOutcome> {
    // whisper.cpp and FFmpeg are C code behind FFI: a panic there must fail this job,
    // not take the app down with it.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_pipeline(app, record, cancel, forward, plan)
    }))
    .unwrap_or_else(|_| Err(CommandError::task("the pipeline panicked")));
    match outcome {
        Ok((view, outcome)) => {
            finish(app, &record.id, JobStatus::Done, None);
            forward.send(JobEvent::Done { result: view });
            Ok(outcome)
        }
        Err(error) if error.kind == "cancelled" => {
            finish(app, &record.id, JobStatus::Cancelled, None);
            forward.send(JobEvent::Cancelled);
            Err(error)
        }
        Err(error) => {
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
        }
    }
}

fn run_pipeline<R: Runtime>(
    app: &AppHandle<R>,
    record: &JobRecord,
    cancel: &AtomicBool,
    forward: &Forwarder,
    plan: Plan<'_>,
) -> CommandResult<(DeckView, PipelineOutcome)> {
    let state = app.state::<AppState>();
    let cancelled = || CommandError::new("cancelled", "cancelled");
    let _slot = state
        .slots
        .acquire(cancel, || forward.send(JobEvent::Stage { stage: "queued" }))
        .ok_or_else(cancelled)?;
    forward.send(JobEvent::Stage { stage: "decoding" });
    let settings = crate::settings::load()?;
    let (options, name) = plan(&settings)?;
    let store = state.model_store()?;
    let model = store.resolve(&model_name(&settings))?;
    let engine = state
        .models
        .engine(&model)
        .map_err(|e| CommandError::new(e.kind(), e.to_string()))?;
    let outcome = pipeline::run_file(
        &engine,
        &record.input,
        &name,
        &options,
        &|update| forward.pipeline(update),
        cancel,
    )
    .map_err(|error| match error {
        PipelineError::Cancelled => cancelled(),
        other => CommandError::new(other.kind(), other.to_string()),
    })?;
    let deck = crate::commands::deck::read_deck(&outcome.slides_dir)?;
    state.with_jobs(|jobs| {
        if let Some(job) = jobs.get_mut(&record.id) {
            job.deck = Some((deck, options.style.clone()));
        }
    });
    Ok((crate::commands::deck::deck_view(app, &record.id)?, outcome))
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

/// Asks a running job to stop; it reports `cancelled` on its channel once it has.
///
/// # Errors
///
/// Kind `not_found` for an unknown id.
#[tauri::command]
pub fn cancel_job(state: tauri::State<'_, AppState>, id: String) -> CommandResult<()> {
    state.with_jobs(|jobs| match jobs.get(&id) {
        Some(job) => {
            job.cancel.store(true, Ordering::Relaxed);
            Ok(())
        }
        None => Err(CommandError::new("not_found", format!("no job {id}"))),
    })
}

/// Removes a job that is not running from the queue (its working files stay in the cache).
///
/// # Errors
///
/// Kind `busy` while the job runs.
#[tauri::command]
pub fn remove_job(state: tauri::State<'_, AppState>, id: String) -> CommandResult<()> {
    state.with_jobs(|jobs| {
        if jobs
            .get(&id)
            .is_some_and(|job| job.record.status == JobStatus::Running)
        {
            return Err(CommandError::new(
                "busy",
                format!("job {id} is still running"),
            ));
        }
        jobs.remove(&id);
        Ok(())
    })?;
    queue::save(&state);
    Ok(())
}

/// The queue, oldest first, as restored at start-up plus this session's jobs.
#[tauri::command]
pub fn list_jobs(state: tauri::State<'_, AppState>) -> Vec<JobRecord> {
    state.records()
}

#[cfg(test)]
mod tests {
    use tauri::ipc::InvokeResponseBody;

    use super::*;

    /// A channel that collects what is sent on it.
    fn collecting() -> (Channel<JobEvent>, Arc<Mutex<Vec<serde_json::Value>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let channel = Channel::new(move |body| {
            if let InvokeResponseBody::Json(json) = body {
                let value = serde_json::from_str(&json).expect("events are JSON");
                sink.lock().expect("not poisoned").push(value);
            }
            Ok(())
        });
        (channel, seen)
    }

    #[test]
    fn progress_is_throttled_but_stages_always_pass() {
        let (channel, seen) = collecting();
        let forward = Forwarder::new(channel);
        forward.pipeline(PipelineProgress::Stage(Stage::Transcribe));
        // A burst far faster than the interval: at most the first gets through.
        for percent in 0..100 {
            forward.pipeline(PipelineProgress::Transcribing { percent });
        }
        forward.pipeline(PipelineProgress::Stage(Stage::Render));
        let seen = seen.lock().expect("not poisoned");
        let stages: Vec<_> = seen
            .iter()
            .filter(|event| event["event"] == "stage")
            .map(|event| event["stage"].clone())
            .collect();
        assert_eq!(stages, ["transcribing", "rendering"]);
        let progress = seen
            .iter()
            .filter(|event| event["event"] == "progress")
            .count();
        assert!(
            progress < 10,
            "{progress} progress events for a burst of 100"
        );
        // Overall fractions never leave 0..=1 and rendering starts past transcription.
        let last = seen.last().expect("events were sent");
        assert_eq!(last["event"], "progress");
        assert!((last["fraction"].as_f64().expect("a number") - 0.82).abs() < 1e-9);
    }

    #[test]
    fn finished_progress_is_never_dropped() {
        let (channel, seen) = collecting();
        let forward = Forwarder::new(channel);
        forward.fraction(0.5);
        forward.fraction(1.0);
        let fractions: Vec<f64> = seen
            .lock()
            .expect("not poisoned")
            .iter()
            .filter_map(|event| event["fraction"].as_f64())
            .collect();
        assert_eq!(fractions, [0.5, 1.0]);
    }

    #[test]
    fn events_serialize_with_camel_case_fields() {
        let event = JobEvent::Progress {
            fraction: 0.5,
            eta_seconds: Some(3.0),
        };
        assert_eq!(
            serde_json::to_value(&event).expect("serializes"),
            serde_json::json!({ "event": "progress", "fraction": 0.5, "etaSeconds": 3.0 })
        );
        assert_eq!(
            serde_json::to_value(JobEvent::Cancelled).expect("serializes"),
            serde_json::json!({ "event": "cancelled" })
        );
    }

    #[test]
    fn validate_media_accepts_audio_and_names_what_it_refuses() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let wav = dir.path().join("Voice.WAV");
        std::fs::write(&wav, b"RIFF").expect("written");
        assert_eq!(
            validate_media(&wav).expect("accepted"),
            wav.canonicalize().expect("exists")
        );
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, b"hi").expect("written");
        let error = validate_media(&notes).expect_err("refused");
        assert_eq!(error.kind, "unsupported");
        assert!(error.message.contains("notes.txt"), "{error}");
        let folder = dir.path().join("folder.mp3");
        std::fs::create_dir(&folder).expect("created");
        assert_eq!(
            validate_media(&folder).expect_err("refused").kind,
            "not_found"
        );
    }
}
