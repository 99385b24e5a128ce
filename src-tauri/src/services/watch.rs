//! Watched folders in the app: `vsl_core::watch::Watcher` on a thread of its own, fed by the
//! settings, turning each complete new file into a queue job that everyone can see.
//!
//! Each import becomes a [`JobRecord`] with its `origin` set, announced with the app-wide
//! `job-added` event; its progress goes out as `job-event`s (no window started it, so there
//! is no channel) and the watcher's own news (watching, folder missing, duplicate, failed)
//! as `watch` events. The job runs through the same slot as the person's jobs, writes the
//! folder's formats into its output folder and can then be opened and edited like any other.
//!
//! Changing the folders stops the running watcher between files and starts a new one with
//! the new list; the watcher's state file keeps what was already processed, so nothing is
//! repeated.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use vsl_core::jobs::CancelToken;
use vsl_core::pipeline;
use vsl_core::watch::{check_folders, WatchConfig, WatchEvent, WatchJob, WatchPreset, Watcher};

use super::events::{Forwarder, JOB_ADDED_EVENT, WATCH_EVENT};
use super::jobs::{self, JobPlan};
use super::settings::Settings;
use super::state::{AppState, JobRecord};

/// What the settings sheet shows for one folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderStatus {
    /// As the settings name it.
    pub dir: PathBuf,
    /// `starting`, `watching`, `missing` or `disabled`.
    pub state: &'static str,
    pub message: Option<String>,
}

/// Every configured folder's state, and why the watcher is not running if it is not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchStatus {
    pub folders: Vec<FolderStatus>,
    pub error: Option<String>,
}

/// A watcher error, sent as a `watch` event next to the [`WatchEvent`]s.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
enum WatchNotice<'a> {
    Error { message: &'a str },
}

#[derive(Default)]
struct Desired {
    /// The enabled folders; empty when there is nothing to watch.
    presets: Vec<WatchPreset>,
    /// Bumped on every change, so the thread knows to restart.
    version: u64,
}

#[derive(Default)]
struct Shared {
    desired: Mutex<Desired>,
    changed: Condvar,
    /// Stops the running watcher (between files) so it restarts with the new folders; a
    /// new token for each run.
    stop: Mutex<CancelToken>,
    status: Mutex<WatchStatus>,
    /// Absolute (canonical) folder → index in `status.folders`.
    canonical: Mutex<Vec<(PathBuf, usize)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The app's watched folders, managed by Tauri.
pub struct WatchService {
    shared: Arc<Shared>,
    started: std::sync::Once,
}

impl Default for WatchService {
    fn default() -> Self {
        Self {
            shared: Arc::default(),
            started: std::sync::Once::new(),
        }
    }
}

impl WatchService {
    /// Watches the settings' enabled folders from now on (none stops watching). The first
    /// call starts the watcher's thread.
    pub fn configure<R: Runtime>(&self, app: &AppHandle<R>, settings: &Settings) {
        self.started.call_once(|| {
            let shared = Arc::clone(&self.shared);
            let app = app.clone();
            let spawned = std::thread::Builder::new()
                .name("vsl-watch".to_owned())
                .spawn(move || watch_loop(&app, &shared));
            if let Err(error) = spawned {
                lock(&self.shared.status).error =
                    Some(format!("cannot start the watcher: {error}"));
            }
        });
        let presets = settings.watch_presets();
        let checked = if presets.is_empty() {
            Ok(Vec::new())
        } else {
            check_folders(presets)
        };
        {
            let mut status = lock(&self.shared.status);
            status.folders = settings
                .watch_folders
                .iter()
                .map(|folder| FolderStatus {
                    dir: folder.dir.clone(),
                    state: if folder.enabled {
                        "starting"
                    } else {
                        "disabled"
                    },
                    message: None,
                })
                .collect();
            status.error = checked.as_ref().err().map(ToString::to_string);
        }
        // Match the watcher's absolute paths back to the folders as the settings name them.
        let enabled: Vec<usize> = (0..settings.watch_folders.len())
            .filter(|&index| settings.watch_folders[index].enabled)
            .collect();
        *lock(&self.shared.canonical) = match &checked {
            Ok(folders) => folders
                .iter()
                .zip(enabled)
                .map(|(preset, index)| (preset.dir.clone(), index))
                .collect(),
            Err(_) => Vec::new(),
        };
        let mut desired = lock(&self.shared.desired);
        // The checked presets, already absolute: what the watcher would compute again.
        desired.presets = checked.unwrap_or_default();
        desired.version += 1;
        lock(&self.shared.stop).cancel();
        self.shared.changed.notify_all();
    }

    pub fn status(&self) -> WatchStatus {
        lock(&self.shared.status).clone()
    }
}

impl Shared {
    fn set_state(&self, dir: &Path, state: &'static str, message: Option<String>) {
        let Some(index) = lock(&self.canonical)
            .iter()
            .find(|(canonical, _)| canonical == dir)
            .map(|(_, index)| *index)
        else {
            return;
        };
        if let Some(folder) = lock(&self.status).folders.get_mut(index) {
            folder.state = state;
            folder.message = message;
        }
    }
}

fn watch_loop<R: Runtime>(app: &AppHandle<R>, shared: &Shared) {
    let mut seen = 0;
    loop {
        let presets = {
            let mut desired = lock(&shared.desired);
            while desired.version == seen || desired.presets.is_empty() {
                seen = desired.version;
                desired = shared
                    .changed
                    .wait(desired)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            seen = desired.version;
            let stop = CancelToken::new();
            *lock(&shared.stop) = stop.clone();
            (desired.presets.clone(), stop)
        };
        let (presets, stop) = presets;
        let dirs = app.state::<AppState>().dirs.clone();
        let ran = Watcher::new(WatchConfig::new(presets, &dirs)).and_then(|mut watcher| {
            // `run_jobs`: the watcher names each job's outputs and records it before it
            // starts, so a job the app was killed in is resumed under its own name.
            watcher.run_jobs(
                &mut |job| import(app, job),
                &mut |event| report(app, shared, event),
                &stop,
            )
        });
        if let Err(error) = ran {
            let message = error.to_string();
            tracing::warn!("watched folders stopped: {message}");
            lock(&shared.status).error = Some(message.clone());
            let _ = app.emit(WATCH_EVENT, WatchNotice::Error { message: &message });
            // Wait for new settings rather than failing in a loop.
            let mut desired = lock(&shared.desired);
            while desired.version == seen {
                desired = shared
                    .changed
                    .wait(desired)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
    }
}

fn report<R: Runtime>(app: &AppHandle<R>, shared: &Shared, event: WatchEvent) {
    // The JSON form names the event and its file; the log keeps the watcher's history.
    if let Ok(line) = serde_json::to_string(&event) {
        tracing::info!("watch: {line}");
    }
    match &event {
        WatchEvent::Watching { dir } => shared.set_state(dir, "watching", None),
        WatchEvent::FolderMissing { dir } => shared.set_state(
            dir,
            "missing",
            Some("the folder is gone; it is watched again when it comes back".to_owned()),
        ),
        _ => {}
    }
    let _ = app.emit(WATCH_EVENT, &event);
}

/// Runs one complete file from a watched folder as a queue job, under the name the watcher
/// chose (replacing the half-done outputs of an interrupted run of it); returns what it
/// wrote, which the watcher records so it never imports its own outputs.
fn import<R: Runtime>(app: &AppHandle<R>, job: &WatchJob<'_>) -> Result<Vec<PathBuf>, String> {
    let (input, preset, name) = (job.input, job.preset, job.name.to_owned());
    vsl_core::fs::create_dir_all(&preset.out_dir).map_err(|error| error.to_string())?;
    let state = app.state::<AppState>();
    let record = JobRecord {
        slides_dir: Some(pipeline::OutputPaths::new(&preset.out_dir, &name).slides_dir),
        origin: Some(preset.dir.clone()),
        ..state.new_record(input.to_path_buf())
    };
    let cancel = jobs::register(app, &record);
    let _ = app.emit(JOB_ADDED_EVENT, &record);
    let forward = Forwarder::app_wide(app.clone(), record.id.clone());
    // The folder's spec was built from the settings when the watcher started; the model is
    // the one the settings name now, and a script with the media's stem beside it is this
    // file's own.
    let plan = |settings: &Settings| JobPlan {
        spec: vsl_core::job::JobSpec {
            model: settings.job.model.clone(),
            threads: settings.job.threads,
            script: preset
                .spec
                .script
                .clone()
                .or_else(|| vsl_core::script::beside(input)),
            ..preset.spec.clone()
        },
        out_dir: preset.out_dir.clone(),
        name: name.clone(),
        overwrite: job.replace,
    };
    let outcome =
        jobs::run(app, &record, &cancel, &forward, plan).map_err(|error| error.message)?;
    for file in &outcome.files {
        state.mark_exported(file.clone());
    }
    let mut written = outcome.files;
    written.push(outcome.slides_dir);
    Ok(written)
}
