//! The glossary editor: the global glossary (`<config dir>/glossary.toml`), which every
//! later job applies, read and written whole.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime};
use vsl_core::correct::{Glossary, GlossaryDocument};

use crate::error::{CommandError, CommandResult};
use crate::services::state::AppState;

/// The glossary and the file it lives in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlossaryView {
    pub path: PathBuf,
    #[serde(flatten)]
    pub glossary: GlossaryDocument,
}

/// The global glossary (empty when there is no file yet).
///
/// # Errors
///
/// Kind `invalid_glossary` (naming the rule at fault) or `io` when the file cannot be used.
#[tauri::command]
pub async fn get_glossary<R: Runtime>(app: AppHandle<R>) -> CommandResult<GlossaryView> {
    tauri::async_runtime::spawn_blocking(move || {
        let path = app.state::<AppState>().dirs.glossary_file();
        let glossary = Glossary::load_layers(Some(&path), None)?;
        Ok(GlossaryView {
            path,
            glossary: glossary.document(),
        })
    })
    .await
    .map_err(CommandError::task)?
}

/// Replaces the global glossary; later jobs use it. A bad rule is named and nothing is
/// written.
///
/// # Errors
///
/// Kind `invalid_glossary` naming the rule at fault, or `io`.
#[tauri::command]
pub async fn save_glossary<R: Runtime>(
    app: AppHandle<R>,
    glossary: GlossaryDocument,
) -> CommandResult<()> {
    tauri::async_runtime::spawn_blocking(move || {
        let dirs = &app.state::<AppState>().dirs;
        vsl_core::fs::create_dir_all(&dirs.config)?;
        Ok(glossary.save(&dirs.glossary_file())?)
    })
    .await
    .map_err(CommandError::task)?
}
