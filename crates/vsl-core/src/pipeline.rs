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

use crate::error::ErrorKind;
use crate::jobs::CancelToken;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::correct::{self, CorrectionReport, Glossary};
use crate::export::atomic::{check_target, write_atomic};
use crate::export::{
    check_targets, export_deck, ExportError, ExportOutcome, ExportPlan, ExportProgress,
};
use crate::health::{preflight, PreflightWarning};
use crate::media::{self, MediaError};
use crate::render::{self, RenderError, Renderer, SlideCache, SlideStyle};
use crate::script::{align, Alignment, Script, ScriptError};
use crate::slides::{self, SlideDeck, SlidePreset, SlideWarning};
use crate::transcribe::{Engine, TranscribeError, TranscribeOptions, Transcript};

/// `<stem>_slides/alignment.json`, written when a script is used.
pub const ALIGNMENT_FILE: &str = "alignment.json";

/// `<stem>_slides/transcript.json`: what was heard, before correction.
pub const HEARD_FILE: &str = "transcript.json";

/// How much of the decoder's prompt the script's vocabulary may take (whisper.cpp keeps
/// about 224 tokens of prompt; the glossary's terms come after these).
const SCRIPT_PROMPT_CHARS: usize = 400;

/// The pipeline's stages, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Decode,
    Transcribe,
    Correct,
    Slides,
    Render,
    /// The MP4, the subtitles, the text and the JSON.
    Export,
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
        }
    }
}

pub use crate::job::{Format, Formats, SubtitleMode};

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
    /// The copywriter's script: when set, the slides show its words, aligned to the voice.
    pub script: Option<ScriptInput>,
    /// The MP4's music bed and loudness target.
    pub sound: crate::export::Soundtrack,
    /// Captions over the input's own video instead of slides (the input must have a
    /// video stream; checked before the transcription starts).
    pub captions: Option<crate::render::CaptionStyle>,
}

/// A script and the file it came from (errors and `alignment.json` name it).
#[derive(Debug, Clone)]
pub struct ScriptInput {
    pub path: PathBuf,
    pub script: Script,
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
    /// The preflight found too little disk or memory; the run goes on (it may still fit).
    Warning(PreflightWarning),
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
    /// How the script lined up with the voice, when there was one.
    pub alignment: Option<Alignment>,
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
    #[error(transparent)]
    Script(ScriptError),
    #[error("cancelled")]
    Cancelled,
}

impl PipelineError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            PipelineError::Media(error) => error.kind(),
            PipelineError::Transcribe(error) => error.kind(),
            PipelineError::Render(error) => error.kind(),
            PipelineError::Export(error) => error.kind(),
            PipelineError::Script(error) => error.kind(),
            PipelineError::Cancelled => ErrorKind::Cancelled,
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

impl From<ScriptError> for PipelineError {
    fn from(error: ScriptError) -> Self {
        PipelineError::Script(error)
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
    OutputNames::new(true).next(out_dir, input)
}

/// The one naming rule for a batch's outputs: `<stem>`, else `<stem>-2`, `<stem>-3`, ...
/// when an earlier input of the batch took the name (`talk.wav` and `talk.mp4`) or, when
/// `avoid_existing`, the folder already holds an output of that name. Without
/// `avoid_existing` an existing output is left for [`run_file`] to refuse (or replace).
#[derive(Debug, Clone, Default)]
pub struct OutputNames {
    given: std::collections::HashSet<String>,
    avoid_existing: bool,
}

impl OutputNames {
    pub fn new(avoid_existing: bool) -> OutputNames {
        OutputNames {
            given: Default::default(),
            avoid_existing,
        }
    }

    /// The name of `input`'s outputs under `out_dir`.
    pub fn next(&mut self, out_dir: &Path, input: &Path) -> String {
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
        while self.given.contains(&name) || (self.avoid_existing && taken(&name)) {
            counter += 1;
            name = format!("{stem}-{counter}");
        }
        self.given.insert(name.clone());
        name
    }
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

/// A file's transcript, with the time spent decoding and transcribing it.
#[derive(Debug)]
pub struct Transcribed {
    pub transcript: Transcript,
    pub decoding: Duration,
    pub transcribing: Duration,
}

/// Decodes `input` and transcribes it a block at a time, so an hour's PCM is never whole in
/// memory (docs/BENCHMARKS.md, "Memory"): decoding and transcription interleave, and each
/// one's share of the time is summed. `progress` gets whole percents of the file.
pub fn transcribe_file(
    engine: &Engine,
    input: &Path,
    options: &TranscribeOptions,
    progress: &mut dyn FnMut(u8),
    cancel: &CancelToken,
) -> Result<Transcribed, PipelineError> {
    let mut decoding = Duration::ZERO;
    let mut transcribing = Duration::ZERO;
    let clock = Instant::now();
    let mut reader = media::PcmReader::open(input)?;
    let mut session = engine.session(options, reader.expected_duration())?;
    decoding += clock.elapsed();
    loop {
        let clock = Instant::now();
        let block = reader.next_block(cancel)?;
        decoding += clock.elapsed();
        let Some(block) = block else { break };
        let clock = Instant::now();
        session.push(block, progress, cancel)?;
        transcribing += clock.elapsed();
    }
    // A file that is empty, damage or cut short is refused before its last window.
    reader.finish()?;
    let clock = Instant::now();
    let transcript = session.finish(progress, cancel)?;
    transcribing += clock.elapsed();
    Ok(Transcribed {
        transcript,
        decoding,
        transcribing,
    })
}

/// Runs the whole pipeline on `input`, naming the outputs `<name>.*` (usually [`stem`]).
pub fn run_file(
    engine: &Engine,
    input: &Path,
    name: &str,
    options: &PipelineOptions,
    progress: &(dyn Fn(PipelineProgress) + Sync),
    cancel: &CancelToken,
) -> Result<PipelineOutcome, PipelineError> {
    let started = Instant::now();
    let paths = OutputPaths::new(&options.out_dir, name);
    std::fs::create_dir_all(&options.out_dir).map_err(|error| {
        PipelineError::Export(ExportError::OutputFolder {
            path: options.out_dir.clone(),
            reason: error.to_string(),
        })
    })?;
    check_outputs(&paths, name, options)?;
    if options.captions.is_some() && options.formats.contains(Format::Mp4) {
        crate::export::check_video(input)?;
    }
    for warning in preflight(input, &options.out_dir, Some(engine.path())) {
        progress(PipelineProgress::Warning(warning));
    }

    let mut timings = Vec::new();
    let mut timed = |stage: Stage, took: Duration| timings.push((stage, took));

    let mut transcribe_options = options.transcribe.clone();
    // The glossary's spellings bias the decoder towards them before correction even runs.
    // The script's names and numbers do too, so the voice's brand names are heard right.
    let user_prompt = match &options.script {
        Some(input) => {
            let mut parts: Vec<String> = options.transcribe.prompt.iter().cloned().collect();
            parts.extend(input.script.vocabulary(SCRIPT_PROMPT_CHARS));
            Some(parts.join(", ")).filter(|prompt| !prompt.is_empty())
        }
        None => options.transcribe.prompt.clone(),
    };
    transcribe_options.prompt = options.glossary.prompt(user_prompt.as_deref());
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
            let mut announced = false;
            let transcribed = transcribe_file(
                engine,
                input,
                &transcribe_options,
                &mut |percent| {
                    if !std::mem::replace(&mut announced, true) {
                        progress(PipelineProgress::Stage(Stage::Transcribe));
                    }
                    progress(PipelineProgress::Transcribing { percent });
                },
                cancel,
            )?;
            timed(Stage::Decode, transcribed.decoding);
            timed(Stage::Transcribe, transcribed.transcribing);
            let transcript = transcribed.transcript;
            // The cache is an optimisation: failing to fill it must not fail the run.
            if let Some(key) = &cache_key {
                let _ = transcripts.put(key, &transcript);
            }
            transcript
        }
    };

    // What was heard, kept beside the slides: a script added later re-slides from it
    // without transcribing again (`reslide`).
    let heard = transcript.clone();
    progress(PipelineProgress::Stage(Stage::Correct));
    let stage_started = Instant::now();
    let mut corrections = correct::apply(&mut transcript, &options.glossary);
    timed(Stage::Correct, stage_started.elapsed());

    progress(PipelineProgress::Stage(Stage::Slides));
    let stage_started = Instant::now();
    let DeckFrom {
        mut deck,
        alignment,
        shown,
        ..
    } = cut(&transcript, options, &mut corrections)?;
    let warnings = slides::check(&deck.slides, &options.preset);
    timed(Stage::Slides, stage_started.elapsed());
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
    let mut files = write_deck_files(&paths.slides_dir, &deck, &corrections, alignment.as_ref())?;
    files.push(write_json_file(
        &paths.slides_dir.join(HEARD_FILE),
        &heard,
        true,
    )?);
    timed(Stage::Render, stage_started.elapsed());

    progress(PipelineProgress::Stage(Stage::Export));
    let stage_started = Instant::now();
    let mut plan = ExportPlan::new(
        &deck,
        &paths.slides_dir,
        input,
        &options.out_dir,
        name,
        &options.formats,
    );
    plan.subtitles = options.subtitles;
    // Text and per-segment cues follow what the slides show: the script's lines.
    plan.transcript = Some(shown.as_ref().unwrap_or(&transcript));
    plan.fps = options.fps;
    plan.overwrite = options.overwrite;
    plan.sound = options.sound.clone();
    plan.captions = options.captions.clone();
    plan.ass = crate::export::AssStyle::of_job(&options.style, options.captions.as_ref());
    let exported = export_deck(
        &plan,
        &mut |export| progress(PipelineProgress::Exporting(export.clone())),
        cancel,
    )?;
    files.extend(exported.files);
    let mp4 = exported.mp4;
    timed(Stage::Export, stage_started.elapsed());

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
        alignment,
    })
}

/// What [`slides_from`] and [`reslide`] made.
#[derive(Debug, Clone)]
pub struct Resliced {
    pub deck: SlideDeck,
    pub alignment: Option<Alignment>,
    pub corrections: CorrectionReport,
    pub stats: render::RenderStats,
}

/// Corrects `transcript`, cuts it into slides (with `options`' script, when it has one),
/// renders them into `slides_dir` and writes `slides.json`, `corrections.json` and
/// `alignment.json` (removed when there is no script any more). `vsl slides` and
/// [`reslide`] make slides this way; `run_file` does the same stage by stage.
///
/// # Errors
///
/// The script's errors, rendering's, and writing's.
pub fn slides_from(
    mut transcript: Transcript,
    options: &PipelineOptions,
    slides_dir: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &CancelToken,
) -> Result<Resliced, PipelineError> {
    let mut corrections = correct::apply(&mut transcript, &options.glossary);
    let DeckFrom {
        mut deck,
        alignment,
        ..
    } = cut(&transcript, options, &mut corrections)?;
    let stats = render::render_deck(
        &Renderer::new(),
        &mut deck,
        &options.style,
        slides_dir,
        &options.cache,
        progress,
        cancel,
    )?;
    write_deck_files(slides_dir, &deck, &corrections, alignment.as_ref())?;
    Ok(Resliced {
        deck,
        alignment,
        corrections,
        stats,
    })
}

/// Cuts and renders the slides in `slides_dir` again from the transcript `run_file` kept
/// there, with `options`' glossary, look and script: adding or changing a script does not
/// transcribe again.
///
/// # Errors
///
/// `invalid_deck` when the folder keeps no transcript, else as [`slides_from`].
pub fn reslide(
    slides_dir: &Path,
    options: &PipelineOptions,
    cancel: &CancelToken,
) -> Result<Resliced, PipelineError> {
    let heard_path = slides_dir.join(HEARD_FILE);
    let transcript: Transcript = crate::fs::read(&heard_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            PipelineError::Export(ExportError::InvalidDeck {
                reason: format!(
                    "{} is missing or damaged; run the job again",
                    heard_path.display()
                ),
            })
        })?;
    slides_from(transcript, options, slides_dir, &|_, _| {}, cancel)
}

/// [`deck_from`] with the options' look, glossary and script; with a script, the review list
/// becomes the words the voice said differently or without it.
fn cut(
    transcript: &Transcript,
    options: &PipelineOptions,
    corrections: &mut CorrectionReport,
) -> Result<DeckFrom, ScriptError> {
    let made = deck_from(
        transcript,
        &options.preset,
        &options.style,
        &options.glossary,
        options.script.as_ref(),
    )?;
    if let Some(review) = &made.review {
        corrections.review.clone_from(review);
    }
    Ok(made)
}

/// Writes a rendered deck's files: `slides.json`, `corrections.json`, and `alignment.json`
/// when the slides follow a script (an earlier one is removed when they no longer do).
fn write_deck_files(
    slides_dir: &Path,
    deck: &SlideDeck,
    corrections: &CorrectionReport,
    alignment: Option<&Alignment>,
) -> Result<Vec<PathBuf>, PipelineError> {
    let write_error =
        |path: PathBuf, reason: String| PipelineError::Export(ExportError::Write { path, reason });
    let mut files = vec![deck
        .save(slides_dir)
        .map_err(|error| write_error(slides_dir.join(slides::DECK_FILE), error.to_string()))?];
    files.push(write_json_file(
        &slides_dir.join("corrections.json"),
        corrections,
        true,
    )?);
    let alignment_path = slides_dir.join(ALIGNMENT_FILE);
    match alignment {
        Some(alignment) => files.push(write_json_file(&alignment_path, alignment, true)?),
        None => match std::fs::remove_file(&alignment_path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(write_error(alignment_path, error.to_string()));
            }
            _ => {}
        },
    }
    Ok(files)
}

/// A deck and where its words came from.
#[derive(Debug, Clone)]
pub struct DeckFrom {
    /// Not rendered yet.
    pub deck: SlideDeck,
    /// How the script lined up, when there is one.
    pub alignment: Option<Alignment>,
    /// The words the slides show, as a transcript (the script's lines), when a script is used.
    pub shown: Option<Transcript>,
    /// The words to review then: substituted and unscripted ones.
    pub review: Option<Vec<crate::correct::ReviewWord>>,
}

/// The slides of a corrected transcript: its own words, or with a script the script's words
/// aligned to it (skipped lines left out, unscripted speech shown as heard, the script's
/// blank lines and `---` kept as breaks). `run_file` and `vsl slides` both cut decks here.
///
/// # Errors
///
/// The alignment's: a script far too long for the voice-over, or one it does not match.
pub fn deck_from(
    transcript: &Transcript,
    preset: &SlidePreset,
    style: &SlideStyle,
    glossary: &Glossary,
    script: Option<&ScriptInput>,
) -> Result<DeckFrom, ScriptError> {
    let terms = glossary.highlight_terms();
    let Some(input) = script else {
        return Ok(DeckFrom {
            deck: SlideDeck::build(transcript, preset, style, &terms),
            alignment: None,
            shown: None,
            review: None,
        });
    };
    let alignment = align(&input.script, transcript, &input.path)?;
    let source = alignment.slide_source(&input.script, transcript);
    Ok(DeckFrom {
        deck: SlideDeck::build_with(
            &source.transcript,
            preset,
            style,
            &terms,
            Some(&source.breaks),
        ),
        alignment: Some(alignment),
        shown: Some(source.transcript),
        review: Some(source.review),
    })
}

/// Refuses, before any work, to replace outputs that exist, unless `overwrite`.
fn check_outputs(
    paths: &OutputPaths,
    name: &str,
    options: &PipelineOptions,
) -> Result<(), PipelineError> {
    check_targets(&options.out_dir, name, &options.formats, options.overwrite)?;
    // Rendering replaces the slide images of an earlier deck in this folder: an edited deck
    // is worth the same protection as a finished video. A slides folder that does not exist
    // yet (a first run) holds nothing.
    if !options.overwrite && paths.slides_dir.is_dir() {
        check_target(&paths.deck(), false)?;
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
#[allow(clippy::disallowed_methods, reason = "fixtures are written directly")]
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
    fn a_batch_never_gives_one_name_twice() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut names = OutputNames::new(false);
        assert_eq!(names.next(dir.path(), Path::new("/a/talk.wav")), "talk");
        assert_eq!(names.next(dir.path(), Path::new("/b/talk.mp4")), "talk-2");
        assert_eq!(names.next(dir.path(), Path::new("/b/other.mp4")), "other");
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
