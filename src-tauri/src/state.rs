//! State shared by the commands, managed by Tauri (`Builder::manage`).
//!
//! [`AppState`] holds the long-lived services: the model store, the [`ModelHost`] that keeps
//! one Whisper model loaded between jobs, and the job registry. Each [`Job`] carries its
//! own cancel flag, so cancelling one job never reaches another.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use vsl_core::models::{ModelError, ModelStore};
use vsl_core::render::SlideStyle;
use vsl_core::slides::SlideDeck;
use vsl_core::transcribe::ModelHost;

/// How long a loaded model stays in memory after its last job.
const MODEL_IDLE: Duration = Duration::from_secs(300);

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
}

/// A job and what the editor works on once it is done.
pub struct Job {
    pub record: JobRecord,
    pub cancel: Arc<AtomicBool>,
    /// The deck and the style it was rendered with, once the pipeline finished.
    pub deck: Option<(SlideDeck, SlideStyle)>,
    /// Earlier decks (for undo) and undone ones (for redo).
    pub undo: Vec<SlideDeck>,
    pub redo: Vec<SlideDeck>,
}

/// Everything the commands share. Registered once by [`crate::builder`].
pub struct AppState {
    model_store: Mutex<Option<Arc<ModelStore>>>,
    pub models: Arc<ModelHost>,
    jobs: Mutex<HashMap<String, Job>>,
    next_id: AtomicU64,
    /// Files the app exported: the only ones "Show in folder" may reveal.
    exported: Mutex<HashSet<PathBuf>>,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            model_store: Mutex::default(),
            models: ModelHost::new(MODEL_IDLE),
            jobs: Mutex::default(),
            next_id: AtomicU64::new(0),
            exported: Mutex::default(),
        }
    }
}

// A panic while one of these locks was held cannot leave a map half-written (every
// update is a single insert or field store), so a poisoned lock is still safe to use.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AppState {
    /// The model store, opened on first use and reused afterwards.
    ///
    /// Opening lazily means a broken models directory shows up as an error in the
    /// Models panel, which the user can retry after fixing it, instead of keeping
    /// the app from starting. A failed open is not cached for the same reason.
    ///
    /// # Errors
    ///
    /// Whatever [`ModelStore::open_default`] fails with.
    pub fn model_store(&self) -> Result<Arc<ModelStore>, ModelError> {
        let mut slot = lock(&self.model_store);
        if let Some(store) = slot.as_ref() {
            return Ok(Arc::clone(store));
        }
        let store = Arc::new(ModelStore::open_default()?);
        *slot = Some(Arc::clone(&store));
        Ok(store)
    }

    /// A new job id, unique across restarts (time-based) and within one run (counter).
    pub fn new_job_id(&self) -> String {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis());
        let serial = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("{millis:x}-{serial}")
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

    pub fn was_exported(&self, path: &std::path::Path) -> bool {
        lock(&self.exported).contains(path)
    }
}
