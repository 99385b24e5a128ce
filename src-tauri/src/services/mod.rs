//! The app's services: everything the commands call, below them.
//!
//! - [`state`]: [`state::AppState`] (directories, model store and host, job slots, the job
//!   registry) and the persisted [`state::JobRecord`].
//! - [`settings`]: `settings.toml`, checked on save by `JobSpec::resolve`.
//! - [`events`]: what goes to the UI (job events, the deck view) and the throttled
//!   [`events::Forwarder`].
//! - [`jobs`]: the job runtime (queue, slots, panic guard, final status).
//! - [`editor`]: a finished job's deck: edits, undo/redo, a new look, export.
//! - [`looks`]: saved looks (list, read, save, delete) and the look preview.
//! - [`queue`]: the queue file.
//! - [`media`]: the player's audio over loopback HTTP, with byte ranges.
//! - [`log`]: the log file (`tracing`), under the data folder.
//! - [`watch`]: watched folders as queue jobs.
//! - [`webview`]: the webview's cache model (memory with an hour-long job open).
//!
//! Architecture invariant: no service imports `crate::commands` (a tidy test checks it);
//! commands translate arguments and errors and call down into these.

pub mod editor;
pub mod events;
pub mod jobs;
pub mod log;
pub mod looks;
pub mod media;
pub mod queue;
pub mod settings;
pub mod state;
pub mod watch;
pub mod webview;
