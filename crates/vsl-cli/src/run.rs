//! `vsl run`: the whole pipeline for each input, one progress display per file and a summary
//! with per-stage seconds and the real-time factor.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use vsl_core::pipeline::{
    self, Formats, PipelineError, PipelineOptions, PipelineOutcome, PipelineProgress, SubtitleMode,
};
use vsl_core::slides::SlideWarning;

use crate::look::{Look, LookArgs};
use crate::transcribe::ModelArgs;

#[derive(Clone, Copy, ValueEnum)]
enum Subtitles {
    /// One cue per slide (captions change with the picture).
    Slides,
    /// One cue per transcript segment.
    Segments,
}

#[derive(Args)]
pub struct RunArgs {
    /// Media files (audio or video).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Folder for `<stem>.mp4`, `.srt`, `.vtt`, `.txt`, `.json` and `<stem>_slides/`.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    look: LookArgs,
    /// What to write: any of mp4, srt, vtt, txt, json.
    #[arg(long, default_value = "mp4,srt,vtt,txt,json")]
    formats: String,
    /// What the SRT/VTT cues follow.
    #[arg(long, value_enum, default_value = "slides")]
    subtitles: Subtitles,
    /// Constant frame rate MP4 (for platforms that demand it); default: variable.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=240))]
    fps: Option<u32>,
    /// Replace existing outputs instead of refusing.
    #[arg(long)]
    overwrite: bool,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let cancel = crate::export::install_cancel_handler();
    let formats = Formats::parse(&args.formats).map_err(anyhow::Error::msg)?;
    let Look {
        preset,
        style,
        glossary,
        cache,
        ..
    } = args.look.resolve()?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;

    let engine = args.model.load_engine()?;
    let options = PipelineOptions {
        out_dir: args.out.clone(),
        // The pipeline adds the glossary's terms to the prompt itself.
        transcribe: args.model.options(args.model.prompt.clone()),
        glossary,
        style,
        preset,
        cache,
        formats,
        subtitles: match args.subtitles {
            Subtitles::Slides => SubtitleMode::Slides,
            Subtitles::Segments => SubtitleMode::Segments,
        },
        fps: args.fps,
        overwrite: args.overwrite,
    };

    let mut failures = 0;
    let mut finished = Vec::new();
    let mut names = HashSet::new();
    for input in &args.inputs {
        // Same stem twice (talk.wav, talk.mp4): the later one keeps its extension, as
        // `vsl transcribe` does, instead of replacing the first one's outputs.
        let mut name = pipeline::stem(input);
        if !names.insert(name.clone()) {
            name = input
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or(name);
            names.insert(name.clone());
        }
        let bar = ProgressBar::new(1000);
        if let Ok(style) =
            ProgressStyle::with_template("{prefix} {msg:<11} [{bar:30}] {percent:>3}% eta {eta}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(
            input
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let show = |update: PipelineProgress| match update {
            PipelineProgress::Stage(stage) => {
                bar.set_message(stage.name());
                bar.set_position(0);
                bar.reset_eta();
            }
            PipelineProgress::Transcribing { percent } => bar.set_position(u64::from(percent) * 10),
            PipelineProgress::Rendering { done, total } => {
                bar.set_position((done * 1000 / total.max(1)) as u64)
            }
            PipelineProgress::Exporting(export) => {
                bar.set_position((export.fraction() * 1000.0) as u64)
            }
        };
        let result = pipeline::run_file(&engine, input, &name, &options, &show, &cancel);
        bar.finish_and_clear();
        match result {
            Ok(outcome) => {
                print_outcome(&outcome);
                finished.push(outcome);
            }
            Err(PipelineError::Cancelled) => {
                eprintln!("cancelled; no partial output was left under a final name");
                return Ok(ExitCode::from(crate::EXIT_CANCELLED));
            }
            Err(error) => {
                eprintln!("error: {}: {error}", input.display());
                failures += 1;
            }
        }
        if cancel.load(Ordering::Relaxed) {
            return Ok(ExitCode::from(crate::EXIT_CANCELLED));
        }
    }
    if finished.len() > 1 {
        let audio: f64 = finished.iter().map(|outcome| outcome.duration).sum();
        let wall: f64 = finished.iter().map(|o| o.total.as_secs_f64()).sum();
        println!(
            "all: {} files, audio {audio:.1} s, wall {wall:.1} s, real-time factor {:.3}",
            finished.len(),
            wall / audio.max(0.001)
        );
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_outcome(outcome: &PipelineOutcome) {
    println!(
        "{}: {} words, {} slides, language {}, audio {:.1} s",
        outcome.input.display(),
        outcome.words,
        outcome.slides,
        outcome.language,
        outcome.duration
    );
    let stages: Vec<String> = outcome
        .timings
        .iter()
        .map(|(stage, took)| format!("{} {:.2} s", stage.name(), took.as_secs_f64()))
        .collect();
    println!("  {}", stages.join(" | "));
    println!(
        "  total {:.2} s, real-time factor {:.3} ({:.1}x faster than real time)",
        outcome.total.as_secs_f64(),
        outcome.real_time_factor(),
        1.0 / outcome.real_time_factor().max(1e-6)
    );
    if let Some(mp4) = &outcome.mp4 {
        println!("  {}", crate::export::summary(mp4, outcome.slides));
    }
    for warning in &outcome.warnings {
        match warning {
            SlideWarning::ReadingSpeed {
                index,
                chars_per_second,
            } => println!("  warning: slide {index} reads at {chars_per_second:.0} characters/s"),
            SlideWarning::TooShort { index, seconds } => {
                println!("  warning: slide {index} shows for only {seconds:.2} s")
            }
            SlideWarning::TooLong { index, seconds } => {
                println!("  warning: slide {index} shows for {seconds:.1} s")
            }
        }
    }
    if !outcome.corrections.review.is_empty() {
        println!(
            "  {} words to review (see {})",
            outcome.corrections.review.len(),
            outcome.slides_dir.join("corrections.json").display()
        );
    }
    for file in &outcome.files {
        println!("  -> {}", file.display());
    }
    println!("  -> {}/slide-*.png", outcome.slides_dir.display());
}
