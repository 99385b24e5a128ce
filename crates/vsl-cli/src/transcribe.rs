use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use vsl_core::job::JobSpec;
use vsl_core::paths::Dirs;
use vsl_core::pipeline::{OutputNames, PipelineError};

use crate::job::{load_engine, ModelArgs};

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

pub fn run(args: TranscribeArgs, dirs: &Dirs) -> anyhow::Result<ExitCode> {
    let cancel = crate::export::install_cancel_handler();
    for input in &args.inputs {
        if !input.is_file() {
            anyhow::bail!("{}: no such file", input.display());
        }
    }
    let mut spec = JobSpec::default();
    args.model.apply(&mut spec);
    spec.glossary = args.glossary.clone();
    let resolved = spec.resolve(dirs)?;
    let engine = load_engine(&spec, dirs)?;
    vsl_core::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;

    let mut options = resolved.transcribe.clone();
    options.prompt = resolved.glossary.prompt(options.prompt.as_deref());
    let mut failures = 0;
    let mut names = OutputNames::new(false);
    // The GPU's notice, once said (at load, or when it fails mid-file).
    let mut told = engine.notice();
    for input in &args.inputs {
        let started = Instant::now();
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
        // Decoded and transcribed a block at a time: an hour's PCM is never whole in memory.
        let result = vsl_core::pipeline::transcribe_file(
            &engine,
            input,
            &options,
            &mut |percent| bar.set_position(u64::from(percent)),
            &cancel,
        );
        bar.finish_and_clear();
        if engine.notice() != told {
            told = engine.notice();
            eprintln!("note: {}", told.as_deref().unwrap_or_default());
        }
        let transcript = match result {
            Ok(transcribed) => transcribed.transcript,
            Err(PipelineError::Cancelled) => {
                eprintln!("cancelled");
                return Ok(ExitCode::from(crate::EXIT_CANCELLED));
            }
            Err(error) => {
                eprintln!("error: {}", crate::with_path(input, &error));
                failures += 1;
                continue;
            }
        };
        // talk.wav and talk.mp4 in one run must not overwrite each other's transcript.
        let name = names.next(&args.out, input);
        let out = args.out.join(format!("{name}.json"));
        let json = serde_json::to_string_pretty(&transcript)?;
        vsl_core::fs::write_atomic(&out, json.as_bytes(), vsl_core::fs::Replace::Yes)?;
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
