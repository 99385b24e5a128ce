//! What a slide looks like besides its text: colours ([`Rgb`], [`Theme`]), the maker's
//! [`Brand`] (fonts, background, logo, progress bar, the spoken word, cards), the output size
//! ([`RenderSize`]) and the line limit, together a [`SlideStyle`].
//!
//! A *look* ([`Look`]) is a theme with a brand, kept as `look.toml` next to its assets
//! ([`file`]); saved looks live in `<config>/looks/NAME/` ([`store`]). Both [`crate::slides`]
//! and [`crate::render`] use these types; neither owns them.

pub mod brand;
pub mod file;
pub mod store;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;

pub use brand::{
    Anchor, Background, Brand, BrandFonts, Card, Edge, FontFace, Logo, ProgressBar, WordHighlight,
};
pub use file::{Look, LookFile, LOOK_FILE};
pub use store::LookEntry;

/// The built-in themes' names, as [`Theme::builtin`] knows them.
pub const BUILTIN_THEMES: &[&str] = &["classic", "dark"];

#[derive(Debug, thiserror::Error)]
pub enum LookError {
    #[error("invalid slide size '{0}' (use WIDTHxHEIGHT, e.g. 1920x1080)")]
    InvalidSize(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a look: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error("{}: this folder has no look.toml, so it is not a look", dir.display())]
    NoLookFile { dir: PathBuf },
    #[error("{}: cannot use this font: {reason}", path.display())]
    Font { path: PathBuf, reason: String },
    #[error("{}: cannot use this image: {reason}", path.display())]
    Image { path: PathBuf, reason: String },
    #[error("unknown look '{name}' (built in: classic, dark; saved looks are folders in {})", dir.display())]
    Unknown { name: String, dir: PathBuf },
    #[error("a look named '{name}' already exists in {}", dir.display())]
    Exists { name: String, dir: PathBuf },
}

impl LookError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            LookError::InvalidSize(_) => ErrorKind::InvalidSize,
            LookError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                ErrorKind::NotFound
            }
            LookError::Io { source, .. } if source.raw_os_error() == Some(28) => {
                ErrorKind::DiskFull
            }
            LookError::Io { .. } => ErrorKind::Io,
            LookError::Invalid { .. } | LookError::NoLookFile { .. } => ErrorKind::InvalidLook,
            LookError::Font { .. } => ErrorKind::InvalidFont,
            LookError::Image { .. } => ErrorKind::InvalidImage,
            LookError::Unknown { .. } => ErrorKind::UnknownTheme,
            LookError::Exists { .. } => ErrorKind::Exists,
        }
    }
}

/// An sRGB colour, written `#RRGGBB` in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub [u8; 3]);

impl Rgb {
    /// `#RRGGBB` or `RRGGBB`, any case.
    pub fn parse(text: &str) -> Option<Rgb> {
        let hex = text.trim();
        let hex = hex.strip_prefix('#').unwrap_or(hex);
        if hex.len() != 6 || !hex.is_ascii() {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Rgb([channel(0)?, channel(2)?, channel(4)?]))
    }

    pub fn hex(self) -> String {
        let [r, g, b] = self.0;
        format!("#{r:02X}{g:02X}{b:02X}")
    }
}

impl Serialize for Rgb {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Rgb {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Rgb, D::Error> {
        let text = String::deserialize(deserializer)?;
        Rgb::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not a #RRGGBB colour")))
    }
}

/// Background, text and highlight colours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    pub name: String,
    pub background: Rgb,
    pub text: Rgb,
    pub highlight: Rgb,
}

impl Theme {
    /// White background, near-black text, red highlights: the classic sales-letter look.
    pub fn classic() -> Theme {
        Theme {
            name: "classic".into(),
            background: Rgb([0xFF, 0xFF, 0xFF]),
            text: Rgb([0x14, 0x14, 0x17]),
            highlight: Rgb([0xD9, 0x1A, 0x20]),
        }
    }

    /// Near-black background, off-white text, amber highlights.
    pub fn dark() -> Theme {
        Theme {
            name: "dark".into(),
            background: Rgb([0x12, 0x13, 0x17]),
            text: Rgb([0xF4, 0xF4, 0xF5]),
            highlight: Rgb([0xFF, 0xC2, 0x33]),
        }
    }

    /// One of [`BUILTIN_THEMES`] by name.
    pub fn builtin(name: &str) -> Option<Theme> {
        match name {
            "classic" => Some(Theme::classic()),
            "dark" => Some(Theme::dark()),
            _ => None,
        }
    }
}

/// Output size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RenderSize {
    pub width: u32,
    pub height: u32,
}

impl RenderSize {
    pub const FULL_HD: RenderSize = RenderSize::new(1920, 1080);
    pub const HD: RenderSize = RenderSize::new(1280, 720);
    pub const PORTRAIT: RenderSize = RenderSize::new(1080, 1920);
    pub const SQUARE: RenderSize = RenderSize::new(1080, 1080);

    pub const fn new(width: u32, height: u32) -> RenderSize {
        RenderSize { width, height }
    }

    /// `1920x1080`; each side 16 to 8192 pixels.
    pub fn parse(text: &str) -> Result<RenderSize, LookError> {
        let invalid = || LookError::InvalidSize(text.to_owned());
        let (width, height) = text.trim().split_once(['x', 'X']).ok_or_else(invalid)?;
        let width: u32 = width.trim().parse().map_err(|_| invalid())?;
        let height: u32 = height.trim().parse().map_err(|_| invalid())?;
        if !(16..=8192).contains(&width) || !(16..=8192).contains(&height) {
            return Err(invalid());
        }
        Ok(RenderSize { width, height })
    }
}

impl std::fmt::Display for RenderSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// Everything besides the text that decides what a slide looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlideStyle {
    pub theme: Theme,
    /// The look's fonts, assets and options; the default is none (the classic look).
    pub brand: Brand,
    pub size: RenderSize,
    /// Lines the text may wrap into (the preset's `max_lines`).
    pub max_lines: usize,
}

impl SlideStyle {
    /// A look's style at this size and line limit.
    pub fn of_look(look: &Look, size: RenderSize, max_lines: usize) -> SlideStyle {
        SlideStyle {
            theme: look.theme.clone(),
            brand: look.brand.clone(),
            size,
            max_lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_and_print() {
        assert_eq!(Rgb::parse("#d91a20"), Some(Rgb([0xD9, 0x1A, 0x20])));
        assert_eq!(Rgb::parse("FFFFFF"), Some(Rgb([255, 255, 255])));
        assert_eq!(Rgb::parse("#FFF"), None);
        assert_eq!(Rgb::parse("#GGGGGG"), None);
        assert_eq!(Rgb([1, 2, 255]).hex(), "#0102FF");
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(
            RenderSize::parse("1920x1080").ok(),
            Some(RenderSize::FULL_HD)
        );
        assert_eq!(
            RenderSize::parse("1080X1920").ok(),
            Some(RenderSize::PORTRAIT)
        );
        assert!(RenderSize::parse("1920").is_err());
        assert_eq!(
            RenderSize::parse("0x10").map_err(|e| e.kind()),
            Err(ErrorKind::InvalidSize)
        );
    }

    #[test]
    fn every_builtin_theme_resolves() {
        for name in BUILTIN_THEMES {
            assert_eq!(
                Theme::builtin(name).map(|theme| theme.name),
                Some((*name).to_owned())
            );
        }
        assert_eq!(Theme::builtin("neon"), None);
    }
}
