//! VSL Studio's desktop shell: the Tauri layer between the web UI in `ui/` and the pipeline
//! in `vsl-core`.
//!
//! - [`run`] starts the app; `main.rs` only calls it, or [`engine_worker`] when the binary is
//!   started as the app's engine process (`vsl-studio --engine-worker`).
//! - [`builder`] registers the state and commands on any Tauri runtime with the given
//!   [`Dirs`], so tests drive the same setup with `tauri::test::mock_builder()` and folders of
//!   their own (no test reads a person's queue, glossary or settings);
//!   [`builder_with_engine`] also says how the engine process starts (tests start the `vsl`
//!   binary's `vsl worker`, since a test binary cannot be the app's worker).
//! - [`services`] do the work (job runtime, editor, settings, watched folders, queue);
//!   [`commands`] are the thin `#[tauri::command]`s on top of them.
//! - [`error::CommandError`] is the one error type the UI receives, as `{ kind, message }`.
//!
//! This crate holds no pipeline logic: anything that could run without a window belongs in
//! `vsl-core`, where the CLI can use it too.

pub mod commands;
pub mod error;
pub mod services;

use tauri::{Builder, Context, Manager, Runtime};
use vsl_core::paths::Dirs;
use vsl_core::worker::WorkerCommand;

use crate::services::state::{AppState, EngineHost, MODEL_IDLE};
use crate::services::watch::WatchService;
use crate::services::{queue, settings};

/// Registers the app's state and commands on `builder`, working in `dirs`, its jobs running in
/// the app's own binary as the engine process.
#[must_use]
pub fn builder<R: Runtime>(builder: Builder<R>, dirs: Dirs) -> Builder<R> {
    builder_with_engine(builder, dirs, EngineHost::own_binary())
}

/// [`builder`], with the jobs running in engine processes started by `engine`.
#[must_use]
pub fn builder_with_engine<R: Runtime>(
    builder: Builder<R>,
    dirs: Dirs,
    engine: WorkerCommand,
) -> Builder<R> {
    let state = AppState::with_engine(dirs, engine);
    queue::restore(&state);
    builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(state)
        .manage(WatchService::default())
        .manage(services::media::MediaServer::default())
        .setup(|app| {
            services::webview::tune(app.handle());
            // Watched folders start with the app; a broken settings file leaves them off
            // (the settings sheet shows the error when opened).
            if let Ok(settings) = settings::load(&app.state::<AppState>().dirs) {
                app.state::<WatchService>()
                    .configure(app.handle(), &settings);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::app::app_choices,
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
            commands::deck::preview_audio,
            commands::deck::edit_slide,
            commands::deck::step_history,
            commands::deck::set_job_script,
            commands::deck::export_deck,
            commands::deck::show_in_folder,
            commands::deck::add_glossary_rule,
            commands::dialog::pick_media_files,
            commands::dialog::pick_export_folder,
            commands::dialog::pick_script_file,
            commands::dialog::pick_music_file,
            commands::dialog::pick_look_asset,
            commands::looks::list_looks,
            commands::looks::get_look,
            commands::looks::save_look,
            commands::looks::delete_look,
            commands::looks::preview_look,
            commands::looks::set_job_look,
            commands::health::get_health,
            commands::health::cleanup_cache,
            commands::health::show_log,
            commands::glossary::get_glossary,
            commands::glossary::save_glossary,
            commands::watch::get_watch_status,
            commands::settings::get_settings,
            commands::settings::save_settings,
        ])
}

/// The app's context: `tauri.conf.json`, the embedded `ui-dist/`, the icons and the
/// resolved capabilities.
#[must_use]
pub fn context<R: Runtime>() -> Context<R> {
    tauri::generate_context!()
}

/// The engine process (`vsl-studio --engine-worker`, started by the app itself): serves
/// `vsl_core::worker`'s JSON lines on stdin and stdout until the app closes them, and returns
/// the exit code. No window, no log file: what it has to say goes to the app as events.
pub fn engine_worker() -> i32 {
    vsl_core::worker::detach_from_caller();
    let options = vsl_core::worker::WorkerOptions {
        idle: MODEL_IDLE,
        hook: fault_hook(),
    };
    let served = vsl_core::worker::serve(
        std::io::BufReader::new(std::io::stdin()),
        std::io::stdout(),
        options,
    );
    // A closed stdout is the app going away, not an error to report.
    i32::from(served.is_err())
}

/// The test-only fault switch, as `vsl worker` has it (`VSL_FAULT=abort|stall:STAGE[:NAME]`,
/// read by `vsl_core::worker::fault_hook`): only in builds with the `fault-injection` feature
/// (which `e2e-hooks` turns on), never in one that ships.
#[cfg(feature = "fault-injection")]
fn fault_hook() -> Option<Box<vsl_core::worker::StageHook>> {
    vsl_core::worker::fault_hook(&std::env::var("VSL_FAULT").ok()?)
}

#[cfg(not(feature = "fault-injection"))]
fn fault_hook() -> Option<Box<vsl_core::worker::StageHook>> {
    None
}

/// Starts the desktop app and blocks until it exits.
pub fn run() {
    // The one place the app reads where its files live.
    let dirs = Dirs::from_env();
    services::log::init(&dirs);
    tracing::info!(
        "VSL Studio {} starting; data in {}",
        env!("CARGO_PKG_VERSION"),
        dirs.data.display()
    );
    // Keep the caches within their configured limits, off the start-up path so the window
    // is not delayed (the rules and their tests live in vsl_core::cache).
    std::thread::spawn({
        let dirs = dirs.clone();
        move || {
            let cleaned = settings::load(&dirs)
                .and_then(|settings| settings.cache_limits())
                .map_err(|error| error.to_string())
                .and_then(|limits| {
                    vsl_core::cache::cleanup_default(&dirs, limits)
                        .map_err(|error| error.to_string())
                });
            if let Err(error) = cleaned {
                tracing::warn!("cache cleanup at start-up failed: {error}");
            }
        }
    });
    if let Err(error) = builder(tauri::Builder::default(), dirs).run(context()) {
        tracing::error!("VSL Studio could not start: {error}");
        std::process::exit(1);
    }
}
