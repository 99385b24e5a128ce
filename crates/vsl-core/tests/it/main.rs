//! vsl-core integration tests: real models, real media, real files.
//! The data comes from `make setup` (`$VSL_TEST_DATA`, default `~/.cache/vsl-studio/test-data`).

mod common;
mod download;
mod media;
mod models;
mod transcribe;
