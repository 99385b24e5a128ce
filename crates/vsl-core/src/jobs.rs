//! The job runtime both front ends use: cancellation, a panic guard, job slots and
//! throttled progress with an ETA. All of it is plain threads and locks: whisper.cpp and
//! FFmpeg block, so jobs run on threads of their own, never on an async executor.
//!
//! - [`CancelToken`]: the one cancel flag every stage takes (`media::decode`,
//!   `Engine::transcribe`, `render_deck`, `export_mp4`, `run_file`, the watcher). Clones
//!   share the flag, so a registry can keep one and the job another.
//! - [`run_protected`]: runs a job and sorts how it ended into a [`JobOutcome`]. Cancelled
//!   is an outcome, not a failure; a panic (FFI code underneath) becomes
//!   [`JobOutcome::Panicked`] instead of ending the process.
//! - [`Slots`]: how many jobs run at once; a waiting job's token ends the wait.
//! - [`Throttle`]: stage-local progress to an overall fraction with an ETA, at most one
//!   report per interval (the last one always passes).
//! - [`load_list`]: a saved list (the app's queue, a JSON array) read record by record, so a
//!   damaged file costs the records it damaged and no more, and says what it dropped.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::error::ErrorKind;

/// A job's cancel flag; cheap to clone, and every clone sees the same flag.
///
/// It dereferences to the [`AtomicBool`] that the stages' inner loops poll.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// A token that is already cancelled (tests, and jobs cancelled before they start).
    pub fn cancelled() -> CancelToken {
        let token = CancelToken::new();
        token.cancel();
        token
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl Deref for CancelToken {
    type Target = AtomicBool;

    fn deref(&self) -> &AtomicBool {
        &self.0
    }
}

/// An error that can say it means "cancelled" (every stage's has a `Cancelled` variant).
pub trait JobFailure {
    fn kind(&self) -> ErrorKind;
}

macro_rules! job_failure {
    ($($error:ty),* $(,)?) => {
        $(impl JobFailure for $error {
            fn kind(&self) -> ErrorKind {
                <$error>::kind(self)
            }
        })*
    };
}

job_failure!(
    crate::Error,
    crate::pipeline::PipelineError,
    crate::export::ExportError,
    crate::render::RenderError,
    crate::media::MediaError,
    crate::transcribe::TranscribeError,
    crate::models::ModelError,
);

/// How a job ended.
#[derive(Debug)]
pub enum JobOutcome<T, E> {
    Completed(T),
    Cancelled,
    Failed(E),
    /// The job panicked; the message is the panic's.
    Panicked(String),
}

/// Runs `work` to its end and sorts the ending: an error that is a cancellation, or any
/// error after `cancel` was set, is [`JobOutcome::Cancelled`]; a panic is
/// [`JobOutcome::Panicked`] with its message.
pub fn run_protected<T, E: JobFailure>(
    cancel: &CancelToken,
    work: impl FnOnce() -> Result<T, E>,
) -> JobOutcome<T, E> {
    // The job's state is dropped with the unwind; nothing it touched is shared with the
    // caller except through the outcome, so observing it after a panic is sound.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(Ok(value)) => JobOutcome::Completed(value),
        Ok(Err(error)) if error.kind() == ErrorKind::Cancelled || cancel.is_cancelled() => {
            JobOutcome::Cancelled
        }
        Ok(Err(error)) => JobOutcome::Failed(error),
        Err(payload) => JobOutcome::Panicked(panic_message(payload.as_ref())),
    }
}

/// The text of a panic payload (`panic!("...")` carries a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

// A panic while a lock here was held cannot leave a counter half-updated (each update is
// one assignment), so a poisoned lock is still safe to use.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A counting semaphore for job runs that a waiting job's cancel token can interrupt.
#[derive(Debug)]
pub struct Slots {
    busy: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

/// A taken slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot<'a>(&'a Slots);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *lock(&self.0.busy) -= 1;
        self.0.freed.notify_one();
    }
}

impl Slots {
    /// How many pipelines run at once by default. One: a transcription already uses every
    /// free core, and two whisper.cpp thread pools on the same cores spin against each other
    /// and both run several times slower (docs/BENCHMARKS.md).
    pub const PIPELINES: usize = 1;

    pub fn new(limit: usize) -> Slots {
        Slots {
            busy: Mutex::new(0),
            freed: Condvar::new(),
            limit: limit.max(1),
        }
    }

    /// Takes a slot, waiting for one if all are busy (`on_wait` is called once, before the
    /// wait). `None` when `cancel` is set before a slot frees up.
    pub fn acquire(&self, cancel: &CancelToken, on_wait: impl FnOnce()) -> Option<Slot<'_>> {
        let mut busy = lock(&self.busy);
        let mut on_wait = Some(on_wait);
        while *busy >= self.limit {
            if cancel.is_cancelled() {
                return None;
            }
            if let Some(notify) = on_wait.take() {
                notify();
            }
            // The timeout lets a cancel set while waiting be noticed.
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

/// Overall progress of a job.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// `0..=1` over the whole job.
    pub fraction: f64,
    /// Time left, extrapolated from the rate so far; `None` while too little is done to say.
    pub eta: Option<Duration>,
}

#[derive(Debug)]
struct ThrottleState {
    from: f64,
    to: f64,
    last: Option<Instant>,
}

/// Turns stage-local progress into overall progress with an ETA, at most one report per
/// `interval` so a fast stage cannot flood a window or a terminal.
#[derive(Debug)]
pub struct Throttle {
    started: Instant,
    interval: Duration,
    state: Mutex<ThrottleState>,
}

impl Throttle {
    /// About 10 reports a second.
    pub const INTERVAL: Duration = Duration::from_millis(100);

    pub fn new(interval: Duration) -> Throttle {
        Throttle {
            started: Instant::now(),
            interval,
            state: Mutex::new(ThrottleState {
                from: 0.0,
                to: 1.0,
                last: None,
            }),
        }
    }

    /// A new stage that covers `from..to` of the whole job; its first report always passes.
    pub fn stage(&self, from: f64, to: f64) {
        *lock(&self.state) = ThrottleState {
            from,
            to,
            last: None,
        };
    }

    /// `local` (0..=1) of the current stage as overall progress, or `None` when the last
    /// report was less than the interval ago (a finished stage, `local` 1, always passes).
    pub fn update(&self, local: f64) -> Option<Progress> {
        let mut state = lock(&self.state);
        if state
            .last
            .is_some_and(|last| last.elapsed() < self.interval)
            && local < 1.0
        {
            return None;
        }
        state.last = Some(Instant::now());
        let fraction =
            (state.from + (state.to - state.from) * local.clamp(0.0, 1.0)).clamp(0.0, 1.0);
        drop(state);
        let elapsed = self.started.elapsed().as_secs_f64();
        // Under 5 % the estimate is mostly the model loading.
        let eta = (fraction > 0.05)
            .then(|| Duration::from_secs_f64(elapsed * (1.0 - fraction) / fraction));
        Some(Progress { fraction, eta })
    }
}

impl Default for Throttle {
    fn default() -> Throttle {
        Throttle::new(Throttle::INTERVAL)
    }
}

/// What [`load_list`] read: the records it could, and what it dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    pub records: Vec<T>,
    /// `None` when the whole file was read.
    pub dropped: Option<Dropped>,
}

/// What a damaged list lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// Whole records that parse as JSON but not as a record (another version's, or edited).
    pub unreadable: usize,
    /// Bytes at the end that hold no whole record: the file was cut short (a crash while it
    /// was being written without the atomic rename, a full disk, a bad copy).
    pub cut_bytes: usize,
    /// The file is not a JSON list at all; nothing could be read.
    pub not_a_list: bool,
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.not_a_list {
            return f.write_str("the file is not a list; nothing could be read from it");
        }
        let mut parts = Vec::new();
        if self.unreadable > 0 {
            parts.push(format!(
                "{} unreadable record{}",
                self.unreadable,
                if self.unreadable == 1 { "" } else { "s" }
            ));
        }
        if self.cut_bytes > 0 {
            parts.push(format!(
                "the last {} bytes (the file was cut short)",
                self.cut_bytes
            ));
        } else if parts.is_empty() {
            parts.push("nothing (the file's closing bracket is missing)".to_owned());
        }
        write!(f, "dropped {}", parts.join(" and "))
    }
}

/// Reads a JSON array of records one element at a time: every whole element that parses
/// as `T` is kept, one that does not is counted and skipped, and a file cut short keeps
/// every record before the cut. Never fails: an empty file is an empty list.
pub fn load_list<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Loaded<T> {
    let mut records = Vec::new();
    let mut dropped = Dropped {
        unreadable: 0,
        cut_bytes: 0,
        not_a_list: false,
    };
    let skip_space = |mut at: usize| {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        at
    };
    let mut at = skip_space(0);
    if at == bytes.len() {
        return Loaded {
            records,
            dropped: None,
        };
    }
    if bytes[at] != b'[' {
        dropped.not_a_list = true;
        return Loaded {
            records,
            dropped: Some(dropped),
        };
    }
    at = skip_space(at + 1);
    let mut closed = false;
    while at < bytes.len() {
        if bytes[at] == b']' {
            closed = true;
            break;
        }
        let mut stream =
            serde_json::Deserializer::from_slice(&bytes[at..]).into_iter::<serde_json::Value>();
        let value = match stream.next() {
            Some(Ok(value)) => value,
            // A value that does not end: the cut. Everything from here is lost.
            _ => break,
        };
        let end = at + stream.byte_offset();
        let next = skip_space(end);
        // An object or array that parsed has its closing bracket, so it is whole; a number or
        // literal cut mid-way still parses ("12" of "123") and is whole only before a separator.
        let whole =
            value.is_object() || value.is_array() || matches!(bytes.get(next), Some(b',' | b']'));
        if !whole {
            break;
        }
        match serde_json::from_value(value) {
            Ok(record) => records.push(record),
            Err(_) => dropped.unreadable += 1,
        }
        at = match bytes.get(next) {
            Some(b',') => skip_space(next + 1),
            _ => next,
        };
    }
    if !closed {
        dropped.cut_bytes = bytes.len() - at;
    }
    let damaged = !closed || dropped.unreadable > 0;
    Loaded {
        records,
        dropped: damaged.then_some(dropped),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Record {
        id: String,
        input: String,
        status: String,
        progress: f64,
    }

    fn sample() -> Vec<Record> {
        (0..4)
            .map(|index| Record {
                id: format!("job-{index}"),
                input: format!("/voice \"overs\"/take {index} ção.wav"),
                status: ["done", "running", "failed", "queued"][index].to_owned(),
                progress: index as f64 / 3.0,
            })
            .collect()
    }

    #[test]
    fn a_list_cut_at_any_byte_keeps_every_whole_record() {
        let records = sample();
        let bytes = serde_json::to_vec_pretty(&records).expect("json");
        // Where each record's text ends: a cut at or after it keeps the record.
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        let ends: Vec<usize> = records
            .iter()
            .map(|record| {
                let id = format!("\"id\": \"{}\"", record.id);
                let start = text.find(&id).expect("id in the text");
                start + text[start..].find('}').expect("closing brace") + 1
            })
            .collect();
        let whole = load_list::<Record>(&bytes);
        assert_eq!(whole.records, records);
        assert_eq!(whole.dropped, None);
        for cut in 0..bytes.len() {
            let loaded = load_list::<Record>(&bytes[..cut]);
            let kept = ends.iter().filter(|&&end| end <= cut).count();
            assert_eq!(loaded.records, records[..kept], "cut at {cut}");
            if cut == 0 {
                assert_eq!(loaded.dropped, None, "an empty file is an empty list");
                continue;
            }
            let dropped = loaded.dropped.expect("a cut file says so");
            assert!(!dropped.not_a_list, "cut at {cut}");
            assert_eq!(dropped.unreadable, 0);
            // What is lost is exactly the bytes after the last whole record (and its comma).
            let lost_from = if kept == 0 { 1 } else { ends[kept - 1] };
            let mut lost = &bytes[lost_from..cut];
            while let [b',' | b' ' | b'\n', rest @ ..] = lost {
                lost = rest;
            }
            assert_eq!(dropped.cut_bytes, lost.len(), "cut at {cut}");
            assert!(dropped.to_string().starts_with("dropped "), "{dropped}");
        }
    }

    #[test]
    fn a_record_of_another_shape_is_skipped_and_counted() {
        let bytes = br#"[{"id":"a","input":"a.wav","status":"done","progress":1},
            {"id":"b","status":7}, {"id":"c","input":"c.wav","status":"queued","progress":0}]"#;
        let loaded = load_list::<Record>(bytes);
        let ids: Vec<&str> = loaded.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        let dropped = loaded.dropped.expect("dropped");
        assert_eq!(dropped.unreadable, 1);
        assert_eq!(dropped.to_string(), "dropped 1 unreadable record");
        let garbage = load_list::<Record>(b"{\"not\": \"a list\"}");
        assert!(garbage.records.is_empty());
        assert!(garbage.dropped.expect("dropped").not_a_list);
    }
    use crate::export::ExportError;

    #[test]
    fn cancel_is_an_outcome_failure_is_not_and_a_panic_is_caught() {
        let token = CancelToken::new();
        let clone = token.clone();
        assert!(matches!(
            run_protected(&token, || Ok::<_, ExportError>(7)),
            JobOutcome::Completed(7)
        ));
        let failed = run_protected(&token, || {
            Err::<(), _>(ExportError::InvalidDeck {
                reason: "no slides".into(),
            })
        });
        assert!(matches!(failed, JobOutcome::Failed(_)));
        assert!(matches!(
            run_protected(&token, || Err::<(), _>(ExportError::Cancelled)),
            JobOutcome::Cancelled
        ));
        // Any error once the token is set counts as the cancel it caused.
        clone.cancel();
        assert!(token.is_cancelled());
        assert!(matches!(
            run_protected(&token, || Err::<(), _>(ExportError::InvalidDeck {
                reason: "interrupted".into()
            })),
            JobOutcome::Cancelled
        ));
        let panicked = run_protected(&CancelToken::new(), || -> Result<(), ExportError> {
            panic!("ggml assert")
        });
        match panicked {
            JobOutcome::Panicked(message) => assert_eq!(message, "ggml assert"),
            other => panic!("expected a panic outcome, got {other:?}"),
        }
    }

    #[test]
    fn slots_make_later_jobs_wait_and_cancel_ends_the_wait() {
        let slots = Arc::new(Slots::new(1));
        let never = CancelToken::new();
        let first = slots.acquire(&never, || panic!("the first job does not wait"));
        assert!(first.is_some());

        let mut waited = false;
        assert!(slots
            .acquire(&CancelToken::cancelled(), || waited = true)
            .is_none());
        assert!(!waited, "a cancelled job does not report waiting");

        let (sender, receiver) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn({
            let slots = Arc::clone(&slots);
            move || {
                let slot = slots.acquire(&CancelToken::new(), || {
                    sender.send("waiting").expect("sent");
                });
                slot.is_some()
            }
        });
        assert_eq!(receiver.recv().expect("the waiter reports"), "waiting");
        assert!(!waiter.is_finished());
        drop(first);
        assert!(waiter.join().expect("no panic"), "the waiter got the slot");
    }

    #[test]
    fn throttle_drops_bursts_keeps_stage_starts_and_ends_and_estimates() {
        let throttle = Throttle::new(Duration::from_secs(60));
        throttle.stage(0.05, 0.8);
        let first = throttle.update(0.0).expect("a stage's first report passes");
        assert!((first.fraction - 0.05).abs() < 1e-9);
        let burst = (1..100)
            .filter_map(|step| throttle.update(f64::from(step) / 100.0))
            .count();
        assert_eq!(burst, 0, "a burst inside the interval is dropped");
        let done = throttle
            .update(1.0)
            .expect("a finished stage always passes");
        assert!((done.fraction - 0.8).abs() < 1e-9);
        assert!(done.eta.is_some(), "past 5 % there is an estimate");
        throttle.stage(0.8, 1.0);
        let next = throttle.update(0.5).expect("a new stage passes");
        assert!((next.fraction - 0.9).abs() < 1e-9);
    }
}
