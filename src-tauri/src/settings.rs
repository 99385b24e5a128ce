//! The app's settings, a TOML file in the platform config dir (`settings.toml`).
//!
//! Only what the job runner reads lives here; presets, themes and the glossary keep their
//! own files (`slides.toml`, `glossary.toml`), which the CLI shares.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{CommandError, CommandResult};

/// What a new job runs with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// An installed model's name; `$VSL_MODEL` overrides it (tests pick `tiny.en`).
    pub model: String,
    /// `auto`, or a language code such as `en` or `pt`.
    pub language: String,
    /// Whisper threads; 0 picks the load-aware default.
    pub threads: usize,
    /// `16:9`, `1:1` or `9:16`.
    pub preset: String,
    pub theme: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            model: vsl_core::models::DEFAULT_MODEL.to_owned(),
            language: "auto".to_owned(),
            threads: 0,
            preset: "16:9".to_owned(),
            theme: "classic".to_owned(),
        }
    }
}

fn settings_file() -> PathBuf {
    vsl_core::paths::config_dir().join("settings.toml")
}

/// The saved settings, or the defaults when there is no file yet.
///
/// # Errors
///
/// Kind `settings` when the file exists but cannot be read or parsed.
pub fn load() -> CommandResult<Settings> {
    let path = settings_file();
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .map_err(|error| CommandError::new("settings", format!("{}: {error}", path.display()))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
        Err(error) => Err(CommandError::new(
            "settings",
            format!("{}: {error}", path.display()),
        )),
    }
}

/// Checks and writes `settings`.
///
/// # Errors
///
/// Kind `settings` for a value out of range or a file that cannot be written.
pub fn save(settings: &Settings) -> CommandResult<()> {
    vsl_core::slides::Aspect::parse(&settings.preset)
        .map_err(|error| CommandError::new("settings", error.to_string()))?;
    if settings.threads > 256 {
        return Err(CommandError::new("settings", "threads must be at most 256"));
    }
    let path = settings_file();
    let text = toml::to_string_pretty(settings)
        .map_err(|error| CommandError::new("settings", error.to_string()))?;
    let write = || -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let temporary = path.with_extension("toml.tmp");
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, &path)
    };
    write().map_err(|error| CommandError::new("settings", format!("{}: {error}", path.display())))
}

/// Returns the settings (defaults where unset).
///
/// # Errors
///
/// See [`load`].
#[tauri::command]
pub fn get_settings() -> CommandResult<Settings> {
    load()
}

/// Saves the settings; new jobs use them.
///
/// # Errors
///
/// See [`save`].
#[tauri::command]
pub fn save_settings(settings: Settings) -> CommandResult<()> {
    save(&settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_files_fill_in_defaults_and_values_round_trip() {
        let parsed: Settings =
            toml::from_str("model = \"tiny.en\"\nthreads = 2\n").expect("parses");
        assert_eq!(parsed.model, "tiny.en");
        assert_eq!(parsed.threads, 2);
        assert_eq!(parsed.preset, "16:9");
        let text = toml::to_string_pretty(&parsed).expect("serializes");
        assert_eq!(toml::from_str::<Settings>(&text).expect("parses"), parsed);
    }
}
