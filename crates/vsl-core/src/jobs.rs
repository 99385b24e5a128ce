//! Background jobs: blocking pipeline work run off the async runtime, observable and cancellable.
//!
//! [`spawn_job`] runs a closure on tokio's blocking pool and returns a [`JobHandle`]: the
//! latest [`JobProgress`] (with an ETA) through a `watch` channel, a [`Canceller`] that can be
//! stored in a registry, and [`JobHandle::wait`] for the [`JobOutcome`]. The closure gets a
//! [`JobContext`] to report progress and to poll for cancellation (stages take `&AtomicBool`).
//!
//! Cancelled is an outcome, not a failure: a job that returns an error after it was asked to
//! stop ends as [`JobOutcome::Cancelled`]. A panic inside the job (FFmpeg and whisper.cpp are
//! FFI) ends as [`JobOutcome::Panicked`] instead of taking the runtime down.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// The latest progress of a job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobProgress {
    /// What is running, e.g. `transcribe` or `export`.
    pub stage: String,
    pub done: u64,
    pub total: u64,
    /// Since the job started.
    pub elapsed: Duration,
    /// Time left in this stage, extrapolated from its rate so far.
    pub eta: Option<Duration>,
}

impl JobProgress {
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            (self.done as f64 / self.total as f64).clamp(0.0, 1.0)
        }
    }
}

/// How a job ended.
#[derive(Debug)]
pub enum JobOutcome<T, E> {
    Completed(T),
    Cancelled,
    Failed(E),
    Panicked(String),
}

/// Sets a job's cancel flag; cheap to clone and keep in a registry.
#[derive(Debug, Clone)]
pub struct Canceller(Arc<AtomicBool>);

impl Canceller {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What the job's closure sees.
#[derive(Debug)]
pub struct JobContext {
    cancel: Arc<AtomicBool>,
    progress: watch::Sender<Option<JobProgress>>,
    started: Instant,
    /// The current stage and when it began, for the ETA.
    stage: Mutex<(String, Instant)>,
}

impl JobContext {
    /// The flag pipeline stages poll (`media::decode`, `Engine::transcribe`, `export_mp4`).
    pub fn cancel_flag(&self) -> &AtomicBool {
        &self.cancel
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Publishes progress; the ETA comes from the rate since `stage` began.
    pub fn report(&self, stage: &str, done: u64, total: u64) {
        let now = Instant::now();
        let stage_started = {
            let mut current = self
                .stage
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if current.0 != stage {
                *current = (stage.to_owned(), now);
            }
            current.1
        };
        let in_stage = now.duration_since(stage_started);
        let eta = (done > 0 && total >= done && in_stage > Duration::from_millis(100)).then(|| {
            Duration::from_secs_f64(in_stage.as_secs_f64() * (total - done) as f64 / done as f64)
        });
        self.progress.send_replace(Some(JobProgress {
            stage: stage.to_owned(),
            done,
            total,
            elapsed: now.duration_since(self.started),
            eta,
        }));
    }
}

/// A running job.
#[derive(Debug)]
pub struct JobHandle<T, E> {
    canceller: Canceller,
    progress: watch::Receiver<Option<JobProgress>>,
    task: tokio::task::JoinHandle<Result<T, E>>,
}

impl<T, E> JobHandle<T, E> {
    /// Asks the job to stop; it ends within the stage's polling interval (about a frame or
    /// a packet for export, a compute step for transcription).
    pub fn cancel(&self) {
        self.canceller.cancel();
    }

    pub fn canceller(&self) -> Canceller {
        self.canceller.clone()
    }

    /// The latest progress (`None` before the first report); `changed().await` to follow it.
    pub fn progress(&self) -> watch::Receiver<Option<JobProgress>> {
        self.progress.clone()
    }

    pub async fn wait(self) -> JobOutcome<T, E> {
        match self.task.await {
            Ok(Ok(value)) => JobOutcome::Completed(value),
            Ok(Err(_)) if self.canceller.is_cancelled() => JobOutcome::Cancelled,
            Ok(Err(error)) => JobOutcome::Failed(error),
            Err(join_error) if join_error.is_cancelled() => JobOutcome::Cancelled,
            Err(join_error) => {
                let payload = join_error.into_panic();
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "unknown panic".into());
                JobOutcome::Panicked(message)
            }
        }
    }
}

/// Runs `work` on `runtime`'s blocking pool.
pub fn spawn_job<T, E, F>(runtime: &tokio::runtime::Handle, work: F) -> JobHandle<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
    F: FnOnce(&JobContext) -> Result<T, E> + Send + 'static,
{
    let cancel = Arc::new(AtomicBool::new(false));
    let (sender, receiver) = watch::channel(None);
    let now = Instant::now();
    let context = JobContext {
        cancel: Arc::clone(&cancel),
        progress: sender,
        started: now,
        stage: Mutex::new((String::new(), now)),
    };
    let task = runtime.spawn_blocking(move || work(&context));
    JobHandle {
        canceller: Canceller(cancel),
        progress: receiver,
        task,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .expect("runtime")
    }

    #[test]
    fn completed_with_progress() {
        let runtime = runtime();
        let handle = spawn_job(runtime.handle(), |context: &JobContext| {
            for done in 1..=4 {
                context.report("count", done, 4);
            }
            Ok::<_, String>(42)
        });
        let progress = handle.progress();
        let outcome = runtime.block_on(handle.wait());
        assert!(matches!(outcome, JobOutcome::Completed(42)), "{outcome:?}");
        let last = progress.borrow().clone().expect("progress");
        assert_eq!(
            (last.stage.as_str(), last.done, last.total),
            ("count", 4, 4)
        );
        assert_eq!(last.fraction(), 1.0);
    }

    #[test]
    fn cancel_is_an_outcome_and_failure_is_not() {
        let runtime = runtime();
        let handle = spawn_job(runtime.handle(), |context: &JobContext| {
            while !context.is_cancelled() {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err::<(), _>("stopped")
        });
        handle.cancel();
        assert!(matches!(
            runtime.block_on(handle.wait()),
            JobOutcome::Cancelled
        ));

        let handle = spawn_job(runtime.handle(), |_: &JobContext| Err::<(), _>("broken"));
        assert!(matches!(
            runtime.block_on(handle.wait()),
            JobOutcome::Failed("broken")
        ));
    }

    #[test]
    fn panic_becomes_an_outcome() {
        let runtime = runtime();
        let handle = spawn_job(runtime.handle(), |_: &JobContext| -> Result<(), ()> {
            panic!("inside the job")
        });
        match runtime.block_on(handle.wait()) {
            JobOutcome::Panicked(message) => assert!(message.contains("inside the job")),
            other => panic!("expected a panic outcome, got {other:?}"),
        }
    }

    #[test]
    fn eta_follows_the_stage_rate() {
        let runtime = runtime();
        let handle = spawn_job(runtime.handle(), |context: &JobContext| {
            context.report("stage", 0, 10);
            std::thread::sleep(Duration::from_millis(150));
            context.report("stage", 5, 10);
            Ok::<_, ()>(())
        });
        let progress = handle.progress();
        let outcome = runtime.block_on(handle.wait());
        assert!(matches!(outcome, JobOutcome::Completed(())));
        let last = progress.borrow().clone().expect("progress");
        let eta = last.eta.expect("eta");
        // Half done after at least 150 ms in the stage: as long again to go, and never more
        // than the job has been running.
        assert!(eta >= Duration::from_millis(150), "{eta:?}");
        assert!(eta <= last.elapsed, "{eta:?} > {:?}", last.elapsed);
    }
}
