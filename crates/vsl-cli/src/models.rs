use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use vsl_core::models::{ModelStore, WeightFormat};

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// The catalog and the installed models, with sizes, the default, and the model
    /// recommended for this machine's hardware.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Recommend for this device (auto, cpu, or a GPU's name as `vsl health` lists it).
        #[arg(long, default_value = "auto")]
        device: String,
    },
    /// Download an official whisper.cpp model (resumes an interrupted download).
    Download {
        name: String,
        #[arg(long)]
        force: bool,
    },
    /// Install a ggml model file after validating it.
    Import {
        file: PathBuf,
        /// Name to install it as (default: from the file name).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        force: bool,
    },
    /// Convert a CTranslate2 (faster-whisper) model folder to ggml and install it.
    ImportCt2 {
        dir: PathBuf,
        /// Name to install it as (default: the model's name from its config.json, else the
        /// folder's, without a `faster-whisper-` prefix).
        #[arg(long)]
        name: Option<String>,
        /// Weight format: auto (q8_0 for base and larger on CPUs with AMX, else bf16 on CPUs
        /// with AVX512-BF16, else f16), f16 (exact), bf16 (f16's size, faster where the CPU
        /// multiplies it natively) or q8_0 (half the size).
        #[arg(long, default_value = "auto")]
        quantize: String,
        #[arg(long)]
        force: bool,
    },
    /// Re-read installed models completely and check their checksums.
    Verify {
        /// Models to check (default: all installed).
        names: Vec<String>,
    },
    /// Delete an installed model.
    Remove { name: String },
    /// Print the file path of a model (name or path).
    Path { name: String },
}

fn bar(length: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

pub fn run(command: ModelsCommand, dirs: &vsl_core::paths::Dirs) -> anyhow::Result<ExitCode> {
    let store = ModelStore::open(dirs);
    match command {
        ModelsCommand::List { json, device } => {
            let device = vsl_core::transcribe::device::chosen(&device.parse()?)?;
            let recommendation = vsl_core::models::recommend(&device);
            let entries = store.list_for(&recommendation)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("models in {}", store.dir().display());
            println!(
                "{:<22} {:<10} {:>11} {:<6} LANGUAGES",
                "NAME", "STATUS", "SIZE", "QUANT"
            );
            for entry in entries {
                println!(
                    "{:<22} {:<10} {:>11} {:<6} {:<12} {}",
                    entry.name,
                    if entry.installed { "installed" } else { "-" },
                    mib(entry.size_bytes),
                    entry.quantization,
                    if entry.multilingual {
                        "multilingual"
                    } else {
                        "english"
                    },
                    match (entry.is_default, entry.recommended) {
                        (true, true) => "(default, recommended)",
                        (true, false) => "(default)",
                        (false, true) => "(recommended)",
                        (false, false) => "",
                    },
                );
            }
            println!(
                "recommended for {}: {}",
                recommendation.device, recommendation.model
            );
        }
        ModelsCommand::Download { name, force } => {
            let progress = bar(
                0,
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            );
            progress.set_message(format!("downloading {name}"));
            let path = store.download(&name, force, &mut |update| {
                if let Some(total) = update.total {
                    progress.set_length(total);
                }
                progress.set_position(update.downloaded);
                true
            });
            progress.finish_and_clear();
            let path = path?;
            println!("installed {name} at {}", path.display());
        }
        ModelsCommand::Import { file, name, force } => {
            let (name, info) = store.import(&file, name.as_deref(), force)?;
            println!(
                "installed {name} ({} {}, {} tensors, {})",
                info.hparams.size_name(),
                info.quantization,
                info.n_tensors,
                mib(info.file_size)
            );
        }
        ModelsCommand::ImportCt2 {
            dir,
            name,
            quantize,
            force,
        } => {
            let Some(format) = WeightFormat::parse(&quantize) else {
                bail!("--quantize must be auto, f16, bf16 or q8_0, not '{quantize}'");
            };
            let name = name.unwrap_or_else(|| vsl_core::models::ct2_name(&dir));
            let progress = bar(0, "converting {msg} [{bar:30}] {pos}/{len} tensors");
            progress.set_message(name.clone());
            let result = store.import_ct2(&dir, &name, format, force, &mut |done, total| {
                progress.set_length(total as u64);
                progress.set_position(done as u64);
            });
            progress.finish_and_clear();
            let conversion = result?;
            let path = store.path_for(&name);
            let size = std::fs::metadata(&path).map(|meta| meta.len()).unwrap_or(0);
            println!(
                "installed {name} ({} {}, {} tensors, {}) at {}",
                conversion.hparams.size_name(),
                conversion.format.name(),
                conversion.tensors,
                mib(size),
                path.display()
            );
        }
        ModelsCommand::Verify { names } => {
            let names = if names.is_empty() {
                store.installed()?
            } else {
                names
            };
            if names.is_empty() {
                println!("no models installed in {}", store.dir().display());
            }
            let mut failed = false;
            for name in names {
                match store.verify(&name) {
                    Ok(report) if report.ok() => println!(
                        "ok      {name}: {} {}, {} tensors, sha1 {}",
                        report.info.hparams.size_name(),
                        report.info.quantization,
                        report.info.n_tensors,
                        report.sha1
                    ),
                    Ok(report) => {
                        failed = true;
                        println!(
                            "CORRUPT {name}: sha1 {} differs from the recorded checksum",
                            report.sha1
                        );
                    }
                    Err(error) => {
                        failed = true;
                        println!("BAD     {name}: {error}");
                    }
                }
            }
            if failed {
                return Ok(ExitCode::FAILURE);
            }
        }
        ModelsCommand::Remove { name } => {
            let path = store.remove(&name)?;
            println!("removed {}", path.display());
        }
        ModelsCommand::Path { name } => {
            let path = store
                .resolve(&name)
                .with_context(|| format!("no model '{name}'"))?;
            println!("{}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
