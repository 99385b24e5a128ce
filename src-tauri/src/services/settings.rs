//! The app's settings, a TOML file in the config folder (`settings.toml`).
//!
//! What a new job runs with is a [`JobSpec`] (flattened into the file, so its keys are
//! top-level: `model`, `language`, `preset`, `theme`, ...); each watched folder overrides the
//! shape, theme, language, formats and music. [`save`] checks exactly what a run would do: it
//! resolves the app's spec and every folder's with `JobSpec::resolve`, so a bad theme or
//! language is refused at Save with its kind, and nothing is written. Presets, themes and
//! the glossary keep their own files (`slides.toml`, `glossary.toml`), which the CLI shares.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use vsl_core::cache::CacheLimits;
use vsl_core::job::{Formats, JobSpec, Language};
use vsl_core::paths::Dirs;
use vsl_core::slides::Aspect;
use vsl_core::watch::WatchPreset;
use vsl_core::ErrorKind;

use crate::error::{CommandError, CommandResult};

/// What new jobs run with, the watched folders and the cache limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// What a dropped or opened file's job runs with (its outputs are made by Export).
    #[serde(flatten)]
    pub job: JobSpec,
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
            job: JobSpec::default(),
            watch_folders: Vec::new(),
            cache_max_age: CacheLimits::DEFAULT_MAX_AGE.to_owned(),
            cache_max_size: CacheLimits::DEFAULT_MAX_SIZE.to_owned(),
        }
    }
}

/// One watched folder: where files arrive, where their video and subtitles go, and how
/// they are made. The model, threads and everything else come from the app's job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WatchFolder {
    pub dir: PathBuf,
    pub out_dir: PathBuf,
    pub language: Language,
    pub preset: Aspect,
    pub theme: String,
    pub formats: Formats,
    /// A music bed under every video this folder makes (the volume, ducking and loudness
    /// are the app's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub music: Option<PathBuf>,
    pub enabled: bool,
}

impl Default for WatchFolder {
    fn default() -> Self {
        Self {
            dir: PathBuf::new(),
            out_dir: PathBuf::new(),
            language: Language::Auto,
            preset: Aspect::Landscape,
            theme: "classic".to_owned(),
            formats: Formats::parse("mp4,srt").unwrap_or_default(),
            music: None,
            enabled: true,
        }
    }
}

impl WatchFolder {
    /// The app's job with this folder's choices.
    pub fn spec(&self, job: &JobSpec) -> JobSpec {
        JobSpec {
            language: self.language.clone(),
            preset: self.preset,
            theme: self.theme.clone(),
            formats: self.formats.clone(),
            music: self.music.clone(),
            ..job.clone()
        }
    }
}

impl Settings {
    /// The cache limits these settings ask for.
    ///
    /// # Errors
    ///
    /// Kind `invalid_limit` naming the value that does not parse.
    pub fn cache_limits(&self) -> CommandResult<CacheLimits> {
        Ok(CacheLimits::parse(
            &self.cache_max_age,
            &self.cache_max_size,
        )?)
    }

    /// The enabled watched folders as the watcher takes them.
    pub fn watch_presets(&self) -> Vec<WatchPreset> {
        self.watch_folders
            .iter()
            .filter(|folder| folder.enabled)
            .map(|folder| WatchPreset::new(&folder.dir, &folder.out_dir, folder.spec(&self.job)))
            .collect()
    }

    /// Every value resolves as a job would resolve it, and every watched folder is usable.
    ///
    /// # Errors
    ///
    /// The resolver's kind (`unknown_theme`, `language`, `unknown_format`, ...), or
    /// `invalid_settings` / `output_inside_watched` for a folder.
    pub fn check(&self, dirs: &Dirs) -> CommandResult<()> {
        let invalid = |message: String| CommandError::new(ErrorKind::InvalidSettings, message);
        self.job.resolve(dirs)?;
        self.cache_limits()?;
        for folder in &self.watch_folders {
            for (what, path) in [("watched", &folder.dir), ("output", &folder.out_dir)] {
                if !path.is_absolute() {
                    return Err(invalid(format!(
                        "the {what} folder {:?} must be a full path",
                        path.display().to_string()
                    )));
                }
            }
            if folder.formats.is_empty() {
                return Err(invalid(format!(
                    "{}: choose at least one output format",
                    folder.dir.display()
                )));
            }
            folder.spec(&self.job).resolve(dirs).map_err(|error| {
                CommandError::new(error.kind(), format!("{}: {error}", folder.dir.display()))
            })?;
        }
        let presets = self.watch_presets();
        if !presets.is_empty() {
            vsl_core::watch::check_folders(presets)?;
        }
        Ok(())
    }
}

/// The saved settings, or the defaults when there is no file yet.
///
/// # Errors
///
/// Kind `invalid_settings` naming the file when it exists but cannot be read or parsed.
pub fn load(dirs: &Dirs) -> CommandResult<Settings> {
    let path = dirs.settings_file();
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|error| {
            CommandError::new(
                ErrorKind::InvalidSettings,
                format!("{}: {error}", path.display()),
            )
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
        Err(error) => Err(CommandError::new(
            ErrorKind::InvalidSettings,
            format!("{}: {error}", path.display()),
        )),
    }
}

/// Settings as the UI sends them. A value of the wrong kind is refused with the kind of the
/// field it is in (a format, a shape, a language), like a value the resolver refuses.
///
/// # Errors
///
/// `unknown_format`, `unknown_preset`, `language`, `invalid_size` or `invalid_settings`,
/// naming the field.
pub fn parse(value: serde_json::Value) -> CommandResult<Settings> {
    serde_path_to_error::deserialize(&value).map_err(|error| {
        let field = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            })
            .next_back()
            // The job's keys are flattened into the top level, where serde loses the path:
            // the first of them that does not parse on its own is the one.
            .or_else(|| flattened_field_at_fault(&value))
            .unwrap_or_default();
        let kind = match field.as_str() {
            "formats" => ErrorKind::UnknownFormat,
            "preset" => ErrorKind::UnknownPreset,
            "language" => ErrorKind::Language,
            "size" => ErrorKind::InvalidSize,
            _ => ErrorKind::InvalidSettings,
        };
        let at = if field.is_empty() { "settings" } else { &field };
        CommandError::new(kind, format!("{at}: {}", error.inner()))
    })
}

fn flattened_field_at_fault(value: &serde_json::Value) -> Option<String> {
    let object = value.as_object()?;
    object
        .iter()
        .find(|(key, field)| {
            let alone = serde_json::json!({ key.as_str(): field });
            serde_json::from_value::<JobSpec>(alone).is_err()
        })
        .map(|(key, _)| key.clone())
}

/// Checks and writes `settings`; nothing is written when a check fails.
///
/// # Errors
///
/// See [`Settings::check`]; `io`/`disk_full` naming the file when it cannot be written.
pub fn save(dirs: &Dirs, settings: &Settings) -> CommandResult<()> {
    settings.check(dirs)?;
    let path = dirs.settings_file();
    let text = toml::to_string_pretty(settings)
        .map_err(|error| CommandError::new(ErrorKind::InvalidSettings, error.to_string()))?;
    vsl_core::fs::create_dir_all(&dirs.config)?;
    vsl_core::fs::write_atomic(&path, text.as_bytes(), vsl_core::fs::Replace::Yes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_files_fill_in_defaults_and_values_round_trip() {
        let parsed: Settings =
            toml::from_str("model = \"tiny.en\"\nthreads = 2\nlanguage = \"EN\"\n")
                .expect("parses");
        assert_eq!(parsed.job.model, "tiny.en");
        assert_eq!(parsed.job.threads, 2);
        assert_eq!(parsed.job.language, Language::parse("en"));
        assert_eq!(parsed.job.preset, Aspect::Landscape);
        let text = toml::to_string_pretty(&parsed).expect("serializes");
        assert_eq!(toml::from_str::<Settings>(&text).expect("parses"), parsed);
        assert!(parsed.watch_folders.is_empty());
        assert_eq!(parsed.cache_max_age, "30d");
    }

    #[test]
    fn checks_name_the_bad_value_with_its_kind() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let dirs = Dirs::under(root.path());
        let watched = root.path().join("inbox");
        let folder = |out: PathBuf| WatchFolder {
            dir: watched.clone(),
            out_dir: out,
            ..WatchFolder::default()
        };
        let mut settings = Settings {
            watch_folders: vec![folder(root.path().join("out"))],
            ..Settings::default()
        };
        settings.check(&dirs).expect("a valid folder");

        settings.watch_folders = vec![folder(watched.join("videos"))];
        assert_eq!(
            settings.check(&dirs).expect_err("output inside").kind,
            ErrorKind::OutputInsideWatched
        );
        settings.watch_folders[0].enabled = false;
        settings
            .check(&dirs)
            .expect("disabled folders are not checked for loops");

        settings.watch_folders = vec![folder(PathBuf::from("relative/out"))];
        let error = settings.check(&dirs).expect_err("relative");
        assert!(error.message.contains("full path"), "{error}");

        settings.watch_folders = vec![WatchFolder {
            theme: "neon".to_owned(),
            ..folder(root.path().join("out"))
        }];
        assert_eq!(
            settings.check(&dirs).expect_err("theme").kind,
            ErrorKind::UnknownTheme
        );

        // A folder's music must decode: refused at Save, naming the file.
        let not_audio = root.path().join("bed.mp3");
        vsl_core::fs::write_atomic(&not_audio, b"not audio at all", vsl_core::fs::Replace::Yes)
            .expect("write");
        settings.watch_folders = vec![WatchFolder {
            music: Some(not_audio),
            ..folder(root.path().join("out"))
        }];
        let error = settings.check(&dirs).expect_err("music");
        assert!(error.message.contains("bed.mp3"), "{error}");
        assert!(
            matches!(
                error.kind,
                ErrorKind::UnsupportedMedia | ErrorKind::CorruptMedia | ErrorKind::NoAudio
            ),
            "{error:?}"
        );

        settings.watch_folders.clear();
        settings.job.language = Language::parse("klingon");
        assert_eq!(
            settings.check(&dirs).expect_err("language").kind,
            ErrorKind::Language
        );
        settings.job.language = Language::Auto;
        settings.cache_max_size = "lots".to_owned();
        let error = settings.check(&dirs).expect_err("bad size");
        assert!(error.message.contains("lots"), "{error}");
    }

    #[test]
    fn json_from_the_ui_is_refused_with_the_fields_kind() {
        let folder = |formats: serde_json::Value| serde_json::json!({ "watchFolders": [{ "dir": "/in", "outDir": "/out", "formats": formats }] });
        let error = parse(folder(serde_json::json!(["mp4", "gif"]))).expect_err("gif");
        assert_eq!(error.kind, ErrorKind::UnknownFormat);
        assert!(error.message.contains("gif"), "{error}");
        let error = parse(serde_json::json!({ "preset": "4:3" })).expect_err("4:3");
        assert_eq!(error.kind, ErrorKind::UnknownPreset);
        let settings = parse(serde_json::json!({ "fps": 30, "theme": "dark" })).expect("parses");
        assert_eq!(settings.job.fps, Some(30));
    }
}
