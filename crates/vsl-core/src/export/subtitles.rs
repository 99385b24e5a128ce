//! Transcript exports: SubRip (`.srt`), WebVTT (`.vtt`), plain text (`.txt`), Advanced
//! SubStation (`.ass`, styled from the look, karaoke tags per word) and the JSON bundle of
//! transcript and slides (`.json`, or `.json.gz` past [`GZIP_THRESHOLD`]).
//!
//! Subtitles follow the slides by default (one cue per slide, so captions change exactly when
//! the picture does) or the transcript's segments on request. Formats in `docs/formats.md`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::atomic::write_atomic;
use super::ExportError;
use crate::slides::SlideDeck;
use crate::transcribe::Transcript;

/// JSON bundles larger than this are written gzipped, as `<name>.json.gz`.
pub const GZIP_THRESHOLD: usize = 100 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubtitleFormat {
    Srt,
    Vtt,
    /// One paragraph per cue.
    Txt,
}

impl SubtitleFormat {
    pub fn extension(self) -> &'static str {
        match self {
            SubtitleFormat::Srt => "srt",
            SubtitleFormat::Vtt => "vtt",
            SubtitleFormat::Txt => "txt",
        }
    }
}

/// Where the cues come from.
#[derive(Debug, Clone, Copy)]
pub enum CueSource<'a> {
    /// One cue per slide, timed like the video.
    Slides(&'a SlideDeck),
    /// One cue per transcript segment.
    Segments(&'a Transcript),
}

/// A timed piece of text (seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    pub start: f64,
    pub end: f64,
    /// One or more lines, none empty.
    pub text: String,
}

/// The cues of `source`, in time order, without empty ones.
pub fn cues(source: CueSource<'_>) -> Vec<Cue> {
    let raw: Vec<(f64, f64, &str)> = match source {
        CueSource::Slides(deck) => deck
            .slides
            .iter()
            .map(|slide| (slide.start, slide.end, slide.text.as_str()))
            .collect(),
        CueSource::Segments(transcript) => transcript
            .segments
            .iter()
            .map(|segment| (segment.start, segment.end, segment.text.as_str()))
            .collect(),
    };
    let mut cues: Vec<Cue> = raw
        .into_iter()
        .filter(|(start, end, _)| start.is_finite() && end.is_finite())
        .filter_map(|(start, end, text)| {
            let text = clean_text(text);
            (!text.is_empty()).then(|| Cue {
                start: start.max(0.0),
                // A cue must last at least a millisecond to survive rounding.
                end: end.max(start.max(0.0) + 0.001),
                text,
            })
        })
        .collect();
    cues.sort_by(|a, b| a.start.total_cmp(&b.start));
    cues
}

/// Trims each line and drops empty lines (a blank line ends a cue in SRT and WebVTT) and the
/// cue-timing arrow, which would corrupt either format.
fn clean_text(text: &str) -> String {
    text.lines()
        .map(|line| line.trim().replace("-->", "→"))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn timestamp(seconds: f64, separator: char) -> String {
    let millis = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{separator}{:03}",
        millis / 3_600_000,
        millis / 60_000 % 60,
        millis / 1000 % 60,
        millis % 1000
    )
}

pub fn to_srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (number, cue) in cues.iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            number + 1,
            timestamp(cue.start, ','),
            timestamp(cue.end, ','),
            cue.text
        ));
    }
    out
}

pub fn to_vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for cue in cues {
        // WebVTT cue text is markup: the three special characters must be escaped.
        let text = cue
            .text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        out.push_str(&format!(
            "{} --> {}\n{}\n\n",
            timestamp(cue.start, '.'),
            timestamp(cue.end, '.'),
            text
        ));
    }
    out
}

/// One paragraph per cue, lines within a cue joined by spaces.
pub fn to_txt(cues: &[Cue]) -> String {
    let paragraphs: Vec<String> = cues
        .iter()
        .map(|cue| cue.text.lines().collect::<Vec<_>>().join(" "))
        .collect();
    let mut out = paragraphs.join("\n\n");
    out.push('\n');
    out
}

/// Writes `source` as `format` to `path` (through a temporary file).
pub fn write_subtitles(
    path: &Path,
    format: SubtitleFormat,
    source: CueSource<'_>,
    overwrite: bool,
) -> Result<PathBuf, ExportError> {
    let cues = cues(source);
    let text = match format {
        SubtitleFormat::Srt => to_srt(&cues),
        SubtitleFormat::Vtt => to_vtt(&cues),
        SubtitleFormat::Txt => to_txt(&cues),
    };
    write_atomic(path, overwrite, text.as_bytes())
}

/// How the `.ass` file is styled: from the job's look.
#[derive(Debug, Clone, PartialEq)]
pub struct AssStyle {
    /// The font family editors should use (the look's font, else Inter Display).
    pub font: String,
    pub text: crate::look::Rgb,
    /// The karaoke fill (the active colour) and keyword colour.
    pub highlight: crate::look::Rgb,
    /// The box behind the text (the look's background).
    pub background: crate::look::Rgb,
    /// `\k` tags per word, so a player fills each word as it is spoken.
    pub karaoke: bool,
    /// Where the text sits: bottom, center or top.
    pub position: crate::render::CaptionPosition,
}

impl Default for AssStyle {
    fn default() -> AssStyle {
        AssStyle::of(
            &crate::look::SlideStyle {
                theme: crate::look::Theme::classic(),
                brand: Default::default(),
                size: crate::look::RenderSize::FULL_HD,
                max_lines: 3,
            },
            crate::render::CaptionPosition::Bottom,
        )
    }
}

impl AssStyle {
    /// The ASS style of a job: its slide style, at its captions' position (bottom for slides).
    pub fn of_job(
        style: &crate::look::SlideStyle,
        captions: Option<&crate::render::CaptionStyle>,
    ) -> AssStyle {
        AssStyle::of(
            style,
            captions.map_or(crate::render::CaptionPosition::Bottom, |captions| {
                captions.position
            }),
        )
    }

    pub fn of(
        style: &crate::look::SlideStyle,
        position: crate::render::CaptionPosition,
    ) -> AssStyle {
        AssStyle {
            font: style.brand.fonts.as_ref().map_or_else(
                || crate::render::FONT_FAMILY.to_owned(),
                |fonts| fonts.regular.family.clone(),
            ),
            text: style.theme.text,
            highlight: style.brand.active_color.unwrap_or(style.theme.highlight),
            background: style.theme.background,
            karaoke: style.brand.active_words(),
            position,
        }
    }
}

/// ASS colour: `&HAABBGGRR` (alpha 0 is opaque).
fn ass_colour(color: crate::look::Rgb, alpha: u8) -> String {
    let [r, g, b] = color.0;
    format!("&H{alpha:02X}{b:02X}{g:02X}{r:02X}")
}

/// `h:mm:ss.cc` from centiseconds.
fn ass_time(centis: i64) -> String {
    let centis = centis.max(0);
    format!(
        "{}:{:02}:{:02}.{:02}",
        centis / 360_000,
        centis / 6000 % 60,
        centis / 100 % 60,
        centis % 100
    )
}

fn centis(seconds: f64) -> i64 {
    (seconds.max(0.0) * 100.0).round() as i64
}

/// Text safe inside an ASS event: braces open override blocks, a backslash starts a tag.
fn ass_text(text: &str) -> String {
    text.replace('\\', "\u{29F5}")
        .replace('{', "(")
        .replace('}', ")")
        .replace('\n', "\\N")
}

/// The deck as Advanced SubStation Alpha v4+: one event per slide at the deck's size, styled
/// from the look. With karaoke, each word carries a `\k` tag of its duration in centiseconds:
/// a lead-in before the first word, then each word until the next one starts, the last
/// until the slide ends, so the tags add up to the event's own duration.
pub fn to_ass(deck: &SlideDeck, style: &AssStyle) -> String {
    let (width, height) = (deck.width.max(16), deck.height.max(16));
    let font_size = (f64::from(height.min(width)) * 0.06).round().max(8.0);
    let alignment = match style.position {
        crate::render::CaptionPosition::Bottom => 2,
        crate::render::CaptionPosition::Center => 5,
        crate::render::CaptionPosition::Top => 8,
    };
    let margin = (f64::from(height) * 0.06).round();
    // Karaoke fills from SecondaryColour (not yet spoken) to PrimaryColour (spoken).
    let (primary, secondary) = if style.karaoke {
        (style.highlight, style.text)
    } else {
        (style.text, style.highlight)
    };
    let mut out = format!(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: {width}\nPlayResY: {height}\n\
         WrapStyle: 0\nScaledBorderAndShadow: yes\nYCbCr Matrix: TV.709\n\n\
         [V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, \
         OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, \
         Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n\
         Style: Default,{font},{font_size},{primary},{secondary},{outline},{back},-1,0,0,0,100,\
         100,0,0,3,{pad},0,{alignment},{margin},{margin},{margin},1\n\n\
         [Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n",
        font = style.font.replace(',', " "),
        primary = ass_colour(primary, 0),
        secondary = ass_colour(secondary, 0),
        outline = ass_colour(style.background, 0x40),
        back = ass_colour(style.background, 0x40),
        pad = (font_size * 0.25).round(),
    );
    for slide in &deck.slides {
        let (start, end) = (centis(slide.start), centis(slide.end));
        if end <= start {
            continue;
        }
        let plain = crate::slides::plain_text(&slide.text);
        let text = if style.karaoke && slide.words_match() {
            let mut text = String::new();
            let mut at = start;
            let first = centis(slide.words[0].start).clamp(start, end);
            if first > at {
                text.push_str(&format!("{{\\k{}}}", first - at));
                at = first;
            }
            let words: Vec<&str> = plain.split_whitespace().collect();
            for (k, word) in words.iter().enumerate() {
                let next = slide
                    .words
                    .get(k + 1)
                    .map_or(end, |next| centis(next.start).clamp(at, end));
                let space = if k + 1 < words.len() { " " } else { "" };
                text.push_str(&format!("{{\\k{}}}{}{space}", next - at, ass_text(word)));
                at = next;
            }
            text
        } else {
            ass_text(&plain)
        };
        out.push_str(&format!(
            "Dialogue: 0,{},{},Default,,0,0,0,,{text}\n",
            ass_time(start),
            ass_time(end)
        ));
    }
    out
}

#[derive(Serialize)]
struct Bundle<'a> {
    transcript: &'a Transcript,
    slides: &'a SlideDeck,
}

/// Writes the transcript and the slides as one JSON document at `path` (`<stem>.json`), or
/// gzipped at `<stem>.json.gz` when it is larger than [`GZIP_THRESHOLD`]. Returns the path
/// written.
pub fn write_json(
    path: &Path,
    transcript: &Transcript,
    deck: &SlideDeck,
    overwrite: bool,
) -> Result<PathBuf, ExportError> {
    let json = serde_json::to_vec_pretty(&Bundle {
        transcript,
        slides: deck,
    })
    .map_err(|error| ExportError::Write {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    if json.len() <= GZIP_THRESHOLD {
        return write_atomic(path, overwrite, &json);
    }
    let mut name = path.as_os_str().to_owned();
    name.push(".gz");
    let gz_path = PathBuf::from(name);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .map_err(|error| ExportError::io(&gz_path, &error))?;
    write_atomic(&gz_path, overwrite, &compressed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slides::Slide;

    fn deck(texts: &[(f64, f64, &str)]) -> SlideDeck {
        SlideDeck {
            preset: "16:9".into(),
            theme: "dark".into(),
            brand: Default::default(),
            width: 1920,
            height: 1080,
            duration: texts.last().map_or(0.0, |t| t.1),
            slides: texts
                .iter()
                .enumerate()
                .map(|(index, (start, end, text))| Slide {
                    index,
                    start: *start,
                    end: *end,
                    text: (*text).into(),
                    highlights: vec![],
                    image: format!("slide-{index:03}.png"),
                    words: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn srt_and_vtt_layout() {
        let deck = deck(&[
            (0.0, 1.5, "Ask not"),
            (
                1.5,
                3723.0456,
                "what <your> country\n\ncan do & more --> now",
            ),
        ]);
        let cues = cues(CueSource::Slides(&deck));
        assert_eq!(
            to_srt(&cues),
            "1\n00:00:00,000 --> 00:00:01,500\nAsk not\n\n\
             2\n00:00:01,500 --> 01:02:03,046\nwhat <your> country\ncan do & more → now\n\n"
        );
        assert_eq!(
            to_vtt(&cues),
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nAsk not\n\n\
             00:00:01.500 --> 01:02:03.046\nwhat &lt;your&gt; country\ncan do &amp; more → now\n\n"
        );
        assert_eq!(
            to_txt(&cues),
            "Ask not\n\nwhat <your> country can do & more → now\n"
        );
    }

    #[test]
    fn empty_and_degenerate_cues() {
        let deck = deck(&[
            (0.0, 1.0, "  \n "),
            (2.0, 2.0, "zero"),
            (f64::NAN, 1.0, "x"),
        ]);
        let cues = cues(CueSource::Slides(&deck));
        assert_eq!(cues.len(), 1);
        assert_eq!(cues[0].text, "zero");
        assert!(cues[0].end > cues[0].start);
    }

    #[test]
    fn json_is_gzipped_only_when_large() {
        let dir = tempfile::tempdir().expect("tempdir");
        let transcript = Transcript {
            language: "en".into(),
            duration: 2.0,
            model: "base".into(),
            segments: vec![],
            flags: vec![],
        };
        let small = deck(&[(0.0, 2.0, "hello")]);
        let written =
            write_json(&dir.path().join("a.json"), &transcript, &small, false).expect("write");
        assert_eq!(written, dir.path().join("a.json"));
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&written).expect("read")).expect("json");
        assert_eq!(value["slides"]["slides"][0]["text"], "hello");
        assert_eq!(value["transcript"]["language"], "en");

        let long_text = "word ".repeat(200);
        let rows: Vec<(f64, f64, &str)> = (0..200)
            .map(|i| (f64::from(i), f64::from(i + 1), long_text.as_str()))
            .collect();
        let large = deck(&rows);
        let written =
            write_json(&dir.path().join("b.json"), &transcript, &large, false).expect("write");
        assert_eq!(written, dir.path().join("b.json.gz"));
        let mut json = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&written).expect("open")),
            &mut json,
        )
        .expect("gunzip");
        let value: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(
            value["slides"]["slides"].as_array().map(Vec::len),
            Some(200)
        );
    }
}
