//! The `#[tauri::command]`s the UI calls through `ui/ipc.js`.
//!
//! Commands stay thin: take the arguments, call a service (off the main thread when it
//! touches the disk), and return its [`crate::error::CommandError`]. Names are `snake_case`
//! verb + noun (`list_models`). Every command must also be listed in `build.rs`
//! (`APP_COMMANDS`) and granted in `capabilities/main.json`.

pub mod app;
pub mod deck;
pub mod dialog;
pub mod glossary;
pub mod health;
pub mod jobs;
pub mod looks;
pub mod models;
pub mod settings;
pub mod watch;
