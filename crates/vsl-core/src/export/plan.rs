//! [`export_deck`]: a rendered deck to every file a job asked for, the one export loop that
//! `run_file`, `vsl export` and the app's Export all use.
//!
//! Every target is checked before anything is written (an existing file is kept unless the
//! plan says to replace it, and captions over the video need a video stream), then the MP4
//! is made, then the subtitles, the text and the JSON.

use std::path::{Path, PathBuf};

use super::{
    atomic::check_target, export_mp4, write_json, write_subtitles, CueSource, ExportError,
    ExportOutcome, ExportProgress, ExportRequest, Soundtrack, SubtitleFormat, DEFAULT_CRF,
    DEFAULT_REPEAT_EVERY,
};
use crate::job::{Format, Formats, SubtitleMode};
use crate::jobs::CancelToken;
use crate::render::CaptionStyle;
use crate::slides::SlideDeck;
use crate::transcribe::Transcript;

/// What to export, and where: `<out_dir>/<stem>.<format>` for each format.
#[derive(Debug, Clone)]
pub struct ExportPlan<'a> {
    pub deck: &'a SlideDeck,
    /// The folder the deck's images are relative to (where its `slides.json` is).
    pub deck_dir: &'a Path,
    /// The voice-over whose audio goes into the MP4.
    pub audio: &'a Path,
    pub out_dir: &'a Path,
    pub stem: &'a str,
    pub formats: &'a Formats,
    /// What the SRT and VTT cues follow; segments need the transcript.
    pub subtitles: SubtitleMode,
    /// With it, TXT is a paragraph per spoken segment and JSON can be written; without it
    /// (an edited deck alone), TXT is a line per slide.
    pub transcript: Option<&'a Transcript>,
    pub fps: Option<u32>,
    pub repeat_every: f64,
    pub crf: u8,
    pub overwrite: bool,
    /// The music bed and loudness target of the MP4's audio.
    pub sound: Soundtrack,
    /// Captions over `audio`'s own video instead of slides.
    pub captions: Option<CaptionStyle>,
    /// How the `.ass` file is styled (the job's look).
    pub ass: super::subtitles::AssStyle,
}

impl<'a> ExportPlan<'a> {
    /// Every format in `formats`, variable frame rate, cues per slide, nothing replaced,
    /// the voice alone (normalised when it is re-encoded anyway).
    pub fn new(
        deck: &'a SlideDeck,
        deck_dir: &'a Path,
        audio: &'a Path,
        out_dir: &'a Path,
        stem: &'a str,
        formats: &'a Formats,
    ) -> ExportPlan<'a> {
        ExportPlan {
            deck,
            deck_dir,
            audio,
            out_dir,
            stem,
            formats,
            subtitles: SubtitleMode::Slides,
            transcript: None,
            fps: None,
            repeat_every: DEFAULT_REPEAT_EVERY,
            crf: DEFAULT_CRF,
            overwrite: false,
            sound: Soundtrack::default(),
            captions: None,
            ass: Default::default(),
        }
    }

    /// Where `format` goes.
    pub fn target(&self, format: Format) -> PathBuf {
        target_path(self.out_dir, self.stem, format)
    }

    /// Refuses, before any work, a target that exists (unless replacing) or cannot be
    /// written, a format the plan cannot make, and a music file that is not audio.
    pub fn check(&self) -> Result<(), ExportError> {
        if self.formats.contains(Format::Json) && self.transcript.is_none() {
            return Err(ExportError::InvalidDeck {
                reason: "the JSON bundle needs the transcript; export it with the job".to_owned(),
            });
        }
        check_targets(self.out_dir, self.stem, self.formats, self.overwrite)?;
        if self.subtitles == SubtitleMode::Segments && self.transcript.is_none() {
            return Err(ExportError::InvalidDeck {
                reason: "subtitles per segment need the transcript".to_owned(),
            });
        }
        if let (true, Some(bed)) = (self.formats.contains(Format::Mp4), &self.sound.music) {
            super::check_music(&bed.path).map_err(ExportError::Music)?;
        }
        if self.captions.is_some() && self.formats.contains(Format::Mp4) {
            super::check_video(self.audio)?;
        }
        Ok(())
    }
}

/// `<out_dir>/<stem>.<format>`.
pub fn target_path(out_dir: &Path, stem: &str, format: Format) -> PathBuf {
    out_dir.join(format!("{stem}.{}", format.name()))
}

/// Refuses a target of `formats` under `out_dir` that exists (unless `overwrite`) or cannot
/// be written (no folder, a folder in the way). The JSON's `.json.gz` counts as its target.
pub fn check_targets(
    out_dir: &Path,
    stem: &str,
    formats: &Formats,
    overwrite: bool,
) -> Result<(), ExportError> {
    for format in formats.iter() {
        let target = target_path(out_dir, stem, format);
        check_target(&target, overwrite)?;
        if format == Format::Json {
            let mut gz = target.into_os_string();
            gz.push(".gz");
            check_target(Path::new(&gz), overwrite)?;
        }
    }
    Ok(())
}

/// What [`export_deck`] wrote.
#[derive(Debug, Clone, Default)]
pub struct ExportedFiles {
    pub mp4: Option<ExportOutcome>,
    /// Every file, in the order written.
    pub files: Vec<PathBuf>,
}

/// Writes every format of `plan`. `progress` follows the MP4 (the other files take
/// milliseconds); `cancel` stops it, leaving no partial file and none of the later files.
pub fn export_deck(
    plan: &ExportPlan<'_>,
    progress: &mut dyn FnMut(&ExportProgress),
    cancel: &CancelToken,
) -> Result<ExportedFiles, ExportError> {
    plan.check()?;
    let mut written = ExportedFiles::default();
    if plan.formats.contains(Format::Mp4) {
        let target = plan.target(Format::Mp4);
        let mut request = ExportRequest::new(plan.deck, plan.deck_dir, plan.audio, &target);
        request.fps = plan.fps;
        request.repeat_every = plan.repeat_every.max(0.0);
        request.crf = plan.crf;
        request.overwrite = plan.overwrite;
        request.sound = plan.sound.clone();
        request.captions = plan.captions.clone();
        let outcome = export_mp4(&request, progress, cancel)?;
        written.files.push(outcome.path.clone());
        written.mp4 = Some(outcome);
    }
    if cancel.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    // With an intro card, every time in the MP4 is later by its length: the subtitles and the
    // JSON follow the video.
    let lead = plan.deck.brand.lead();
    let shifted = (lead > 0.0).then(|| {
        (
            plan.deck.shifted(lead),
            plan.transcript.map(|transcript| transcript.shifted(lead)),
        )
    });
    let (deck, transcript) = match &shifted {
        Some((deck, transcript)) => (deck, transcript.as_ref()),
        None => (plan.deck, plan.transcript),
    };
    let cues = match (plan.subtitles, transcript) {
        (SubtitleMode::Segments, Some(transcript)) => CueSource::Segments(transcript),
        _ => CueSource::Slides(deck),
    };
    // Plain text reads as prose: a paragraph per spoken segment when the transcript is here.
    let prose = transcript.map_or(CueSource::Slides(deck), CueSource::Segments);
    for (format, subtitle, source) in [
        (Format::Srt, SubtitleFormat::Srt, cues),
        (Format::Vtt, SubtitleFormat::Vtt, cues),
        (Format::Txt, SubtitleFormat::Txt, prose),
    ] {
        if plan.formats.contains(format) {
            written.files.push(write_subtitles(
                &plan.target(format),
                subtitle,
                source,
                plan.overwrite,
            )?);
        }
    }
    if plan.formats.contains(Format::Ass) {
        let text = super::subtitles::to_ass(deck, &plan.ass);
        written.files.push(super::atomic::write_atomic(
            &plan.target(Format::Ass),
            plan.overwrite,
            text.as_bytes(),
        )?);
    }
    if let (true, Some(transcript)) = (plan.formats.contains(Format::Json), transcript) {
        written.files.push(write_json(
            &plan.target(Format::Json),
            transcript,
            deck,
            plan.overwrite,
        )?);
    }
    Ok(written)
}
