//! vsl-core integration tests: real models, real media, real files.
//! The data comes from `make setup` (`$VSL_TEST_DATA`, default `~/.cache/vsl-studio/test-data`).

// Fixtures are written directly; only product code must go through vsl_core::fs.
#![allow(clippy::disallowed_methods)]

mod cache;
mod common;
mod correct;
mod download;
mod export;
mod fuzz;
mod health;
mod looks;
mod media;
mod models;
mod music;
mod overvideo;
mod patches;
mod preview;
mod render;
mod script;
mod slides;
mod tidy;
mod transcribe;
mod watch;
mod word_timing;
