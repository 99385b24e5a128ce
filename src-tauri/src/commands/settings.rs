//! The settings sheet: read and save `settings.toml` (`services::settings`).

use tauri::{AppHandle, Manager, Runtime, State};

use crate::error::CommandResult;
use crate::services::settings::{self, Settings};
use crate::services::state::AppState;
use crate::services::watch::WatchService;

/// Returns the settings (defaults where unset).
///
/// # Errors
///
/// Kind `invalid_settings` naming the file when it cannot be read.
#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> CommandResult<Settings> {
    settings::load(&state.dirs)
}

/// Checks and saves the settings; new jobs use them, and the watched folders change at once.
/// Nothing is written when a value is refused.
///
/// # Errors
///
/// The kind of the value at fault (`unknown_theme`, `language`, `unknown_format`,
/// `output_inside_watched`, ...).
#[tauri::command]
pub fn save_settings<R: Runtime>(
    app: AppHandle<R>,
    settings: serde_json::Value,
) -> CommandResult<()> {
    let settings = settings::parse(settings)?;
    settings::save(&app.state::<AppState>().dirs, &settings)?;
    app.state::<WatchService>().configure(&app, &settings);
    Ok(())
}
