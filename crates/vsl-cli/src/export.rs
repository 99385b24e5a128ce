//! `vsl export`: slides.json + the original media → MP4 (and subtitles), without transcribing
//! again. Used after editing the slides that `vsl slides` or `vsl run` wrote.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use vsl_core::export::atomic::check_target;
use vsl_core::export::{
    export_mp4, write_subtitles, AudioMode, CueSource, ExportError, ExportOutcome, ExportProgress,
    ExportRequest, SubtitleFormat, DEFAULT_CRF, DEFAULT_REPEAT_EVERY,
};
use vsl_core::slides::SlideDeck;

#[derive(Args)]
pub struct ExportArgs {
    /// The slides.json written by `vsl slides` or `vsl run` (images are found next to it).
    slides: PathBuf,
    /// The original audio or video file the slides were made from.
    #[arg(long)]
    audio: PathBuf,
    /// The MP4 to write; subtitles go beside it with the same stem.
    #[arg(long)]
    out: PathBuf,
    /// Constant frame rate (for platforms that demand it); default: variable, one picture
    /// per slide.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=240))]
    fps: Option<u32>,
    /// Also write these next to the MP4: srt, vtt, txt (one cue per slide).
    #[arg(long, value_delimiter = ',', default_value = "mp4")]
    formats: Vec<String>,
    /// Replace existing files instead of refusing.
    #[arg(long)]
    overwrite: bool,
    /// Variable frame rate: longest time between repeated pictures, in seconds (0: none).
    #[arg(long, default_value_t = DEFAULT_REPEAT_EVERY)]
    repeat_every: f64,
    /// x264 quality (lower is better and larger; 18-23 is sensible).
    #[arg(long, default_value_t = DEFAULT_CRF, value_parser = clap::value_parser!(u8).range(0..=51))]
    crf: u8,
}

pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let cancel = install_cancel_handler();
    let deck = read_deck(&args.slides)?;
    let deck_dir = args
        .slides
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let formats = parse_formats(&args.formats)?;
    let mut request = ExportRequest::new(&deck, deck_dir, &args.audio, &args.out);
    request.fps = args.fps;
    request.overwrite = args.overwrite;
    request.repeat_every = args.repeat_every.max(0.0);
    request.crf = args.crf;

    // Refuse before the export rather than after it, when a subtitle file is in the way.
    for name in ["srt", "vtt", "txt"] {
        if formats.contains(&name) {
            check_target(&args.out.with_extension(name), args.overwrite)?;
        }
    }
    let outcome = if formats.contains(&"mp4") {
        let bar = progress_bar("exporting");
        let result = export_mp4(&request, &mut |progress| show(&bar, progress), &cancel);
        bar.finish_and_clear();
        match result {
            Ok(outcome) => Some(outcome),
            Err(ExportError::Cancelled) => {
                eprintln!("cancelled; nothing was written");
                return Ok(ExitCode::from(crate::EXIT_CANCELLED));
            }
            Err(error) => return Err(error.into()),
        }
    } else {
        None
    };
    for (name, format) in [
        ("srt", SubtitleFormat::Srt),
        ("vtt", SubtitleFormat::Vtt),
        ("txt", SubtitleFormat::Txt),
    ] {
        if formats.contains(&name) {
            let path = args.out.with_extension(name);
            write_subtitles(&path, format, CueSource::Slides(&deck), args.overwrite)?;
            println!("{}", path.display());
        }
    }
    if let Some(outcome) = outcome {
        println!("{}", summary(&outcome, deck.slides.len()));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn read_deck(path: &Path) -> anyhow::Result<SlideDeck> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a slides.json written by `vsl slides` or `vsl run`",
            path.display()
        )
    })
}

fn parse_formats(names: &[String]) -> anyhow::Result<Vec<&'static str>> {
    names
        .iter()
        .map(|name| match name.trim().to_ascii_lowercase().as_str() {
            "mp4" => Ok("mp4"),
            "srt" => Ok("srt"),
            "vtt" => Ok("vtt"),
            "txt" => Ok("txt"),
            other => anyhow::bail!("unknown format '{other}' (use mp4, srt, vtt, txt)"),
        })
        .collect()
}

/// Ctrl-C sets the flag the export polls; the export then removes its temporary file.
pub fn install_cancel_handler() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    // If a handler is already installed, Ctrl-C keeps its default behaviour, which still
    // stops the process; the temporary file is then left as a hidden `.part` file.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
    cancel
}

pub fn progress_bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::new(1000);
    if let Ok(style) =
        ProgressStyle::with_template(&format!("{label} [{{bar:30}}] {{percent:>3}}% {{msg}}"))
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

pub fn show(bar: &ProgressBar, progress: &ExportProgress) {
    bar.set_position((progress.fraction() * 1000.0) as u64);
    let eta = progress
        .eta()
        .map(|eta| format!(", eta {:.0} s", eta.as_secs_f64()))
        .unwrap_or_default();
    bar.set_message(format!(
        "frames {}/{}, audio {:.0}/{:.0} s{eta}",
        progress.frames_written, progress.frames_total, progress.audio_done, progress.audio_total
    ));
}

pub fn summary(outcome: &ExportOutcome, slides: usize) -> String {
    let audio = match &outcome.audio {
        AudioMode::Copied => "audio copied".to_owned(),
        AudioMode::Encoded {
            from_codec,
            bit_rate,
        } => format!("audio {from_codec} -> AAC {} kb/s", bit_rate / 1000),
    };
    let seconds = outcome.elapsed.as_secs_f64();
    let mut text = format!(
        "{slides} slides, {} frames ({} keyframes), {audio}, {:.2} s of video, {:.1} MB, \
         exported in {seconds:.2} s ({:.0}x real time) -> {}",
        outcome.video_frames,
        outcome.keyframes,
        outcome.duration,
        outcome.bytes as f64 / 1e6,
        outcome.duration / seconds.max(0.001),
        outcome.path.display()
    );
    if !outcome.dropped_slides.is_empty() {
        text.push_str(&format!(
            "\nwarning: slides {:?} were not shown (they start after the audio ends or at the \
             same moment as another slide)",
            outcome.dropped_slides
        ));
    }
    text
}
