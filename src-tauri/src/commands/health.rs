//! The health panel: CPU, memory, cache size and the loaded model (`vsl_core::health`).

use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};
use vsl_core::cache::CleanupReport;
use vsl_core::health::{Health, HealthOptions};

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// How long the CPU is sampled; short, since the panel refreshes every few seconds.
const CPU_WINDOW: Duration = Duration::from_millis(250);

/// Samples the machine and the app. Runs on the blocking pool: sampling the CPU waits.
///
/// # Errors
///
/// Kind `task` if the sampling thread dies.
#[tauri::command]
pub async fn get_health<R: Runtime>(app: AppHandle<R>) -> CommandResult<Health> {
    tauri::async_runtime::spawn_blocking(move || {
        let options = HealthOptions {
            output_dir: vsl_core::paths::data_dir(),
            cache_dir: vsl_core::paths::cache_dir(),
            model: app.state::<AppState>().models.loaded(),
            cpu_window: CPU_WINDOW,
        };
        Health::collect(&options)
    })
    .await
    .map_err(CommandError::task)
}

/// Cleans the cache now, within the limits in the settings (by age, then least recently
/// used until it fits).
///
/// # Errors
///
/// Kind `settings` for a limit that does not parse, `cache` when a file cannot be removed.
#[tauri::command]
pub async fn cleanup_cache() -> CommandResult<CleanupReport> {
    tauri::async_runtime::spawn_blocking(|| {
        let limits = crate::settings::load()?.cache_limits()?;
        vsl_core::cache::cleanup_default(limits)
            .map_err(|error| CommandError::new(error.kind(), error.to_string()))
    })
    .await
    .map_err(CommandError::task)?
}
