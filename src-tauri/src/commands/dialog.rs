//! Native Open dialogs, run from Rust so the UI needs no dialog permission and gets back
//! only the paths the person picked.
//!
//! With the `e2e-hooks` feature (the end-to-end test's build, `scripts/e2e-app.sh`), five
//! environment variables answer in place of the dialogs: a WebDriver test cannot click a
//! native GTK dialog, and this keeps the rest of the code path (the command, the UI's
//! import of what it returns) the same as for a person. A build without the feature has
//! neither that code nor the variables' names.

use std::path::PathBuf;

use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

use crate::error::{CommandError, CommandResult};

/// The end-to-end test's answers to the dialogs.
#[cfg(feature = "e2e-hooks")]
mod hooks {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn stubbed(var: &str) -> Option<Vec<PathBuf>> {
        let value = std::env::var_os(var).filter(|value| !value.is_empty())?;
        Some(std::env::split_paths(&value).collect())
    }

    /// `VSL_TEST_PICK_FILES`: paths separated by the platform's path separator.
    pub fn files() -> Option<Vec<PathBuf>> {
        stubbed("VSL_TEST_PICK_FILES")
    }

    /// One path of `var` per call, in turn, starting again after the last.
    fn in_turn(var: &str, calls: &AtomicUsize) -> Option<Option<PathBuf>> {
        let paths = stubbed(var)?;
        let call = calls.fetch_add(1, Ordering::Relaxed);
        Some(paths.get(call % paths.len().max(1)).cloned())
    }

    /// `VSL_TEST_PICK_FOLDER`: one folder per call, in turn.
    pub fn folder() -> Option<Option<PathBuf>> {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        in_turn("VSL_TEST_PICK_FOLDER", &CALLS)
    }

    /// `VSL_TEST_PICK_SCRIPT`: one script file per call, in turn.
    pub fn script() -> Option<Option<PathBuf>> {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        in_turn("VSL_TEST_PICK_SCRIPT", &CALLS)
    }

    /// `VSL_TEST_PICK_MUSIC`: one music file per call, in turn.
    pub fn music() -> Option<Option<PathBuf>> {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        in_turn("VSL_TEST_PICK_MUSIC", &CALLS)
    }

    /// `VSL_TEST_PICK_ASSET`: one font or image file per call, in turn.
    pub fn asset() -> Option<Option<PathBuf>> {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        in_turn("VSL_TEST_PICK_ASSET", &CALLS)
    }
}

/// Without the feature, the dialogs always open.
#[cfg(not(feature = "e2e-hooks"))]
mod hooks {
    use std::path::PathBuf;

    pub fn files() -> Option<Vec<PathBuf>> {
        None
    }

    pub fn folder() -> Option<Option<PathBuf>> {
        None
    }

    pub fn script() -> Option<Option<PathBuf>> {
        None
    }

    pub fn music() -> Option<Option<PathBuf>> {
        None
    }

    pub fn asset() -> Option<Option<PathBuf>> {
        None
    }
}

/// Shows the Open dialog for voice-overs; returns the chosen files (none if cancelled).
///
/// # Errors
///
/// A [`CommandError`] if the dialog's thread dies.
#[tauri::command]
pub async fn pick_media_files<R: Runtime>(app: AppHandle<R>) -> CommandResult<Vec<PathBuf>> {
    if let Some(paths) = hooks::files() {
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
/// A [`CommandError`] if the dialog's thread dies.
#[tauri::command]
pub async fn pick_export_folder<R: Runtime>(app: AppHandle<R>) -> CommandResult<Option<PathBuf>> {
    if let Some(folder) = hooks::folder() {
        return Ok(folder);
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

/// Shows the Open dialog for a copywriter's script (`.txt`, `.md`, `.docx`); `None` if
/// cancelled. The commands that take the path read and check it.
///
/// # Errors
///
/// A [`CommandError`] if the dialog's thread dies.
#[tauri::command]
pub async fn pick_script_file<R: Runtime>(app: AppHandle<R>) -> CommandResult<Option<PathBuf>> {
    if let Some(path) = hooks::script() {
        return Ok(path);
    }
    let extensions = vsl_core::script::SCRIPT_EXTENSIONS;
    tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .add_filter("Scripts", extensions)
            .blocking_pick_file()
            .and_then(|file| file.into_path().ok())
    })
    .await
    .map_err(CommandError::task)
}

/// Shows the Open dialog for a music bed (any audio file the import takes); `None` if
/// cancelled. The export checks that it decodes.
///
/// # Errors
///
/// A [`CommandError`] if the dialog's thread dies.
#[tauri::command]
pub async fn pick_music_file<R: Runtime>(app: AppHandle<R>) -> CommandResult<Option<PathBuf>> {
    if let Some(path) = hooks::music() {
        return Ok(path);
    }
    // Music often comes as a video (a stock clip), whose audio track is used.
    let extensions = vsl_core::media::SUPPORTED_EXTENSIONS;
    tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .add_filter("Music", extensions)
            .blocking_pick_file()
            .and_then(|file| file.into_path().ok())
    })
    .await
    .map_err(CommandError::task)
}

/// Shows the Open dialog for a look's font (`kind` = `font`) or picture (`image`) and checks
/// that the file is one; `None` if cancelled.
///
/// # Errors
///
/// `invalid_font` / `invalid_image` naming the file, or a [`CommandError`] if the dialog's
/// thread dies.
#[tauri::command]
pub async fn pick_look_asset<R: Runtime>(
    app: AppHandle<R>,
    kind: String,
) -> CommandResult<Option<PathBuf>> {
    let extensions = crate::services::looks::asset_extensions(&kind)?;
    let picked = match hooks::asset() {
        Some(path) => path,
        None => tauri::async_runtime::spawn_blocking(move || {
            app.dialog()
                .file()
                .add_filter(if kind == "font" { "Fonts" } else { "Images" }, extensions)
                .blocking_pick_file()
                .and_then(|file| file.into_path().ok())
        })
        .await
        .map_err(CommandError::task)?,
    };
    if let Some(path) = &picked {
        let kind = if extensions.contains(&"ttf") {
            "font"
        } else {
            "image"
        };
        crate::services::looks::check_asset(kind, path)?;
    }
    Ok(picked)
}
