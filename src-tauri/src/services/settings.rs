//! The app's settings, a TOML file in the platform config dir (`settings.toml`).
//!
//! Only what the app itself reads lives here (jobs, watched folders, cache limits); presets, themes and the glossary keep their
//! own files (`slides.toml`, `glossary.toml`), which the CLI shares.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime};
use vsl_core::cache::CacheLimits;
use vsl_core::watch::WatchPreset;

use crate::error::{CommandError, CommandResult};
use crate::watch::WatchService;

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
    /// Folders whose new media files become jobs by themselves.
    pub watch_folders: Vec<WatchFolder>,
    /// Start-up cache cleanup: entries unused for longer than this go (`30d`, `24h`, `off`).
    pub cache_max_age: String,
    /// Then the least recently used until the cache fits (`5GB`, `500MB`, `off`).
    pub cache_max_size: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            model: vsl_core::models::DEFAULT_MODEL.to_owned(),
            language: "auto".to_owned(),
            threads: 0,
            preset: "16:9".to_owned(),
            theme: "classic".to_owned(),
            watch_folders: Vec::new(),
            cache_max_age: CacheLimits::DEFAULT_MAX_AGE.to_owned(),
            cache_max_size: CacheLimits::DEFAULT_MAX_SIZE.to_owned(),
        }
    }
}

/// One watched folder: where files arrive, where their video and subtitles go, and how
/// they are made. The model and threads are the app's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WatchFolder {
    pub dir: PathBuf,
    pub out_dir: PathBuf,
    pub language: String,
    pub preset: String,
    pub theme: String,
    /// Any of `mp4`, `srt`, `vtt`, `txt`, `json`.
    pub formats: Vec<String>,
    pub enabled: bool,
}

impl Default for WatchFolder {
    fn default() -> Self {
        Self {
            dir: PathBuf::new(),
            out_dir: PathBuf::new(),
            language: "auto".to_owned(),
            preset: "16:9".to_owned(),
            theme: "classic".to_owned(),
            formats: vec!["mp4".to_owned(), "srt".to_owned()],
            enabled: true,
        }
    }
}

impl Settings {
    /// The cache limits these settings ask for (`VSL_CACHE_MAX_*` still win, for tests).
    ///
    /// # Errors
    ///
    /// Kind `settings` naming the value that does not parse.
    pub fn cache_limits(&self) -> CommandResult<CacheLimits> {
        CacheLimits::configured_or(&self.cache_max_age, &self.cache_max_size)
            .map_err(|error| CommandError::new("settings", error.to_string()))
    }

    /// The enabled watched folders as the watcher takes them.
    pub fn watch_presets(&self) -> Vec<WatchPreset> {
        self.watch_folders
            .iter()
            .filter(|folder| folder.enabled)
            .map(|folder| WatchPreset {
                dir: folder.dir.clone(),
                out_dir: folder.out_dir.clone(),
                model: crate::commands::jobs::model_name(self),
                language: folder.language.clone(),
                glossary: None,
                aspect: folder.preset.clone(),
                theme: folder.theme.clone(),
                formats: folder.formats.join(","),
                allow_output_inside: false,
            })
            .collect()
    }

    /// Every value in range and every watched folder usable.
    fn check(&self) -> CommandResult<()> {
        let invalid = |message: String| CommandError::new("settings", message);
        vsl_core::slides::Aspect::parse(&self.preset).map_err(|e| invalid(e.to_string()))?;
        if self.threads > 256 {
            return Err(invalid("threads must be at most 256".to_owned()));
        }
        CacheLimits::parse(&self.cache_max_age, &self.cache_max_size)
            .map_err(|error| invalid(error.to_string()))?;
        for folder in &self.watch_folders {
            for (what, path) in [("watched", &folder.dir), ("output", &folder.out_dir)] {
                if !path.is_absolute() {
                    return Err(invalid(format!(
                        "the {what} folder {:?} must be a full path",
                        path.display().to_string()
                    )));
                }
            }
            vsl_core::slides::Aspect::parse(&folder.preset).map_err(|e| invalid(e.to_string()))?;
            if folder.formats.is_empty() {
                return Err(invalid(format!(
                    "{}: choose at least one output format",
                    folder.dir.display()
                )));
            }
            vsl_core::pipeline::Formats::parse(&folder.formats.join(","))
                .map_err(|message| invalid(format!("{}: {message}", folder.dir.display())))?;
        }
        let presets = self.watch_presets();
        if !presets.is_empty() {
            vsl_core::watch::check_folders(presets)
                .map_err(|e| CommandError::new(e.kind(), e.to_string()))?;
        }
        Ok(())
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
    settings.check()?;
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

/// Saves the settings; new jobs use them, and the watched folders change at once.
///
/// # Errors
///
/// See [`save`]; kind `output_inside_watched` when a folder's output would be imported.
#[tauri::command]
pub fn save_settings<R: Runtime>(app: AppHandle<R>, settings: Settings) -> CommandResult<()> {
    save(&settings)?;
    app.state::<WatchService>().configure(&app, &settings);
    Ok(())
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
        assert!(parsed.watch_folders.is_empty());
        assert_eq!(parsed.cache_max_age, "30d");
    }

    #[test]
    fn checks_name_the_bad_value() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let watched = dir.path().join("inbox");
        let folder = |out: PathBuf| WatchFolder {
            dir: watched.clone(),
            out_dir: out,
            ..WatchFolder::default()
        };
        let mut settings = Settings {
            watch_folders: vec![folder(dir.path().join("out"))],
            ..Settings::default()
        };
        settings.check().expect("a valid folder");

        settings.watch_folders = vec![folder(watched.join("videos"))];
        assert_eq!(
            settings.check().expect_err("output inside").kind,
            "output_inside_watched"
        );
        // A disabled folder is not watched, so its output cannot loop.
        settings.watch_folders[0].enabled = false;
        settings
            .check()
            .expect("disabled folders are not checked for loops");

        settings.watch_folders = vec![folder(PathBuf::from("relative/out"))];
        let error = settings.check().expect_err("relative");
        assert!(error.message.contains("full path"), "{error}");

        settings.watch_folders = vec![WatchFolder {
            formats: vec!["gif".to_owned()],
            ..folder(dir.path().join("out"))
        }];
        assert!(settings
            .check()
            .expect_err("format")
            .message
            .contains("gif"));

        settings.watch_folders.clear();
        settings.cache_max_size = "lots".to_owned();
        let error = settings.check().expect_err("bad size");
        assert!(error.message.contains("lots"), "{error}");
    }
}
