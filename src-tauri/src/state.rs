//! State shared by the commands, managed by Tauri (`Builder::manage`).
//!
//! [`AppState`] is where long-lived services live: today the model store, later
//! the job queue and the settings.

use std::sync::{Arc, Mutex, PoisonError};

use vsl_core::models::{ModelError, ModelStore};

/// Everything the commands share. Registered once by [`crate::builder`].
#[derive(Default)]
pub struct AppState {
    model_store: Mutex<Option<Arc<ModelStore>>>,
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
        // A panic while the lock was held cannot leave the slot half-written,
        // so a poisoned lock is still safe to use.
        let mut slot = self
            .model_store
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = slot.as_ref() {
            return Ok(Arc::clone(store));
        }
        let store = Arc::new(ModelStore::open_default()?);
        *slot = Some(Arc::clone(&store));
        Ok(store)
    }
}
