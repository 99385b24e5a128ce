//! Timed slides: the transcript's words cut into short, readable slides.
//!
//! [`segment`] turns a [`Transcript`] into [`Slide`]s under a [`SlidePreset`] (one per
//! aspect: how many words and characters a slide may hold, how short and long it may be
//! shown). The cut is deterministic: a dynamic program picks, over the whole word stream,
//! the breaks that cost least, where a sentence end costs nothing, then clause
//! punctuation, then a pause, then any other word boundary, and one-word slides, slides
//! shown too briefly and slides over the maximum duration cost a lot. [`check`] lists the
//! slides that are too fast to read.
//!
//! Slide text may mark highlights as `*word*` (the editor writes them); [`auto_highlights`]
//! lists what is drawn in the accent colour: the marked words, numbers and prices, and
//! the glossary's highlight terms. [`styled_spans`] is what the renderer draws.
//!
//! [`SlideDeck`] is also the on-disk `slides.json` that `vsl slides` writes and
//! `vsl export` reads back (format in `docs/formats.md`): [`SlideDeck::build`] cuts a
//! transcript into one, [`SlideDeck::load`] and [`SlideDeck::save`] read and write it.
//!
//! Layout: `config.rs` (aspects, presets, `slides.toml`), `segment.rs` (the cut),
//! `check.rs` (the warnings), `markup.rs` (highlights). Colours, themes and sizes are
//! [`crate::look`]'s.

mod check;
mod config;
mod markup;
mod segment;

pub use check::{check, SlideWarning};
pub use config::{Aspect, PresetOverrides, SlidePreset, SlidesConfig, ThemeColors};
pub use markup::{auto_highlights, plain_text, styled_spans, StyledSpan};
pub use segment::{segment, segment_with, Breaks};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;
use crate::look::SlideStyle;
use crate::transcribe::Transcript;

/// One slide: shown from `start` until `end` (the next slide's start), in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slide {
    pub index: usize,
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// Words drawn in the accent colour (as they appear in `text`).
    pub highlights: Vec<String>,
    /// The rendered PNG's file name, relative to the `slides.json` that lists it.
    pub image: String,
    /// The words as spoken, one per whitespace-separated word of `text`, with their times.
    /// Looks that draw the spoken word give each its own picture (`SlideWord::image`).
    /// Empty in decks made before words were kept, or after an edit that lost the match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<SlideWord>,
}

/// One word of a slide and when it is spoken, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlideWord {
    pub text: String,
    pub start: f64,
    pub end: f64,
    /// The slide's picture with this word drawn as the one being spoken, when the look asks
    /// for it; relative to `slides.json` like [`Slide::image`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
}

impl Slide {
    /// Whether `words` still match the text word for word (an edit can break the match).
    pub fn words_match(&self) -> bool {
        !self.words.is_empty()
            && self.words.len()
                == crate::slides::plain_text(&self.text)
                    .split_whitespace()
                    .count()
    }
}

/// A rendered deck: what `slides.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlideDeck {
    /// `16:9`, `9:16` or `1:1`.
    pub preset: String,
    /// The look the slides were drawn with.
    pub theme: String,
    /// What the export adds to the slide pictures: the look's progress bar. Left out of
    /// `slides.json` when there is none.
    #[serde(default, skip_serializing_if = "DeckBrand::is_plain")]
    pub brand: DeckBrand,
    pub width: u32,
    pub height: u32,
    /// Seconds; the last slide ends here.
    pub duration: f64,
    pub slides: Vec<Slide>,
}

/// The parts of a look that the export draws (the slide images hold the rest).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeckBrand {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<crate::look::ProgressBar>,
    /// A title card shown before the first slide: the export puts it first and shifts every
    /// time (pictures, audio, subtitles, JSON) by its duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intro: Option<CardPicture>,
    /// A card shown after the voice ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outro: Option<CardPicture>,
}

/// An intro or outro card as rendered: its text, seconds, and picture (next to
/// `slides.json`; empty until rendered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardPicture {
    pub text: String,
    pub duration: f64,
    #[serde(default)]
    pub image: String,
}

impl DeckBrand {
    pub fn is_plain(&self) -> bool {
        *self == DeckBrand::default()
    }

    pub fn of(brand: &crate::look::Brand) -> DeckBrand {
        let card = |card: &Option<crate::look::Card>| {
            card.as_ref().map(|card| CardPicture {
                text: card.text.clone(),
                duration: card.duration,
                image: String::new(),
            })
        };
        DeckBrand {
            progress: brand.progress,
            intro: card(&brand.intro),
            outro: card(&brand.outro),
        }
    }

    /// Seconds of the intro card that has a picture (0 without one).
    pub fn lead(&self) -> f64 {
        self.intro
            .as_ref()
            .filter(|card| !card.image.is_empty())
            .map_or(0.0, |card| card.duration)
    }

    /// Seconds of the outro card that has a picture (0 without one).
    pub fn tail(&self) -> f64 {
        self.outro
            .as_ref()
            .filter(|card| !card.image.is_empty())
            .map_or(0.0, |card| card.duration)
    }
}

impl SlideDeck {
    /// The deck with every time moved `by` seconds later (slides, words, duration): the
    /// times of an export that starts with an intro card.
    pub fn shifted(&self, by: f64) -> SlideDeck {
        let mut deck = self.clone();
        for slide in &mut deck.slides {
            slide.start += by;
            slide.end += by;
            for word in &mut slide.words {
                word.start += by;
                word.end += by;
            }
        }
        deck.duration += by;
        deck
    }
}

/// The file `vsl slides` writes next to the images.
pub const DECK_FILE: &str = "slides.json";

/// The settings file for presets and custom themes, in the config directory.
pub const CONFIG_FILE: &str = "slides.toml";

#[derive(Debug, thiserror::Error)]
pub enum SlidesError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not valid: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error("unknown preset '{0}' (use 16:9, 1:1 or 9:16)")]
    UnknownPreset(String),
    #[error("unknown theme '{name}' (built in: classic, dark; custom themes go in {})", config.display())]
    UnknownTheme { name: String, config: PathBuf },
    #[error("{}: cannot write: {reason}", path.display())]
    Write { path: PathBuf, reason: String },
    #[error("{}: the disk is full (or the file size limit was reached)", path.display())]
    DiskFull { path: PathBuf },
}

impl SlidesError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SlidesError::Io { .. } => ErrorKind::Io,
            SlidesError::Invalid { .. } => ErrorKind::InvalidConfig,
            SlidesError::UnknownPreset(_) => ErrorKind::UnknownPreset,
            SlidesError::UnknownTheme { .. } => ErrorKind::UnknownTheme,
            SlidesError::Write { .. } => ErrorKind::Write,
            SlidesError::DiskFull { .. } => ErrorKind::DiskFull,
        }
    }
}

impl SlideDeck {
    /// Cuts the transcript into a deck for this preset and style (see [`segment`]); `terms`
    /// are the glossary's highlight terms. The images are not rendered yet: every slide's
    /// `image` is empty until [`crate::render::render_deck`] fills it in.
    pub fn build(
        transcript: &Transcript,
        preset: &SlidePreset,
        style: &SlideStyle,
        terms: &[String],
    ) -> SlideDeck {
        SlideDeck::build_with(transcript, preset, style, terms, None)
    }

    /// [`SlideDeck::build`] keeping a script's line ends and hard breaks.
    pub fn build_with(
        transcript: &Transcript,
        preset: &SlidePreset,
        style: &SlideStyle,
        terms: &[String],
        breaks: Option<&Breaks>,
    ) -> SlideDeck {
        let slides = segment_with(transcript, preset, terms, breaks);
        let duration = slides.last().map_or(transcript.duration, |slide| {
            slide.end.max(transcript.duration)
        });
        SlideDeck {
            preset: preset.aspect.name().to_owned(),
            theme: style.theme.name.clone(),
            brand: DeckBrand::of(&style.brand),
            width: style.size.width,
            height: style.size.height,
            duration,
            slides,
        }
    }

    /// Reads `dir/slides.json`.
    pub fn load(dir: &Path) -> Result<SlideDeck, SlidesError> {
        Self::load_file(&dir.join(DECK_FILE))
    }

    /// Reads a deck file by its own name (`vsl export` takes any name).
    ///
    /// # Errors
    ///
    /// As [`SlideDeck::load`].
    pub fn load_file(path: &Path) -> Result<SlideDeck, SlidesError> {
        let path = path.to_path_buf();
        let bytes = crate::fs::read(&path).map_err(|error| SlidesError::Io {
            path: error.path,
            source: error.source,
        })?;
        serde_json::from_slice(&bytes).map_err(|error| SlidesError::Invalid {
            path,
            reason: error.to_string(),
        })
    }

    /// Writes `dir/slides.json` (pretty JSON) through a temporary sibling, replacing the
    /// deck there; returns its path. The folder must exist.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, SlidesError> {
        let path = dir.join(DECK_FILE);
        let json = serde_json::to_vec_pretty(self).map_err(|error| SlidesError::Write {
            path: path.clone(),
            reason: error.to_string(),
        })?;
        crate::fs::write_atomic(&path, &json, crate::fs::Replace::Yes).map_err(|error| {
            if error.is_disk_full() {
                SlidesError::DiskFull { path: error.path }
            } else {
                SlidesError::Write {
                    path: error.path,
                    reason: error.source.to_string(),
                }
            }
        })?;
        Ok(path)
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // fixtures written with std::fs::write
mod tests {
    use super::segment::tests::paced;
    use super::*;
    use crate::look::{RenderSize, Theme};

    fn style() -> SlideStyle {
        SlideStyle {
            theme: Theme::dark(),
            brand: Default::default(),
            size: RenderSize::SQUARE,
            max_lines: 3,
        }
    }

    #[test]
    fn a_built_deck_covers_the_transcript_in_the_style() {
        let preset = SlidePreset::for_aspect(Aspect::Square);
        let transcript = paced("Only R$ 49,90 today. Buy it now, before it is gone.", 0.3);
        let deck = SlideDeck::build(&transcript, &preset, &style(), &[]);
        assert_eq!((deck.preset.as_str(), deck.theme.as_str()), ("1:1", "dark"));
        assert_eq!((deck.width, deck.height), (1080, 1080));
        assert_eq!(deck.duration, transcript.duration);
        assert_eq!(deck.slides, segment(&transcript, &preset, &[]));
        assert!(deck.slides.iter().all(|slide| slide.image.is_empty()));
    }

    #[test]
    fn decks_round_trip_through_slides_json() {
        let dir = tempfile::tempdir().expect("tempdir");
        let preset = SlidePreset::for_aspect(Aspect::Landscape);
        let mut deck = SlideDeck::build(
            &paced("We built this for you.", 0.3),
            &preset,
            &style(),
            &[],
        );
        deck.slides[0].image = "slide-0001.png".into();
        let path = deck.save(dir.path()).expect("saved");
        assert_eq!(path, dir.path().join(DECK_FILE));
        assert_eq!(SlideDeck::load(dir.path()).expect("loaded"), deck);
        // Saving again replaces the deck and leaves no temporary file behind.
        deck.theme = "classic".into();
        deck.save(dir.path()).expect("saved again");
        assert_eq!(
            SlideDeck::load(dir.path()).expect("loaded").theme,
            "classic"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("listed")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, [DECK_FILE]);
    }

    #[test]
    fn a_corrupt_or_missing_deck_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let error = SlideDeck::load(dir.path()).expect_err("missing");
        assert_eq!(error.kind(), ErrorKind::Io);
        assert!(error.to_string().contains(DECK_FILE), "{error}");
        std::fs::write(dir.path().join(DECK_FILE), "{\"preset\": \"16:9\", ").expect("write");
        let error = SlideDeck::load(dir.path()).expect_err("corrupt");
        let file = dir.path().join(DECK_FILE);
        assert!(
            matches!(&error, SlidesError::Invalid { path, .. } if path == &file),
            "{error}"
        );
        assert_eq!(error.kind(), ErrorKind::InvalidConfig);
        assert!(error.to_string().contains(DECK_FILE), "{error}");
    }

    #[test]
    fn saving_into_a_missing_folder_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let deck = SlideDeck::build(
            &paced("Hello there.", 0.3),
            &SlidePreset::for_aspect(Aspect::Landscape),
            &style(),
            &[],
        );
        let error = deck.save(&dir.path().join("gone")).expect_err("no folder");
        assert!(error.to_string().contains("gone"), "{error}");
    }
}
