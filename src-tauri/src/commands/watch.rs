//! The watched folders' live state, for the settings sheet.

use tauri::State;

use crate::services::watch::{WatchService, WatchStatus};

/// Each configured folder's state and the watcher's last error.
#[tauri::command]
pub fn get_watch_status(service: State<'_, WatchService>) -> WatchStatus {
    service.status()
}
