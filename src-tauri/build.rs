//! Runs tauri-build: it reads `tauri.conf.json` (a link to the top-level file),
//! checks the icons, and generates the permissions for the app commands.

use std::path::Path;

/// The app's own commands. Each gets an `allow-<command>` permission that a
/// capability in `capabilities/` must grant before the UI can call it, so a
/// command that is registered but not granted stays unreachable.
const APP_COMMANDS: &[&str] = &[
    "app_info",
    "app_choices",
    "list_models",
    "start_job",
    "retry_job",
    "cancel_job",
    "remove_job",
    "list_jobs",
    "open_job",
    "preview_audio",
    "edit_slide",
    "step_history",
    "set_job_script",
    "export_deck",
    "show_in_folder",
    "pick_media_files",
    "pick_export_folder",
    "pick_script_file",
    "pick_music_file",
    "pick_look_asset",
    "list_looks",
    "get_look",
    "save_look",
    "delete_look",
    "preview_look",
    "set_job_look",
    "get_health",
    "add_glossary_rule",
    "get_settings",
    "save_settings",
    "download_model",
    "import_model",
    "import_ct2_model",
    "remove_model",
    "cleanup_cache",
    "show_log",
    "get_glossary",
    "save_glossary",
    "get_watch_status",
    "cancel_download",
];

/// The bundled UI that `generate_context!` embeds (`build.frontendDist`).
const FRONTEND_DIST: &str = "../ui-dist";

fn main() {
    // `generate_context!` fails on a missing frontendDist with a message that does
    // not say how to produce it; fail here first with one that does.
    if !Path::new(FRONTEND_DIST).join("index.html").is_file() {
        eprintln!(
            "error: {FRONTEND_DIST}/index.html is missing; run `npm install && npm run build` \
             in the repository root before building vsl-studio"
        );
        std::process::exit(1);
    }

    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(APP_COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        eprintln!("error: tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
