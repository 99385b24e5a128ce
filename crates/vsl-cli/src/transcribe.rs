use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use vsl_core::models::{ModelStore, DEFAULT_MODEL};
use vsl_core::transcribe::{default_threads, Engine, TranscribeError, TranscribeOptions};

#[derive(Args)]
pub struct TranscribeArgs {
    /// Media files (audio or video).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Folder for the `<stem>.json` transcripts.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// A job glossary (TOML) whose terms, with the global glossary's, bias the model
    /// toward the right spellings.
    #[arg(long)]
    glossary: Option<std::path::PathBuf>,
}

/// The transcription options `vsl transcribe` and `vsl run` share.
#[derive(Args)]
pub struct ModelArgs {
    /// Catalog name of an installed model, or a path to a ggml file.
    #[arg(long, default_value = DEFAULT_MODEL)]
    model: String,
    /// auto, en, pt, ... (auto detects and reports the language).
    #[arg(long, default_value = "auto")]
    language: String,
    /// Custom vocabulary to bias the transcription (brand names, jargon; a glossary's terms
    /// are added).
    #[arg(long)]
    pub prompt: Option<String>,
    #[arg(long, default_value_t = default_threads())]
    threads: usize,
}

impl ModelArgs {
    /// Resolves and loads the model, saying how long loading took.
    pub fn load_engine(&self) -> anyhow::Result<Engine> {
        let model_path = ModelStore::open_default()?.resolve(&self.model)?;
        let load_started = Instant::now();
        let engine = Engine::load(&model_path)?;
        eprintln!(
            "loaded {} in {:.2} s",
            engine.name(),
            load_started.elapsed().as_secs_f64()
        );
        Ok(engine)
    }

    /// The transcription options, with `prompt` as the decoder's prompt.
    pub fn options(&self, prompt: Option<String>) -> TranscribeOptions {
        TranscribeOptions {
            language: Some(self.language.clone()),
            prompt,
            threads: self.threads,
        }
    }
}

pub fn run(args: TranscribeArgs) -> anyhow::Result<ExitCode> {
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        // A second Ctrl-C while cancelling falls through to the default handler.
        let _ = ctrlc_handler(move || cancel.store(true, Ordering::Relaxed));
    }
    let engine = args.model.load_engine()?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;

    let glossary = vsl_core::correct::Glossary::load_layers(
        Some(&vsl_core::correct::Glossary::global_path()),
        args.glossary.as_deref(),
    )?;
    let options = args
        .model
        .options(glossary.prompt(args.model.prompt.as_deref()));
    let mut failures = 0;
    let mut seen_stems = std::collections::HashSet::new();
    for input in &args.inputs {
        let started = Instant::now();
        let pcm = match vsl_core::media::decode(input, &|| cancel.load(Ordering::Relaxed)) {
            Ok(pcm) => pcm,
            Err(vsl_core::media::MediaError::Cancelled) => {
                return Ok(ExitCode::from(crate::EXIT_CANCELLED))
            }
            Err(error) => {
                eprintln!("error: {error}");
                failures += 1;
                continue;
            }
        };
        let bar = ProgressBar::new(100);
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}% eta {eta}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(
            input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let result = engine.transcribe(
            &pcm.samples,
            &options,
            &mut |percent| bar.set_position(u64::from(percent)),
            &cancel,
        );
        bar.finish_and_clear();
        let transcript = match result {
            Ok(transcript) => transcript,
            Err(TranscribeError::Cancelled) => {
                eprintln!("cancelled");
                return Ok(ExitCode::from(crate::EXIT_CANCELLED));
            }
            Err(error) => {
                eprintln!("error: {}: {error}", input.display());
                failures += 1;
                continue;
            }
        };
        let stem = input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "transcript".into());
        // talk.wav and talk.mp4 in one run must not overwrite each other's transcript.
        let name = if seen_stems.insert(stem.clone()) {
            stem
        } else {
            input
                .file_name()
                .map_or(stem, |n| n.to_string_lossy().into_owned())
        };
        let out = args.out.join(format!("{name}.json"));
        let json = serde_json::to_string_pretty(&transcript)?;
        let temp = out.with_extension("json.part");
        std::fs::write(&temp, json).with_context(|| format!("cannot write {}", temp.display()))?;
        std::fs::rename(&temp, &out).with_context(|| format!("cannot write {}", out.display()))?;
        let wall = started.elapsed().as_secs_f64();
        println!(
            "{}: {} words, language {}, audio {:.1} s, wall {:.1} s, real-time factor {:.3} -> {}",
            input.display(),
            transcript.words().count(),
            transcript.language,
            transcript.duration,
            wall,
            wall / transcript.duration.max(0.001),
            out.display()
        );
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn ctrlc_handler(handler: impl Fn() + Send + 'static) -> anyhow::Result<()> {
    ctrlc::set_handler(handler).context("cannot install the Ctrl-C handler")
}
