//! Whisper models: what is installed and what the catalog offers.

use tauri::{AppHandle, Manager, Runtime};
use vsl_core::models::ModelEntry;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// Lists installed models and the catalog's models that can be downloaded.
///
/// Opening the store and scanning the models directory touch the disk, so they
/// run on the blocking pool rather than on the async runtime's workers.
///
/// # Errors
///
/// The store's error when the models directory cannot be read (kind `io`), or
/// kind `task` if the blocking task dies.
#[tauri::command]
pub async fn list_models<R: Runtime>(app: AppHandle<R>) -> CommandResult<Vec<ModelEntry>> {
    tauri::async_runtime::spawn_blocking(move || {
        let store = app.state::<AppState>().model_store()?;
        Ok(store.list()?)
    })
    .await
    .map_err(CommandError::task)?
}
