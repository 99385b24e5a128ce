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
    /// Time aligning a script to a transcript of `--minutes` of speech (synthetic: 150 words
    /// a minute, with words dropped and added and numbers read out); one JSON line.
    Align {
        #[arg(long, default_value_t = 60.0)]
        minutes: f64,
    },
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
    /// auto (the first GPU, else the CPU), cpu, or a GPU's name (Vulkan0, CUDA0).
    #[arg(long, default_value = "auto")]
    device: String,
}

pub fn run(command: BenchCommand, dirs: &vsl_core::paths::Dirs) -> anyhow::Result<ExitCode> {
    let args = match command {
        BenchCommand::Transcribe(args) => args,
        BenchCommand::Slides(args) => return crate::slides::bench(args),
        BenchCommand::Pipeline(args) => return crate::monitor::bench(args, dirs),
        BenchCommand::Align { minutes } => return bench_align(minutes),
    };
    let store = ModelStore::open(dirs);
    let path = store.resolve(&args.model)?;
    let reference = match &args.reference {
        Some(file) => Some(normalize(&std::fs::read_to_string(file)?)),
        None => None,
    };
    let started = Instant::now();
    let engine = Engine::load_on(&path, &args.device.parse().unwrap_or_default())?;
    if let Some(notice) = engine.notice() {
        eprintln!("note: {notice}");
    }
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
                "device": engine.device().label(),
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

/// A long script and a transcript of it as a voice would read it: every 50th word dropped,
/// a word added every 70, numbers written as digits in the script and read as words.
fn bench_align(minutes: f64) -> anyhow::Result<ExitCode> {
    use vsl_core::transcribe::{Segment, Transcript, Word};
    const VOCABULARY: [&str; 24] = [
        "vendas",
        "cliente",
        "produto",
        "oferta",
        "garantia",
        "resultado",
        "método",
        "semana",
        "dinheiro",
        "tempo",
        "passo",
        "segredo",
        "estratégia",
        "mercado",
        "negócio",
        "online",
        "você",
        "vai",
        "descobrir",
        "como",
        "hoje",
        "mais",
        "simples",
        "agora",
    ];
    let count = (minutes * 150.0).max(10.0) as usize;
    let mut lines = Vec::new();
    let mut heard = Vec::new();
    let mut time = 0.0;
    let mut line = Vec::new();
    for k in 0..count {
        let (written, spoken): (String, Vec<&str>) = if k % 97 == 0 {
            ("90%".to_owned(), vec!["noventa", "por", "cento"])
        } else {
            let word = VOCABULARY[(k * 7 + k / 24) % VOCABULARY.len()];
            (word.to_owned(), vec![word])
        };
        line.push(written);
        if line.len() == 12 {
            lines.push(line.join(" "));
            line.clear();
        }
        if k % 50 == 49 {
            continue;
        }
        if k % 70 == 69 {
            heard.push(("improviso", time));
            time += 0.4;
        }
        for word in spoken {
            heard.push((word, time));
            time += 0.4;
        }
    }
    lines.push(line.join(" "));
    let words: Vec<Word> = heard
        .iter()
        .map(|(text, start)| Word {
            text: format!(" {text}"),
            start: *start,
            end: start + 0.35,
            probability: 0.9,
        })
        .collect();
    let transcript = Transcript {
        language: "pt".into(),
        duration: time,
        model: "bench".into(),
        segments: vec![Segment {
            start: 0.0,
            end: time,
            text: String::new(),
            words,
        }],
        flags: Vec::new(),
    };
    let script = vsl_core::script::Script::parse(&lines.join("\n"), "bench.txt")
        .map_err(|()| anyhow::anyhow!("the synthetic script is empty"))?;
    let started = Instant::now();
    let alignment =
        vsl_core::script::align(&script, &transcript, std::path::Path::new("bench.txt"))?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "minutes": minutes,
            "script_words": script.word_count(),
            "heard_words": transcript.words().count(),
            "align_seconds": seconds,
            "heard_share": alignment.heard_share(),
            "unscripted_spans": alignment.unscripted.len(),
        })
    );
    Ok(ExitCode::SUCCESS)
}
