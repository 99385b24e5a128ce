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
//! `vsl export` reads back (format in `docs/formats.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::render::{RenderSize, Rgb, Theme};
use crate::text::{
    ends_clause, ends_sentence, is_currency, is_edge_punctuation, is_number, on_word_boundaries,
    split_edges,
};
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
}

/// A rendered deck: what `slides.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlideDeck {
    /// `16:9`, `9:16` or `1:1`.
    pub preset: String,
    pub theme: String,
    pub width: u32,
    pub height: u32,
    /// Seconds; the last slide ends here.
    pub duration: f64,
    pub slides: Vec<Slide>,
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
}

impl SlidesError {
    pub fn kind(&self) -> &'static str {
        match self {
            SlidesError::Io { .. } => "io",
            SlidesError::Invalid { .. } => "invalid_config",
            SlidesError::UnknownPreset(_) => "unknown_preset",
            SlidesError::UnknownTheme { .. } => "unknown_theme",
        }
    }
}

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
    /// Reading speed (characters per second) above which [`check`] warns.
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
    /// `<config dir>/slides.toml`.
    pub fn default_path() -> PathBuf {
        crate::paths::config_dir().join(CONFIG_FILE)
    }

    /// Reads the file; a missing default file is an empty config, a missing explicit one
    /// an error.
    pub fn load(path: &Path) -> Result<SlidesConfig, SlidesError> {
        let text = std::fs::read_to_string(path).map_err(|source| SlidesError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |reason: String| SlidesError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
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

    /// The user's `slides.toml` if there is one.
    pub fn load_default() -> Result<SlidesConfig, SlidesError> {
        let path = SlidesConfig::default_path();
        if path.is_file() {
            SlidesConfig::load(&path)
        } else {
            Ok(SlidesConfig::default())
        }
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

    /// A theme by name: a custom one from this file, else `classic` or `dark`.
    pub fn theme(&self, name: &str) -> Result<Theme, SlidesError> {
        if let Some(colors) = self.theme.get(name) {
            return theme_from(name, colors).map_err(|reason| SlidesError::Invalid {
                path: self.path.clone().unwrap_or_else(SlidesConfig::default_path),
                reason,
            });
        }
        Theme::builtin(name).ok_or_else(|| SlidesError::UnknownTheme {
            name: name.to_owned(),
            config: self.path.clone().unwrap_or_else(SlidesConfig::default_path),
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

/// A word of the stream being cut.
struct Item<'t> {
    text: &'t str,
    start: f64,
    end: f64,
    chars: usize,
}

// Costs of the segmentation, in arbitrary units. Their order is the break priority; the
// big ones are well above any sum of small ones so the limits win wherever the words let
// them (the property tests rely on that).
const SLIDE_COST: f64 = 4.0;
const SENTENCE_BREAK: f64 = 0.0;
const CLAUSE_BREAK: f64 = 3.0;
const PAUSE_BREAK: f64 = 5.0;
const WORD_BREAK: f64 = 9.0;
/// Ending a slide on "the", "de", "para": the reader waits for a word that isn't there.
const FUNCTION_WORD_END: f64 = 3.0;
/// Starting a slide on "and", "e", "mas": where subtitlers break.
const CONJUNCTION_START: f64 = 3.0;
/// Starting a slide on "the", "para", "de".
const FUNCTION_WORD_START: f64 = 1.0;
/// Breaking inside a price or a multi-word glossary term.
const GLUED: f64 = 20.0;
/// A slide that runs past a sentence end into a fragment of the next sentence.
const FRAGMENT: f64 = 8.0;
const ORPHAN: f64 = 12.0;
const TOO_SHORT: f64 = 30.0;
const TOO_SHORT_PER_SECOND: f64 = 40.0;
const TOO_LONG: f64 = 100.0;
const TOO_LONG_PER_SECOND: f64 = 50.0;
/// Favours evenly filled slides (7 + 7 words over 12 + 2) without outweighing a break.
const UNDERFILL: f64 = 0.15;

/// Articles, prepositions, possessives: a slide should not end on one.
const FUNCTION_WORDS: &[&str] = &[
    // English
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "with", "from", "by", "my", "your",
    "our", "his", "her", "its", "their", "this", "that", "is", "are", "was", "i", "we",
    // Portuguese
    "o", "os", "as", "um", "uma", "de", "da", "do", "das", "dos", "em", "no", "na", "nos", "nas",
    "para", "pra", "por", "com", "se", "ao", "à", "seu", "sua", "meu", "minha",
    // Spanish
    "el", "la", "los", "las", "en", "con", "del", "un", "una",
];

/// Conjunctions: a slide should not end on one, and one is the best word to start a slide.
const CONJUNCTIONS: &[&str] = &[
    "and", "or", "but", "because", "so", "e", "ou", "mas", "porque", "que", "y", "pero",
];

fn core_lowercase(word: &str) -> String {
    split_edges(word).1.to_lowercase()
}

/// Cost of ending a slide between `last` and `next`.
fn break_cost(last: &Item, next: &Item, pause: f64) -> f64 {
    let gap = (next.start - last.end).max(0.0);
    let mut cost = if ends_sentence(last.text) {
        SENTENCE_BREAK
    } else if ends_clause(last.text) {
        CLAUSE_BREAK
    } else if gap >= pause {
        PAUSE_BREAK
    } else {
        WORD_BREAK
    };
    if cost >= PAUSE_BREAK {
        let (last, next) = (core_lowercase(last.text), core_lowercase(next.text));
        let is = |list: &[&str], word: &str| list.contains(&word);
        if is(FUNCTION_WORDS, &last) || is(CONJUNCTIONS, &last) {
            cost += FUNCTION_WORD_END;
        } else if cost < WORD_BREAK {
            // A pause stays a pause: the bonuses below only rank plain word boundaries,
            // and never lift one above a pause.
        } else if is(CONJUNCTIONS, &next) {
            // "... com pressa | e querem entender": subtitlers break before a conjunction,
            // and a little less gladly before a preposition or article.
            cost -= CONJUNCTION_START;
        } else if is(FUNCTION_WORDS, &next) {
            cost -= FUNCTION_WORD_START;
        }
    }
    // Among equal breaks, the longer silence; capped so it never changes the priority.
    cost - 2.0 * gap.min(pause)
}

/// For each boundary between two words, whether it sits inside a price ("R$ | 49,90")
/// or a multi-word glossary term ("Carta de | Vendas").
fn glued_boundaries(words: &[Item], terms: &[String]) -> Vec<bool> {
    let mut glued = vec![false; words.len().saturating_sub(1)];
    for k in 0..glued.len() {
        glued[k] = is_currency(split_edges(words[k].text).1)
            && is_number(split_edges(words[k + 1].text).1);
    }
    for term in terms {
        let parts: Vec<&str> = term.split_whitespace().collect();
        if parts.len() < 2 || parts.len() > words.len() {
            continue;
        }
        for at in 0..=words.len() - parts.len() {
            let matches = parts
                .iter()
                .zip(&words[at..at + parts.len()])
                .all(|(part, word)| split_edges(word.text).1 == split_edges(part).1);
            if matches {
                for boundary in &mut glued[at..at + parts.len() - 1] {
                    *boundary = true;
                }
            }
        }
    }
    glued
}

/// Cuts the transcript's words into slides. Deterministic; the slides cover
/// `[0, duration]` without gaps and hold every word once, in order. `terms` are the
/// glossary's highlight terms. An empty transcript gives no slides.
pub fn segment(transcript: &Transcript, preset: &SlidePreset, terms: &[String]) -> Vec<Slide> {
    let words: Vec<Item> = transcript
        .words()
        .filter_map(|word| {
            let text = word.text.trim();
            (!text.is_empty()).then(|| Item {
                text,
                start: word.start,
                end: word.end.max(word.start),
                chars: text.chars().count(),
            })
        })
        .collect();
    let Some(last) = words.last() else {
        return Vec::new();
    };
    let duration = transcript.duration.max(last.end).max(0.0);
    let n = words.len();
    let max_words = preset.max_words.max(1);
    let glued = glued_boundaries(&words, terms);
    let cut = Cuts {
        break_cost: (0..n.saturating_sub(1))
            .map(|k| {
                let cost = break_cost(&words[k], &words[k + 1], preset.pause);
                if glued[k] {
                    cost + GLUED
                } else {
                    cost
                }
            })
            .collect(),
        sentence_end: words.iter().map(|word| ends_sentence(word.text)).collect(),
    };

    // best[j] = (lowest cost of cutting words[..j], start of its last slide).
    let mut best: Vec<(f64, usize)> = vec![(f64::INFINITY, 0); n + 1];
    best[0] = (0.0, 0);
    for j in 1..=n {
        let mut chars = 0;
        for i in (j.saturating_sub(max_words)..j).rev() {
            let count = j - i;
            chars += words[i].chars + usize::from(count > 1);
            if count > 1 && chars > preset.max_chars {
                break;
            }
            let cost = best[i].0 + slide_cost(&words, &cut, i, j, duration, preset);
            if cost < best[j].0 {
                best[j] = (cost, i);
            }
        }
    }

    let mut bounds = Vec::new();
    let mut j = n;
    while j > 0 {
        let i = best[j].1;
        bounds.push((i, j));
        j = i;
    }
    bounds.reverse();

    let mut starts: Vec<f64> = Vec::with_capacity(bounds.len());
    for (k, (i, _)) in bounds.iter().enumerate() {
        let start = if k == 0 {
            0.0
        } else {
            // Whisper's times can step back by a few milliseconds; the deck must not.
            // (`max`/`min` rather than `clamp`: they cannot panic on a NaN time.)
            words[*i].start.max(starts[k - 1]).min(duration)
        };
        starts.push(start);
    }
    bounds
        .iter()
        .enumerate()
        .map(|(k, (i, j))| {
            let text = words[*i..*j]
                .iter()
                .map(|word| word.text)
                .collect::<Vec<_>>()
                .join(" ");
            Slide {
                index: k,
                start: starts[k],
                end: starts.get(k + 1).copied().unwrap_or(duration),
                highlights: auto_highlights(&text, terms),
                text,
                image: String::new(),
            }
        })
        .collect()
}

/// What the cost of a slide needs besides its words, computed once per transcript.
struct Cuts {
    /// Cost of a break after word `k`.
    break_cost: Vec<f64>,
    sentence_end: Vec<bool>,
}

fn slide_cost(
    words: &[Item],
    cut: &Cuts,
    i: usize,
    j: usize,
    duration: f64,
    preset: &SlidePreset,
) -> f64 {
    let n = words.len();
    let count = j - i;
    let mut cost = SLIDE_COST;
    if j < n {
        cost += cut.break_cost[j - 1];
        let inner_sentence_end = cut.sentence_end[i..j - 1].iter().any(|end| *end);
        if inner_sentence_end && !cut.sentence_end[j - 1] {
            cost += FRAGMENT;
        }
    }
    if count == 1 && n > 1 {
        cost += ORPHAN;
    }
    let shown_from = if i == 0 { 0.0 } else { words[i].start };
    let shown_until = if j == n { duration } else { words[j].start };
    let shown = shown_until - shown_from;
    if shown < preset.min_duration {
        cost += TOO_SHORT + TOO_SHORT_PER_SECOND * (preset.min_duration - shown);
    }
    // Speech on the slide: from its first word to the next slide's first word (the last
    // slide: to its last word), so leading and trailing silence of the media never forces
    // a split that cannot help.
    let speech_until = if j == n {
        words[n - 1].end
    } else {
        words[j].start
    };
    let speech = speech_until - words[i].start;
    if speech > preset.max_duration {
        cost += TOO_LONG + TOO_LONG_PER_SECOND * (speech - preset.max_duration);
    }
    let missing = preset.max_words.saturating_sub(count) as f64;
    cost + UNDERFILL * missing * missing / preset.max_words.max(1) as f64
}

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

/// A run of slide text drawn in one colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyledSpan {
    pub text: String,
    pub highlight: bool,
}

fn opens_after(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | '[' | '"' | '“' | '‘' | '«' | '¿' | '¡')
}

/// The text with `*…*` markers removed, and the byte ranges they marked in it.
fn parse_markup(text: &str) -> (String, Vec<(usize, usize)>) {
    let chars: Vec<char> = text.chars().collect();
    // A marker opens at a word start and closes at a word end; anything else ("5 * 3",
    // a lone "*") is a literal asterisk.
    let mut pairs = Vec::new();
    let mut open: Option<usize> = None;
    for (k, &c) in chars.iter().enumerate() {
        if c != '*' {
            continue;
        }
        let prev = k.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(k + 1).copied();
        let can_open =
            prev.is_none_or(opens_after) && next.is_some_and(|n| !n.is_whitespace() && n != '*');
        let can_close = prev.is_some_and(|p| !p.is_whitespace() && p != '*')
            && next.is_none_or(|n| n.is_whitespace() || is_edge_punctuation(n));
        match open {
            Some(start) if can_close => {
                pairs.push((start, k));
                open = None;
            }
            None if can_open => open = Some(k),
            _ => {}
        }
    }
    let mut plain = String::with_capacity(text.len());
    let mut ranges = Vec::with_capacity(pairs.len());
    let mut pair = pairs.iter().peekable();
    let mut range_start = 0;
    for (k, &c) in chars.iter().enumerate() {
        match pair.peek() {
            Some((open, _)) if *open == k => {
                range_start = plain.len();
                continue;
            }
            Some((_, close)) if *close == k => {
                ranges.push((range_start, plain.len()));
                pair.next();
                continue;
            }
            _ => plain.push(c),
        }
    }
    (plain, ranges)
}

/// The slide text as shown: `*…*` markers removed.
pub fn plain_text(text: &str) -> String {
    parse_markup(text).0
}

/// Byte ranges of `phrase` in `plain` that stand as whole words.
fn occurrences(plain: &str, phrase: &str) -> Vec<(usize, usize)> {
    let phrase = phrase.trim();
    if phrase.is_empty() {
        return Vec::new();
    }
    plain
        .match_indices(phrase)
        .map(|(start, found)| (start, start + found.len()))
        .filter(|(start, end)| on_word_boundaries(plain, *start, *end))
        .collect()
}

/// What [`segment`] puts in `highlights`: the `*marked*` words, numbers and prices
/// (`97`, `$97`, `R$ 49,90`, `50%`, `3x`) and the glossary's `terms`, as written in the
/// text, once each, in text order. The editor calls it again after changing a slide's text.
pub fn auto_highlights(text: &str, terms: &[String]) -> Vec<String> {
    let (plain, marked) = parse_markup(text);
    let mut found: Vec<(usize, String)> = marked
        .iter()
        .map(|(start, end)| (*start, plain[*start..*end].to_owned()))
        .collect();

    let mut tokens: Vec<(usize, &str)> = Vec::new();
    let mut token_start = None;
    for (index, c) in plain.char_indices() {
        match (c.is_whitespace(), token_start) {
            (true, Some(start)) => {
                tokens.push((start, &plain[start..index]));
                token_start = None;
            }
            (false, None) => token_start = Some(index),
            _ => {}
        }
    }
    if let Some(start) = token_start {
        tokens.push((start, &plain[start..]));
    }
    let core_range = |(start, token): (usize, &str)| {
        let (leading, core, _) = split_edges(token);
        (start + leading.len(), start + leading.len() + core.len())
    };
    let mut k = 0;
    while k < tokens.len() {
        let (start, end) = core_range(tokens[k]);
        let core = &plain[start..end];
        if is_currency(core) {
            if let Some(&next) = tokens.get(k + 1) {
                let (next_start, next_end) = core_range(next);
                // "R$ 49,90" is one price; the comma inside a price is not punctuation.
                if next_start == next.0 && is_number(&plain[next_start..next_end]) {
                    found.push((start, plain[start..next_end].to_owned()));
                    k += 2;
                    continue;
                }
            }
        } else if is_number(core) {
            found.push((start, core.to_owned()));
        }
        k += 1;
    }
    for term in terms {
        for (start, end) in occurrences(&plain, term) {
            found.push((start, plain[start..end].to_owned()));
        }
    }
    found.sort_by_key(|(start, _)| *start);
    let mut highlights: Vec<String> = Vec::with_capacity(found.len());
    for (_, phrase) in found {
        if !phrase.trim().is_empty() && !highlights.contains(&phrase) {
            highlights.push(phrase);
        }
    }
    highlights
}

/// The slide's text (markers removed) cut into runs of plain and highlighted text: the
/// `*marked*` parts and every whole-word occurrence of a `highlights` entry.
pub fn styled_spans(text: &str, highlights: &[String]) -> Vec<StyledSpan> {
    let (plain, mut ranges) = parse_markup(text);
    for phrase in highlights {
        ranges.extend(occurrences(&plain, phrase));
    }
    ranges.sort_unstable();
    let mut spans = Vec::new();
    let mut cursor = 0;
    for (start, end) in ranges {
        let start = start.max(cursor);
        if end <= start {
            continue;
        }
        if start > cursor {
            spans.push(StyledSpan {
                text: plain[cursor..start].to_owned(),
                highlight: false,
            });
        }
        spans.push(StyledSpan {
            text: plain[start..end].to_owned(),
            highlight: true,
        });
        cursor = end;
    }
    if cursor < plain.len() || spans.is_empty() {
        spans.push(StyledSpan {
            text: plain[cursor..].to_owned(),
            highlight: false,
        });
    }
    // Adjacent highlighted ranges ("R$ 49,90" next to a marked word) become one run.
    let mut merged: Vec<StyledSpan> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if last.highlight == span.highlight => last.text.push_str(&span.text),
            _ => merged.push(span),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcribe::{Segment, Word};

    fn transcript(words: &[(&str, f64, f64)], duration: f64) -> Transcript {
        Transcript {
            language: "en".into(),
            duration,
            model: "test".into(),
            segments: vec![Segment {
                start: 0.0,
                end: duration,
                text: String::new(),
                words: words
                    .iter()
                    .map(|(text, start, end)| Word {
                        text: (*text).to_owned(),
                        start: *start,
                        end: *end,
                        probability: 0.9,
                    })
                    .collect(),
            }],
            flags: Vec::new(),
        }
    }

    /// Evenly timed words, 0.3 s each.
    fn even(text: &str) -> Transcript {
        paced(text, 0.3)
    }

    /// Evenly timed words, `step` seconds each.
    fn paced(text: &str, step: f64) -> Transcript {
        let words: Vec<(&str, f64, f64)> = text
            .split_whitespace()
            .enumerate()
            .map(|(i, w)| (w, i as f64 * step, i as f64 * step + step - 0.02))
            .collect();
        let duration = words.len() as f64 * step + 0.5;
        transcript(&words, duration)
    }

    fn texts(slides: &[Slide]) -> Vec<&str> {
        slides.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn breaks_prefer_sentences_then_clauses() {
        let preset = SlidePreset::for_aspect(Aspect::Landscape);
        let t = even("We built this for you. It turns a voice into slides, and it does it offline without any account at all.");
        let slides = segment(&t, &preset, &[]);
        assert_eq!(
            texts(&slides),
            [
                "We built this for you.",
                "It turns a voice into slides,",
                "and it does it offline without any account at all."
            ]
        );
    }

    #[test]
    fn a_pause_beats_a_plain_word_boundary() {
        let preset = SlidePreset::for_aspect(Aspect::Portrait);
        // Six words, no punctuation, a 0.5 s pause after the third.
        let t = transcript(
            &[
                ("one", 0.0, 0.3),
                ("two", 0.3, 0.6),
                ("three", 0.6, 0.9),
                ("four", 1.4, 1.7),
                ("five", 1.7, 2.0),
                ("six", 2.0, 2.3),
            ],
            2.5,
        );
        assert_eq!(
            texts(&segment(&t, &preset, &[])),
            ["one two three", "four five six"]
        );
    }

    #[test]
    fn prices_and_glossary_terms_stay_whole() {
        let preset = SlidePreset::for_aspect(Aspect::Portrait);
        let slides = segment(&even("Pague só R$ 49,90 hoje mesmo"), &preset, &[]);
        assert!(
            slides.iter().any(|s| s.text.contains("R$ 49,90")),
            "{slides:?}"
        );
        assert_eq!(
            slides
                .iter()
                .find(|s| s.text.contains("R$"))
                .map(|s| s.highlights.clone()),
            Some(vec!["R$ 49,90".to_owned()])
        );
        let terms = vec!["Carta de Vendas".to_owned()];
        let slides = segment(
            &paced("Use uma Carta de Vendas agora mesmo", 0.4),
            &preset,
            &terms,
        );
        assert!(
            slides.iter().any(|s| s.text.contains("Carta de Vendas")),
            "{slides:?}"
        );
    }

    #[test]
    fn a_pause_outranks_a_break_before_a_conjunction() {
        let preset = SlidePreset::for_aspect(Aspect::Portrait);
        // "one two | and three" has no pause; "one two and | three four" has one.
        let t = transcript(
            &[
                ("one", 0.0, 0.3),
                ("two", 0.3, 0.6),
                ("and", 0.6, 0.9),
                ("three", 1.4, 1.7),
                ("four", 1.7, 2.0),
                ("five", 2.0, 2.3),
            ],
            2.5,
        );
        let slides = segment(&t, &preset, &[]);
        assert_eq!(slides[0].text, "one two and", "{slides:?}");
    }

    #[test]
    fn no_orphans_where_avoidable() {
        let preset = SlidePreset::for_aspect(Aspect::Portrait);
        let slides = segment(&even("one two three four five"), &preset, &[]);
        assert!(
            slides.iter().all(|s| s.text.split(' ').count() > 1),
            "{slides:?}"
        );
    }

    #[test]
    fn timing_is_contiguous_from_zero_to_the_end() {
        let preset = SlidePreset::for_aspect(Aspect::Portrait);
        let t = even("a b c d e f g h i j k l m n o p");
        let slides = segment(&t, &preset, &[]);
        assert_eq!(slides[0].start, 0.0);
        for pair in slides.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert_eq!(slides.last().map(|s| s.end), Some(t.duration));
    }

    #[test]
    fn long_slow_speech_is_split() {
        let preset = SlidePreset::for_aspect(Aspect::Landscape);
        // Eight slow words of 1 s each: one slide would be 8 s.
        let words: Vec<(String, f64, f64)> = (0..8)
            .map(|i| (format!("word{i}"), i as f64, i as f64 + 0.9))
            .collect();
        let borrowed: Vec<(&str, f64, f64)> =
            words.iter().map(|(t, s, e)| (t.as_str(), *s, *e)).collect();
        let slides = segment(&transcript(&borrowed, 8.0), &preset, &[]);
        assert!(slides.len() >= 2);
        assert!(slides.iter().all(|s| s.end - s.start <= 6.0), "{slides:?}");
    }

    #[test]
    fn empty_transcript_has_no_slides() {
        let preset = SlidePreset::for_aspect(Aspect::Landscape);
        assert!(segment(&transcript(&[], 3.0), &preset, &[]).is_empty());
    }

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
        };
        let warnings = check(&[fast], &preset);
        assert!(matches!(
            warnings[0],
            SlideWarning::ReadingSpeed { index: 0, chars_per_second } if chars_per_second == 20.0
        ));
    }

    #[test]
    fn markup_marks_and_literal_asterisks() {
        let (plain, ranges) = parse_markup("Get *Acme Pay* now, 5 * 3 = *15*.");
        assert_eq!(plain, "Get Acme Pay now, 5 * 3 = 15.");
        assert_eq!(ranges, [(4, 12), (26, 28)]);
        assert_eq!(plain_text("a *lone star"), "a *lone star");
        assert_eq!(plain_text("**"), "**");
    }

    #[test]
    fn highlights_cover_marks_numbers_prices_and_terms() {
        let terms = vec!["AcmePay".to_owned()];
        assert_eq!(
            auto_highlights(
                "Only R$ 49,90 with *AcmePay*, 50% off, 3x faster: $97.",
                &terms
            ),
            ["R$ 49,90", "AcmePay", "50%", "3x", "$97"]
        );
        assert!(auto_highlights("no numbers here", &terms).is_empty());
        // A term only counts as a whole word.
        assert!(auto_highlights("AcmePayments", &terms).is_empty());
    }

    #[test]
    fn spans_split_text_by_highlight() {
        let spans = styled_spans("Pay *only* R$ 49,90 today", &["R$ 49,90".to_owned()]);
        let parts: Vec<(&str, bool)> = spans
            .iter()
            .map(|s| (s.text.as_str(), s.highlight))
            .collect();
        assert_eq!(
            parts,
            [
                ("Pay ", false),
                ("only", true),
                (" ", false),
                ("R$ 49,90", true),
                (" today", false)
            ]
        );
        assert_eq!(
            styled_spans("", &[]),
            [StyledSpan {
                text: String::new(),
                highlight: false
            }]
        );
    }

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
            Some("unknown_theme")
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
}
