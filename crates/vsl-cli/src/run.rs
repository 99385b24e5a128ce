//! `vsl run`: the whole pipeline for each input, one progress display per file and a summary
//! with per-stage seconds and the real-time factor.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use vsl_core::job::{Formats, JobSpec, SubtitleMode};
use vsl_core::paths::Dirs;
use vsl_core::pipeline::{self, OutputNames, PipelineError, PipelineOutcome, PipelineProgress};

use crate::job::{load_engine, CaptionArgs, LookArgs, ModelArgs, SoundArgs};

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
    #[command(flatten)]
    sound: SoundArgs,
    #[command(flatten)]
    captions: CaptionArgs,
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
    /// The copywriter's script (.txt, .md, .docx): the slides show its words, aligned to
    /// the voice; what the voice skipped or added is reported (one input only).
    #[arg(long)]
    script: Option<PathBuf>,
}

impl RunArgs {
    /// What every input's job runs with.
    fn spec(&self, dirs: &mut Dirs) -> anyhow::Result<JobSpec> {
        let mut spec = JobSpec::default();
        self.model.apply(&mut spec);
        self.look.apply(&mut spec, dirs)?;
        self.sound.apply(&mut spec)?;
        self.captions.apply(&mut spec);
        spec.formats = Formats::parse(&self.formats)?;
        spec.subtitles = match self.subtitles {
            Subtitles::Slides => SubtitleMode::Slides,
            Subtitles::Segments => SubtitleMode::Segments,
        };
        spec.fps = self.fps;
        if self.script.is_some() && self.inputs.len() > 1 {
            anyhow::bail!("--script goes with one voice-over; run each input with its own");
        }
        spec.script = self.script.clone();
        Ok(spec)
    }
}

pub fn run(args: RunArgs, mut dirs: Dirs) -> anyhow::Result<ExitCode> {
    let cancel = crate::export::install_cancel_handler();
    // Everything that can be checked is, before the model loads: the inputs, the settings.
    for input in &args.inputs {
        if !input.is_file() {
            anyhow::bail!("{}: no such file", input.display());
        }
    }
    let spec = args.spec(&mut dirs)?;
    let resolved = spec.resolve(&dirs)?;
    vsl_core::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let options = resolved.pipeline_options(&args.out, args.overwrite);
    let engine = load_engine(&spec, &dirs)?;

    let mut failures = 0;
    let mut finished = Vec::new();
    // Same stem twice (talk.wav, talk.mp4): the later one is talk-2, never the first's files.
    let mut names = OutputNames::new(false);
    for input in &args.inputs {
        let name = names.next(&args.out, input);
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
            PipelineProgress::Warning(warning) => {
                bar.suspend(|| eprintln!("warning: {}: {warning}", input.display()));
            }
        };
        // whisper.cpp and FFmpeg are FFI: a panic on one file fails that file, not the batch.
        let outcome = vsl_core::jobs::run_protected(&cancel, || {
            pipeline::run_file(&engine, input, &name, &options, &show, &cancel)
        });
        bar.finish_and_clear();
        match outcome {
            vsl_core::jobs::JobOutcome::Completed(outcome) => {
                print_outcome(&outcome);
                finished.push(outcome);
            }
            vsl_core::jobs::JobOutcome::Cancelled => {
                eprintln!("cancelled; no partial output was left under a final name");
                return Ok(ExitCode::from(crate::EXIT_CANCELLED));
            }
            vsl_core::jobs::JobOutcome::Failed(error) => {
                report_failure(input, &error);
                failures += 1;
            }
            vsl_core::jobs::JobOutcome::Panicked(message) => {
                eprintln!("error: {}: the engine failed ({message})", input.display());
                failures += 1;
            }
        }
        if cancel.is_cancelled() {
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

/// The error, naming the input once, and the flag that fixes it, if one does.
fn report_failure(input: &std::path::Path, error: &PipelineError) {
    eprintln!("error: {}", crate::with_path(input, error));
    if let Some(remedy) = crate::remedy_for(error.kind()) {
        eprintln!("hint: {remedy}");
    }
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
        println!("  warning: {warning}");
    }
    if let Some(alignment) = &outcome.alignment {
        for line in alignment.report().lines() {
            println!("  {line}");
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
