//! `vsl watch`: headless watched folders. Each new, complete media file in a folder goes
//! through the whole pipeline once, in the engine process (`vsl worker`), so a file that
//! crashes FFmpeg or whisper.cpp fails alone and the watcher goes on; the model stays loaded
//! in the worker between files and is released when idle. A watcher killed mid-job resumes
//! that file under its own name when started again (`vsl_core::watch`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use vsl_core::cache::CacheLimits;
use vsl_core::job::{Formats, JobSpec};
use vsl_core::models::ModelStore;
use vsl_core::paths::Dirs;
use vsl_core::watch::{WatchConfig, WatchEvent, WatchJob, WatchPreset, Watcher};
use vsl_core::worker::{
    JobRequest, Progress, WorkerClient, WorkerCommand, WorkerDirs, WorkerError,
};

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
    // Checked now so a missing model is told at start, not per file.
    ModelStore::open(dirs).resolve(&spec.model)?;
    ignore_sigpipe();
    let program = std::env::current_exe()?;
    let mut client = WorkerClient::new(WorkerCommand {
        // Released after ten idle minutes: a watcher waits for hours between drops.
        args: vec!["worker".into(), "--idle".into(), "10m".into()],
        ..WorkerCommand::vsl(program)
    });
    let mut process = |job: &WatchJob<'_>| -> Result<Vec<PathBuf>, String> {
        let input = job.input;
        // Resolved per file (in the worker): the glossary or slides.toml may have changed
        // since the start, and a script with the media's stem beside it is that file's own.
        let mut spec = job.preset.spec.clone();
        if spec.script.is_none() {
            spec.script = vsl_core::script::beside(input);
        }
        vsl_core::fs::create_dir_all(&job.preset.out_dir).map_err(|error| error.to_string())?;
        let request = JobRequest {
            spec,
            input: input.to_path_buf(),
            out_dir: job.preset.out_dir.clone(),
            name: job.name.to_owned(),
            overwrite: job.replace,
            dirs: WorkerDirs::from(dirs),
        };
        let mut show = |update: &Progress| {
            if let Progress::Warning { message } = update {
                eprintln!("warning: {}: {message}", input.display());
            }
        };
        match client.run(&request, &mut show, &cancel) {
            Ok(outcome) => {
                println!(
                    "  {} words, {} slides, {:.1} s audio in {:.1} s",
                    outcome.words,
                    outcome.slides,
                    outcome.duration,
                    outcome.total_ms as f64 / 1000.0
                );
                if let Some(alignment) = &outcome.alignment {
                    println!("  {}", alignment.replace('\n', "\n  "));
                }
                let mut files = outcome.files;
                files.push(outcome.slides_dir);
                Ok(files)
            }
            Err(WorkerError::Cancelled) => Err("cancelled".to_owned()),
            Err(error) => Err(crate::with_path(input, &error)),
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
        WatchEvent::Resuming { path } => {
            println!(
                "resuming {} (interrupted before it finished)",
                path.display()
            )
        }
        WatchEvent::StaleRemoved { paths } => {
            println!(
                "removed {} temporary files left by a killed run",
                paths.len()
            )
        }
    };
    watcher.run_jobs(&mut process, &mut report, &cancel)?;
    client.shutdown();
    Ok(if cancel.is_cancelled() {
        ExitCode::from(crate::EXIT_CANCELLED)
    } else {
        ExitCode::SUCCESS
    })
}

/// A worker that dies mid-job closes its pipe; writing to it must be an error to report, not
/// a SIGPIPE that ends the watcher (`main` restores SIGPIPE's default for the other commands).
fn ignore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: changing a signal's disposition; no handler runs Rust code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}
