//! One media file, start to finish: decode → transcribe → correct → slides → render → export.
//!
//! [`run_file`] takes a loaded [`Engine`] (shared by every file of a batch) and a
//! [`PipelineOptions`] the front end resolved (theme, preset, glossary, formats), reports a
//! [`PipelineProgress`] per stage, and returns what it wrote with per-stage timings. The layout
//! under `out_dir`:
//!
//! ```text
//! <stem>.mp4  <stem>.srt  <stem>.vtt  <stem>.txt  <stem>.json[.gz]
//! <stem>_slides/slides.json  <stem>_slides/corrections.json  <stem>_slides/slide-*.png
//! ```
//!
//! `<stem>_slides/slides.json` is the format `vsl slides` writes, so `vsl export` can make the
//! MP4 again after the slides are edited. Nothing is overwritten unless asked: every target is
//! checked before the (long) transcription starts.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::correct::{self, CorrectionReport, Glossary};
use crate::export::atomic::{check_target, write_atomic};
use crate::export::{
    export_mp4, write_json, write_subtitles, CueSource, ExportError, ExportOutcome, ExportProgress,
    ExportRequest, SubtitleFormat,
};
use crate::media::{self, MediaError};
use crate::render::{self, RenderError, Renderer, SlideCache, SlideStyle};
use crate::slides::{self, SlideDeck, SlidePreset, SlideWarning};
use crate::transcribe::{Engine, TranscribeError, TranscribeOptions, Transcript};

/// The pipeline's stages, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Decode,
    Transcribe,
    Correct,
    Slides,
    Render,
    Export,
    /// Subtitles, text and JSON.
    Files,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Transcribe => "transcribe",
            Stage::Correct => "correct",
            Stage::Slides => "slides",
            Stage::Render => "render",
            Stage::Export => "export",
            Stage::Files => "files",
        }
    }
}

/// Which outputs to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub mp4: bool,
    pub srt: bool,
    pub vtt: bool,
    pub txt: bool,
    pub json: bool,
}

impl Formats {
    pub const ALL: Formats = Formats {
        mp4: true,
        srt: true,
        vtt: true,
        txt: true,
        json: true,
    };

    /// Parses `mp4,srt,vtt,txt,json` (any subset).
    pub fn parse(list: &str) -> Result<Formats, String> {
        let mut formats = Formats {
            mp4: false,
            srt: false,
            vtt: false,
            txt: false,
            json: false,
        };
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name.to_ascii_lowercase().as_str() {
                "mp4" => formats.mp4 = true,
                "srt" => formats.srt = true,
                "vtt" => formats.vtt = true,
                "txt" => formats.txt = true,
                "json" => formats.json = true,
                other => {
                    return Err(format!(
                        "unknown format '{other}' (use mp4, srt, vtt, txt, json)"
                    ))
                }
            }
        }
        Ok(formats)
    }
}

/// What the subtitle cues follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubtitleMode {
    /// One cue per slide: captions change exactly with the picture.
    #[default]
    Slides,
    /// One cue per transcript segment (longer, sentence-like cues).
    Segments,
}

/// Everything a run needs besides the input file, resolved by the front end.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub out_dir: PathBuf,
    pub transcribe: TranscribeOptions,
    pub glossary: Glossary,
    pub preset: SlidePreset,
    pub style: SlideStyle,
    pub cache: SlideCache,
    pub formats: Formats,
    pub subtitles: SubtitleMode,
    /// Constant frame rate for the MP4; `None` is variable (one picture per slide).
    pub fps: Option<u32>,
    pub overwrite: bool,
}

/// Progress of one file.
#[derive(Debug, Clone)]
pub enum PipelineProgress {
    /// A stage begins.
    Stage(Stage),
    Transcribing {
        percent: u8,
    },
    Rendering {
        done: usize,
        total: usize,
    },
    Exporting(ExportProgress),
}

/// What a finished run wrote and how long each stage took.
#[derive(Debug, Clone)]
pub struct PipelineOutcome {
    pub input: PathBuf,
    /// Seconds of audio.
    pub duration: f64,
    pub language: String,
    pub words: usize,
    pub slides: usize,
    pub timings: Vec<(Stage, Duration)>,
    pub total: Duration,
    pub mp4: Option<ExportOutcome>,
    /// Every file written, in order (the slide PNGs are under `slides_dir`).
    pub files: Vec<PathBuf>,
    pub slides_dir: PathBuf,
    pub corrections: CorrectionReport,
    pub warnings: Vec<SlideWarning>,
}

impl PipelineOutcome {
    /// Wall time over audio time: under 1 is faster than real time.
    pub fn real_time_factor(&self) -> f64 {
        self.total.as_secs_f64() / self.duration.max(0.001)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Media(MediaError),
    #[error(transparent)]
    Transcribe(TranscribeError),
    #[error(transparent)]
    Render(RenderError),
    #[error(transparent)]
    Export(ExportError),
    #[error("cancelled")]
    Cancelled,
}

impl PipelineError {
    pub fn kind(&self) -> &'static str {
        match self {
            PipelineError::Media(error) => error.kind(),
            PipelineError::Transcribe(error) => error.kind(),
            PipelineError::Render(error) => error.kind(),
            PipelineError::Export(error) => error.kind(),
            PipelineError::Cancelled => "cancelled",
        }
    }
}

// Each stage's own Cancelled becomes the pipeline's, so callers match one variant.
impl From<MediaError> for PipelineError {
    fn from(error: MediaError) -> Self {
        match error {
            MediaError::Cancelled => PipelineError::Cancelled,
            other => PipelineError::Media(other),
        }
    }
}

impl From<TranscribeError> for PipelineError {
    fn from(error: TranscribeError) -> Self {
        match error {
            TranscribeError::Cancelled => PipelineError::Cancelled,
            other => PipelineError::Transcribe(other),
        }
    }
}

impl From<RenderError> for PipelineError {
    fn from(error: RenderError) -> Self {
        match error {
            RenderError::Cancelled => PipelineError::Cancelled,
            other => PipelineError::Render(other),
        }
    }
}

impl From<ExportError> for PipelineError {
    fn from(error: ExportError) -> Self {
        match error {
            ExportError::Cancelled => PipelineError::Cancelled,
            ExportError::Media(MediaError::Cancelled) => PipelineError::Cancelled,
            other => PipelineError::Export(other),
        }
    }
}

/// The file stem outputs are named after (`talk.mp4` → `talk`).
pub fn stem(input: &Path) -> String {
    input
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .filter(|stem| !stem.is_empty())
        .unwrap_or_else(|| "output".into())
}

/// The first of `<stem>`, `<stem>-2`, `<stem>-3`, ... with no output under `out_dir` yet,
/// so two inputs with one name (from two folders, or the same name dropped again with new
/// content) both come out and nothing is replaced.
pub fn free_stem(out_dir: &Path, input: &Path) -> String {
    let stem = stem(input);
    let taken = |name: &str| {
        let paths = OutputPaths::new(out_dir, name);
        [&paths.mp4, &paths.srt, &paths.vtt, &paths.txt, &paths.json]
            .iter()
            .any(|path| path.exists() || path.with_extension("json.gz").exists())
            || paths.slides_dir.exists()
    };
    let mut name = stem.clone();
    let mut counter = 1;
    while taken(&name) {
        counter += 1;
        name = format!("{stem}-{counter}");
    }
    name
}

/// Where each output of `input` goes under `out_dir`.
#[derive(Debug, Clone)]
pub struct OutputPaths {
    pub mp4: PathBuf,
    pub srt: PathBuf,
    pub vtt: PathBuf,
    pub txt: PathBuf,
    /// `.json`, or `.json.gz` when large.
    pub json: PathBuf,
    pub slides_dir: PathBuf,
}

impl OutputPaths {
    /// The outputs named `<stem>.*` under `out_dir`.
    pub fn new(out_dir: &Path, stem: &str) -> OutputPaths {
        let file = |extension: &str| out_dir.join(format!("{stem}.{extension}"));
        OutputPaths {
            mp4: file("mp4"),
            srt: file("srt"),
            vtt: file("vtt"),
            txt: file("txt"),
            json: file("json"),
            slides_dir: out_dir.join(format!("{stem}_slides")),
        }
    }

    pub fn deck(&self) -> PathBuf {
        self.slides_dir.join(slides::DECK_FILE)
    }
}

/// Runs the whole pipeline on `input`, naming the outputs `<name>.*` (usually [`stem`]).
pub fn run_file(
    engine: &Engine,
    input: &Path,
    name: &str,
    options: &PipelineOptions,
    progress: &(dyn Fn(PipelineProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<PipelineOutcome, PipelineError> {
    let started = Instant::now();
    let paths = OutputPaths::new(&options.out_dir, name);
    std::fs::create_dir_all(&options.out_dir).map_err(|error| {
        PipelineError::Export(ExportError::OutputFolder {
            path: options.out_dir.clone(),
            reason: error.to_string(),
        })
    })?;
    check_outputs(&paths, options)?;

    let mut timings = Vec::new();
    let mut timed = |stage: Stage, since: Instant| timings.push((stage, since.elapsed()));

    let mut transcribe_options = options.transcribe.clone();
    // The glossary's spellings bias the decoder towards them before correction even runs.
    transcribe_options.prompt = options
        .glossary
        .prompt(options.transcribe.prompt.as_deref());
    // Same content, model and settings as an earlier run: its transcript is reused and
    // decoding and transcription are skipped. A key that cannot be computed only disables
    // the cache for this run; decoding reports the unreadable input properly.
    let transcripts = crate::cache::TranscriptCache::beside(&options.cache);
    let cache_key = crate::cache::transcript_key(input, engine.path(), &transcribe_options).ok();
    let cached = cache_key.as_deref().and_then(|key| transcripts.get(key));
    let mut transcript = match cached {
        Some(transcript) => transcript,
        None => {
            progress(PipelineProgress::Stage(Stage::Decode));
            let stage_started = Instant::now();
            let pcm = media::decode(input, &|| cancel.load(std::sync::atomic::Ordering::Relaxed))?;
            timed(Stage::Decode, stage_started);

            progress(PipelineProgress::Stage(Stage::Transcribe));
            let stage_started = Instant::now();
            let transcript = engine.transcribe(
                &pcm.samples,
                &transcribe_options,
                &mut |percent| progress(PipelineProgress::Transcribing { percent }),
                cancel,
            )?;
            drop(pcm);
            timed(Stage::Transcribe, stage_started);
            // The cache is an optimisation: failing to fill it must not fail the run.
            if let Some(key) = &cache_key {
                let _ = transcripts.put(key, &transcript);
            }
            transcript
        }
    };

    progress(PipelineProgress::Stage(Stage::Correct));
    let stage_started = Instant::now();
    let corrections = correct::apply(&mut transcript, &options.glossary);
    timed(Stage::Correct, stage_started);

    progress(PipelineProgress::Stage(Stage::Slides));
    let stage_started = Instant::now();
    let mut deck = make_deck(&transcript, options);
    let warnings = slides::check(&deck.slides, &options.preset);
    timed(Stage::Slides, stage_started);
    if deck.slides.is_empty() {
        return Err(PipelineError::Export(ExportError::InvalidDeck {
            reason: format!("no speech was found in {}", input.display()),
        }));
    }

    progress(PipelineProgress::Stage(Stage::Render));
    let stage_started = Instant::now();
    render::render_deck(
        &Renderer::new(),
        &mut deck,
        &options.style,
        &paths.slides_dir,
        &options.cache,
        &|done, total| progress(PipelineProgress::Rendering { done, total }),
        cancel,
    )?;
    let mut files = Vec::new();
    files.push(write_json_file(&paths.deck(), &deck, true)?);
    files.push(write_json_file(
        &paths.slides_dir.join("corrections.json"),
        &corrections,
        true,
    )?);
    timed(Stage::Render, stage_started);

    let mut mp4 = None;
    if options.formats.mp4 {
        progress(PipelineProgress::Stage(Stage::Export));
        let stage_started = Instant::now();
        let mut request = ExportRequest::new(&deck, &paths.slides_dir, input, &paths.mp4);
        request.fps = options.fps;
        request.overwrite = options.overwrite;
        let outcome = export_mp4(
            &request,
            &mut |export| progress(PipelineProgress::Exporting(export.clone())),
            cancel,
        )?;
        files.push(outcome.path.clone());
        mp4 = Some(outcome);
        timed(Stage::Export, stage_started);
    }

    progress(PipelineProgress::Stage(Stage::Files));
    let stage_started = Instant::now();
    let cue_source = match options.subtitles {
        SubtitleMode::Slides => CueSource::Slides(&deck),
        SubtitleMode::Segments => CueSource::Segments(&transcript),
    };
    for (wanted, path, format, source) in [
        (
            options.formats.srt,
            &paths.srt,
            SubtitleFormat::Srt,
            cue_source,
        ),
        (
            options.formats.vtt,
            &paths.vtt,
            SubtitleFormat::Vtt,
            cue_source,
        ),
        // Plain text reads as prose: a paragraph per transcript segment.
        (
            options.formats.txt,
            &paths.txt,
            SubtitleFormat::Txt,
            CueSource::Segments(&transcript),
        ),
    ] {
        if wanted {
            files.push(write_subtitles(path, format, source, options.overwrite)?);
        }
    }
    if options.formats.json {
        files.push(write_json(
            &paths.json,
            &transcript,
            &deck,
            options.overwrite,
        )?);
    }
    timed(Stage::Files, stage_started);

    Ok(PipelineOutcome {
        input: input.to_path_buf(),
        duration: transcript.duration,
        language: transcript.language.clone(),
        words: transcript.words().count(),
        slides: deck.slides.len(),
        timings,
        total: started.elapsed(),
        mp4,
        files,
        slides_dir: paths.slides_dir,
        corrections,
        warnings,
    })
}

/// Cuts the corrected transcript into a deck in the options' shape (images not yet rendered).
fn make_deck(transcript: &Transcript, options: &PipelineOptions) -> SlideDeck {
    let slides = slides::segment(
        transcript,
        &options.preset,
        &options.glossary.highlight_terms(),
    );
    let duration = slides.last().map_or(transcript.duration, |slide| {
        slide.end.max(transcript.duration)
    });
    SlideDeck {
        preset: options.preset.aspect.name().to_owned(),
        theme: options.style.theme.name.clone(),
        width: options.style.size.width,
        height: options.style.size.height,
        duration,
        slides,
    }
}

/// Refuses, before any work, to replace outputs that exist, unless `overwrite`.
fn check_outputs(paths: &OutputPaths, options: &PipelineOptions) -> Result<(), PipelineError> {
    let formats = options.formats;
    let mut json_gz = paths.json.as_os_str().to_owned();
    json_gz.push(".gz");
    let json_gz = PathBuf::from(json_gz);
    let targets = [
        (formats.mp4, &paths.mp4),
        (formats.srt, &paths.srt),
        (formats.vtt, &paths.vtt),
        (formats.txt, &paths.txt),
        (formats.json, &paths.json),
        (formats.json, &json_gz),
        // Rendering replaces the slide images of an earlier deck in this folder: an edited
        // deck is worth the same protection as a finished video.
        (true, &paths.deck()),
    ];
    if options.overwrite {
        return Ok(());
    }
    for (wanted, path) in targets {
        // A folder that does not exist yet (the slides folder on a first run) holds nothing.
        let folder_exists = path.parent().is_none_or(Path::is_dir);
        if wanted && folder_exists {
            check_target(path, false).map_err(PipelineError::Export)?;
        }
    }
    Ok(())
}

fn write_json_file<T: serde::Serialize>(
    path: &Path,
    value: &T,
    overwrite: bool,
) -> Result<PathBuf, PipelineError> {
    let json = serde_json::to_vec_pretty(value).map_err(|error| {
        PipelineError::Export(ExportError::Write {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })
    })?;
    Ok(write_atomic(path, overwrite, &json)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_stems_skip_names_with_any_output() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let input = Path::new("/voice/Launch.wav");
        assert_eq!(free_stem(dir.path(), input), "Launch");
        std::fs::write(dir.path().join("Launch.srt"), "").expect("written");
        assert_eq!(free_stem(dir.path(), input), "Launch-2");
        std::fs::create_dir(dir.path().join("Launch-2_slides")).expect("created");
        std::fs::write(dir.path().join("Launch-3.json.gz"), "").expect("written");
        assert_eq!(free_stem(dir.path(), input), "Launch-4");
    }

    #[test]
    fn formats_parse() {
        assert_eq!(Formats::parse("mp4,srt,vtt,txt,json"), Ok(Formats::ALL));
        let only = Formats::parse(" MP4 , srt").expect("parse");
        assert!(only.mp4 && only.srt && !only.vtt && !only.txt && !only.json);
        assert!(Formats::parse("mp4,gif").is_err());
    }

    #[test]
    fn outputs_are_named_after_the_input() {
        let name = stem(Path::new("/media/My talk.final.mov"));
        let paths = OutputPaths::new(Path::new("/out"), &name);
        assert_eq!(paths.mp4, Path::new("/out/My talk.final.mp4"));
        assert_eq!(paths.json, Path::new("/out/My talk.final.json"));
        assert_eq!(
            paths.deck(),
            Path::new("/out/My talk.final_slides/slides.json")
        );
    }
}
