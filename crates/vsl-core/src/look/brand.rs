//! A look's brand layer: what a maker adds to the colours. Their fonts, a background image,
//! a logo, a progress bar, the word being spoken, intro and outro cards.
//!
//! A [`Brand`] holds its assets loaded and checked (font bytes, decoded images), so drawing
//! never touches the disk and never fails. [`Brand::digest_into`] feeds everything that changes
//! a slide's pixels into the slide cache key. The defaults are the classic look: no assets,
//! no bar, keyword highlights only.

use std::sync::Arc;

use image::{RgbImage, RgbaImage};
use serde::{Deserialize, Serialize};

use super::Rgb;

/// One face of a brand font: its bytes and how cosmic-text finds it again.
#[derive(Clone)]
pub struct FontFace {
    pub bytes: Arc<Vec<u8>>,
    /// The family name the font declares (what `Attrs::family` asks for).
    pub family: String,
    pub weight: u16,
    pub italic: bool,
    /// SHA-256 of the file, hex: part of the cache key.
    pub digest: String,
}

/// The maker's text fonts. Highlights use `bold`, or `regular` when there is none.
#[derive(Clone)]
pub struct BrandFonts {
    pub regular: FontFace,
    pub bold: Option<FontFace>,
}

impl BrandFonts {
    pub fn highlight(&self) -> &FontFace {
        self.bold.as_ref().unwrap_or(&self.regular)
    }

    /// Identifies the font set: workers with the same key share a `FontSystem` setup.
    pub fn key(&self) -> String {
        match &self.bold {
            Some(bold) => format!("{}+{}", self.regular.digest, bold.digest),
            None => self.regular.digest.clone(),
        }
    }
}

/// A background picture, scaled to cover the slide and centred, under a black veil.
#[derive(Clone)]
pub struct Background {
    pub image: Arc<RgbImage>,
    /// 0 to 1: how much black is laid over the picture so the text stays readable.
    pub dim: f32,
    pub digest: String,
}

/// Where a logo sits: the nine points of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Anchor {
    TopLeft,
    Top,
    #[default]
    TopRight,
    Left,
    Center,
    Right,
    BottomLeft,
    Bottom,
    BottomRight,
}

impl Anchor {
    pub const ALL: [Anchor; 9] = [
        Anchor::TopLeft,
        Anchor::Top,
        Anchor::TopRight,
        Anchor::Left,
        Anchor::Center,
        Anchor::Right,
        Anchor::BottomLeft,
        Anchor::Bottom,
        Anchor::BottomRight,
    ];

    /// -1 (left/top), 0 (centre) or 1 (right/bottom) on each axis.
    pub fn axes(self) -> (i8, i8) {
        match self {
            Anchor::TopLeft => (-1, -1),
            Anchor::Top => (0, -1),
            Anchor::TopRight => (1, -1),
            Anchor::Left => (-1, 0),
            Anchor::Center => (0, 0),
            Anchor::Right => (1, 0),
            Anchor::BottomLeft => (-1, 1),
            Anchor::Bottom => (0, 1),
            Anchor::BottomRight => (1, 1),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Anchor::TopLeft => "top-left",
            Anchor::Top => "top",
            Anchor::TopRight => "top-right",
            Anchor::Left => "left",
            Anchor::Center => "center",
            Anchor::Right => "right",
            Anchor::BottomLeft => "bottom-left",
            Anchor::Bottom => "bottom",
            Anchor::BottomRight => "bottom-right",
        }
    }
}

/// A logo (straight-alpha RGBA) placed at an anchor.
#[derive(Clone)]
pub struct Logo {
    pub image: Arc<RgbaImage>,
    pub position: Anchor,
    /// The logo's width as a fraction of the frame's width.
    pub width: f32,
    /// The gap to the frame's edges, as a fraction of the frame's width.
    pub margin: f32,
    pub opacity: f32,
    pub digest: String,
}

impl Logo {
    /// The logo's box on a `width` x `height` frame: left, top, width, height in pixels.
    pub fn placement(&self, width: u32, height: u32) -> (u32, u32, u32, u32) {
        let (w, h) = (width as f32, height as f32);
        let logo_w = (self.width * w).round().clamp(1.0, w);
        let aspect = self.image.height() as f32 / self.image.width().max(1) as f32;
        let logo_h = (logo_w * aspect).round().clamp(1.0, h);
        let margin = (self.margin * w).round();
        let (ax, ay) = self.position.axes();
        let along = |axis: i8, room: f32, size: f32| {
            match axis {
                -1 => margin,
                0 => ((room - size) / 2.0).round(),
                _ => room - size - margin,
            }
            .clamp(0.0, (room - size).max(0.0))
        };
        (
            along(ax, w, logo_w) as u32,
            along(ay, h, logo_h) as u32,
            logo_w as u32,
            logo_h as u32,
        )
    }
}

/// Top or bottom edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Edge {
    Top,
    #[default]
    Bottom,
}

impl Edge {
    pub const ALL: [Edge; 2] = [Edge::Bottom, Edge::Top];

    pub fn name(self) -> &'static str {
        match self {
            Edge::Top => "top",
            Edge::Bottom => "bottom",
        }
    }
}

/// A bar along one edge that fills as the video plays. It is drawn at export time, on every
/// picture (so it moves at least every half second); the slide layout keeps its band clear.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProgressBar {
    pub color: Rgb,
    pub position: Edge,
    /// The bar's thickness as a fraction of the frame's height.
    pub height: f32,
}

impl ProgressBar {
    /// The bar's rows on a frame `height` pixels tall: first row and count (at least 2, even,
    /// so it lands on whole 4:2:0 chroma rows).
    pub fn rows(&self, height: u32) -> (u32, u32) {
        let rows = ((self.height * height as f32).round() as u32).max(2);
        let rows = (rows + 1) & !1;
        let rows = rows.min(height & !1);
        match self.position {
            Edge::Top => (0, rows),
            Edge::Bottom => (height - rows, rows),
        }
    }
}

/// Which words are drawn in a colour of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WordHighlight {
    /// The slide's highlighted words and phrases, in the highlight colour.
    #[default]
    Keywords,
    /// The word being spoken, in the active colour; no keyword highlights.
    Active,
    /// Both.
    Both,
}

impl WordHighlight {
    pub const ALL: [WordHighlight; 3] = [
        WordHighlight::Keywords,
        WordHighlight::Active,
        WordHighlight::Both,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WordHighlight::Keywords => "keywords",
            WordHighlight::Active => "active",
            WordHighlight::Both => "both",
        }
    }

    pub fn keywords(self) -> bool {
        matches!(self, WordHighlight::Keywords | WordHighlight::Both)
    }

    pub fn active(self) -> bool {
        matches!(self, WordHighlight::Active | WordHighlight::Both)
    }
}

/// An intro or outro card: a line of text on the look's background, before the first slide
/// or after the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub text: String,
    /// Seconds.
    pub duration: f64,
}

/// Everything a look adds to its colours.
#[derive(Clone, Default)]
pub struct Brand {
    pub fonts: Option<BrandFonts>,
    pub background: Option<Background>,
    pub logo: Option<Logo>,
    pub progress: Option<ProgressBar>,
    pub words: WordHighlight,
    /// The spoken word's colour; `None` is the theme's highlight colour.
    pub active_color: Option<Rgb>,
    pub intro: Option<Card>,
    pub outro: Option<Card>,
}

impl Brand {
    /// Feeds what changes a slide image into a cache key through `field` (each call one
    /// length-prefixed field). The cards and the bar's colour do not change slide images;
    /// the bar's band does (the text keeps clear of it).
    pub fn digest_into(&self, field: &mut dyn FnMut(&[u8])) {
        match &self.fonts {
            Some(fonts) => field(fonts.key().as_bytes()),
            None => field(b"inter"),
        }
        match &self.background {
            Some(background) => {
                field(background.digest.as_bytes());
                field(&background.dim.to_le_bytes());
            }
            None => field(b"-"),
        }
        match &self.logo {
            Some(logo) => {
                field(logo.digest.as_bytes());
                field(logo.position.name().as_bytes());
                for value in [logo.width, logo.margin, logo.opacity] {
                    field(&value.to_le_bytes());
                }
            }
            None => field(b"-"),
        }
        match &self.progress {
            Some(bar) => {
                field(&[bar.position as u8]);
                field(&bar.height.to_le_bytes());
            }
            None => field(b"-"),
        }
        field(&[self.words as u8]);
        field(
            &self
                .active_color
                .map_or([0, 0, 0, 0], |c| [1, c.0[0], c.0[1], c.0[2]]),
        );
    }

    /// Whether each spoken word gets a picture of its own.
    pub fn active_words(&self) -> bool {
        self.words.active()
    }
}

impl PartialEq for Brand {
    fn eq(&self, other: &Brand) -> bool {
        let digest = |brand: &Brand| {
            let mut bytes = Vec::new();
            brand.digest_into(&mut |field: &[u8]| {
                bytes.extend_from_slice(&(field.len() as u64).to_le_bytes());
                bytes.extend_from_slice(field);
            });
            bytes
        };
        digest(self) == digest(other)
            && self.progress == other.progress
            && self.intro == other.intro
            && self.outro == other.outro
    }
}

impl Eq for Brand {}

impl std::fmt::Debug for Brand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Brand")
            .field("fonts", &self.fonts.as_ref().map(BrandFonts::key))
            .field(
                "background",
                &self.background.as_ref().map(|b| (b.digest.get(..8), b.dim)),
            )
            .field(
                "logo",
                &self.logo.as_ref().map(|l| (l.digest.get(..8), l.position)),
            )
            .field("progress", &self.progress)
            .field("words", &self.words)
            .field("active_color", &self.active_color)
            .field("intro", &self.intro)
            .field("outro", &self.outro)
            .finish()
    }
}
