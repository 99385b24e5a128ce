//! Whisper models: what is installed and what the catalog offers.

use tauri::{AppHandle, Manager, Runtime};
use vsl_core::models::{recommend, ModelEntry, WeightFormat};
use vsl_core::transcribe::device;
use vsl_core::ErrorKind;

use crate::error::{CommandError, CommandResult};
use crate::services::events::{Forwarder, JobEvent};
use crate::services::state::AppState;

/// Lists installed models and the catalog's models that can be downloaded, marking the
/// one recommended for the device the settings' jobs run on.
///
/// Opening the store and scanning the models directory touch the disk, so they
/// run on the blocking pool rather than on the async runtime's workers.
///
/// # Errors
///
/// The store's error when the models directory cannot be read (kind `io`), or
/// kind `task` if the blocking task dies.
#[tauri::command]
pub async fn list_models<R: Runtime>(app: AppHandle<R>) -> CommandResult<Vec<ModelEntry>> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        // Settings that do not load, or name a GPU that is gone, recommend for the
        // automatic device; Settings and the next job report those problems themselves.
        let device = crate::services::settings::load(&state.dirs)
            .ok()
            .and_then(|settings| device::chosen(&settings.job.device).ok())
            .unwrap_or_else(device::automatic);
        Ok(state.store.list_for(&recommend(&device))?)
    })
    .await
    .map_err(CommandError::task)?
}

/// Downloads a catalog model (resuming a partial download); progress goes to
/// `on_progress` as `JobEvent::Progress`, throttled like a job's; `cancel_download` stops it.
///
/// # Errors
///
/// The store's error (unknown model, network, checksum, `cancelled`), kind `busy` when the
/// model is already being downloaded, or kind `task`.
#[tauri::command]
pub async fn download_model<R: Runtime>(
    app: AppHandle<R>,
    name: String,
    on_progress: tauri::ipc::Channel<JobEvent>,
) -> CommandResult<()> {
    let state = app.state::<AppState>();
    let cancel = state.start_download(&name).ok_or_else(|| {
        CommandError::new(
            ErrorKind::Busy,
            format!("{name} is already being downloaded"),
        )
    })?;
    let result = tauri::async_runtime::spawn_blocking({
        let app = app.clone();
        let name = name.clone();
        move || {
            let store = &app.state::<AppState>().store;
            let forward = Forwarder::new(on_progress);
            store.download(&name, false, &mut |progress| {
                if let Some(total) = progress.total.filter(|total| *total > 0) {
                    forward.fraction(progress.downloaded as f64 / total as f64);
                }
                !cancel.is_cancelled()
            })?;
            forward.fraction(1.0);
            Ok(())
        }
    })
    .await
    .map_err(CommandError::task);
    state.end_download(&name);
    result?
}

/// Stops the download of `name`; its partial file stays, so the next download resumes it.
///
/// # Errors
///
/// Kind `not_found` when no download of `name` is running.
#[tauri::command]
pub fn cancel_download(state: tauri::State<'_, AppState>, name: String) -> CommandResult<()> {
    if state.cancel_download(&name) {
        Ok(())
    } else {
        Err(CommandError::not_found(format!(
            "no download of {name} is running"
        )))
    }
}

/// Asks for a whisper.cpp ggml file and copies it into the store after validating it.
/// Returns the new model's name, or `None` if the dialog was cancelled.
///
/// # Errors
///
/// The store's error (an invalid file, a name already taken), or kind `task`.
#[tauri::command]
pub async fn import_model<R: Runtime>(app: AppHandle<R>) -> CommandResult<Option<String>> {
    use tauri_plugin_dialog::DialogExt;
    tauri::async_runtime::spawn_blocking(move || {
        let Some(file) = app
            .dialog()
            .file()
            .add_filter("whisper.cpp model", &["bin"])
            .blocking_pick_file()
            .and_then(|file| file.into_path().ok())
        else {
            return Ok(None);
        };
        let store = &app.state::<AppState>().store;
        let (name, _) = store.import(&file, None, false)?;
        Ok(Some(name))
    })
    .await
    .map_err(CommandError::task)?
}

/// Asks for a CTranslate2 (faster-whisper) model folder and converts it into the store,
/// named after the folder. Returns the name, or `None` if the dialog was cancelled.
///
/// # Errors
///
/// The store's error (not a Whisper CTranslate2 folder, a name already taken), or `task`.
#[tauri::command]
pub async fn import_ct2_model<R: Runtime>(app: AppHandle<R>) -> CommandResult<Option<String>> {
    use tauri_plugin_dialog::DialogExt;
    tauri::async_runtime::spawn_blocking(move || {
        let Some(dir) = app
            .dialog()
            .file()
            .blocking_pick_folder()
            .and_then(|dir| dir.into_path().ok())
        else {
            return Ok(None);
        };
        let name = dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .ok_or_else(|| {
                CommandError::new(
                    ErrorKind::OutputFolder,
                    format!("{} has no name", dir.display()),
                )
            })?;
        let store = &app.state::<AppState>().store;
        store.import_ct2(&dir, &name, WeightFormat::Auto, false, &mut |_, _| {})?;
        Ok(Some(name))
    })
    .await
    .map_err(CommandError::task)?
}

/// Deletes an installed model.
///
/// # Errors
///
/// The store's error (kind `not_installed` for an unknown name), or kind `task`.
#[tauri::command]
pub async fn remove_model<R: Runtime>(app: AppHandle<R>, name: String) -> CommandResult<()> {
    tauri::async_runtime::spawn_blocking(move || {
        let store = &app.state::<AppState>().store;
        store.remove(&name)?;
        Ok(())
    })
    .await
    .map_err(CommandError::task)?
}
