//! `look.toml`: a look as a file ([`LookFile`]), and a look loaded with its assets ([`Look`]).
//!
//! Every key is optional and falls back to the classic look. Asset paths are relative to the
//! look file. Loading checks everything: each colour, position and range, that each font is a
//! font and each image an image. An error names the file at fault, and a look that fails is
//! never swapped for the default.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::brand::{
    Anchor, Background, Brand, BrandFonts, Card, Edge, FontFace, Logo, ProgressBar, WordHighlight,
};
use super::{LookError, Rgb, Theme};

/// The file name of a look inside its folder.
pub const LOOK_FILE: &str = "look.toml";

/// Longest intro or outro card, in seconds.
pub const MAX_CARD_SECONDS: f64 = 30.0;

/// `look.toml` as written (format in docs/formats.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LookFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub font: FontSection,
    pub colors: ColorSection,
    pub background: BackgroundSection,
    pub logo: LogoSection,
    pub progress: ProgressSection,
    pub words: WordsSection,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intro: Option<Card>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outro: Option<Card>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FontSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regular: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bold: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ColorSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background: Option<Rgb>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Rgb>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlight: Option<Rgb>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackgroundSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dim: Option<f32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogoSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Anchor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProgressSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<Rgb>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Edge>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<f32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WordsSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlight: Option<WordHighlight>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_color: Option<Rgb>,
}

impl LookFile {
    /// Parses `look.toml` text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<LookFile, LookError> {
        toml::from_str(text).map_err(|error| LookError::Invalid {
            path: path.to_path_buf(),
            reason: error.message().to_owned() + &toml_place(text, error.span()),
        })
    }

    /// Reads and parses a `look.toml`.
    pub fn read(path: &Path) -> Result<LookFile, LookError> {
        let text = std::fs::read(path).map_err(|source| LookError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(text).map_err(|_| LookError::Invalid {
            path: path.to_path_buf(),
            reason: "not UTF-8 text".into(),
        })?;
        LookFile::parse(&text, path)
    }

    /// The asset paths the file names, as written (relative to the file).
    pub fn assets(&self) -> Vec<&Path> {
        [
            self.font.regular.as_deref(),
            self.font.bold.as_deref(),
            self.background.image.as_deref(),
            self.logo.image.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// TOML text for the file.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// " (line N)" for a TOML error's byte span.
fn toml_place(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.map(|span| {
        let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
        format!(" (line {line})")
    })
    .unwrap_or_default()
}

/// A look ready to draw: colours, assets, options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look {
    /// What the look is called (its `name`, or its folder's name).
    pub name: String,
    pub theme: Theme,
    pub brand: Brand,
    /// The `look.toml` it came from; `None` for built-in looks and `slides.toml` themes.
    pub file: Option<PathBuf>,
}

impl Look {
    /// A look of colours only (a built-in look, or a `slides.toml` theme).
    pub fn plain(theme: Theme) -> Look {
        Look {
            name: theme.name.clone(),
            theme,
            brand: Brand::default(),
            file: None,
        }
    }

    /// Loads a look from its folder (holding `look.toml`) or from the file itself.
    pub fn load(path: &Path) -> Result<Look, LookError> {
        let file = if path.is_dir() {
            let file = path.join(LOOK_FILE);
            if !file.is_file() {
                return Err(LookError::NoLookFile {
                    dir: path.to_path_buf(),
                });
            }
            file
        } else {
            path.to_path_buf()
        };
        let parsed = LookFile::read(&file)?;
        let default_name = file
            .parent()
            .and_then(Path::file_name)
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "look".into());
        Look::from_file(&parsed, &file, &default_name)
    }

    /// Checks `parsed` (read from `file`) and loads the assets it names.
    pub fn from_file(
        parsed: &LookFile,
        file: &Path,
        default_name: &str,
    ) -> Result<Look, LookError> {
        let base = file.parent().unwrap_or(Path::new("."));
        let invalid = |reason: String| LookError::Invalid {
            path: file.to_path_buf(),
            reason,
        };
        let range = |key: &str, value: Option<f32>, low: f32, high: f32, default: f32| {
            let value = value.unwrap_or(default);
            if value.is_finite() && value >= low && value <= high {
                Ok(value)
            } else {
                Err(invalid(format!(
                    "{key} = {value} is out of range ({low} to {high})"
                )))
            }
        };
        let classic = Theme::classic();
        let name = parsed
            .name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .unwrap_or(default_name)
            .to_owned();
        let theme = Theme {
            name: name.clone(),
            background: parsed.colors.background.unwrap_or(classic.background),
            text: parsed.colors.text.unwrap_or(classic.text),
            highlight: parsed.colors.highlight.unwrap_or(classic.highlight),
        };
        let fonts = match (&parsed.font.regular, &parsed.font.bold) {
            (Some(regular), bold) => Some(BrandFonts {
                regular: load_font(&base.join(regular))?,
                bold: bold
                    .as_ref()
                    .map(|bold| load_font(&base.join(bold)))
                    .transpose()?,
            }),
            (None, Some(_)) => {
                return Err(invalid("[font] has a bold face but no regular one".into()))
            }
            (None, None) => None,
        };
        let background = match &parsed.background.image {
            Some(image) => {
                let path = base.join(image);
                let (decoded, digest) = load_image(&path)?;
                Some(Background {
                    image: Arc::new(decoded.into_rgb8()),
                    dim: range("[background] dim", parsed.background.dim, 0.0, 1.0, 0.0)?,
                    digest,
                })
            }
            None => None,
        };
        let logo = match &parsed.logo.image {
            Some(image) => {
                let path = base.join(image);
                let (decoded, digest) = load_image(&path)?;
                Some(Logo {
                    image: Arc::new(decoded.into_rgba8()),
                    position: parsed.logo.position.unwrap_or_default(),
                    width: range("[logo] width", parsed.logo.width, 0.01, 1.0, 0.12)?,
                    margin: range("[logo] margin", parsed.logo.margin, 0.0, 0.3, 0.03)?,
                    opacity: range("[logo] opacity", parsed.logo.opacity, 0.0, 1.0, 1.0)?,
                    digest,
                })
            }
            None => None,
        };
        let show = parsed.progress.show.unwrap_or(
            // A [progress] table with any key in it asks for the bar.
            parsed.progress != super::file::ProgressSection::default(),
        );
        let progress = if show {
            Some(ProgressBar {
                color: parsed.progress.color.unwrap_or(theme.highlight),
                position: parsed.progress.position.unwrap_or_default(),
                height: range(
                    "[progress] height",
                    parsed.progress.height,
                    0.002,
                    0.1,
                    0.012,
                )?,
            })
        } else {
            None
        };
        let card = |key: &str, card: &Option<Card>| -> Result<Option<Card>, LookError> {
            let Some(card) = card else { return Ok(None) };
            if card.text.trim().is_empty() {
                return Err(invalid(format!("[{key}] text is empty")));
            }
            if !(card.duration.is_finite()
                && card.duration > 0.0
                && card.duration <= MAX_CARD_SECONDS)
            {
                return Err(invalid(format!(
                    "[{key}] duration = {} is out of range (above 0, at most {MAX_CARD_SECONDS} s)",
                    card.duration
                )));
            }
            Ok(Some(card.clone()))
        };
        Ok(Look {
            name,
            brand: Brand {
                fonts,
                background,
                logo,
                progress,
                words: parsed.words.highlight.unwrap_or_default(),
                active_color: parsed.words.active_color,
                intro: card("intro", &parsed.intro)?,
                outro: card("outro", &parsed.outro)?,
            },
            theme,
            file: Some(file.to_path_buf()),
        })
    }
}

fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads a font file and checks that it is one: fontdb must find a face in it.
pub fn load_font(path: &Path) -> Result<FontFace, LookError> {
    let bytes = std::fs::read(path).map_err(|source| LookError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let not_a_font = |reason: &str| LookError::Font {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    };
    let bytes = Arc::new(bytes);
    let mut database = cosmic_text::fontdb::Database::new();
    database.load_font_source(cosmic_text::fontdb::Source::Binary(bytes.clone()));
    let face = database
        .faces()
        .next()
        .ok_or_else(|| not_a_font("not a TrueType or OpenType font"))?;
    let family = face
        .families
        .first()
        .map(|(family, _)| family.clone())
        .filter(|family| !family.trim().is_empty())
        .ok_or_else(|| not_a_font("the font has no family name"))?;
    let (weight, italic) = (
        face.weight.0,
        face.style != cosmic_text::fontdb::Style::Normal,
    );
    // A face with no glyph for plain letters would draw every slide in the fallback font.
    let has_letters = database
        .with_face_data(face.id, |data, index| {
            ttf_parser_has_glyph(data, index, 'a')
        })
        .unwrap_or(false);
    if !has_letters {
        return Err(not_a_font(
            "the font has no Latin letters (no glyph for 'a')",
        ));
    }
    Ok(FontFace {
        digest: digest(&bytes),
        bytes,
        family,
        weight,
        italic,
    })
}

fn ttf_parser_has_glyph(data: &[u8], index: u32, c: char) -> bool {
    ttf_parser::Face::parse(data, index).is_ok_and(|face| face.glyph_index(c).is_some())
}

/// Decodes an image file (PNG or JPEG), its format judged by its bytes.
pub fn load_image(path: &Path) -> Result<(image::DynamicImage, String), LookError> {
    let bytes = std::fs::read(path).map_err(|source| LookError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let not_an_image = |reason: String| LookError::Image {
        path: path.to_path_buf(),
        reason,
    };
    let reader = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|error| not_an_image(error.to_string()))?;
    if reader.format().is_none() {
        return Err(not_an_image("not an image (use PNG or JPEG)".into()));
    }
    let image = reader
        .decode()
        .map_err(|error| not_an_image(error.to_string()))?;
    if image.width() == 0 || image.height() == 0 {
        return Err(not_an_image("the image is empty".into()));
    }
    Ok((image, digest(&bytes)))
}
