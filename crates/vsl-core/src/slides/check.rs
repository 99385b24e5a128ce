//! Reading-speed and duration checks of a cut deck.

use serde::{Deserialize, Serialize};

use super::markup::plain_text;
use super::{Slide, SlidePreset};

/// Something about a slide the editor should show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SlideWarning {
    /// More characters per second than the preset's reading speed.
    ReadingSpeed { index: usize, chars_per_second: f64 },
    /// Shown for less than the preset's minimum (the words came too fast to merge).
    TooShort { index: usize, seconds: f64 },
    /// Shown for more than the preset's maximum (a long silence or one long word).
    TooLong { index: usize, seconds: f64 },
}

/// One line for a person: "slide 3 reads at 25 characters/s" (`index` as in the deck).
impl std::fmt::Display for SlideWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SlideWarning::ReadingSpeed {
                index,
                chars_per_second,
            } => write!(
                f,
                "slide {index} reads at {chars_per_second:.0} characters/s"
            ),
            SlideWarning::TooShort { index, seconds } => {
                write!(f, "slide {index} shows for only {seconds:.2} s")
            }
            SlideWarning::TooLong { index, seconds } => {
                write!(f, "slide {index} shows for {seconds:.1} s")
            }
        }
    }
}

/// The warnings for a deck, in slide order.
pub fn check(slides: &[Slide], preset: &SlidePreset) -> Vec<SlideWarning> {
    let mut warnings = Vec::new();
    for slide in slides {
        let seconds = slide.end - slide.start;
        let chars = plain_text(&slide.text).chars().count() as f64;
        let chars_per_second = chars / seconds.max(1e-3);
        if chars_per_second > preset.max_chars_per_second {
            warnings.push(SlideWarning::ReadingSpeed {
                index: slide.index,
                chars_per_second,
            });
        }
        if seconds < preset.min_duration {
            warnings.push(SlideWarning::TooShort {
                index: slide.index,
                seconds,
            });
        } else if seconds > preset.max_duration {
            warnings.push(SlideWarning::TooLong {
                index: slide.index,
                seconds,
            });
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slides::Aspect;

    #[test]
    fn reading_speed_is_checked() {
        let preset = SlidePreset::for_aspect(Aspect::Landscape);
        let fast = Slide {
            index: 0,
            start: 0.0,
            end: 1.0,
            text: "Twenty characters!!!".into(),
            highlights: vec![],
            image: String::new(),
            words: Vec::new(),
        };
        let warnings = check(&[fast], &preset);
        assert!(matches!(
            warnings[0],
            SlideWarning::ReadingSpeed { index: 0, chars_per_second } if chars_per_second == 20.0
        ));
    }

    #[test]
    fn warnings_read_as_sentences() {
        let cases = [
            (
                SlideWarning::ReadingSpeed {
                    index: 3,
                    chars_per_second: 25.2,
                },
                "slide 3 reads at 25 characters/s",
            ),
            (
                SlideWarning::TooShort {
                    index: 2,
                    seconds: 0.4,
                },
                "slide 2 shows for only 0.40 s",
            ),
            (
                SlideWarning::TooLong {
                    index: 7,
                    seconds: 12.0,
                },
                "slide 7 shows for 12.0 s",
            ),
        ];
        for (warning, text) in cases {
            assert_eq!(warning.to_string(), text);
        }
    }
}
