use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use vsl_core::job::JobSpec;
use vsl_core::jobs::CancelToken;
use vsl_core::paths::Dirs;
use vsl_core::pipeline::{self, PipelineError, Resliced};
use vsl_core::render::{self, RenderSize, Renderer, SlideCache, SlideStyle};
use vsl_core::slides::{self, Aspect, SlideDeck};
use vsl_core::transcribe::Transcript;

use crate::job::LookArgs;

#[derive(Args)]
pub struct SlidesArgs {
    /// A transcript written by `vsl transcribe`.
    transcript: PathBuf,
    /// Folder for the PNGs, `slides.json` and `corrections.json`.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    look: LookArgs,
    /// The copywriter's script (.txt, .md, .docx): the slides show its words, aligned to
    /// the transcript; `alignment.json` and a report say what the voice skipped or added.
    #[arg(long)]
    script: Option<PathBuf>,
}

pub fn run(args: SlidesArgs, mut dirs: Dirs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let cancel = crate::export::install_cancel_handler();
    let transcript = read_transcript(&args.transcript)?;
    let mut spec = JobSpec::default();
    args.look.apply(&mut spec, &mut dirs)?;
    spec.script = args.script.clone();
    let resolved = spec.resolve(&dirs)?;
    // The deck is rendered where it is written; outputs are never exported from here.
    let options = resolved.pipeline_options(&args.out, true);
    vsl_core::fs::create_dir_all(&args.out)?;

    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("rendering [{bar:30}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    let result = pipeline::slides_from(
        transcript,
        &options,
        &args.out,
        &|done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
        &cancel,
    );
    bar.finish_and_clear();
    let Resliced {
        deck,
        alignment,
        corrections: report,
        stats,
    } = match result {
        Ok(made) => made,
        Err(PipelineError::Cancelled) => {
            eprintln!("cancelled");
            return Ok(ExitCode::from(crate::EXIT_CANCELLED));
        }
        Err(error) => return Err(error.into()),
    };
    if let Some(alignment) = &alignment {
        eprintln!("{}", alignment.report());
    }
    let (preset, style) = (&resolved.preset, &resolved.style);

    for warning in slides::check(&deck.slides, preset) {
        eprintln!("warning: {warning}");
    }
    println!(
        "{} slides {} {} ({} rendered, {} cached), {} glossary replacements, {} words to review, {:.2} s -> {}",
        deck.slides.len(),
        deck.preset,
        style.size,
        stats.rendered,
        stats.cached,
        report.replacements.len(),
        report.review.len(),
        started.elapsed().as_secs_f64(),
        args.out.join(slides::DECK_FILE).display()
    );
    Ok(ExitCode::SUCCESS)
}

fn read_transcript(path: &Path) -> anyhow::Result<Transcript> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a transcript written by `vsl transcribe`",
            path.display()
        )
    })
}

#[derive(Args)]
pub struct SlidesBench {
    /// Slides in the deck.
    #[arg(long, default_value_t = 100)]
    slides: usize,
    #[arg(long, default_value = "1920x1080")]
    size: String,
    /// Rendering threads (the target machine has 2 cores).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    #[arg(long, default_value = "classic")]
    theme: String,
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// Times rendering a synthetic deck: cold (empty cache, fonts not yet loaded), fully
/// cached (same folder again), from the cache into a new folder, and after editing one
/// slide. Prints one JSON line per run.
pub fn bench(args: SlidesBench) -> anyhow::Result<ExitCode> {
    let size = RenderSize::parse(&args.size)?;
    let theme = vsl_core::render::Theme::builtin(&args.theme)
        .with_context(|| format!("unknown built-in theme '{}'", args.theme))?;
    let aspect = if size.width > size.height * 6 / 5 {
        Aspect::Landscape
    } else if size.height > size.width * 6 / 5 {
        Aspect::Portrait
    } else {
        Aspect::Square
    };
    let preset = vsl_core::slides::SlidePreset::for_aspect(aspect);
    let style = SlideStyle {
        theme,
        brand: Default::default(),
        size,
        max_lines: preset.max_lines,
    };
    let template = sample_deck(args.slides, &preset, size);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.max(1))
        .build()?;
    let never = CancelToken::new();
    for run in 0..args.runs.max(1) {
        let dir =
            std::env::temp_dir().join(format!("vsl-bench-slides-{}-{run}", std::process::id()));
        let cache = SlideCache::at(dir.join("cache"));
        let render = |renderer: &Renderer, deck: &mut SlideDeck, out: &Path| {
            let started = Instant::now();
            let stats = pool.install(|| {
                render::render_deck(renderer, deck, &style, out, &cache, &|_, _| {}, &never)
            })?;
            anyhow::Ok((started.elapsed().as_secs_f64(), stats))
        };
        let started = Instant::now();
        let renderer = Renderer::new();
        let mut deck = template.clone();
        let (_, cold) = render(&renderer, &mut deck, &dir.join("out"))?;
        let cold_s = started.elapsed().as_secs_f64();
        let (cached_s, cached) = render(&renderer, &mut deck, &dir.join("out"))?;
        let mut copy = template.clone();
        let (from_cache_s, _) = render(&renderer, &mut copy, &dir.join("out2"))?;
        let middle = deck.slides.len() / 2;
        if let Some(slide) = deck.slides.get_mut(middle) {
            slide.text.push_str(" now");
        }
        let (edit_one_s, edited) = render(&renderer, &mut deck, &dir.join("out"))?;
        let bytes: u64 = deck
            .slides
            .iter()
            .filter_map(|slide| std::fs::metadata(dir.join("out").join(&slide.image)).ok())
            .map(|meta| meta.len())
            .sum();
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove {}", dir.display()))?;
        println!(
            "{}",
            serde_json::json!({
                "bench": "slides",
                "run": run,
                "slides": deck.slides.len(),
                "size": size.to_string(),
                "threads": args.threads,
                "cold_s": cold_s,
                "cold_rendered": cold.rendered,
                "cached_s": cached_s,
                "cached_rendered": cached.rendered,
                "from_cache_s": from_cache_s,
                "edit_one_s": edit_one_s,
                "edit_one_rendered": edited.rendered,
                "png_kib_mean": bytes as f64 / 1024.0 / deck.slides.len().max(1) as f64,
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A deck of `count` distinct slides cut from pseudo-random sales-letter sentences by the
/// real segmenter, so lengths and punctuation vary like a real deck's. Same every run.
fn sample_deck(
    count: usize,
    preset: &vsl_core::slides::SlidePreset,
    size: RenderSize,
) -> SlideDeck {
    const WORDS: &[&str] = &[
        "you",
        "can",
        "finally",
        "stop",
        "guessing",
        "what",
        "works",
        "this",
        "simple",
        "method",
        "helped",
        "thousands",
        "of",
        "people",
        "double",
        "their",
        "sales",
        "in",
        "weeks",
        "and",
        "it",
        "takes",
        "only",
        "minutes",
        "a",
        "day",
        "the",
        "secret",
        "is",
        "not",
        "more",
        "traffic",
        "or",
        "ads",
        "but",
        "a",
        "message",
        "that",
        "speaks",
        "to",
        "your",
        "buyer",
        "right",
        "now",
        "imagine",
        "waking",
        "up",
        "to",
        "new",
        "orders",
        "every",
        "morning",
        "without",
        "chasing",
        "anyone",
        "here",
        "is",
        "exactly",
        "how",
        "we",
        "did",
        "it",
        "step",
        "by",
        "step",
        "even",
        "if",
        "you",
        "have",
        "never",
        "sold",
        "anything",
        "online",
        "before",
        "watch",
        "until",
        "the",
        "end",
        "because",
        "I",
        "will",
        "show",
        "proof",
        "real",
        "customers",
        "results",
        "guaranteed",
        "today",
        "bonus",
        "offer",
        "price",
        "course",
        "video",
        "letter",
        "story",
        "trust",
        "money",
        "back",
        "risk",
        "free",
        "limited",
        "spots",
        "join",
        "click",
        "button",
        "below",
    ];
    let mut state: u64 = 0x5EED_2024;
    let mut next = |bound: usize| {
        // A fixed linear congruential generator: no dependency, same deck on every machine.
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % bound.max(1)
    };
    let mut words = Vec::new();
    let mut time = 0.0;
    while words.len() < count * 14 {
        let length = 4 + next(14);
        for k in 0..length {
            let mut text = WORDS[next(WORDS.len())].to_owned();
            if next(12) == 0 {
                text = format!("${}", 7 + next(990));
            }
            if k + 1 == length {
                text.push(['.', '!', '?', '.'][next(4)]);
            } else if next(7) == 0 {
                text.push(',');
            }
            if k == 0 {
                let mut chars = text.chars();
                text = chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
            }
            let length_s = 0.18 + 0.03 * text.len() as f64;
            words.push(vsl_core::transcribe::Word {
                text,
                start: time,
                end: time + length_s,
                probability: 0.9,
            });
            time += length_s + if k + 1 == length { 0.45 } else { 0.05 };
        }
    }
    let transcript = Transcript {
        language: "en".into(),
        duration: time,
        model: "bench".into(),
        segments: vec![vsl_core::transcribe::Segment {
            start: 0.0,
            end: time,
            text: String::new(),
            words,
        }],
        flags: Vec::new(),
    };
    let mut slides = slides::segment(&transcript, preset, &[]);
    slides.truncate(count);
    SlideDeck {
        preset: preset.aspect.name().to_owned(),
        theme: String::new(),
        brand: Default::default(),
        width: size.width,
        height: size.height,
        duration: slides.last().map_or(0.0, |slide| slide.end),
        slides,
    }
}
