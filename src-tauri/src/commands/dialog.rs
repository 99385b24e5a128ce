//! Native Open dialogs, run from Rust so the UI needs no dialog permission and gets back
//! only the paths the person picked.
//!
//! `VSL_TEST_PICK_FILES` (paths separated by the platform's path separator) and
//! `VSL_TEST_PICK_FOLDER` (one folder per call, in turn, starting again after the last)
//! answer in place of the dialog: a WebDriver test cannot click a
//! native GTK dialog, and this keeps the rest of the code path (the command, the UI's
//! import of what it returns) the same as for a person.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

use crate::error::{CommandError, CommandResult};

fn stubbed(var: &str) -> Option<Vec<PathBuf>> {
    let value = std::env::var_os(var).filter(|value| !value.is_empty())?;
    Some(std::env::split_paths(&value).collect())
}

/// Shows the Open dialog for voice-overs; returns the chosen files (none if cancelled).
///
/// # Errors
///
/// Kind `task` if the dialog's thread dies.
#[tauri::command]
pub async fn pick_media_files<R: Runtime>(app: AppHandle<R>) -> CommandResult<Vec<PathBuf>> {
    if let Some(paths) = stubbed("VSL_TEST_PICK_FILES") {
        return Ok(paths);
    }
    let extensions = vsl_core::media::SUPPORTED_EXTENSIONS;
    tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .add_filter("Audio and video", extensions)
            .blocking_pick_files()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|file| file.into_path().ok())
            .collect()
    })
    .await
    .map_err(CommandError::task)
}

/// Shows a folder picker for exports; `None` if cancelled.
///
/// # Errors
///
/// Kind `task` if the dialog's thread dies.
#[tauri::command]
pub async fn pick_export_folder<R: Runtime>(app: AppHandle<R>) -> CommandResult<Option<PathBuf>> {
    if let Some(paths) = stubbed("VSL_TEST_PICK_FOLDER") {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, Ordering::Relaxed);
        return Ok(paths.get(call % paths.len().max(1)).cloned());
    }
    tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .blocking_pick_folder()
            .and_then(|folder| folder.into_path().ok())
    })
    .await
    .map_err(CommandError::task)
}
