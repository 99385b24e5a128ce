// Release builds on Windows would otherwise open a console next to the window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // The app starts its own binary as the engine process, so a crash in whisper.cpp or
    // FFmpeg ends that process and not the window (services/state.rs, `EngineHost`).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == vsl_studio_lib::services::state::ENGINE_WORKER_ARG)
    {
        std::process::exit(vsl_studio_lib::engine_worker());
    }
    vsl_studio_lib::run();
}
