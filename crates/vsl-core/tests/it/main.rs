//! vsl-core integration tests: real models, real media, real files.
//! The data comes from `make setup` (`$VSL_TEST_DATA`, default `~/.cache/vsl-studio/test-data`).

mod cache;
mod common;
mod correct;
mod download;
mod export;
mod health;
mod media;
mod models;
mod render;
mod slides;
mod transcribe;
mod watch;
