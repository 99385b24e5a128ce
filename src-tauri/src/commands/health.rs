//! The health panel: CPU, memory, cache size and the loaded model (`vsl_core::health`).

use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};
use vsl_core::cache::CleanupReport;
use vsl_core::health::{Health, HealthOptions};

use crate::error::{CommandError, CommandResult};
use crate::services::settings;
use crate::services::state::AppState;

/// How long the CPU is sampled; short, since the panel refreshes every few seconds.
const CPU_WINDOW: Duration = Duration::from_millis(250);

/// Samples the machine and the app (on the blocking pool: sampling the CPU waits).
///
/// # Errors
///
/// Kind `internal` if the sampling thread dies.
#[tauri::command]
pub async fn get_health<R: Runtime>(app: AppHandle<R>) -> CommandResult<Health> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let options = HealthOptions {
            output_dir: state.dirs.data.clone(),
            model: state.models.loaded(),
            cpu_window: CPU_WINDOW,
            ..HealthOptions::new(&state.dirs)
        };
        Health::collect(&options)
    })
    .await
    .map_err(CommandError::task)
}

/// Cleans the cache now, within the settings' limits (by age, then least recently used
/// until it fits).
///
/// # Errors
///
/// Kind `invalid_limit` for a limit that does not parse, `cache_io` for a file that stays.
#[tauri::command]
pub async fn cleanup_cache<R: Runtime>(app: AppHandle<R>) -> CommandResult<CleanupReport> {
    tauri::async_runtime::spawn_blocking(move || {
        let dirs = &app.state::<AppState>().dirs;
        let limits = settings::load(dirs)?.cache_limits()?;
        Ok(vsl_core::cache::cleanup_default(dirs, limits)?)
    })
    .await
    .map_err(CommandError::task)?
}

/// Opens the file manager on the newest log file (`services::log`).
///
/// # Errors
///
/// Kind `not_found` before anything was logged, `internal` when no file manager answers.
#[tauri::command]
pub fn show_log<R: Runtime>(app: AppHandle<R>) -> CommandResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let dirs = &app.state::<AppState>().dirs;
    let path = crate::services::log::latest(dirs).ok_or_else(|| {
        CommandError::not_found(format!(
            "no log file in {} yet",
            crate::services::log::log_dir(dirs).display()
        ))
    })?;
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|error| CommandError::new(vsl_core::ErrorKind::Internal, error.to_string()))
}
