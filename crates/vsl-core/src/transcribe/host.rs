//! Keeps one Whisper model loaded for the whole process and lets it go when idle.
//!
//! Loading costs a fraction of a second for small models and seconds for large ones, and
//! the original app reloaded per job; here every job asks the host, which returns the
//! loaded engine (an `Arc`) and reloads only when a different model is asked for.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::{DeviceChoice, Engine, TranscribeError};

struct Loaded {
    path: PathBuf,
    device: DeviceChoice,
    engine: Arc<Engine>,
    last_used: Instant,
}

pub struct ModelHost {
    idle: Duration,
    slot: Mutex<Option<Loaded>>,
    loads: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for ModelHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelHost")
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl ModelHost {
    /// A host that releases the model after `idle` without use (checked by a background
    /// thread that ends with the host).
    pub fn new(idle: Duration) -> Arc<Self> {
        let host = Arc::new(Self {
            idle,
            slot: Mutex::new(None),
            loads: std::sync::atomic::AtomicUsize::new(0),
        });
        let weak: Weak<Self> = Arc::downgrade(&host);
        let tick = (idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
        let _ = std::thread::Builder::new()
            .name("vsl-model-reaper".into())
            .spawn(move || loop {
                std::thread::sleep(tick);
                match weak.upgrade() {
                    Some(host) => {
                        host.release_if_idle();
                    }
                    None => break,
                }
            });
        host
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Loaded>> {
        // A panic while holding the lock cannot leave the slot inconsistent: recover it.
        self.slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The engine for `path` on the first GPU or the CPU ([`ModelHost::engine_on`]).
    pub fn engine(&self, path: &Path) -> Result<Arc<Engine>, TranscribeError> {
        self.engine_on(path, &DeviceChoice::Auto)
    }

    /// The engine for `path` on `device`, loading it only if another model, or the same one
    /// on another device choice, (or none) is loaded.
    pub fn engine_on(
        &self,
        path: &Path,
        device: &DeviceChoice,
    ) -> Result<Arc<Engine>, TranscribeError> {
        let mut slot = self.lock();
        if let Some(loaded) = slot
            .as_mut()
            .filter(|loaded| loaded.path == path && loaded.device == *device)
        {
            loaded.last_used = Instant::now();
            return Ok(Arc::clone(&loaded.engine));
        }
        // Drop the old model before loading the new one, so two never share memory.
        *slot = None;
        let engine = Arc::new(Engine::load_on(path, device)?);
        self.loads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *slot = Some(Loaded {
            path: path.to_path_buf(),
            device: device.clone(),
            engine: Arc::clone(&engine),
            last_used: Instant::now(),
        });
        Ok(engine)
    }

    /// The path of the loaded model, if any.
    pub fn loaded(&self) -> Option<PathBuf> {
        self.lock().as_ref().map(|loaded| loaded.path.clone())
    }

    /// How many times a model was read from disk (for health and tests).
    pub fn load_count(&self) -> usize {
        self.loads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Releases the model if nobody used it for the idle time. A model still held by a
    /// running job counts as used.
    pub fn release_if_idle(&self) -> bool {
        let mut slot = self.lock();
        let Some(loaded) = slot.as_mut() else {
            return false;
        };
        if Arc::strong_count(&loaded.engine) > 1 {
            loaded.last_used = Instant::now();
            return false;
        }
        if loaded.last_used.elapsed() >= self.idle {
            *slot = None;
            return true;
        }
        false
    }

    pub fn release(&self) {
        *self.lock() = None;
    }
}
