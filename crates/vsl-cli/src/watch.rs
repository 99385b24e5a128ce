//! `vsl watch`: headless watched folders. Each new, complete media file in a folder goes
//! through the whole pipeline once; the model stays loaded between files and is released
//! when idle.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Args;
use vsl_core::health::preflight;
use vsl_core::models::{ModelStore, DEFAULT_MODEL};
use vsl_core::pipeline::{self, PipelineError};
use vsl_core::transcribe::{default_threads, ModelHost};
use vsl_core::watch::{WatchConfig, WatchEvent, WatchPreset, Watcher};

#[derive(Args)]
pub struct WatchArgs {
    /// Folders to watch (new files directly inside each one are imported).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Folder for the outputs; must not be inside a watched folder unless
    /// --allow-output-inside.
    #[arg(long)]
    out: PathBuf,
    /// Catalog name of an installed model, or a path to a ggml file.
    #[arg(long, default_value = DEFAULT_MODEL)]
    model: String,
    /// auto, en, pt, ...
    #[arg(long, default_value = "auto")]
    language: String,
    /// Slide shape: 16:9, 1:1 or 9:16.
    #[arg(long, default_value = "16:9")]
    preset: String,
    /// classic, dark, or a custom theme from slides.toml.
    #[arg(long, default_value = "classic")]
    theme: String,
    /// The folders' glossary (TOML), applied over the global one.
    #[arg(long)]
    glossary: Option<PathBuf>,
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
    #[arg(long, default_value_t = default_threads())]
    threads: usize,
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    vsl_core::cache::parse_duration(text).map_err(|error| error.to_string())
}

pub fn run(args: WatchArgs) -> anyhow::Result<ExitCode> {
    let cancel = crate::export::install_cancel_handler();
    vsl_core::pipeline::Formats::parse(&args.formats).map_err(anyhow::Error::msg)?;
    let limits = vsl_core::cache::CacheLimits::configured()?;
    match vsl_core::cache::cleanup_default(limits) {
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
            dir: dir.clone(),
            out_dir: args.out.clone(),
            model: args.model.clone(),
            language: args.language.clone(),
            glossary: args.glossary.clone(),
            aspect: args.preset.clone(),
            theme: args.theme.clone(),
            formats: args.formats.clone(),
            allow_output_inside: args.allow_output_inside,
        })
        .collect();
    let mut config = WatchConfig::new(folders);
    config.debounce = args.debounce;
    if let Some(state) = &args.state {
        config.state_file = state.clone();
    }
    // Folders first: a misplaced output folder is the likelier mistake, and cheaper to report.
    let mut watcher = Watcher::new(config)?;
    let store = ModelStore::open_default()?;
    let model_path = store.resolve(&args.model)?;
    // Released after ten idle minutes: a watcher waits for hours between drops.
    let host = ModelHost::new(Duration::from_secs(600));
    let mut process = |input: &Path, preset: &WatchPreset| -> Result<Vec<PathBuf>, String> {
        let loaded = host.loaded().is_some();
        let model = (!loaded).then_some(model_path.as_path());
        for warning in preflight(input, &preset.out_dir, model) {
            eprintln!("warning: {}: {warning}", input.display());
        }
        let engine = host
            .engine(&model_path)
            .map_err(|error| error.to_string())?;
        let options = preset.pipeline_options(args.threads)?;
        std::fs::create_dir_all(&preset.out_dir)
            .map_err(|error| format!("cannot create {}: {error}", preset.out_dir.display()))?;
        let name = pipeline::free_stem(&preset.out_dir, input);
        match pipeline::run_file(&engine, input, &name, &options, &|_| {}, &cancel) {
            Ok(outcome) => {
                println!(
                    "  {} words, {} slides, {:.1} s audio in {:.1} s",
                    outcome.words,
                    outcome.slides,
                    outcome.duration,
                    outcome.total.as_secs_f64()
                );
                let mut files = outcome.files;
                files.push(outcome.slides_dir);
                Ok(files)
            }
            Err(PipelineError::Cancelled) => Err("cancelled".to_owned()),
            Err(error) => Err(error.to_string()),
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
    Ok(if cancel.load(Ordering::Relaxed) {
        ExitCode::from(crate::EXIT_CANCELLED)
    } else {
        ExitCode::SUCCESS
    })
}
