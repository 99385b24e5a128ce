//! VSL Studio's desktop shell: the Tauri layer between the web UI in `ui/` and
//! the pipeline in `vsl-core`.
//!
//! - [`run`] starts the app; `main.rs` only calls it.
//! - [`builder`] registers the commands and the shared [`state::AppState`] on any
//!   Tauri runtime, so tests drive the same setup with `tauri::test::mock_builder()`.
//! - [`commands`] holds the `#[tauri::command]`s, one module per area.
//! - [`error::CommandError`] is the single error type the UI receives, as
//!   `{ kind, message }`.
//!
//! This crate holds no pipeline logic: anything that could run without a window
//! belongs in `vsl-core`, where the CLI can use it too.

pub mod commands;
pub mod error;
pub mod queue;
pub mod settings;
pub mod state;
pub mod watch;

use tauri::{Builder, Context, Manager, Runtime};

use crate::state::AppState;
use crate::watch::WatchService;

/// Registers the app's state and commands on `builder`.
#[must_use]
pub fn builder<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    let state = AppState::default();
    queue::restore(&state);
    builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(state)
        .manage(WatchService::default())
        .setup(|app| {
            // Watched folders start with the app; a broken settings file leaves them off
            // (the settings sheet shows the error when opened).
            if let Ok(settings) = settings::load() {
                app.state::<WatchService>()
                    .configure(app.handle(), &settings);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::models::list_models,
            commands::models::download_model,
            commands::models::cancel_download,
            commands::models::import_model,
            commands::models::import_ct2_model,
            commands::models::remove_model,
            commands::jobs::start_job,
            commands::jobs::retry_job,
            commands::jobs::cancel_job,
            commands::jobs::remove_job,
            commands::jobs::list_jobs,
            commands::deck::open_job,
            commands::deck::edit_slide,
            commands::deck::step_history,
            commands::deck::export_deck,
            commands::deck::show_in_folder,
            commands::deck::add_glossary_rule,
            commands::dialog::pick_media_files,
            commands::dialog::pick_export_folder,
            commands::health::get_health,
            commands::health::cleanup_cache,
            commands::glossary::get_glossary,
            commands::glossary::save_glossary,
            watch::get_watch_status,
            settings::get_settings,
            settings::save_settings,
        ])
}

/// The app's context: `tauri.conf.json`, the embedded `ui-dist/`, the icons and
/// the resolved capabilities.
#[must_use]
pub fn context<R: Runtime>() -> Context<R> {
    tauri::generate_context!()
}

/// Starts the desktop app and blocks until it exits.
pub fn run() {
    // Keep the caches within their configured limits, off the start-up path so the window
    // is not delayed (the rules and their tests live in vsl_core::cache).
    std::thread::spawn(|| {
        let cleaned = settings::load()
            .and_then(|settings| settings.cache_limits())
            .map_err(|error| error.to_string())
            .and_then(|limits| {
                vsl_core::cache::cleanup_default(limits).map_err(|error| error.to_string())
            });
        if let Err(error) = cleaned {
            eprintln!("warning: cache cleanup at start-up failed: {error}");
        }
    });
    if let Err(error) = builder(tauri::Builder::default()).run(context()) {
        eprintln!("error: VSL Studio could not start: {error}");
        std::process::exit(1);
    }
}
