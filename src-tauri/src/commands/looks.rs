//! The Looks sheet: list, read, save, delete and preview looks (`services::looks` does the
//! work), and give a finished job another look.

use std::path::PathBuf;

use tauri::{AppHandle, Manager, Runtime};
use vsl_core::look::LookEntry;
use vsl_core::ErrorKind;

use crate::error::{CommandError, CommandResult};
use crate::services::events::DeckView;
use crate::services::looks::{self, LookDraft, PreviewLook, SaveLook};
use crate::services::state::AppState;

/// Every look the settings and the editor can pick.
///
/// # Errors
///
/// `invalid_config` when `slides.toml` does not load.
#[tauri::command]
pub fn list_looks<R: Runtime>(app: AppHandle<R>) -> CommandResult<Vec<LookEntry>> {
    looks::list(&app.state::<AppState>().dirs)
}

/// One look, as the sheet edits it.
///
/// # Errors
///
/// The look's own errors, naming its file; `unknown_theme` for an unknown id.
#[tauri::command]
pub fn get_look<R: Runtime>(app: AppHandle<R>, id: String) -> CommandResult<LookDraft> {
    looks::get(&app.state::<AppState>().dirs, &id)
}

/// Saves a look (new, edited or duplicated), copying its fonts and images in; returns its id.
///
/// # Errors
///
/// The look's own errors naming the file at fault; `exists` for a taken id.
#[tauri::command]
pub async fn save_look<R: Runtime>(app: AppHandle<R>, request: SaveLook) -> CommandResult<String> {
    tauri::async_runtime::spawn_blocking(move || {
        looks::save(&app.state::<AppState>().dirs, &request)
    })
    .await
    .map_err(CommandError::task)?
}

/// Deletes a saved look.
///
/// # Errors
///
/// `unknown_theme` when there is no saved look of that id.
#[tauri::command]
pub fn delete_look<R: Runtime>(app: AppHandle<R>, id: String) -> CommandResult<()> {
    looks::delete(&app.state::<AppState>().dirs, &id)
}

/// Draws the look being edited on a slide's text; returns the PNG, which the asset protocol
/// may then serve.
///
/// # Errors
///
/// The look's own errors naming the file at fault.
#[tauri::command]
pub async fn preview_look<R: Runtime>(
    app: AppHandle<R>,
    request: PreviewLook,
) -> CommandResult<PathBuf> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let path = looks::preview(&state.dirs, &request)?;
        app.asset_protocol_scope()
            .allow_file(&path)
            .map_err(|error| CommandError::new(ErrorKind::Internal, error.to_string()))?;
        Ok(path)
    })
    .await
    .map_err(CommandError::task)?
}

/// Draws a finished job's slides again with another look.
///
/// # Errors
///
/// The look's errors; `not_found`/`not_ready` for the job.
#[tauri::command]
pub async fn set_job_look<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    look: String,
) -> CommandResult<DeckView> {
    tauri::async_runtime::spawn_blocking(move || {
        crate::services::editor::set_look(&app, &id, &look)
    })
    .await
    .map_err(CommandError::task)?
}
