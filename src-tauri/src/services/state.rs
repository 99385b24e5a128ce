//! State shared by the services and the commands, managed by Tauri (`Builder::manage`).
//!
//! [`AppState`] holds what lives as long as the app: the directories it works in (one
//! [`Dirs`], built by the app builder; tests pass their own), the model store, the
//! [`ModelHost`] that keeps one Whisper model loaded between jobs, the job slots and the job
//! registry. Each [`Job`] carries its own [`CancelToken`], so cancelling one job never
//! reaches another.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use vsl_core::jobs::{CancelToken, Slots};
use vsl_core::models::ModelStore;
use vsl_core::paths::Dirs;
use vsl_core::render::SlideStyle;
use vsl_core::slides::SlideDeck;
use vsl_core::transcribe::ModelHost;

/// How long a loaded model stays in memory after its last job.
const MODEL_IDLE: Duration = Duration::from_secs(300);

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
}

impl Job {
    pub fn new(record: JobRecord) -> Job {
        Job {
            record,
            cancel: CancelToken::new(),
            deck: None,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }
}

/// Everything the services share. Registered once by [`crate::builder`].
pub struct AppState {
    pub dirs: Dirs,
    pub store: ModelStore,
    pub models: Arc<ModelHost>,
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
    pub fn new(dirs: Dirs) -> Self {
        Self {
            store: ModelStore::open(&dirs),
            dirs,
            models: ModelHost::new(MODEL_IDLE),
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
