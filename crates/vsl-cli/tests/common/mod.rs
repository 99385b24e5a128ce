//! What the CLI tests share: the test data `make setup` prepares, a `vsl` command with its
//! folders under a temporary home, and a model store with tiny.en converted once per binary.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// `$VSL_TEST_DATA` (default `~/.cache/vsl-studio/test-data`), checked to hold jfk.wav.
pub fn test_data() -> PathBuf {
    let dir = std::env::var_os("VSL_TEST_DATA")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/vsl-studio/test-data"))
        })
        .expect("HOME or VSL_TEST_DATA");
    assert!(
        dir.join("jfk.wav").is_file(),
        "run `make setup` first ({})",
        dir.display()
    );
    dir
}

/// The `vsl` binary with its config, data and cache folders under `home`.
pub fn vsl_at(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vsl"));
    command
        .env("VSL_CONFIG_DIR", home.join("config"))
        .env("VSL_DATA_DIR", home.join("data"))
        .env("VSL_CACHE_DIR", home.join("cache"));
    command
}

/// Standard output then standard error, for assertions and failure messages.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A model store holding tiny.en (q8_0, converted from the CTranslate2 test model with
/// `vsl models import-ct2`), made once per test binary.
pub fn tiny_models() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = Command::new(env!("CARGO_BIN_EXE_vsl"))
            .env("VSL_MODELS_DIR", dir.path())
            .args(["models", "import-ct2"])
            .arg(test_data().join("ct2/tiny.en"))
            // No --name: the folder's name is the default, which the assertion below checks.
            .args(["--quantize", "q8_0"])
            .output()
            .expect("run vsl");
        assert!(output.status.success(), "{}", text(&output));
        assert!(
            text(&output).contains("installed tiny.en"),
            "{}",
            text(&output)
        );
        dir
    })
    .path()
}
