//! `vsl watch`: headless watched folders. Each new, complete media file in a folder goes
//! through the whole pipeline once; the model stays loaded between files and is released
//! when idle.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use vsl_core::cache::CacheLimits;
use vsl_core::job::{Formats, JobSpec};
use vsl_core::jobs::{run_protected, JobOutcome};
use vsl_core::models::ModelStore;
use vsl_core::paths::Dirs;
use vsl_core::pipeline::{self, PipelineProgress};
use vsl_core::transcribe::ModelHost;
use vsl_core::watch::{WatchConfig, WatchEvent, WatchPreset, Watcher};

use crate::job::{LookArgs, ModelArgs, SoundArgs};

#[derive(Args)]
pub struct WatchArgs {
    /// Folders to watch (new files directly inside each one are imported).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Folder for the outputs; must not be inside a watched folder unless
    /// --allow-output-inside.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    look: LookArgs,
    #[command(flatten)]
    sound: SoundArgs,
    /// What to write: any of mp4, srt, vtt, txt, json.
    #[arg(long, default_value = "mp4,srt,vtt,txt,json")]
    formats: String,
    /// How long a file's size and time must stay unchanged before it is imported.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    debounce: Duration,
    /// Let the output folder be inside a watched folder (outputs are never imported).
    #[arg(long)]
    allow_output_inside: bool,
    /// The processed/failed state file (default: <data dir>/watch/state.json).
    #[arg(long)]
    state: Option<PathBuf>,
    /// At start-up, remove cache entries unused for longer than this (off: keep them).
    #[arg(long, default_value = CacheLimits::DEFAULT_MAX_AGE)]
    cache_max_age: String,
    /// Then the least recently used until the cache fits this size (off: no limit).
    #[arg(long, default_value = CacheLimits::DEFAULT_MAX_SIZE)]
    cache_max_size: String,
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    vsl_core::cache::parse_duration(text).map_err(|error| error.to_string())
}

impl WatchArgs {
    /// What every file's job runs with (the flags `vsl run` has, and the folders').
    fn spec(&self, dirs: &mut Dirs) -> anyhow::Result<JobSpec> {
        let mut spec = JobSpec::default();
        self.model.apply(&mut spec);
        self.look.apply(&mut spec, dirs)?;
        self.sound.apply(&mut spec)?;
        spec.formats = Formats::parse(&self.formats)?;
        Ok(spec)
    }
}

pub fn run(args: WatchArgs, dirs: &Dirs) -> anyhow::Result<ExitCode> {
    let cancel = crate::export::install_cancel_handler();
    let mut dirs = dirs.clone();
    let spec = args.spec(&mut dirs)?;
    let dirs = &dirs;
    // The settings are checked once, now, as every file's job would check them.
    spec.resolve(dirs)?;
    let limits = CacheLimits::parse(&args.cache_max_age, &args.cache_max_size)?;
    match vsl_core::cache::cleanup_default(dirs, limits) {
        Ok(report) if report.removed_by_age + report.removed_by_size > 0 => eprintln!(
            "cache: removed {} old entries ({})",
            report.removed_by_age + report.removed_by_size,
            vsl_core::cache::format_size(report.freed_bytes)
        ),
        Ok(_) => {}
        Err(error) => eprintln!("warning: cache cleanup: {error}"),
    }
    let folders = args
        .dirs
        .iter()
        .map(|dir| WatchPreset {
            allow_output_inside: args.allow_output_inside,
            ..WatchPreset::new(dir, &args.out, spec.clone())
        })
        .collect();
    let mut config = WatchConfig::new(folders, dirs);
    config.debounce = args.debounce;
    if let Some(state) = &args.state {
        config.state_file = state.clone();
    }
    // Folders first: a misplaced output folder is the likelier mistake, and cheaper to report.
    let mut watcher = Watcher::new(config)?;
    let model_path = ModelStore::open(dirs).resolve(&spec.model)?;
    // Released after ten idle minutes: a watcher waits for hours between drops.
    let host = ModelHost::new(Duration::from_secs(600));
    let mut process = |input: &Path, preset: &WatchPreset| -> Result<Vec<PathBuf>, String> {
        let engine = host
            .engine(&model_path)
            .map_err(|error| error.to_string())?;
        // Resolved per file: the glossary or slides.toml may have changed since the start,
        // and a script with the media's stem beside it is that file's own.
        let mut spec = preset.spec.clone();
        if spec.script.is_none() {
            spec.script = vsl_core::script::beside(input);
        }
        let options = spec
            .resolve(dirs)
            .map_err(|error| error.to_string())?
            .pipeline_options(&preset.out_dir, false);
        vsl_core::fs::create_dir_all(&preset.out_dir).map_err(|error| error.to_string())?;
        let name = pipeline::free_stem(&preset.out_dir, input);
        let show = |update: PipelineProgress| {
            if let PipelineProgress::Warning(warning) = update {
                eprintln!("warning: {}: {warning}", input.display());
            }
        };
        // A panic in FFmpeg or whisper.cpp on one poisoned file fails that file only.
        match run_protected(&cancel, || {
            pipeline::run_file(&engine, input, &name, &options, &show, &cancel)
        }) {
            JobOutcome::Completed(outcome) => {
                println!(
                    "  {} words, {} slides, {:.1} s audio in {:.1} s",
                    outcome.words,
                    outcome.slides,
                    outcome.duration,
                    outcome.total.as_secs_f64()
                );
                if let Some(alignment) = &outcome.alignment {
                    println!("  {}", alignment.report().replace('\n', "\n  "));
                }
                let mut files = outcome.files;
                files.push(outcome.slides_dir);
                Ok(files)
            }
            JobOutcome::Cancelled => Err("cancelled".to_owned()),
            JobOutcome::Failed(error) => Err(error.to_string()),
            JobOutcome::Panicked(message) => Err(format!("the engine failed: {message}")),
        }
    };
    let mut report = |event: WatchEvent| match event {
        WatchEvent::Watching { dir } => println!("watching {}", dir.display()),
        WatchEvent::FolderMissing { dir } => {
            println!("missing {} (waiting for it to come back)", dir.display())
        }
        WatchEvent::Importing { path } => println!("importing {}", path.display()),
        WatchEvent::Done { path, outputs } => {
            println!("done {} ({} outputs)", path.display(), outputs.len());
            for output in outputs {
                println!("  -> {}", output.display());
            }
        }
        WatchEvent::Failed { path, error } => println!("failed {}: {error}", path.display()),
        WatchEvent::Duplicate { path, original } => println!(
            "skipped {}: same content and settings as {}",
            path.display(),
            original.display()
        ),
        WatchEvent::AlreadyProcessed { path } => {
            println!("skipped {}: already processed", path.display())
        }
    };
    watcher.run(&mut process, &mut report, &cancel)?;
    Ok(if cancel.is_cancelled() {
        ExitCode::from(crate::EXIT_CANCELLED)
    } else {
        ExitCode::SUCCESS
    })
}
