//! `vsl`: the headless VSL Studio. Glue only: every command parses its arguments,
//! calls `vsl-core`, and prints the outcome.

mod bench;
mod cache;
mod export;
mod health;
mod look;
mod models;
mod monitor;
mod run;
mod slides;
mod transcribe;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vsl",
    version,
    about = "VSL Studio on the command line: offline transcription to timed slides and MP4"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List, download, import, verify and remove Whisper models.
    Models {
        #[command(subcommand)]
        command: models::ModelsCommand,
    },
    /// Transcribe media files to `<stem>.json` transcripts.
    Transcribe(transcribe::TranscribeArgs),
    /// Correct a transcript with the glossary, cut it into timed slides and render them to PNG.
    Slides(slides::SlidesArgs),
    /// Export slides.json + the original audio to MP4 (and SRT/VTT/TXT) without transcribing.
    Export(export::ExportArgs),
    /// The whole pipeline: media → transcript → slides → MP4, SRT, VTT, TXT and JSON.
    Run(run::RunArgs),
    /// Watch folders: each new, complete media file goes through the pipeline once.
    Watch(watch::WatchArgs),
    /// CPU, memory, model, cache, free disk and the whisper backend.
    Health(health::HealthArgs),
    /// Report the caches' sizes, or clean them up by age and size.
    Cache {
        #[command(subcommand)]
        command: cache::CacheCommand,
    },
    /// Print a health line every interval until stopped.
    Monitor(monitor::MonitorArgs),
    /// Measure the pipeline's stages (results go to docs/BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

/// Exit codes: 0 ok, 1 failure, 2 usage (clap), 130 cancelled.
pub const EXIT_CANCELLED: u8 = 130;

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Models { command } => models::run(command),
        Command::Transcribe(args) => transcribe::run(args),
        Command::Slides(args) => slides::run(args),
        Command::Export(args) => export::run(args),
        Command::Run(args) => run::run(args),
        Command::Bench { command } => bench::run(command),
        Command::Watch(args) => watch::run(args),
        Command::Health(args) => health::run(args),
        Command::Cache { command } => cache::run(command),
        Command::Monitor(args) => monitor::monitor(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Rust ignores SIGPIPE, which turns `vsl models list | head` into a panic; a CLI
/// should simply stop when its reader goes away.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: resetting a signal to its default disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
