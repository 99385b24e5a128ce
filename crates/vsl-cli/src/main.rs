//! `vsl`: the headless VSL Studio. Glue only: every command parses its arguments,
//! calls `vsl-core`, and prints the outcome.

mod bench;
mod cache;
mod export;
mod health;
mod job;
mod looks;

mod models;
mod monitor;
mod run;
mod slides;
mod transcribe;
mod watch;
mod worker;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vsl_core::ErrorKind;

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
    /// List, import, export and delete looks (fonts, colours, logo, background, progress bar).
    Looks {
        #[command(subcommand)]
        command: looks::LooksCommand,
    },
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
    /// The engine process `vsl watch` and the app run jobs in (JSON lines on stdin/stdout).
    #[command(hide = true)]
    Worker(worker::WorkerArgs),
}

/// Exit codes: 0 ok, 1 failure, 2 usage (clap), 130 cancelled.
pub const EXIT_CANCELLED: u8 = 130;

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    // The one place the CLI reads where its files live; every command gets these.
    let dirs = vsl_core::paths::Dirs::from_env();
    let result = match cli.command {
        Command::Models { command } => models::run(command, &dirs),
        Command::Transcribe(args) => transcribe::run(args, &dirs),
        Command::Slides(args) => slides::run(args, dirs),
        Command::Export(args) => export::run(args, &dirs),
        Command::Looks { command } => looks::run(command, &dirs),
        Command::Run(args) => run::run(args, dirs),
        Command::Bench { command } => bench::run(command, &dirs),
        Command::Watch(args) => watch::run(args, &dirs),
        Command::Health(args) => health::run(args, &dirs),
        Command::Cache { command } => cache::run(command, &dirs),
        Command::Monitor(args) => monitor::monitor(args, &dirs),
        Command::Worker(args) => worker::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", message(&error));
            if let Some(remedy) = remedy(&error) {
                eprintln!("hint: {remedy}");
            }
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each said once: the library's errors already
/// carry their cause's text (and most name their file), so a cause that repeats what is
/// said is dropped, and one that says all of it replaces it.
fn message(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if cause.contains(&text) {
            text = cause;
        } else if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}

/// What to try, for the errors a flag fixes. The library's messages name the file and say
/// what went wrong; only the CLI knows its own flags.
fn remedy(error: &anyhow::Error) -> Option<&'static str> {
    error.chain().find_map(|cause| {
        if let Some(error) = cause.downcast_ref::<vsl_core::models::ModelError>() {
            return match error.kind() {
                ErrorKind::Exists => Some("pass --force to replace it"),
                ErrorKind::NotInstalled | ErrorKind::UnknownModel => Some(
                    "see `vsl models list`; `vsl models download NAME` or `vsl models import-ct2 DIR`",
                ),
                _ => None,
            };
        }
        let kind = if let Some(error) = cause.downcast_ref::<vsl_core::export::ExportError>() {
            error.kind()
        } else if let Some(error) = cause.downcast_ref::<vsl_core::pipeline::PipelineError>() {
            error.kind()
        } else {
            cause.downcast_ref::<vsl_core::job::JobError>()?.kind()
        };
        remedy_for(kind)
    })
}

/// `error`'s message, prefixed with `path` unless it already names it (most do).
pub fn with_path(path: &std::path::Path, error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    if text.contains(&*path.to_string_lossy()) {
        text
    } else {
        format!("{}: {text}", path.display())
    }
}

/// The flag that fixes an error of `kind`, if one does.
pub fn remedy_for(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::Exists => Some("pass --overwrite to replace it"),
        ErrorKind::UnknownTheme => {
            Some("see `vsl looks list`; `vsl looks import DIR` saves a look (custom colours can also go in slides.toml, see --config)")
        }
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::message;

    #[test]
    fn error_messages_say_each_thing_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let error = anyhow::Error::new(vsl_core::slides::SlidesError::Io {
            path: "/x/slides.json".into(),
            source: io,
        });
        assert_eq!(
            message(&error),
            "/x/slides.json: cannot read: No such file or directory"
        );
        let error = anyhow::anyhow!("/x/a.mp4: file not found").context("/x/a.mp4");
        assert_eq!(message(&error), "/x/a.mp4: file not found");
        let error = anyhow::anyhow!("disk full").context("writing /x/o.mp4");
        assert_eq!(message(&error), "writing /x/o.mp4: disk full");
    }
}
