//! `vsl health`: CPU, memory, process, model, cache, disk and backend, as text or JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use vsl_core::cache::format_size;
use vsl_core::health::{Health, HealthOptions};
use vsl_core::models::ModelStore;

#[derive(Args)]
pub struct HealthArgs {
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Where outputs go (for the free disk space); default: the current folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// A model to report (catalog name or ggml file); the CLI keeps none loaded between runs.
    #[arg(long)]
    model: Option<String>,
}

pub fn options(
    dirs: &vsl_core::paths::Dirs,
    out: Option<PathBuf>,
    model: Option<&str>,
) -> anyhow::Result<HealthOptions> {
    let mut options = HealthOptions::new(dirs);
    if let Some(out) = out {
        options.output_dir = out;
    }
    if let Some(model) = model {
        options.model = Some(ModelStore::open(dirs).resolve(model)?);
    }
    Ok(options)
}

pub fn run(args: HealthArgs, dirs: &vsl_core::paths::Dirs) -> anyhow::Result<ExitCode> {
    let health = Health::collect(&options(dirs, args.out, args.model.as_deref())?);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&health)?);
        return Ok(ExitCode::SUCCESS);
    }
    let size = |bytes: Option<u64>| bytes.map_or_else(|| "unknown".to_owned(), format_size);
    println!(
        "cpu        {:.1}% of {} cores",
        health.cpu_percent, health.cpu_cores
    );
    println!(
        "memory     {} available of {}",
        format_size(health.memory_available),
        format_size(health.memory_total)
    );
    println!(
        "process    rss {}, peak {}",
        format_size(health.process_rss),
        size(health.process_peak_rss)
    );
    match &health.model {
        Some(model) => println!(
            "model      {} ({}, {})",
            model.name,
            format_size(model.bytes),
            model.path.display()
        ),
        None => println!("model      none loaded"),
    }
    println!(
        "cache      {} in {}",
        format_size(health.cache_bytes),
        health.cache_dir.display()
    );
    println!(
        "disk       {} free for {}",
        size(health.disk_free),
        health.output_dir.display()
    );
    println!("backend    {}", health.backend);
    println!("device     {}", health.device);
    for device in health.devices.iter().filter(|device| device.is_gpu()) {
        println!("gpu        {}", device.label());
    }
    println!("recommend  {}", health.recommendation.model);
    Ok(ExitCode::SUCCESS)
}
