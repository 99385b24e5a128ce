//! State shared by the commands, managed by Tauri (`Builder::manage`).
//!
//! [`AppState`] holds the long-lived services: the model store, the [`ModelHost`] that keeps
//! one Whisper model loaded between jobs, and the job registry. Each [`Job`] carries its
//! own cancel flag, so cancelling one job never reaches another.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
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
    /// The watched folder a job came from; `None` for files the person imported.
    #[serde(default)]
    pub origin: Option<PathBuf>,
    /// Where the slides are when not in `work_dir` (a watched folder's output folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slides_dir: Option<PathBuf>,
}

impl JobRecord {
    /// A new running job for `input`, working in `<data dir>/jobs/<id>`.
    pub fn running(id: String, input: PathBuf) -> Self {
        Self {
            name: input
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            work_dir: vsl_core::paths::data_dir().join("jobs").join(&id),
            id,
            input,
            status: JobStatus::Running,
            error: None,
            origin: None,
            slides_dir: None,
        }
    }

    /// The folder holding the job's slide PNGs and `slides.json`.
    pub fn deck_dir(&self) -> PathBuf {
        self.slides_dir
            .clone()
            .unwrap_or_else(|| crate::commands::deck::slides_dir(&self.work_dir))
    }
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

/// How many pipelines run at once. One: a job's transcription already uses every free core,
/// and two whisper.cpp thread pools on the same cores spin against each other and both
/// run several times slower (docs/BENCHMARKS.md). Later jobs wait, shown as `queued`.
pub const MAX_RUNNING_JOBS: usize = 1;

/// A counting semaphore for pipeline runs that a waiting job's cancel flag can interrupt.
pub struct Slots {
    busy: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

/// A taken slot; dropping it frees the slot.
pub struct Slot<'a>(&'a Slots);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *lock(&self.0.busy) -= 1;
        self.0.freed.notify_one();
    }
}

impl Slots {
    pub fn new(limit: usize) -> Self {
        Self {
            busy: Mutex::new(0),
            freed: Condvar::new(),
            limit: limit.max(1),
        }
    }

    /// Takes a slot, waiting for one if all are busy (`on_wait` is called once, before the
    /// wait). `None` when `cancel` is set while waiting.
    pub fn acquire(&self, cancel: &AtomicBool, on_wait: impl FnOnce()) -> Option<Slot<'_>> {
        let mut busy = lock(&self.busy);
        let mut on_wait = Some(on_wait);
        while *busy >= self.limit {
            if cancel.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(notify) = on_wait.take() {
                notify();
            }
            // The timeout lets a cancel flag set while waiting be noticed.
            busy = self
                .freed
                .wait_timeout(busy, Duration::from_millis(100))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *busy += 1;
        Some(Slot(self))
    }
}

/// Everything the commands share. Registered once by [`crate::builder`].
pub struct AppState {
    model_store: Mutex<Option<Arc<ModelStore>>>,
    pub models: Arc<ModelHost>,
    jobs: Mutex<HashMap<String, Job>>,
    /// Limits how many pipelines run at once.
    pub slots: Slots,
    next_id: AtomicU64,
    /// Files the app exported: the only ones "Show in folder" may reveal.
    exported: Mutex<HashSet<PathBuf>>,
    /// Cancel flags of the model downloads in progress, by model name.
    downloads: Mutex<HashMap<String, Arc<AtomicBool>>>,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            model_store: Mutex::default(),
            models: ModelHost::new(MODEL_IDLE),
            jobs: Mutex::default(),
            slots: Slots::new(MAX_RUNNING_JOBS),
            next_id: AtomicU64::new(0),
            exported: Mutex::default(),
            downloads: Mutex::default(),
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

    /// Registers a download of `name`; `None` if one is already running.
    pub fn start_download(&self, name: &str) -> Option<Arc<AtomicBool>> {
        let mut downloads = lock(&self.downloads);
        if downloads.contains_key(name) {
            return None;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        downloads.insert(name.to_owned(), Arc::clone(&cancel));
        Some(cancel)
    }

    pub fn end_download(&self, name: &str) {
        lock(&self.downloads).remove(name);
    }

    /// Asks the download of `name` to stop; false if none is running.
    pub fn cancel_download(&self, name: &str) -> bool {
        lock(&self.downloads)
            .get(name)
            .map(|cancel| cancel.store(true, Ordering::Relaxed))
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_make_later_jobs_wait_and_cancel_ends_the_wait() {
        let slots = Arc::new(Slots::new(1));
        let never = AtomicBool::new(false);
        let first = slots.acquire(&never, || panic!("the first job does not wait"));
        assert!(first.is_some());

        // A cancelled waiter gives up instead of waiting for the slot.
        let cancelled = AtomicBool::new(true);
        let mut waited = false;
        assert!(slots.acquire(&cancelled, || waited = true).is_none());
        assert!(!waited, "a cancelled job does not report waiting");

        // A second job waits (and says so) until the first slot is dropped.
        let (sender, receiver) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn({
            let slots = Arc::clone(&slots);
            move || {
                let cancel = AtomicBool::new(false);
                let slot = slots.acquire(&cancel, || sender.send("waiting").expect("sent"));
                slot.is_some()
            }
        });
        assert_eq!(receiver.recv().expect("the waiter reports"), "waiting");
        assert!(!waiter.is_finished());
        drop(first);
        assert!(waiter.join().expect("no panic"), "the waiter got the slot");
    }
}
