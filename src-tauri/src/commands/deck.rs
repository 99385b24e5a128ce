//! The result view and the editor: open a finished job, edit it, undo and redo, export the
//! MP4 and subtitles, and reveal the export (`services::editor` does the work).

use std::path::PathBuf;

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};
use vsl_core::job::Formats;

use crate::error::{CommandError, CommandResult};
use crate::services::editor::{
    self, ExportChoices, ExportView, HistoryStep, ScriptSource, SlideEdit,
};
use crate::services::events::{DeckView, Forwarder, JobEvent};
use crate::services::state::AppState;

/// Opens a finished job in the result view.
///
/// # Errors
///
/// Kind `not_found` for an unknown id, `not_ready` when it has not finished.
#[tauri::command]
pub fn open_job<R: Runtime>(app: AppHandle<R>, id: String) -> CommandResult<DeckView> {
    editor::deck_view(&app, &id)
}

/// Applies one edit to a finished job's deck.
///
/// # Errors
///
/// Kind `edit` when the edit does not fit the deck, `not_found`/`not_ready` for the job.
#[tauri::command]
pub async fn edit_slide<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    edit: SlideEdit,
) -> CommandResult<DeckView> {
    tauri::async_runtime::spawn_blocking(move || editor::apply(&app, &id, &edit))
        .await
        .map_err(CommandError::task)?
}

/// Gives a finished job the copywriter's script (a file or pasted text): its slides show
/// the script's words, cut again from the kept transcript without transcribing.
///
/// # Errors
///
/// Kind `invalid_script` or `script_mismatch` naming the script, `not_found`/`not_ready`.
#[tauri::command]
pub async fn set_job_script<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    script: ScriptSource,
) -> CommandResult<DeckView> {
    tauri::async_runtime::spawn_blocking(move || editor::set_script(&app, &id, &script))
        .await
        .map_err(CommandError::task)?
}

/// The player's audio for a job: a small Opus rendition of its input, made once in the cache,
/// and the loopback URL it streams from (`services::media`).
///
/// # Errors
///
/// Kind `not_found` for an unknown id or a vanished input; the input's media errors.
#[tauri::command]
pub async fn preview_audio<R: Runtime>(
    app: AppHandle<R>,
    id: String,
) -> CommandResult<editor::AudioPreview> {
    tauri::async_runtime::spawn_blocking(move || editor::audio_preview(&app, &id))
        .await
        .map_err(CommandError::task)?
}

/// Undoes or redoes the last edit.
///
/// # Errors
///
/// Kind `history` when there is nothing to undo or redo.
#[tauri::command]
pub async fn step_history<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    step: HistoryStep,
) -> CommandResult<DeckView> {
    tauri::async_runtime::spawn_blocking(move || editor::step(&app, &id, step))
        .await
        .map_err(CommandError::task)?
}

/// Exports a finished job (any of `mp4`, `srt`, `vtt`, `txt`) into `folder`, with the music
/// bed and picture `choices` asks for (the voice alone under slides when absent); progress
/// goes to `on_progress`, and `cancel_job` with the job's id stops it.
///
/// # Errors
///
/// Kind `output_folder`, `cancelled`, or the export's own kind.
#[tauri::command]
pub async fn export_deck<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    folder: PathBuf,
    formats: Formats,
    choices: Option<ExportChoices>,
    on_progress: Channel<JobEvent>,
) -> CommandResult<ExportView> {
    tauri::async_runtime::spawn_blocking(move || {
        let choices = choices.unwrap_or_default();
        editor::export(
            &app,
            &id,
            &folder,
            &formats,
            &choices,
            &Forwarder::new(on_progress),
        )
    })
    .await
    .map_err(CommandError::task)?
}

/// Opens the file manager on a file this session exported.
///
/// # Errors
///
/// Kind `forbidden` for other paths, `internal` when no file manager answers.
#[tauri::command]
pub fn show_in_folder<R: Runtime>(app: AppHandle<R>, path: PathBuf) -> CommandResult<()> {
    use tauri_plugin_opener::OpenerExt;
    editor::check_revealable(&app.state::<AppState>(), &path)?;
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|error| CommandError::new(vsl_core::ErrorKind::Internal, error.to_string()))
}

/// "Always replace `from` with `to`" in the global glossary.
///
/// # Errors
///
/// Kind `invalid_glossary` when the words are empty or the file cannot be written.
#[tauri::command]
pub async fn add_glossary_rule<R: Runtime>(
    app: AppHandle<R>,
    from: String,
    to: String,
) -> CommandResult<()> {
    tauri::async_runtime::spawn_blocking(move || {
        editor::add_glossary_rule(&app.state::<AppState>().dirs, &from, &to)
    })
    .await
    .map_err(CommandError::task)?
}
