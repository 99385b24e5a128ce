//! VSL Studio's pipeline library.
//!
//! Every stage of the product lives here and is usable without a window:
//!
//! - [`job`]: [`job::JobSpec`], what a job runs with, and its one resolver.
//! - [`error`]: [`error::ErrorKind`], the stable code of every stage's errors, and [`Error`].
//! - [`models`]: the Whisper model catalog, the on-disk [`models::ModelStore`], the
//!   downloader (resume + checksum), ggml validation and the CTranslate2 → ggml converter.
//! - [`media`]: decoding any audio/video file to 16 kHz mono `f32` PCM with FFmpeg.
//! - [`transcribe`]: the Whisper engine (model loaded once, word timestamps, progress, cancel).
//! - [`correct`]: glossary correction (brand names, accents) and the words to review.
//! - [`edit`]: the editor's deck edits (text, merge, split, nudge, highlight) as pure functions.
//! - [`script`]: the copywriter's script (txt, md, docx), aligned to what the voice said.
//! - [`slides`]: the transcript's words cut into timed slides, highlights, presets.
//! - [`look`]: what a slide looks like besides its text: colours, themes, size, line limit.
//! - [`render`]: slide images in the bundled Inter font, through a content-addressed PNG cache.
//! - [`export`]: the MP4 (H.264 + the source's AAC, slides exactly on time) and SRT/VTT/TXT/JSON.
//! - [`jobs`]: background jobs off the async runtime, with progress, ETA and cancellation.
//! - [`pipeline`]: one media file start to finish (decode → … → export), with stage timings.
//! - [`cache`]: the transcript cache, and size reports and cleanup of every cache kind.
//! - [`health`]: CPU, memory, model, cache and disk figures, and the preflight before a job.
//! - [`watch`]: watched folders that import each new, complete media file once.
//! - [`worker`]: the engine in a process of its own (`vsl worker`), its JSON-lines protocol
//!   and the [`worker::WorkerClient`] that restarts it after a crash.
//! - [`fs`]: files written whole or not at all ([`fs::write_atomic`], [`fs::AtomicFile`]),
//!   advisory locks, and [`fs::FsError`], which names the file.
//! - [`paths`]: platform directories (data, cache, config) with environment overrides.
//!
//! Architecture invariant: this crate never depends on Tauri; the desktop app and the
//! `vsl` CLI only translate their inputs into calls on this crate.

pub mod cache;
pub mod correct;
pub mod edit;
pub mod error;
pub mod export;
pub mod fs;
pub mod health;
pub mod job;
pub mod jobs;
pub mod look;
pub mod media;
pub mod models;
pub mod paths;
pub mod pipeline;
pub mod render;
pub mod script;
pub mod slides;
mod text;
pub mod transcribe;
pub mod watch;
pub mod worker;

pub use error::{Error, ErrorKind};

/// The version shared by the library, the CLI and the app.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
