//! The engine in a process of its own: `vsl worker`, and the client that drives it.
//!
//! Decoding, transcription, rendering and export run FFI code (FFmpeg, whisper.cpp) that can
//! abort, segfault or be killed for memory. Run in a worker process, such a crash ends the
//! worker and fails the one job it was running with [`ErrorKind::EngineCrashed`]; the caller
//! (the app, `vsl watch`) goes on, and the next job starts a fresh worker.
//!
//! The protocol is JSON lines: one [`Request`] a line on the worker's stdin, one [`Event`] a
//! line on its stdout (anything else on stdout is skipped; logs go to stderr). The worker
//! answers `ready` once, then runs one job at a time: `progress` events, then exactly one of
//! `done` (`exported` for an export, `previewed` for the player's rendition), `failed` (a
//! typed [`ErrorKind`] and the message) or `cancelled`. A `cancel` for the
//! running job stops it at the next check; `shutdown`, or the end of stdin (the caller died),
//! cancels it and ends the worker. The model stays loaded between jobs ([`ModelHost`]) and is
//! released after the idle time.
//!
//! [`WorkerClient`] spawns the worker, sends a job, streams its events to a callback, cancels,
//! and turns a worker that dies without answering (a signal, an abort, an exit) into
//! [`WorkerError::Crashed`]. The child is spawned by a thread that then waits for it, so a
//! worker that asks the kernel to die with its parent (Linux's `PR_SET_PDEATHSIG`, which
//! follows the spawning thread) lives exactly as long as the client's process.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;
use crate::export::{export_deck, AssStyle, ExportPlan, ExportProgress, ExportedFiles};
use crate::job::{Formats, JobSpec};
use crate::jobs::{run_protected, CancelToken, JobOutcome};
use crate::models::ModelStore;
use crate::paths::Dirs;
use crate::pipeline::{self, PipelineProgress, Stage};
use crate::slides::SlideDeck;
use crate::transcribe::ModelHost;

/// Bumped when a request or event changes incompatibly.
pub const PROTOCOL_VERSION: u32 = 2;

/// The folders a job works in, sent with each job: the worker reads no variable of its own,
/// so a caller with its own [`Dirs`] (a test) is obeyed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerDirs {
    pub data: PathBuf,
    pub cache: PathBuf,
    pub config: PathBuf,
    pub models: PathBuf,
}

impl From<&Dirs> for WorkerDirs {
    fn from(dirs: &Dirs) -> WorkerDirs {
        WorkerDirs {
            data: dirs.data.clone(),
            cache: dirs.cache.clone(),
            config: dirs.config.clone(),
            models: dirs.models.clone(),
        }
    }
}

impl From<WorkerDirs> for Dirs {
    fn from(dirs: WorkerDirs) -> Dirs {
        Dirs {
            data: dirs.data,
            cache: dirs.cache,
            config: dirs.config,
            models: dirs.models,
        }
    }
}

/// One file through the whole pipeline: what `run_file` gets, as data.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRequest {
    pub spec: JobSpec,
    pub input: PathBuf,
    pub out_dir: PathBuf,
    /// Outputs are `<name>.*` and `<name>_slides/`.
    pub name: String,
    pub overwrite: bool,
    pub dirs: WorkerDirs,
}

/// A finished job's deck exported again (the app's Export): what `export_deck` gets, as
/// data. The deck is read from `deck_dir`, as the editor saved it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    /// The job with the export's choices (music, picture, look), resolved in the worker.
    pub spec: JobSpec,
    /// The folder of the deck's `slides.json` and images.
    pub deck_dir: PathBuf,
    /// The voice-over whose audio (and, for captions, picture) goes into the MP4.
    pub audio: PathBuf,
    pub out_dir: PathBuf,
    /// Outputs are `<stem>.*`.
    pub stem: String,
    pub formats: Formats,
    pub dirs: WorkerDirs,
}

/// The player's small rendition of a voice-over (`export::preview::ensure_preview`), made in
/// the worker because it decodes the input with FFmpeg.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewRequest {
    pub source: PathBuf,
    /// The cache root the rendition goes under.
    pub cache: PathBuf,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportResult {
    /// Every file written, in order.
    pub files: Vec<PathBuf>,
    pub mp4: Option<PathBuf>,
    /// Seconds, as the written MP4 reports it.
    pub duration: Option<f64>,
    /// The music mixed under the voice, when there was one.
    pub music: Option<PathBuf>,
    /// The integrated loudness the MP4's audio was normalised to (LUFS), when it was.
    pub loudness: Option<f64>,
}

impl From<ExportedFiles> for ExportResult {
    fn from(written: ExportedFiles) -> ExportResult {
        let mp4 = written.mp4.as_ref();
        ExportResult {
            mp4: mp4.map(|mp4| mp4.path.clone()),
            duration: mp4.map(|mp4| mp4.duration),
            music: mp4.and_then(|mp4| mp4.music.clone()),
            loudness: mp4
                .and_then(|mp4| mp4.loudness.as_ref())
                .map(|loudness| loudness.result),
            files: written.files,
        }
    }
}

/// A line to the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Request {
    Run { id: u64, job: Box<JobRequest> },
    Export { id: u64, export: Box<ExportRequest> },
    Preview { id: u64, preview: PreviewRequest },
    Cancel { id: u64 },
    Shutdown,
}

/// A line from the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    Ready {
        version: u32,
        pid: u32,
    },
    Progress {
        id: u64,
        progress: Progress,
    },
    Done {
        id: u64,
        outcome: JobResult,
    },
    Exported {
        id: u64,
        result: ExportResult,
    },
    /// The rendition a [`Request::Preview`] asked for, in the cache.
    Previewed {
        id: u64,
        path: PathBuf,
    },
    Failed {
        id: u64,
        kind: ErrorKind,
        message: String,
    },
    Cancelled {
        id: u64,
    },
}

/// [`PipelineProgress`] as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Progress {
    /// A stage begins (its [`Stage::name`]).
    Stage {
        stage: String,
    },
    Transcribing {
        percent: u8,
    },
    Rendering {
        done: usize,
        total: usize,
    },
    #[serde(rename_all = "camelCase")]
    Exporting {
        frames_written: u64,
        frames_total: u64,
        audio_done: f64,
        audio_total: f64,
        elapsed_ms: u64,
    },
    /// A preflight warning, as its text.
    Warning {
        message: String,
    },
}

const STAGES: [Stage; 6] = [
    Stage::Decode,
    Stage::Transcribe,
    Stage::Correct,
    Stage::Slides,
    Stage::Render,
    Stage::Export,
];

impl From<&PipelineProgress> for Progress {
    fn from(progress: &PipelineProgress) -> Progress {
        match progress {
            PipelineProgress::Stage(stage) => Progress::Stage {
                stage: stage.name().to_owned(),
            },
            PipelineProgress::Transcribing { percent } => {
                Progress::Transcribing { percent: *percent }
            }
            PipelineProgress::Rendering { done, total } => Progress::Rendering {
                done: *done,
                total: *total,
            },
            PipelineProgress::Exporting(export) => Progress::Exporting {
                frames_written: export.frames_written,
                frames_total: export.frames_total,
                audio_done: export.audio_done,
                audio_total: export.audio_total,
                elapsed_ms: export.elapsed.as_millis() as u64,
            },
            PipelineProgress::Warning(warning) => Progress::Warning {
                message: warning.to_string(),
            },
        }
    }
}

impl Progress {
    /// The in-process progress this mirrors, for front ends that already handle it
    /// (a warning, which is only text here, has none).
    pub fn to_pipeline(&self) -> Option<PipelineProgress> {
        Some(match self {
            Progress::Stage { stage } => PipelineProgress::Stage(
                *STAGES.iter().find(|known| known.name() == stage.as_str())?,
            ),
            Progress::Transcribing { percent } => {
                PipelineProgress::Transcribing { percent: *percent }
            }
            Progress::Rendering { done, total } => PipelineProgress::Rendering {
                done: *done,
                total: *total,
            },
            Progress::Exporting {
                frames_written,
                frames_total,
                audio_done,
                audio_total,
                elapsed_ms,
            } => PipelineProgress::Exporting(ExportProgress {
                frames_written: *frames_written,
                frames_total: *frames_total,
                audio_done: *audio_done,
                audio_total: *audio_total,
                elapsed: Duration::from_millis(*elapsed_ms),
            }),
            Progress::Warning { .. } => return None,
        })
    }
}

/// What a finished job made: [`pipeline::PipelineOutcome`]'s figures and files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobResult {
    pub input: PathBuf,
    /// Seconds of audio.
    pub duration: f64,
    pub language: String,
    pub words: usize,
    pub slides: usize,
    /// Every file written, in order (the slide images are under `slides_dir`).
    pub files: Vec<PathBuf>,
    pub slides_dir: PathBuf,
    /// Milliseconds per stage, by [`Stage::name`].
    pub timings: Vec<(String, u64)>,
    pub total_ms: u64,
    /// How the script lined up with the voice, as text, when there was one.
    pub alignment: Option<String>,
    /// The model file the worker ran the job with, and still holds until its idle time
    /// passes (the caller's health readout shows it).
    #[serde(default)]
    pub model: Option<PathBuf>,
}

impl From<pipeline::PipelineOutcome> for JobResult {
    fn from(outcome: pipeline::PipelineOutcome) -> JobResult {
        JobResult {
            input: outcome.input,
            duration: outcome.duration,
            language: outcome.language,
            words: outcome.words,
            slides: outcome.slides,
            files: outcome.files,
            slides_dir: outcome.slides_dir,
            timings: outcome
                .timings
                .iter()
                .map(|(stage, took)| (stage.name().to_owned(), took.as_millis() as u64))
                .collect(),
            total_ms: outcome.total.as_millis() as u64,
            alignment: outcome.alignment.map(|alignment| alignment.report()),
            model: None,
        }
    }
}

/// How the worker process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Signal(i32),
    Code(i32),
    /// Neither could be read.
    Unknown,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Signal(signal) => write!(f, "signal {signal}"),
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Unknown => f.write_str("no exit status"),
        }
    }
}

impl From<ExitStatus> for Exit {
    fn from(status: ExitStatus) -> Exit {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(signal) = status.signal() {
                return Exit::Signal(signal);
            }
        }
        status.code().map_or(Exit::Unknown, Exit::Code)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("cannot start the engine {}: {reason}", program.display())]
    Spawn { program: PathBuf, reason: String },
    /// The worker died before it answered: the job may be retried as it is.
    #[error("{}: the engine stopped unexpectedly ({exit}); retry", input.display())]
    Crashed { input: PathBuf, exit: Exit },
    #[error("the engine answered something unexpected: {reason}")]
    Protocol { reason: String },
    /// The job failed in the worker as it would have in process.
    #[error("{message}")]
    Job { kind: ErrorKind, message: String },
    #[error("cancelled")]
    Cancelled,
}

impl WorkerError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            WorkerError::Spawn { .. } | WorkerError::Protocol { .. } => ErrorKind::Engine,
            WorkerError::Crashed { .. } => ErrorKind::EngineCrashed,
            WorkerError::Job { kind, .. } => *kind,
            WorkerError::Cancelled => ErrorKind::Cancelled,
        }
    }
}

impl crate::jobs::JobFailure for WorkerError {
    fn kind(&self) -> ErrorKind {
        WorkerError::kind(self)
    }
}

/// Called on every progress update of a job in the worker, before it is sent: the CLI's
/// test-only fault switch aborts or stalls the worker here.
pub type StageHook = dyn Fn(&Path, &PipelineProgress, &CancelToken) + Send + Sync;

/// How [`serve`] runs.
pub struct WorkerOptions {
    /// How long the model stays loaded without a job.
    pub idle: Duration,
    pub hook: Option<Box<StageHook>>,
}

impl std::fmt::Debug for WorkerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerOptions")
            .field("idle", &self.idle)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

/// The jobs the reader has seen and not yet finished, with their cancel tokens.
type Tokens = Arc<Mutex<Vec<(u64, CancelToken)>>>;

fn tokens(tokens: &Tokens) -> std::sync::MutexGuard<'_, Vec<(u64, CancelToken)>> {
    tokens.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The worker loop: reads [`Request`]s from `input`, runs each job in this process and writes
/// [`Event`]s to `output`, until `shutdown` or the end of `input`. Returns when the last job
/// has ended; an error is a broken `output` (the caller is gone).
pub fn serve(
    input: impl BufRead + Send + 'static,
    output: impl Write + Send,
    options: WorkerOptions,
) -> std::io::Result<()> {
    let output = Mutex::new(output);
    let send = |event: &Event| -> std::io::Result<()> {
        let mut line = serde_json::to_vec(event).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut output = output.lock().unwrap_or_else(PoisonError::into_inner);
        output.write_all(&line)?;
        output.flush()
    };
    send(&Event::Ready {
        version: PROTOCOL_VERSION,
        pid: std::process::id(),
    })?;
    let live: Tokens = Arc::default();
    let (jobs, queue) = mpsc::channel::<(u64, Work, CancelToken)>();
    let reader_live = Arc::clone(&live);
    // Reads while a job runs, so a cancel reaches it.
    std::thread::Builder::new()
        .name("vsl-worker-requests".into())
        .spawn(move || {
            for line in input.lines() {
                let Ok(line) = line else { break };
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Request>(&line) {
                    Ok(
                        request @ (Request::Run { .. }
                        | Request::Export { .. }
                        | Request::Preview { .. }),
                    ) => {
                        let (id, work) = match request {
                            Request::Run { id, job } => (id, Work::Run(job)),
                            Request::Export { id, export } => (id, Work::Export(export)),
                            Request::Preview { id, preview } => (id, Work::Preview(preview)),
                            _ => continue,
                        };
                        let cancel = CancelToken::new();
                        tokens(&reader_live).push((id, cancel.clone()));
                        if jobs.send((id, work, cancel)).is_err() {
                            break;
                        }
                    }
                    Ok(Request::Cancel { id }) => {
                        if let Some((_, token)) =
                            tokens(&reader_live).iter().find(|(live, _)| *live == id)
                        {
                            token.cancel();
                        }
                    }
                    Ok(Request::Shutdown) => break,
                    // Not ours (a stray line): ignored, as the client ignores stray output.
                    Err(_) => {}
                }
            }
            // Shutdown, or the caller is gone: nothing left is wanted.
            for (_, token) in tokens(&reader_live).iter() {
                token.cancel();
            }
        })?;
    let host = ModelHost::new(options.idle);
    for (id, work, cancel) in queue {
        let event = match work {
            _ if cancel.is_cancelled() => Event::Cancelled { id },
            Work::Run(job) => run_job(id, &job, &host, &options, &cancel, &send),
            Work::Export(export) => run_export(id, &export, &options, &cancel, &send),
            Work::Preview(preview) => run_preview(id, &preview, &options, &cancel),
        };
        tokens(&live).retain(|(live, _)| *live != id);
        send(&event)?;
    }
    Ok(())
}

/// What the worker was asked to run.
enum Work {
    Run(Box<JobRequest>),
    Export(Box<ExportRequest>),
    Preview(PreviewRequest),
}

/// The player's rendition, made (or found) in the cache. It decodes the input: the fault
/// switch's `decode` stage fires here too.
fn run_preview(
    id: u64,
    preview: &PreviewRequest,
    options: &WorkerOptions,
    cancel: &CancelToken,
) -> Event {
    if let Some(hook) = &options.hook {
        hook(
            &preview.source,
            &PipelineProgress::Stage(Stage::Decode),
            cancel,
        );
    }
    let outcome = run_protected(cancel, || {
        crate::export::preview::ensure_preview(&preview.cache, &preview.source, cancel)
            .map_err(crate::Error::from)
    });
    match outcome {
        JobOutcome::Completed(path) => Event::Previewed { id, path },
        JobOutcome::Cancelled => Event::Cancelled { id },
        JobOutcome::Failed(error) => Event::Failed {
            id,
            kind: error.kind(),
            message: error.to_string(),
        },
        JobOutcome::Panicked(message) => Event::Failed {
            id,
            kind: ErrorKind::Internal,
            message: format!(
                "{}: the player's copy failed: {message}",
                preview.source.display()
            ),
        },
    }
}

/// Export progress comes per frame: a few updates a second are plenty over a pipe.
#[derive(Default)]
struct Throttle(Mutex<Option<Instant>>);

impl Throttle {
    fn due(&self, update: &PipelineProgress) -> bool {
        !matches!(update, PipelineProgress::Exporting(_)) || {
            let mut last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            let due = last.is_none_or(|at| at.elapsed() >= Duration::from_millis(100));
            if due {
                *last = Some(Instant::now());
            }
            due
        }
    }
}

/// An export in the worker, as the app's Export runs it: the deck as saved, the job's
/// choices resolved here, nothing replaced.
fn run_export(
    id: u64,
    export: &ExportRequest,
    options: &WorkerOptions,
    cancel: &CancelToken,
    send: &(dyn Fn(&Event) -> std::io::Result<()> + Sync),
) -> Event {
    let failed = |kind: ErrorKind, message: String| Event::Failed { id, kind, message };
    let dirs = Dirs::from(export.dirs.clone());
    let resolved = match export.spec.resolve(&dirs) {
        Ok(resolved) => resolved,
        Err(error) => return failed(error.kind(), error.to_string()),
    };
    let deck = match SlideDeck::load(&export.deck_dir) {
        Ok(deck) => deck,
        Err(error) => return failed(error.kind(), error.to_string()),
    };
    let throttle = Throttle::default();
    let outcome = run_protected(cancel, || {
        let mut plan = ExportPlan::new(
            &deck,
            &export.deck_dir,
            &export.audio,
            &export.out_dir,
            &export.stem,
            &export.formats,
        );
        plan.ass = AssStyle::of_job(&resolved.style, resolved.captions.as_ref());
        plan.sound = resolved.sound.clone();
        plan.captions = resolved.captions.clone();
        export_deck(
            &plan,
            &mut |export_progress| {
                let update = PipelineProgress::Exporting(export_progress.clone());
                if throttle.due(&update) {
                    let _ = send(&Event::Progress {
                        id,
                        progress: Progress::from(&update),
                    });
                }
                if let Some(hook) = &options.hook {
                    hook(&export.audio, &update, cancel);
                }
            },
            cancel,
        )
        .map_err(crate::Error::from)
    });
    match outcome {
        JobOutcome::Completed(written) => Event::Exported {
            id,
            result: ExportResult::from(written),
        },
        JobOutcome::Cancelled => Event::Cancelled { id },
        JobOutcome::Failed(error) => failed(error.kind(), error.to_string()),
        JobOutcome::Panicked(message) => failed(
            ErrorKind::Internal,
            format!("{}: the export failed: {message}", export.audio.display()),
        ),
    }
}

fn run_job(
    id: u64,
    job: &JobRequest,
    host: &ModelHost,
    options: &WorkerOptions,
    cancel: &CancelToken,
    send: &(dyn Fn(&Event) -> std::io::Result<()> + Sync),
) -> Event {
    let failed = |kind: ErrorKind, message: String| Event::Failed { id, kind, message };
    let dirs = Dirs::from(job.dirs.clone());
    let resolved = match job.spec.resolve(&dirs) {
        Ok(resolved) => resolved,
        Err(error) => return failed(error.kind(), error.to_string()),
    };
    let model = match ModelStore::open(&dirs).resolve(&job.spec.model) {
        Ok(model) => model,
        Err(error) => return failed(error.kind(), error.to_string()),
    };
    let pipeline_options = resolved.pipeline_options(&job.out_dir, job.overwrite);
    let throttle = Throttle::default();
    let progress = |update: PipelineProgress| {
        if throttle.due(&update) {
            // A caller that stopped reading cancels the job through the end of stdin.
            let _ = send(&Event::Progress {
                id,
                progress: Progress::from(&update),
            });
        }
        // After the send, so the caller has seen the stage a fault strikes in.
        if let Some(hook) = &options.hook {
            hook(&job.input, &update, cancel);
        }
    };
    let outcome = run_protected(cancel, || {
        let engine = host
            .engine_on(&model, &job.spec.device)
            .map_err(crate::Error::from)?;
        // A GPU that did not start, or failed mid-file, is said as it happens: the job goes
        // on on the CPU, slower, and the person should know why.
        let tell = |notice: &Option<String>| {
            if let Some(message) = notice {
                let _ = send(&Event::Progress {
                    id,
                    progress: Progress::Warning {
                        message: message.clone(),
                    },
                });
            }
        };
        let before = engine.notice();
        tell(&before);
        let outcome = pipeline::run_file(
            &engine,
            &job.input,
            &job.name,
            &pipeline_options,
            &progress,
            cancel,
        )
        .map_err(crate::Error::from)?;
        let after = engine.notice();
        if after != before {
            tell(&after);
        }
        Ok::<_, crate::Error>(outcome)
    });
    match outcome {
        JobOutcome::Completed(outcome) => Event::Done {
            id,
            outcome: JobResult {
                model: Some(model),
                ..JobResult::from(outcome)
            },
        },
        JobOutcome::Cancelled => Event::Cancelled { id },
        JobOutcome::Failed(error) => failed(error.kind(), error.to_string()),
        JobOutcome::Panicked(message) => failed(
            ErrorKind::Internal,
            format!("{}: the engine failed: {message}", job.input.display()),
        ),
    }
}

/// The test-only fault switch's rule, `ACTION:STAGE[:NAME]`, as a [`StageHook`]: the worker
/// `abort`s (`std::process::abort`, a real SIGABRT) or `stall`s (waits, doing nothing, until
/// the job is cancelled or the worker killed) when a job reaches STAGE (decode, transcribe,
/// correct, slides, render; export fires on the export's first progress, once its temporary
/// MP4 exists), for inputs whose file name contains NAME (all without it). `None` for a rule
/// it does not read.
///
/// Only the parsing lives here: reading `VSL_FAULT` into it is left to the worker binaries'
/// test features (`vsl-cli`'s `fault-injection`, `vsl-studio`'s), so no shipped build can be
/// told to crash.
pub fn fault_hook(rule: &str) -> Option<Box<StageHook>> {
    let mut parts = rule.splitn(3, ':');
    let stall = match parts.next()? {
        "abort" => false,
        "stall" => true,
        _ => return None,
    };
    let stage = parts.next()?.to_owned();
    if !STAGES.iter().any(|known| known.name() == stage) {
        return None;
    }
    let name = parts.next().unwrap_or_default().to_owned();
    Some(Box::new(
        move |input: &Path, update: &PipelineProgress, cancel: &CancelToken| {
            let reached = match update {
                PipelineProgress::Exporting(_) => stage == Stage::Export.name(),
                PipelineProgress::Stage(Stage::Export) => false,
                PipelineProgress::Stage(at) => stage == at.name(),
                _ => false,
            };
            let named = input
                .file_name()
                .is_some_and(|file| file.to_string_lossy().contains(&name));
            if !reached || !named {
                return;
            }
            if stall {
                while !cancel.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(50));
                }
            } else {
                std::process::abort();
            }
        },
    ))
}

/// What a worker process does first, before any thread starts: Ctrl-C in a terminal reaches
/// the whole process group, and the caller cancels through the protocol, so SIGINT is
/// ignored rather than ending the worker as a "crash"; and a worker whose caller was killed
/// (kill -9 of `vsl watch` or of the app) dies at once (Linux `PR_SET_PDEATHSIG`) instead of
/// finishing a job nobody waits for, which would race the restarted caller's retry of the
/// same outputs (that restart removes its temporary files).
pub fn detach_from_caller() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition; called before any thread starts.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
    }
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_PDEATHSIG only sets this process's parent-death signal.
    unsafe {
        let parent = libc::getppid();
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        // The parent may have died before the call: then nobody reads our answers.
        if libc::getppid() != parent {
            libc::_exit(1);
        }
    }
}

/// How to start a worker: a program and its arguments (`vsl worker`), plus variables.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
}

impl WorkerCommand {
    /// `program worker`: the `vsl` binary's worker command.
    pub fn vsl(program: impl Into<PathBuf>) -> WorkerCommand {
        WorkerCommand {
            program: program.into(),
            args: vec!["worker".into()],
            env: Vec::new(),
        }
    }
}

/// A request's answer.
enum Answer {
    Done(JobResult),
    Exported(ExportResult),
    Previewed(PathBuf),
}

fn unexpected(what: &str) -> WorkerError {
    WorkerError::Protocol {
        reason: format!("the engine answered {what}"),
    }
}

/// A line the client's reader passes on.
enum Line {
    /// Boxed: an event with a job's result is far bigger than a stray line.
    Event(Box<Event>),
    /// Output that is not an event (skipped).
    Stray,
}

struct Child {
    stdin: ChildStdin,
    events: Receiver<Line>,
    exit: Receiver<ExitStatus>,
    pid: u32,
}

/// Drives one worker process at a time, starting it when a job needs it and again after it
/// died. One job at a time per client; several clients are several workers.
pub struct WorkerClient {
    command: WorkerCommand,
    child: Option<Child>,
    next_id: u64,
    /// How long a cancelled job may take to stop before its worker is killed.
    pub cancel_grace: Duration,
}

impl std::fmt::Debug for WorkerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerClient")
            .field("command", &self.command)
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

impl WorkerClient {
    pub fn new(command: WorkerCommand) -> WorkerClient {
        WorkerClient {
            command,
            child: None,
            next_id: 1,
            cancel_grace: Duration::from_secs(10),
        }
    }

    /// The running worker's process id, if one runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|child| child.pid)
    }

    fn spawn(&self) -> Result<Child, WorkerError> {
        let spawn_error = |reason: String| WorkerError::Spawn {
            program: self.command.program.clone(),
            reason,
        };
        let mut command = Command::new(&self.command.program);
        command
            .args(&self.command.args)
            .envs(self.command.env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let (started, handles) = mpsc::channel();
        let (exited, exit) = mpsc::channel();
        // The spawning thread waits for the child: it lives exactly as long as the worker,
        // which a parent-death signal needs (it follows the thread that spawned).
        std::thread::Builder::new()
            .name("vsl-worker-child".into())
            .spawn(move || match command.spawn() {
                Ok(mut child) => {
                    let pipes = (child.stdin.take(), child.stdout.take(), child.id());
                    if started.send(Ok(pipes)).is_err() {
                        let _ = child.kill();
                    }
                    if let Ok(status) = child.wait() {
                        let _ = exited.send(status);
                    }
                }
                Err(error) => {
                    let _ = started.send(Err(error.to_string()));
                }
            })
            .map_err(|error| spawn_error(error.to_string()))?;
        let (stdin, stdout, pid) = handles
            .recv()
            .map_err(|_| spawn_error("the spawning thread ended".into()))?
            .map_err(spawn_error)?;
        let (Some(stdin), Some(stdout)) = (stdin, stdout) else {
            return Err(spawn_error("no pipes to the worker".into()));
        };
        let (lines, events) = mpsc::channel();
        std::thread::Builder::new()
            .name("vsl-worker-events".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let parsed = match serde_json::from_str::<Event>(&line) {
                        Ok(event) => Line::Event(Box::new(event)),
                        Err(_) => Line::Stray,
                    };
                    if lines.send(parsed).is_err() {
                        break;
                    }
                }
            })
            .map_err(|error| spawn_error(error.to_string()))?;
        Ok(Child {
            stdin,
            events,
            exit,
            pid,
        })
    }

    /// Runs `job` in the worker (started first if none runs), passing its progress to
    /// `progress`. `cancel` stops it (the worker is killed if it does not stop within
    /// [`WorkerClient::cancel_grace`]). A worker that dies mid-job is
    /// [`WorkerError::Crashed`], and the next call starts a new one.
    pub fn run(
        &mut self,
        job: &JobRequest,
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<JobResult, WorkerError> {
        let request = |id| Request::Run {
            id,
            job: Box::new(job.clone()),
        };
        match self.send(request, &job.input, progress, cancel)? {
            Answer::Done(result) => Ok(result),
            _ => Err(unexpected("another request's result for a job")),
        }
    }

    /// Exports a deck in the worker, as [`WorkerClient::run`] runs a job: a worker that
    /// dies mid-export is [`WorkerError::Crashed`], and what it was writing stays a
    /// temporary file the next start removes.
    pub fn export(
        &mut self,
        export: &ExportRequest,
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<ExportResult, WorkerError> {
        let request = |id| Request::Export {
            id,
            export: Box::new(export.clone()),
        };
        match self.send(request, &export.audio, progress, cancel)? {
            Answer::Exported(result) => Ok(result),
            _ => Err(unexpected("another request's result for an export")),
        }
    }

    /// Makes the player's rendition of `preview.source` in the worker (or finds it in the
    /// cache): FFmpeg decodes the input there, so a decoder that crashes on it costs a
    /// [`WorkerError::Crashed`], not the caller.
    pub fn preview(
        &mut self,
        preview: &PreviewRequest,
        cancel: &CancelToken,
    ) -> Result<PathBuf, WorkerError> {
        let request = |id| Request::Preview {
            id,
            preview: preview.clone(),
        };
        match self.send(request, &preview.source, &mut |_| {}, cancel)? {
            Answer::Previewed(path) => Ok(path),
            _ => Err(unexpected("another request's result for a preview")),
        }
    }

    fn send(
        &mut self,
        request: impl FnOnce(u64) -> Request,
        input: &Path,
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<Answer, WorkerError> {
        if cancel.is_cancelled() {
            return Err(WorkerError::Cancelled);
        }
        // A worker that died while idle (killed, or its model load aborted) is replaced.
        if let Some(child) = &self.child {
            if child.exit.try_recv().is_ok() {
                self.child = None;
            }
        }
        if self.child.is_none() {
            self.child = Some(self.spawn()?);
        }
        let id = self.next_id;
        self.next_id += 1;
        let result = self.exchange(id, &request(id), input, progress, cancel);
        if matches!(
            result,
            Err(WorkerError::Crashed { .. } | WorkerError::Protocol { .. })
        ) || (matches!(result, Err(WorkerError::Cancelled)) && self.child.is_none())
        {
            self.child = None;
        }
        result
    }

    fn exchange(
        &mut self,
        id: u64,
        request: &Request,
        input: &Path,
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<Answer, WorkerError> {
        let Some(child) = self.child.as_mut() else {
            return Err(WorkerError::Protocol {
                reason: "no worker".into(),
            });
        };
        let crashed = |child: &Child| {
            // Its stdout closed: the exit status follows (the waiting thread sends it).
            let exit = child
                .exit
                .recv_timeout(Duration::from_secs(30))
                .map_or(Exit::Unknown, Exit::from);
            WorkerError::Crashed {
                input: input.to_path_buf(),
                exit,
            }
        };
        if send_line(&mut child.stdin, request).is_err() {
            return Err(crashed(child));
        }
        let mut cancel_sent: Option<Instant> = None;
        loop {
            if cancel.is_cancelled() && cancel_sent.is_none() {
                cancel_sent = Some(Instant::now());
                if send_line(&mut child.stdin, &Request::Cancel { id }).is_err() {
                    return Err(crashed(child));
                }
            }
            if cancel_sent.is_some_and(|at| at.elapsed() > self.cancel_grace) {
                // Stuck in FFI code that does not look at the flag: the process goes.
                kill(child.pid);
                let _ = child.exit.recv_timeout(Duration::from_secs(30));
                self.child = None;
                return Err(WorkerError::Cancelled);
            }
            let line = match child.events.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Err(crashed(child)),
            };
            let event = match line {
                Line::Event(event) => *event,
                Line::Stray => continue,
            };
            match event {
                Event::Ready { version, .. } if version != PROTOCOL_VERSION => {
                    kill(child.pid);
                    return Err(WorkerError::Protocol {
                        reason: format!(
                            "protocol version {version}, this program speaks {PROTOCOL_VERSION}"
                        ),
                    });
                }
                Event::Ready { .. } => {}
                Event::Progress {
                    id: of,
                    progress: update,
                } if of == id => progress(&update),
                Event::Done { id: of, outcome } if of == id => return Ok(Answer::Done(outcome)),
                Event::Exported { id: of, result } if of == id => {
                    return Ok(Answer::Exported(result))
                }
                Event::Previewed { id: of, path } if of == id => {
                    return Ok(Answer::Previewed(path))
                }
                Event::Failed {
                    id: of,
                    kind,
                    message,
                } if of == id => {
                    return Err(if kind == ErrorKind::Cancelled {
                        WorkerError::Cancelled
                    } else {
                        WorkerError::Job { kind, message }
                    })
                }
                Event::Cancelled { id: of } if of == id => return Err(WorkerError::Cancelled),
                // An earlier job's late lines.
                _ => {}
            }
        }
    }

    /// Asks the worker to end and waits for it (a few seconds at most, then kills it).
    pub fn shutdown(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = send_line(&mut child.stdin, &Request::Shutdown);
        drop(child.stdin);
        if child.exit.recv_timeout(Duration::from_secs(5)).is_err() {
            kill(child.pid);
            let _ = child.exit.recv_timeout(Duration::from_secs(5));
        }
    }
}

impl Drop for WorkerClient {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn send_line(stdin: &mut ChildStdin, request: &Request) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(request).map_err(std::io::Error::other)?;
    line.push(b'\n');
    stdin.write_all(&line)?;
    stdin.flush()
}

/// Ends the worker process for good (its waiting thread reaps it).
fn kill(pid: u32) {
    // The Child is owned by the waiting thread; killing by pid is safe while it has not
    // been reaped, and the waiting thread reaps it only after it exits.
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    {
        let _ = Command::new("taskkill")
            .args(["/F", "/PID", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_events_are_json_lines_with_a_type() {
        let request = Request::Cancel { id: 7 };
        assert_eq!(
            serde_json::to_string(&request).expect("json"),
            r#"{"type":"cancel","id":7}"#
        );
        let event = Event::Failed {
            id: 3,
            kind: ErrorKind::TruncatedMedia,
            message: "/x/a.wav: the file is incomplete".into(),
        };
        let line = serde_json::to_string(&event).expect("json");
        assert_eq!(
            line,
            r#"{"type":"failed","id":3,"kind":"truncated_media","message":"/x/a.wav: the file is incomplete"}"#
        );
        assert_eq!(serde_json::from_str::<Event>(&line).expect("parses"), event);
    }

    #[test]
    fn progress_round_trips_to_the_pipelines_own() {
        for update in [
            PipelineProgress::Stage(Stage::Render),
            PipelineProgress::Transcribing { percent: 40 },
            PipelineProgress::Rendering { done: 2, total: 9 },
            PipelineProgress::Exporting(ExportProgress {
                frames_written: 3,
                frames_total: 10,
                audio_done: 1.5,
                audio_total: 11.0,
                elapsed: Duration::from_millis(250),
            }),
        ] {
            let mirror = Progress::from(&update);
            let line = serde_json::to_string(&mirror).expect("json");
            let back: Progress = serde_json::from_str(&line).expect("parses");
            let again = back.to_pipeline().expect("has a pipeline form");
            assert_eq!(format!("{again:?}"), format!("{update:?}"));
        }
    }

    #[test]
    fn the_fault_rule_reads_its_action_and_stage_and_refuses_the_rest() {
        for rule in [
            "abort:transcribe",
            "stall:export:slow",
            "abort:decode:poison",
        ] {
            assert!(fault_hook(rule).is_some(), "{rule}");
        }
        for rule in ["", "abort", "explode:transcribe", "abort:nowhere", "stall:"] {
            assert!(fault_hook(rule).is_none(), "{rule}");
        }
        // A rule for another stage or another file lets the job through.
        let hook = fault_hook("abort:transcribe:poison").expect("a rule");
        let never = CancelToken::new();
        hook(
            Path::new("/in/poison.wav"),
            &PipelineProgress::Stage(Stage::Decode),
            &never,
        );
        hook(
            Path::new("/in/good.wav"),
            &PipelineProgress::Stage(Stage::Transcribe),
            &never,
        );
        // A stall ends with its job's cancel.
        let stall = fault_hook("stall:render").expect("a rule");
        let cancelled = CancelToken::new();
        cancelled.cancel();
        stall(
            Path::new("/in/any.wav"),
            &PipelineProgress::Stage(Stage::Render),
            &cancelled,
        );
    }

    #[test]
    fn a_crash_names_the_file_and_the_signal() {
        let error = WorkerError::Crashed {
            input: "/in/voice.wav".into(),
            exit: Exit::Signal(6),
        };
        assert_eq!(error.kind(), ErrorKind::EngineCrashed);
        assert_eq!(
            error.to_string(),
            "/in/voice.wav: the engine stopped unexpectedly (signal 6); retry"
        );
        let exited = WorkerError::Crashed {
            input: "/in/voice.wav".into(),
            exit: Exit::Code(3),
        };
        assert!(
            exited.to_string().contains("(exit code 3); retry"),
            "{exited}"
        );
    }

    #[test]
    fn a_worker_that_dies_is_a_crash_and_the_next_job_restarts_it() {
        // `sh` stands in for a worker: it reads the request and dies by its own signal.
        #[cfg(unix)]
        {
            let mut client = WorkerClient::new(WorkerCommand {
                program: "sh".into(),
                args: vec!["-c".into(), "read line; kill -SEGV $$".into()],
                env: Vec::new(),
            });
            let job = JobRequest {
                spec: JobSpec::default(),
                input: "/in/voice.wav".into(),
                out_dir: "/out".into(),
                name: "voice".into(),
                overwrite: false,
                dirs: WorkerDirs::from(&Dirs::under(Path::new("/nowhere"))),
            };
            for _ in 0..2 {
                let error = client
                    .run(&job, &mut |_| {}, &CancelToken::new())
                    .expect_err("the worker died");
                assert_eq!(error.kind(), ErrorKind::EngineCrashed, "{error}");
                assert!(error.to_string().contains("(signal 11)"), "{error}");
                assert_eq!(client.pid(), None, "a dead worker is not reused");
            }
        }
    }
}
