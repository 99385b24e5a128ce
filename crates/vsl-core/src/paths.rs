//! Where VSL Studio keeps its files.
//!
//! Each directory follows the platform convention (XDG on Linux) through the
//! `directories` crate and can be overridden by an environment variable, which is how
//! tests and CI isolate themselves from the user's real data.

use std::path::PathBuf;

use directories::ProjectDirs;

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("studio", "VSL Studio", "vsl-studio")
}

fn from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

/// Installed Whisper models: `$VSL_MODELS_DIR`, else `<data dir>/models`.
pub fn models_dir() -> PathBuf {
    from_env("VSL_MODELS_DIR").unwrap_or_else(|| data_dir().join("models"))
}

/// Persistent application data: `$VSL_DATA_DIR`, else the platform data dir.
pub fn data_dir() -> PathBuf {
    from_env("VSL_DATA_DIR")
        .or_else(|| project_dirs().map(|dirs| dirs.data_dir().to_path_buf()))
        .unwrap_or_else(|| fallback().join("data"))
}

/// Disposable caches (rendered slides, transcripts): `$VSL_CACHE_DIR`, else the platform cache dir.
pub fn cache_dir() -> PathBuf {
    from_env("VSL_CACHE_DIR")
        .or_else(|| project_dirs().map(|dirs| dirs.cache_dir().to_path_buf()))
        .unwrap_or_else(|| fallback().join("cache"))
}

/// User settings: `$VSL_CONFIG_DIR`, else the platform config dir.
pub fn config_dir() -> PathBuf {
    from_env("VSL_CONFIG_DIR")
        .or_else(|| project_dirs().map(|dirs| dirs.config_dir().to_path_buf()))
        .unwrap_or_else(|| fallback().join("config"))
}

// Without a home directory (a bare service account) we still need somewhere to write.
fn fallback() -> PathBuf {
    std::env::temp_dir().join("vsl-studio")
}
