use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use vsl_core::jobs::CancelToken;

use clap::{Args, Subcommand};
use serde_json::json;
use vsl_core::models::ModelStore;
use vsl_core::transcribe::metrics::{normalize_words as normalize, word_error_rate as wer};
use vsl_core::transcribe::{default_threads, Engine, TranscribeOptions};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Time model load and transcription; prints one JSON line per run.
    Transcribe(TranscribeBench),
    /// Time rendering 100 slides: cold, fully cached, and after editing one.
    Slides(crate::slides::SlidesBench),
    /// Model load, transcription, rendering and export of a sample, with a cached second
    /// run: a table of per-stage seconds, real-time factors and peak RSS.
    Pipeline(crate::monitor::PipelineBench),
}

#[derive(Args)]
pub struct TranscribeBench {
    /// Catalog name of an installed model, or a ggml file.
    #[arg(long, default_value = vsl_core::models::DEFAULT_MODEL)]
    model: String,
    /// Audio or video file to transcribe.
    #[arg(long)]
    audio: PathBuf,
    /// Reference transcript (plain text) to compute the word error rate against.
    #[arg(long)]
    reference: Option<PathBuf>,
    #[arg(long, default_value = "auto")]
    language: String,
    #[arg(long, default_value_t = 3)]
    runs: usize,
    #[arg(long, default_value_t = default_threads())]
    threads: usize,
}

pub fn run(command: BenchCommand, dirs: &vsl_core::paths::Dirs) -> anyhow::Result<ExitCode> {
    let args = match command {
        BenchCommand::Transcribe(args) => args,
        BenchCommand::Slides(args) => return crate::slides::bench(args),
        BenchCommand::Pipeline(args) => return crate::monitor::bench(args, dirs),
    };
    let store = ModelStore::open(dirs);
    let path = store.resolve(&args.model)?;
    let reference = match &args.reference {
        Some(file) => Some(normalize(&std::fs::read_to_string(file)?)),
        None => None,
    };
    let started = Instant::now();
    let engine = Engine::load(&path)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let pcm = vsl_core::media::decode(&args.audio, &CancelToken::new())?;
    let options = TranscribeOptions {
        language: vsl_core::job::Language::parse(&args.language)
            .code()
            .map(str::to_owned),
        prompt: None,
        threads: args.threads,
    };
    for run in 0..args.runs.max(1) {
        let started = Instant::now();
        let transcript =
            engine.transcribe(&pcm.samples, &options, &mut |_| {}, &CancelToken::new())?;
        let seconds = started.elapsed().as_secs_f64();
        let error_rate = reference
            .as_ref()
            .map(|reference| wer(reference, &normalize(&transcript.text())));
        println!(
            "{}",
            json!({
                "engine": "vsl",
                "model": args.model,
                "file": path.file_name().and_then(|n| n.to_str()),
                "threads": args.threads,
                "run": run,
                "load_s": load_seconds,
                "audio_s": pcm.duration(),
                "transcribe_s": seconds,
                "rtf": seconds / pcm.duration(),
                "wer": error_rate,
                "words": transcript.words().count(),
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}
