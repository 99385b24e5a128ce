//! The job queue: start a voice-over's pipeline, follow it over a per-job [`Channel`],
//! cancel or retry it, and list the queue (which survives a restart).

use std::path::PathBuf;

use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

use crate::error::CommandResult;
use crate::services::events::JobEvent;
use crate::services::jobs;
use crate::services::state::{AppState, JobRecord};

/// Starts the pipeline for one dropped or picked file (with the copywriter's script when
/// `script` names one) and returns its queue record. Progress, the result or the error
/// arrive on `on_progress`.
///
/// # Errors
///
/// Kind `unsupported_media`, `invalid_script` or `not_found` when a path is refused;
/// nothing is queued.
#[tauri::command]
pub fn start_job<R: Runtime>(
    app: AppHandle<R>,
    path: PathBuf,
    script: Option<PathBuf>,
    on_progress: Channel<JobEvent>,
) -> CommandResult<JobRecord> {
    jobs::start(&app, &path, script.as_deref(), on_progress)
}

/// Runs a failed, cancelled or interrupted job again, on a new channel.
///
/// # Errors
///
/// Kind `not_found` for an unknown id, `busy` if it is still running.
#[tauri::command]
pub fn retry_job<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    on_progress: Channel<JobEvent>,
) -> CommandResult<JobRecord> {
    jobs::retry(&app, &id, on_progress)
}

/// Asks a running job (or its export) to stop; it reports `cancelled` once it has.
///
/// # Errors
///
/// Kind `not_found` for an unknown id.
#[tauri::command]
pub fn cancel_job(state: State<'_, AppState>, id: String) -> CommandResult<()> {
    jobs::cancel(&state, &id)
}

/// Removes a job that is not running from the queue.
///
/// # Errors
///
/// Kind `busy` while the job runs.
#[tauri::command]
pub fn remove_job(state: State<'_, AppState>, id: String) -> CommandResult<()> {
    jobs::remove(&state, &id)
}

/// The queue, oldest first, as restored at start-up plus this session's jobs.
#[tauri::command]
pub fn list_jobs(state: State<'_, AppState>) -> Vec<JobRecord> {
    state.records()
}
