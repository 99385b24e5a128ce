//! Facts about the app itself.

use serde::Serialize;
use tauri::{AppHandle, Runtime};

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
