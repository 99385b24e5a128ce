//! VSL Studio's pipeline library.
//!
//! Every stage of the product lives here and is usable without a window:
//!
//! - [`models`]: the Whisper model catalog, the on-disk [`models::ModelStore`], the
//!   downloader (resume + checksum), ggml validation and the CTranslate2 → ggml converter.
//! - [`media`]: decoding any audio/video file to 16 kHz mono `f32` PCM with FFmpeg.
//! - [`transcribe`]: the Whisper engine (model loaded once, word timestamps, progress, cancel).
//! - [`paths`]: platform directories (data, cache, config) with environment overrides.
//!
//! Architecture invariant: this crate never depends on Tauri; the desktop app and the
//! `vsl` CLI only translate their inputs into calls on this crate.

pub mod media;
pub mod models;
pub mod paths;
pub mod transcribe;

/// The version shared by the library, the CLI and the app.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
