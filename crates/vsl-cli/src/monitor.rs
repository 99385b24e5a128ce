//! The performance monitor: `vsl monitor` prints a health line per interval, and
//! `vsl bench pipeline` times model load, transcription, rendering and export on a sample.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use clap::Args;
use vsl_core::cache::{self, format_size, CacheKind};
use vsl_core::health::{peak_rss, Health};
use vsl_core::job::{JobSpec, Language};
use vsl_core::jobs::CancelToken;
use vsl_core::models::{ModelStore, DEFAULT_MODEL};
use vsl_core::paths::Dirs;
use vsl_core::pipeline::{self, PipelineOutcome, Stage};
use vsl_core::render::RenderSize;
use vsl_core::transcribe::{default_threads, Engine};

#[derive(Args)]
pub struct MonitorArgs {
    /// Seconds between lines.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    interval: u64,
    /// Stop after this many lines (default: until Ctrl-C).
    #[arg(long)]
    count: Option<u64>,
    /// Where outputs go (for the free disk space); default: the current folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// A model to report (catalog name or ggml file).
    #[arg(long)]
    model: Option<String>,
}

pub fn monitor(args: MonitorArgs, dirs: &Dirs) -> anyhow::Result<ExitCode> {
    let cancel = crate::export::install_cancel_handler();
    let options = crate::health::options(dirs, args.out, args.model.as_deref())?;
    let mut printed = 0;
    loop {
        let health = Health::collect(&options);
        let since_epoch = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let time_of_day = since_epoch % 86_400;
        println!(
            "{:02}:{:02}:{:02} UTC | {}",
            time_of_day / 3600,
            time_of_day / 60 % 60,
            time_of_day % 60,
            health.line()
        );
        printed += 1;
        if args.count.is_some_and(|count| printed >= count) {
            return Ok(ExitCode::SUCCESS);
        }
        // Sleep in short steps so Ctrl-C answers at once.
        let until = Instant::now() + Duration::from_secs(args.interval);
        while Instant::now() < until {
            if cancel.is_cancelled() {
                return Ok(ExitCode::from(crate::EXIT_CANCELLED));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[derive(Args)]
pub struct PipelineBench {
    /// Catalog name of an installed model, or a ggml file.
    #[arg(long, default_value = DEFAULT_MODEL)]
    model: String,
    /// Media file (default: jfk.wav from the test data, else a spoken sample made with
    /// espeak-ng into the cache folder).
    #[arg(long)]
    audio: Option<PathBuf>,
    #[arg(long, default_value = "en")]
    language: String,
    /// Slide and video size.
    #[arg(long, default_value = "1920x1080")]
    size: String,
    #[arg(long, default_value_t = default_threads())]
    threads: usize,
}

/// The bundled sample: the JFK clip `make setup` fetched, or one generated once.
fn sample(dirs: &Dirs) -> anyhow::Result<PathBuf> {
    let test_data = std::env::var_os(vsl_core::paths::VSL_TEST_DATA)
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/vsl-studio/test-data"))
        });
    if let Some(jfk) = test_data.map(|dir| dir.join("jfk.wav")) {
        if jfk.is_file() {
            return Ok(jfk);
        }
    }
    let generated = dirs.cache.join("bench").join("sample.wav");
    if !generated.is_file() {
        vsl_core::fs::create_dir_all(generated.parent().unwrap_or(&generated))?;
        // espeak-ng writes into the temporary file, which gets the final name once complete.
        let temp = vsl_core::fs::AtomicFile::create(&generated, vsl_core::fs::Replace::Yes)?;
        let status = std::process::Command::new("espeak-ng")
            .args(["-v", "en-us", "-s", "150", "-w"])
            .arg(temp.path())
            .arg(
                "And so my fellow Americans, ask not what your country can do for you, \
                 ask what you can do for your country.",
            )
            .status()
            .context("no sample: pass --audio, run `make setup`, or install espeak-ng")?;
        anyhow::ensure!(status.success(), "espeak-ng failed to make the sample");
        temp.commit()?;
    }
    Ok(generated)
}

/// A scratch folder removed when the bench ends, however it ends.
struct WorkDir(PathBuf);

impl WorkDir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn bench(args: PipelineBench, dirs: &Dirs) -> anyhow::Result<ExitCode> {
    let audio = match args.audio {
        Some(audio) => audio,
        None => sample(dirs)?,
    };
    let store = ModelStore::open(dirs);
    let model_path = store.resolve(&args.model)?;
    let started = Instant::now();
    let engine = Engine::load(&model_path)?;
    let load = started.elapsed();

    // A fresh cache folder: the first run is cold, the second finds everything cached.
    let work =
        WorkDir(std::env::temp_dir().join(format!("vsl-bench-pipeline-{}", std::process::id())));
    // What a watched folder's job runs with, with its cache in the scratch folder.
    let bench_dirs = Dirs {
        cache: work.path().join("cache"),
        ..dirs.clone()
    };
    let spec = JobSpec {
        language: Language::parse(&args.language),
        threads: args.threads,
        size: Some(RenderSize::parse(&args.size)?),
        ..JobSpec::default()
    };
    let resolved = spec.resolve(&bench_dirs)?;
    let run = |out: &str| -> anyhow::Result<PipelineOutcome> {
        let options = resolved.pipeline_options(&work.path().join(out), false);
        Ok(pipeline::run_file(
            &engine,
            &audio,
            "bench",
            &options,
            &|_| {},
            &CancelToken::new(),
        )?)
    };
    let cold = run("cold")?;
    let warm = run("warm")?;

    let audio_seconds = cold.duration.max(0.001);
    println!(
        "vsl bench pipeline: {} ({:.1} s of audio), model {}, {} threads, {}",
        audio.display(),
        cold.duration,
        engine.name(),
        args.threads,
        args.size
    );
    println!("{:<28} {:>9} {:>9}", "stage", "seconds", "RTF");
    let row = |name: &str, took: Duration| {
        println!(
            "{:<28} {:>9.3} {:>9.4}",
            name,
            took.as_secs_f64(),
            took.as_secs_f64() / audio_seconds
        );
    };
    row("model load", load);
    for (stage, took) in &cold.timings {
        row(stage.name(), *took);
    }
    row("total, cold caches", cold.total);
    row("total, second run (cached)", warm.total);
    let skipped = !warm
        .timings
        .iter()
        .any(|(stage, _)| *stage == Stage::Transcribe);
    let transcripts = cache::report(&work.path().join("cache"))?
        .kinds
        .into_iter()
        .find(|kind| kind.kind == CacheKind::Transcripts);
    if let Some(kind) = transcripts {
        println!(
            "transcript cache: {} hits, {} misses{}",
            kind.hits,
            kind.misses,
            if skipped {
                " (second run skipped decode and transcription)"
            } else {
                ""
            }
        );
    }
    println!(
        "peak RSS {}",
        peak_rss().map_or_else(|| "unknown".to_owned(), format_size)
    );
    Ok(ExitCode::SUCCESS)
}
