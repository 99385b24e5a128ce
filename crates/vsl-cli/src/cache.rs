//! `vsl cache report` and `vsl cache cleanup`.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand};
use vsl_core::cache::{self, format_size, CacheLimits};

#[derive(Subcommand)]
pub enum CacheCommand {
    /// Size and entries per kind, and the hit rate since start.
    Report {
        #[arg(long)]
        json: bool,
    },
    /// Remove entries older than --max-age, then the least recently used above --max-size.
    Cleanup(CleanupArgs),
}

#[derive(Args)]
pub struct CleanupArgs {
    /// e.g. 24h, 7d (default: the configured limit, 30d).
    #[arg(long, value_parser = crate::watch::parse_duration)]
    max_age: Option<Duration>,
    /// e.g. 2GB, 500MB (default: the configured limit, 5GB).
    #[arg(long, value_parser = parse_size)]
    max_size: Option<u64>,
    #[arg(long)]
    json: bool,
}

fn parse_size(text: &str) -> Result<u64, String> {
    cache::parse_size(text).map_err(|error| error.to_string())
}

pub fn run(command: CacheCommand, dirs: &vsl_core::paths::Dirs) -> anyhow::Result<ExitCode> {
    let root = dirs.cache.clone();
    match command {
        CacheCommand::Report { json } => {
            let report = cache::report(&root)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("cache {}", root.display());
            println!(
                "{:<12} {:>8} {:>12} {:>14}",
                "kind", "entries", "size", "hit rate"
            );
            for kind in &report.kinds {
                let rate = kind.hit_rate().map_or_else(
                    || "n/a".to_owned(),
                    |rate| format!("{:.0}% of {}", rate * 100.0, kind.hits + kind.misses),
                );
                println!(
                    "{:<12} {:>8} {:>12} {:>14}",
                    kind.kind.name(),
                    kind.entries,
                    format_size(kind.bytes),
                    rate
                );
            }
            println!(
                "{:<12} {:>8} {:>12}",
                "total",
                report.entries(),
                format_size(report.bytes())
            );
            println!(
                "(hit rates: every lookup the app and the CLI made in this cache, from {})",
                root.join(cache::HIT_LOG).display()
            );
        }
        CacheCommand::Cleanup(args) => {
            let configured = CacheLimits::defaults();
            let limits = CacheLimits {
                max_age: args.max_age.or(configured.max_age),
                max_size: args.max_size.or(configured.max_size),
            };
            let report = cache::cleanup(&root, limits, SystemTime::now())?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "removed {} by age and {} by size, freed {}; kept {} entries ({})",
                report.removed_by_age,
                report.removed_by_size,
                format_size(report.freed_bytes),
                report.kept,
                format_size(report.kept_bytes)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
