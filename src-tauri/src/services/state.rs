//! State shared by the services and the commands, managed by Tauri (`Builder::manage`).
//!
//! [`AppState`] holds what lives as long as the app: the directories it works in (one
//! [`Dirs`], built by the app builder; tests pass their own), the model store, the
//! [`EngineHost`] (the engine process the jobs run in, which keeps one Whisper model loaded
//! between jobs), the job slots and the job registry. Each [`Job`] carries its own
//! [`CancelToken`], so cancelling one job never reaches another.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use vsl_core::jobs::{CancelToken, Slots};
use vsl_core::models::ModelStore;
use vsl_core::paths::Dirs;
use vsl_core::render::SlideStyle;
use vsl_core::slides::SlideDeck;
use vsl_core::worker::{
    ExportRequest, ExportResult, JobRequest, JobResult, PreviewRequest, Progress, WorkerClient,
    WorkerCommand, WorkerError,
};

/// How long a loaded model stays in the engine process after its last job.
pub const MODEL_IDLE: Duration = Duration::from_secs(300);

/// The argument that makes the app's own binary the engine process (`main.rs`).
pub const ENGINE_WORKER_ARG: &str = "--engine-worker";

/// The name `run_file` gives a dropped job's outputs in its working folder.
pub const WORK_NAME: &str = "slides";

/// Where a job is in its life. Persisted in the queue file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JobStatus {
    Running,
    Done,
    Failed,
    Cancelled,
    /// It was running when the app quit; it can be retried.
    Interrupted,
}

/// What the queue shows for one job and what survives a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: String,
    pub name: String,
    pub input: PathBuf,
    pub work_dir: PathBuf,
    pub status: JobStatus,
    pub error: Option<String>,
    /// The watched folder a job came from; `None` for files the person imported.
    #[serde(default)]
    pub origin: Option<PathBuf>,
    /// Where the slides are when not in `work_dir` (a watched folder's output folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slides_dir: Option<PathBuf>,
    /// The copywriter's script the slides follow, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<PathBuf>,
    /// The editor's export while it runs (and after one that failed or was cut short, until
    /// it is retried): saved in the queue so that a kill mid-export is found at the next
    /// start, its temporary files swept, and its retry exports again instead of rebuilding
    /// the deck.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<PendingExport>,
}

/// An export of a job's finished deck: where to and with what, as the editor asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingExport {
    pub folder: PathBuf,
    pub formats: vsl_core::job::Formats,
    pub choices: super::editor::ExportChoices,
}

impl JobRecord {
    /// A new running job for `input`, working in `<jobs dir>/<id>`.
    pub fn running(id: String, input: PathBuf, jobs_dir: &Path) -> Self {
        Self {
            name: input
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            work_dir: jobs_dir.join(&id),
            id,
            input,
            status: JobStatus::Running,
            error: None,
            origin: None,
            slides_dir: None,
            script: None,
            export: None,
        }
    }

    /// The folder holding the job's slide PNGs and `slides.json`.
    pub fn deck_dir(&self) -> PathBuf {
        self.slides_dir.clone().unwrap_or_else(|| {
            vsl_core::pipeline::OutputPaths::new(&self.work_dir, WORK_NAME).slides_dir
        })
    }
}

/// The files beside `slides.json` that depend on how the deck was cut rather than on its
/// edits: `alignment.json` (present only when the slides follow a script) and
/// `corrections.json` (the review list). Kept as bytes, `None` when absent, so a deck taken
/// back from the history gets back exactly the files it was shown with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CutFiles {
    pub alignment: Option<Vec<u8>>,
    pub corrections: Option<Vec<u8>>,
}

/// A deck in the undo or redo history, with what came with it: the [`CutFiles`] (shared
/// between the versions that did not change them) and the script its slides follow.
#[derive(Debug, Clone)]
pub struct DeckVersion {
    pub deck: SlideDeck,
    pub files: Arc<CutFiles>,
    pub script: Option<PathBuf>,
}

/// A job and what the editor works on once it is done.
pub struct Job {
    pub record: JobRecord,
    pub cancel: CancelToken,
    /// The deck and the style it was rendered with, once the pipeline finished.
    pub deck: Option<(SlideDeck, SlideStyle)>,
    /// Earlier decks (for undo) and undone ones (for redo).
    pub undo: Vec<DeckVersion>,
    pub redo: Vec<DeckVersion>,
    /// Whether the input has a picture, read from its container the first time the job is
    /// viewed (`vsl_core::media::has_video`), not again at every edit.
    pub has_video: Option<bool>,
}

impl Job {
    pub fn new(record: JobRecord) -> Job {
        Job {
            record,
            cancel: CancelToken::new(),
            deck: None,
            undo: Vec::new(),
            redo: Vec::new(),
            has_video: None,
        }
    }
}

/// The engine process the app's jobs run in: one [`WorkerClient`] (decode, transcription,
/// correction, slides and their render, in `vsl-studio --engine-worker` by default), started
/// on the first job and again on the job after a crash, and what the app knows of the model
/// it holds.
///
/// One job at a time runs in it (the client is behind a lock; [`Slots::PIPELINES`] is one,
/// so jobs already wait for their slot before they get here). A crash there (an abort, a
/// segfault, an out-of-memory kill) fails that one job with kind `engine_crashed`; the app
/// goes on.
pub struct EngineHost {
    /// How the next worker starts; changed by tests between jobs ([`EngineHost::set_command`]).
    command: Mutex<WorkerCommand>,
    client: Mutex<Option<WorkerClient>>,
    /// A second worker for the editor's exports, so an export does not wait for a job
    /// transcribing beside it (it loads no model).
    exports: Mutex<Option<WorkerClient>>,
    /// A third for the player's renditions, so opening a job does not wait for an export.
    previews: Mutex<Option<WorkerClient>>,
    /// The model the worker held after its last job, and when that job ended.
    loaded: Mutex<Option<(PathBuf, Instant)>>,
    /// How long the worker keeps a model after its last job (what it was started with).
    idle: Duration,
    /// How many times a worker read a model from disk, as the app can tell from its jobs.
    loads: AtomicU64,
}

impl std::fmt::Debug for EngineHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineHost")
            .field("command", &*lock(&self.command))
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl EngineHost {
    /// Jobs will run in workers started by `command`, which release their model after
    /// `idle` without a job.
    pub fn new(command: WorkerCommand, idle: Duration) -> EngineHost {
        EngineHost {
            command: Mutex::new(command),
            client: Mutex::default(),
            exports: Mutex::default(),
            previews: Mutex::default(),
            loaded: Mutex::default(),
            idle,
            loads: AtomicU64::new(0),
        }
    }

    /// The app's own binary as the worker (`vsl-studio --engine-worker`), so nothing else
    /// needs to ship beside it. Where the running executable cannot be found, the
    /// `vsl-studio` on the `PATH`.
    pub fn own_binary() -> WorkerCommand {
        WorkerCommand {
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("vsl-studio")),
            args: vec![ENGINE_WORKER_ARG.into()],
            env: Vec::new(),
        }
    }

    /// Starts the next job's worker with `command`; a running worker is stopped first
    /// (after the job it runs, if any).
    pub fn set_command(&self, command: WorkerCommand) {
        let mut client = lock(&self.client);
        *client = None;
        *lock(&self.exports) = None;
        *lock(&self.previews) = None;
        *lock(&self.command) = command;
        *lock(&self.loaded) = None;
    }

    /// Runs `job` in the worker, passing its progress on; `cancel` stops it there.
    ///
    /// # Errors
    ///
    /// The job's own error as the worker reported it, [`WorkerError::Cancelled`], or
    /// [`WorkerError::Crashed`] when the worker died under it (the next job starts a new
    /// one).
    pub fn run(
        &self,
        job: &JobRequest,
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<JobResult, WorkerError> {
        let mut client = lock(&self.client);
        let client = client.get_or_insert_with(|| WorkerClient::new(lock(&self.command).clone()));
        let (held, worker) = (self.loaded(), client.pid());
        let result = client.run(job, progress, cancel);
        let mut loaded = lock(&self.loaded);
        match &result {
            Ok(done) => {
                // A new worker, or another model (or none held any more): it was read again.
                if done.model.is_some() && (done.model != held || client.pid() != worker) {
                    self.loads.fetch_add(1, Ordering::Relaxed);
                }
                *loaded = done.model.clone().map(|model| (model, Instant::now()));
            }
            // The worker loads the model before anything else, so after a job that failed
            // or was cancelled it still holds what it held, now freshly used.
            Err(WorkerError::Job { .. } | WorkerError::Cancelled) if client.pid().is_some() => {
                if let Some((_, used)) = loaded.as_mut() {
                    *used = Instant::now();
                }
            }
            // Gone (crashed, killed after a cancel, never started): it holds nothing.
            Err(_) => *loaded = None,
        }
        result
    }

    /// Exports a deck in the export worker (started first if none runs), passing its
    /// progress on; `cancel` stops it there.
    ///
    /// # Errors
    ///
    /// The export's own error as the worker reported it, [`WorkerError::Cancelled`], or
    /// [`WorkerError::Crashed`] when the worker died under it (the next export starts a
    /// new one, and the app's temporary-file sweep removes what it was writing).
    pub fn export(
        &self,
        export: &ExportRequest,
        progress: &mut dyn FnMut(&Progress),
        cancel: &CancelToken,
    ) -> Result<ExportResult, WorkerError> {
        let mut client = lock(&self.exports);
        client
            .get_or_insert_with(|| WorkerClient::new(lock(&self.command).clone()))
            .export(export, progress, cancel)
    }

    /// Makes the player's rendition of `source` under `cache` in the preview worker (started
    /// first if none runs), or finds it there.
    ///
    /// # Errors
    ///
    /// The input's own error as the worker reported it, or [`WorkerError::Crashed`] when a
    /// decoder took the worker down (the next call starts a new one).
    pub fn preview(&self, source: &Path, cache: &Path) -> Result<PathBuf, WorkerError> {
        let request = PreviewRequest {
            source: source.to_path_buf(),
            cache: cache.to_path_buf(),
        };
        let mut client = lock(&self.previews);
        client
            .get_or_insert_with(|| WorkerClient::new(lock(&self.command).clone()))
            .preview(&request, &CancelToken::new())
    }

    /// The model file the worker holds, as far as the app knows: the one its last job ran
    /// with, until the worker's idle time has passed since (it then releases it) or it died.
    pub fn loaded(&self) -> Option<PathBuf> {
        lock(&self.loaded)
            .as_ref()
            .filter(|(_, used)| used.elapsed() < self.idle)
            .map(|(model, _)| model.clone())
    }

    /// How many times a worker read a model from disk, as far as the app can tell from the
    /// jobs it ran (a new worker, another model, or one released when idle).
    pub fn load_count(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// The worker's process id, if one runs and no job holds it.
    pub fn pid(&self) -> Option<u32> {
        self.client
            .try_lock()
            .ok()
            .and_then(|client| client.as_ref().and_then(WorkerClient::pid))
    }
}

/// Everything the services share. Registered once by [`crate::builder`].
pub struct AppState {
    pub dirs: Dirs,
    pub store: ModelStore,
    /// The engine process the jobs run in, and the model it holds.
    pub models: EngineHost,
    jobs: Mutex<HashMap<String, Job>>,
    /// How many pipelines run at once ([`Slots::PIPELINES`]).
    pub slots: Slots,
    next_id: AtomicU64,
    /// Files the app exported: the only ones "Show in folder" may reveal.
    exported: Mutex<HashSet<PathBuf>>,
    /// Cancel tokens of the model downloads in progress, by model name.
    downloads: Mutex<HashMap<String, CancelToken>>,
}

// A panic while one of these locks was held cannot leave a map half-written (every
// update is a single insert or field store), so a poisoned lock is still safe to use.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AppState {
    /// The app's state in `dirs`, its jobs running in the app's own binary as the worker.
    pub fn new(dirs: Dirs) -> Self {
        Self::with_engine(dirs, EngineHost::own_binary())
    }

    /// The app's state in `dirs`, its jobs running in workers started by `engine`.
    pub fn with_engine(dirs: Dirs, engine: WorkerCommand) -> Self {
        Self {
            store: ModelStore::open(&dirs),
            dirs,
            models: EngineHost::new(engine, MODEL_IDLE),
            jobs: Mutex::default(),
            slots: Slots::new(Slots::PIPELINES),
            next_id: AtomicU64::new(0),
            exported: Mutex::default(),
            downloads: Mutex::default(),
        }
    }

    /// A new job id, unique across restarts (time-based) and within one run (counter).
    pub fn new_job_id(&self) -> String {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis());
        let serial = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("{millis:x}-{serial}")
    }

    /// A new running record for `input`, working under this app's jobs folder.
    pub fn new_record(&self, input: PathBuf) -> JobRecord {
        JobRecord::running(self.new_job_id(), input, &self.dirs.jobs_dir())
    }

    /// Runs `f` on the job registry.
    pub fn with_jobs<T>(&self, f: impl FnOnce(&mut HashMap<String, Job>) -> T) -> T {
        f(&mut lock(&self.jobs))
    }

    /// Every job's record, oldest first.
    pub fn records(&self) -> Vec<JobRecord> {
        let mut records: Vec<JobRecord> =
            self.with_jobs(|jobs| jobs.values().map(|job| job.record.clone()).collect());
        records.sort_by(|a, b| a.id.cmp(&b.id));
        records
    }

    pub fn mark_exported(&self, path: PathBuf) {
        lock(&self.exported).insert(path);
    }

    pub fn was_exported(&self, path: &Path) -> bool {
        lock(&self.exported).contains(path)
    }

    /// Registers a download of `name`; `None` if one is already running.
    pub fn start_download(&self, name: &str) -> Option<CancelToken> {
        let mut downloads = lock(&self.downloads);
        if downloads.contains_key(name) {
            return None;
        }
        let cancel = CancelToken::new();
        downloads.insert(name.to_owned(), cancel.clone());
        Some(cancel)
    }

    pub fn end_download(&self, name: &str) {
        lock(&self.downloads).remove(name);
    }

    /// Asks the download of `name` to stop; false if none is running.
    pub fn cancel_download(&self, name: &str) -> bool {
        lock(&self.downloads)
            .get(name)
            .map(CancelToken::cancel)
            .is_some()
    }
}
