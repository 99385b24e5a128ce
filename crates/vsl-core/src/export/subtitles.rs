//! Transcript exports: SubRip (`.srt`), WebVTT (`.vtt`), plain text (`.txt`) and the JSON
//! bundle of transcript and slides (`.json`, or `.json.gz` past [`GZIP_THRESHOLD`]).
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
