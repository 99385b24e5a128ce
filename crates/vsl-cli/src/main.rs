//! `vsl`: the headless VSL Studio. Glue only: every command parses its arguments,
//! calls `vsl-core`, and prints the outcome.

mod bench;
mod models;
mod transcribe;

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
        Command::Bench { command } => bench::run(command),
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
