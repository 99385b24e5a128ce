//! The glossary editor: the user's global glossary (`<config dir>/glossary.toml`), which
//! every later job applies, read and written whole.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use vsl_core::correct::{Glossary, GlossaryDocument};

use crate::error::{CommandError, CommandResult};

/// The glossary and the file it lives in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlossaryView {
    pub path: PathBuf,
    #[serde(flatten)]
    pub glossary: GlossaryDocument,
}

/// The user's glossary (empty when there is no file yet).
///
/// # Errors
///
/// Kind `invalid_glossary` (naming the rule at fault) or `io` when the file cannot be used.
#[tauri::command]
pub async fn get_glossary() -> CommandResult<GlossaryView> {
    tauri::async_runtime::spawn_blocking(|| {
        let path = Glossary::global_path();
        let glossary = Glossary::load_layers(Some(&path), None)
            .map_err(|error| CommandError::new(error.kind(), error.to_string()))?;
        Ok(GlossaryView {
            path,
            glossary: glossary.document(),
        })
    })
    .await
    .map_err(CommandError::task)?
}

/// Replaces the user's glossary; later jobs use it.
///
/// # Errors
///
/// Kind `glossary` with the parser's sentence naming the rule at fault (nothing is written
/// then), or `io`.
#[tauri::command]
pub async fn save_glossary(glossary: GlossaryDocument) -> CommandResult<()> {
    tauri::async_runtime::spawn_blocking(move || {
        glossary
            .save(&Glossary::global_path())
            .map_err(|error| match error {
                vsl_core::correct::CorrectionError::Invalid { reason, .. } => {
                    CommandError::new("glossary", reason)
                }
                other => CommandError::new("io", other.to_string()),
            })
    })
    .await
    .map_err(CommandError::task)?
}
