//! Facts about the app itself, and what job settings may hold.

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use vsl_core::job::Choices;

use crate::services::state::AppState;

/// What the header shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The product name from `tauri.conf.json` (`productName`).
    pub name: String,
    /// The crate version, which is the workspace version.
    pub version: &'static str,
}

/// Returns the app's name and version.
#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>) -> AppInfo {
    AppInfo {
        name: app.package_info().name.clone(),
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// The shapes, themes (custom ones included), formats, languages, media extensions and
/// thread limit the UI's menus offer: the lists `JobSpec::resolve` accepts.
#[tauri::command]
pub fn app_choices(state: State<'_, AppState>) -> Choices {
    vsl_core::job::choices(&state.dirs)
}
