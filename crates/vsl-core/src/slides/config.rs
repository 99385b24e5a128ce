//! Slide presets per aspect and `slides.toml`: preset overrides and custom themes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{SlidesError, CONFIG_FILE};
use crate::look::{RenderSize, Rgb, Theme, BUILTIN_THEMES};

/// The three slide shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Aspect {
    #[serde(rename = "16:9")]
    Landscape,
    #[serde(rename = "1:1")]
    Square,
    #[serde(rename = "9:16")]
    Portrait,
}

impl Aspect {
    pub const ALL: [Aspect; 3] = [Aspect::Landscape, Aspect::Square, Aspect::Portrait];

    pub fn name(self) -> &'static str {
        match self {
            Aspect::Landscape => "16:9",
            Aspect::Square => "1:1",
            Aspect::Portrait => "9:16",
        }
    }

    pub fn parse(name: &str) -> Result<Aspect, SlidesError> {
        Aspect::ALL
            .into_iter()
            .find(|aspect| aspect.name() == name.trim())
            .ok_or_else(|| SlidesError::UnknownPreset(name.to_owned()))
    }

    /// The full-HD size for this shape.
    pub fn default_size(self) -> RenderSize {
        match self {
            Aspect::Landscape => RenderSize::FULL_HD,
            Aspect::Square => RenderSize::SQUARE,
            Aspect::Portrait => RenderSize::PORTRAIT,
        }
    }
}

/// Limits for one aspect; see [`SlidePreset::for_aspect`] for the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlidePreset {
    pub aspect: Aspect,
    /// Words on one slide, at most.
    pub max_words: usize,
    /// Characters on one slide (spaces included), at most; a single longer word still
    /// gets its own slide.
    pub max_chars: usize,
    /// Lines the renderer may wrap a slide into.
    pub max_lines: usize,
    /// Seconds a slide is shown, at least, where the words allow it.
    pub min_duration: f64,
    /// Seconds of speech on one slide, at most; longer slides are split.
    pub max_duration: f64,
    /// A silence at least this long (seconds) is a natural place to cut.
    pub pause: f64,
    /// Reading speed (characters per second) above which [`check`](super::check) warns.
    pub max_chars_per_second: f64,
}

impl SlidePreset {
    /// 16:9: up to 12 words / 60 characters; 1:1: 7 words / 42; 9:16: 4 words / 30; one to
    /// three lines; 0.7 s to 6 s; a 0.35 s pause is a break; warn over 17 characters/s.
    pub fn for_aspect(aspect: Aspect) -> SlidePreset {
        let (max_words, max_chars) = match aspect {
            Aspect::Landscape => (12, 60),
            Aspect::Square => (7, 42),
            Aspect::Portrait => (4, 30),
        };
        SlidePreset {
            aspect,
            max_words,
            max_chars,
            max_lines: 3,
            min_duration: 0.7,
            max_duration: 6.0,
            pause: 0.35,
            max_chars_per_second: 17.0,
        }
    }
}

/// `slides.toml`: preset overrides and custom themes (format in `docs/formats.md`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlidesConfig {
    #[serde(default)]
    pub preset: BTreeMap<String, PresetOverrides>,
    #[serde(default)]
    pub theme: BTreeMap<String, ThemeColors>,
    #[serde(skip)]
    path: Option<PathBuf>,
}

/// Any subset of a preset's limits.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetOverrides {
    pub max_words: Option<usize>,
    pub max_chars: Option<usize>,
    pub max_lines: Option<usize>,
    pub min_duration: Option<f64>,
    pub max_duration: Option<f64>,
    pub pause: Option<f64>,
    pub max_chars_per_second: Option<f64>,
}

/// A custom theme's colours, `#RRGGBB`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeColors {
    pub background: String,
    pub text: String,
    pub highlight: String,
}

impl SlidesConfig {
    /// Reads the file; a missing file is an error (see [`SlidesConfig::load_or_default`]).
    pub fn load(path: &Path) -> Result<SlidesConfig, SlidesError> {
        let invalid = |reason: String| SlidesError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|source| {
            // Bytes that are not UTF-8 are bad content, not a failed read.
            if source.kind() == std::io::ErrorKind::InvalidData {
                invalid("not UTF-8 text".to_owned())
            } else {
                SlidesError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        let mut config: SlidesConfig =
            toml::from_str(&text).map_err(|error| invalid(error.to_string()))?;
        for name in config.preset.keys() {
            Aspect::parse(name).map_err(|_| {
                invalid(format!(
                    "[preset.\"{name}\"]: presets are 16:9, 1:1 and 9:16"
                ))
            })?;
        }
        for (name, colors) in &config.theme {
            theme_from(name, colors).map_err(invalid)?;
        }
        for aspect in Aspect::ALL {
            let preset = config.preset(aspect);
            if preset.max_words == 0 || preset.max_chars == 0 || preset.max_lines == 0 {
                return Err(invalid(format!(
                    "[preset.\"{}\"]: limits must be at least 1",
                    aspect.name()
                )));
            }
            if !(preset.min_duration >= 0.0 && preset.max_duration > preset.min_duration) {
                return Err(invalid(format!(
                    "[preset.\"{}\"]: max_duration must exceed min_duration",
                    aspect.name()
                )));
            }
        }
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Reads the file if there is one (the config folder's `slides.toml`, say); none is the
    /// built-in presets and themes, and errors about themes still name `path`.
    pub fn load_or_default(path: &Path) -> Result<SlidesConfig, SlidesError> {
        if path.is_file() {
            SlidesConfig::load(path)
        } else {
            Ok(SlidesConfig {
                path: Some(path.to_path_buf()),
                ..SlidesConfig::default()
            })
        }
    }

    /// The file this config was read from (or would have been), or plain `slides.toml`
    /// for a config built in memory.
    fn file(&self) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| PathBuf::from(CONFIG_FILE))
    }

    /// The built-in preset with this file's overrides.
    pub fn preset(&self, aspect: Aspect) -> SlidePreset {
        let mut preset = SlidePreset::for_aspect(aspect);
        if let Some(o) = self.preset.get(aspect.name()) {
            preset.max_words = o.max_words.unwrap_or(preset.max_words);
            preset.max_chars = o.max_chars.unwrap_or(preset.max_chars);
            preset.max_lines = o.max_lines.unwrap_or(preset.max_lines);
            preset.min_duration = o.min_duration.unwrap_or(preset.min_duration);
            preset.max_duration = o.max_duration.unwrap_or(preset.max_duration);
            preset.pause = o.pause.unwrap_or(preset.pause);
            preset.max_chars_per_second = o
                .max_chars_per_second
                .unwrap_or(preset.max_chars_per_second);
        }
        preset
    }

    /// Every theme [`SlidesConfig::theme`] resolves: the built-in ones first (in
    /// [`BUILTIN_THEMES`] order), then this file's custom themes, sorted by name. A custom
    /// theme named like a built-in one replaces it and is listed once, among the built-ins.
    pub fn theme_names(&self) -> Vec<String> {
        let mut names: Vec<String> = BUILTIN_THEMES
            .iter()
            .map(|name| (*name).to_owned())
            .collect();
        // `theme` is a BTreeMap: its keys come sorted.
        names.extend(
            self.theme
                .keys()
                .filter(|name| !BUILTIN_THEMES.contains(&name.as_str()))
                .cloned(),
        );
        names
    }

    /// A theme by name: a custom one from this file, else `classic` or `dark`.
    pub fn theme(&self, name: &str) -> Result<Theme, SlidesError> {
        if let Some(colors) = self.theme.get(name) {
            return theme_from(name, colors).map_err(|reason| SlidesError::Invalid {
                path: self.file(),
                reason,
            });
        }
        Theme::builtin(name).ok_or_else(|| SlidesError::UnknownTheme {
            name: name.to_owned(),
            config: self.file(),
        })
    }
}

fn theme_from(name: &str, colors: &ThemeColors) -> Result<Theme, String> {
    let color = |field: &str, value: &str| {
        Rgb::parse(value)
            .ok_or_else(|| format!("[theme.{name}] {field}: '{value}' is not a #RRGGBB colour"))
    };
    Ok(Theme {
        name: name.to_owned(),
        background: color("background", &colors.background)?,
        text: color("text", &colors.text)?,
        highlight: color("highlight", &colors.highlight)?,
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // fixtures written with std::fs::write
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn config_overrides_presets_and_adds_themes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("slides.toml");
        std::fs::write(
            &path,
            "[preset.\"16:9\"]\nmax_words = 9\n\n[theme.brand]\nbackground = \"#0B1F3A\"\ntext = \"#FFFFFF\"\nhighlight = \"#FFB800\"\n",
        )
        .expect("write");
        let config = SlidesConfig::load(&path).expect("load");
        assert_eq!(config.preset(Aspect::Landscape).max_words, 9);
        assert_eq!(config.preset(Aspect::Landscape).max_chars, 60);
        let brand = config.theme("brand").expect("brand");
        assert_eq!(brand.highlight, Rgb([0xFF, 0xB8, 0x00]));
        assert!(config.theme("dark").is_ok());
        assert_eq!(
            config.theme("neon").map_err(|e| e.kind()).err(),
            Some(ErrorKind::UnknownTheme)
        );

        std::fs::write(
            &path,
            "[theme.bad]\nbackground = \"red\"\ntext = \"#fff\"\nhighlight = \"#000000\"\n",
        )
        .expect("write");
        let error = SlidesConfig::load(&path).expect_err("bad colour");
        assert!(error.to_string().contains("slides.toml"), "{error}");
        std::fs::write(&path, "[preset.\"4:3\"]\nmax_words = 3\n").expect("write");
        assert!(SlidesConfig::load(&path).is_err());
    }

    #[test]
    fn theme_names_list_builtins_then_custom_themes_sorted() {
        assert_eq!(SlidesConfig::default().theme_names(), ["classic", "dark"]);
        let colors = ThemeColors {
            background: "#000000".into(),
            text: "#FFFFFF".into(),
            highlight: "#FF0000".into(),
        };
        let mut config = SlidesConfig::default();
        for name in ["zebra", "brand", "dark"] {
            config.theme.insert(name.into(), colors.clone());
        }
        assert_eq!(config.theme_names(), ["classic", "dark", "brand", "zebra"]);
    }

    #[test]
    fn a_missing_config_is_the_defaults_and_still_names_its_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(CONFIG_FILE);
        let config = SlidesConfig::load_or_default(&path).expect("defaults");
        assert_eq!(
            config.preset(Aspect::Portrait),
            SlidePreset::for_aspect(Aspect::Portrait)
        );
        let error = config.theme("neon").expect_err("unknown");
        assert!(
            matches!(&error, SlidesError::UnknownTheme { config, .. } if config == &path),
            "{error}"
        );
        assert_eq!(
            SlidesConfig::load(&path).map_err(|e| e.kind()).err(),
            Some(ErrorKind::Io)
        );
    }
}
