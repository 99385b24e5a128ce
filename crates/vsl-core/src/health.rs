//! What the machine and the process look like right now, and whether a job will fit.
//!
//! [`Health::collect`] samples CPU use, memory, this process's resident memory (current and
//! peak), the loaded model and its size, the cache's size, the free space where outputs go
//! and the whisper.cpp backend. [`preflight`] compares a job's needs (disk for its outputs,
//! memory for the model) with what is free and returns plain-language warnings; front ends
//! show them before the job starts and let it go ahead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use sysinfo::{Disks, ProcessesToUpdate, System};

use crate::cache::{self, format_size};

/// A model as seen by health: where it is and the memory it takes (its file size, which is
/// what whisper.cpp maps for the weights).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    pub name: String,
    pub path: PathBuf,
    pub bytes: u64,
}

impl ModelInfo {
    pub fn of(path: &Path) -> Option<ModelInfo> {
        let bytes = std::fs::metadata(path).ok()?.len();
        let name = path
            .file_stem()?
            .to_string_lossy()
            .trim_start_matches("ggml-")
            .to_owned();
        Some(ModelInfo {
            name,
            path: path.to_path_buf(),
            bytes,
        })
    }
}

/// One sample of the machine's and the process's state.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// All cores together, 0–100.
    pub cpu_percent: f32,
    pub cpu_cores: usize,
    pub memory_total: u64,
    pub memory_available: u64,
    /// This process's resident memory.
    pub process_rss: u64,
    /// The highest resident memory this process reached (Linux; `None` elsewhere).
    pub process_peak_rss: Option<u64>,
    pub model: Option<ModelInfo>,
    pub cache_dir: PathBuf,
    pub cache_bytes: u64,
    pub output_dir: PathBuf,
    /// Free space on the disk holding `output_dir` (`None` if no mounted disk matches).
    pub disk_free: Option<u64>,
    pub backend: String,
    /// Every device ggml can compute on here (GPUs of this build's backends, then the CPU).
    pub devices: Vec<crate::transcribe::ComputeDevice>,
    /// The device an automatic job runs on: the first GPU, else the CPU (its label).
    pub device: String,
    /// The GPU backends this build carries (`vulkan`, `cuda`; none for a CPU build).
    pub gpu_backends: Vec<String>,
    /// The model for an automatic job's device ([`crate::models::recommend`]).
    pub recommendation: crate::models::Recommendation,
}

/// What [`Health::collect`] looks at.
#[derive(Debug, Clone)]
pub struct HealthOptions {
    pub output_dir: PathBuf,
    pub cache_dir: PathBuf,
    /// The loaded model (e.g. from `ModelHost::loaded`).
    pub model: Option<PathBuf>,
    /// How long to watch the CPU; sysinfo needs two samples at least ~200 ms apart.
    pub cpu_window: Duration,
}

impl HealthOptions {
    /// The process's cache, outputs in the current folder, no model.
    pub fn new(dirs: &crate::paths::Dirs) -> Self {
        HealthOptions {
            output_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            cache_dir: dirs.cache.clone(),
            model: None,
            cpu_window: sysinfo::MINIMUM_CPU_UPDATE_INTERVAL,
        }
    }
}

impl Health {
    /// Samples everything; takes `options.cpu_window` (a fraction of a second).
    pub fn collect(options: &HealthOptions) -> Health {
        let mut system = System::new();
        system.refresh_cpu_usage();
        std::thread::sleep(options.cpu_window.max(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL));
        system.refresh_cpu_usage();
        system.refresh_memory();
        let process_rss = sysinfo::get_current_pid()
            .ok()
            .and_then(|pid| {
                system.refresh_processes(ProcessesToUpdate::Some(&[pid]), true);
                system.process(pid).map(|process| process.memory())
            })
            .unwrap_or(0);
        // A cache that cannot be listed counts as empty here; `vsl cache report` says why.
        let cache_bytes = cache::report(&options.cache_dir)
            .map(|report| report.bytes())
            .unwrap_or(0);
        let automatic = crate::transcribe::device::automatic();
        Health {
            cpu_percent: system.global_cpu_usage(),
            cpu_cores: system.cpus().len(),
            memory_total: system.total_memory(),
            memory_available: system.available_memory(),
            process_rss,
            process_peak_rss: peak_rss(),
            model: options.model.as_deref().and_then(ModelInfo::of),
            cache_dir: options.cache_dir.clone(),
            cache_bytes,
            output_dir: options.output_dir.clone(),
            disk_free: free_space(&options.output_dir),
            backend: backend(),
            devices: crate::transcribe::device::devices(),
            device: automatic.label(),
            recommendation: crate::models::recommend(&automatic),
            gpu_backends: crate::transcribe::device::gpu_backends()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }

    /// One line for logs and `vsl monitor`.
    pub fn line(&self) -> String {
        let model = self.model.as_ref().map_or_else(
            || "none".to_owned(),
            |model| format!("{} ({})", model.name, format_size(model.bytes)),
        );
        format!(
            "cpu {:5.1}% | mem {} free of {} | rss {} | model {} | cache {} | disk free {}",
            self.cpu_percent,
            format_size(self.memory_available),
            format_size(self.memory_total),
            format_size(self.process_rss),
            model,
            format_size(self.cache_bytes),
            self.disk_free.map_or_else(|| "?".to_owned(), format_size),
        )
    }
}

/// The process's peak resident memory (`VmHWM` in `/proc/self/status`).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kilobytes * 1024)
}

/// Free space on the disk that holds `path` (or its nearest existing ancestor): the mount
/// point with the longest matching prefix.
pub fn free_space(path: &Path) -> Option<u64> {
    let mut existing = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    while !existing.exists() {
        existing = existing.parent()?.to_path_buf();
    }
    let existing = existing.canonicalize().unwrap_or(existing);
    let disks = Disks::new_with_refreshed_list();
    disks
        .list()
        .iter()
        .filter(|disk| existing.starts_with(disk.mount_point()))
        .max_by_key(|disk| disk.mount_point().as_os_str().len())
        .map(|disk| disk.available_space())
}

/// The whisper.cpp build in use, the patches it carries and the CPU features it found.
pub fn backend() -> String {
    // whisper.cpp lists features as `AVX = 1 | AVX2 = 1 | ...`; keep the ones that are on.
    let info = whisper_rs::print_system_info();
    let on: Vec<&str> = info
        .split('|')
        .filter_map(|item| {
            let (name, value) = item.split_once('=')?;
            // The first item carries the section name: `CPU : SSE3 = 1`.
            let name = name.rsplit(':').next().unwrap_or(name).trim();
            (value.trim() == "1").then_some(name)
        })
        .collect();
    let patches = match engine_patches() {
        Some(patches) => format!(
            ", our patches {} ({})",
            patches.names.join(", "),
            patches.digest
        ),
        None => ", unpatched".to_owned(),
    };
    format!(
        "whisper.cpp via whisper-rs 0.16{patches}, CPU ({})",
        on.join(" ")
    )
}

/// The patches of `whisper-patches/` that the linked whisper.cpp was built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnginePatches {
    /// In the order they were applied (`system-info`, `dtw-threads`, …).
    pub names: Vec<String>,
    /// The first 12 hex digits of the SHA-256 of the patch files, in name order: a build
    /// that missed a changed patch shows an old digest.
    pub digest: String,
}

/// What our `system-info` patch adds to `whisper_print_system_info()`:
/// `VSL_PATCHES = system-info,dtw-threads (0123456789ab) | `. `None` for a build without it.
pub fn engine_patches() -> Option<EnginePatches> {
    parse_engine_patches(whisper_rs::print_system_info())
}

fn parse_engine_patches(info: &str) -> Option<EnginePatches> {
    let item = info
        .split('|')
        .find_map(|item| item.split_once("VSL_PATCHES =").map(|(_, value)| value))?;
    let (names, digest) = item.trim().split_once(" (")?;
    let digest = digest.strip_suffix(')')?;
    Some(EnginePatches {
        names: names.split(',').map(str::to_owned).collect(),
        digest: digest.to_owned(),
    })
}

/// A reason a job may not go well, found before it starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PreflightWarning {
    /// Less free disk where the outputs go than the job is estimated to write.
    LowDisk {
        dir: PathBuf,
        free: u64,
        needed: u64,
    },
    /// Less available memory than the model and the decoded audio need.
    LowMemory {
        model: String,
        available: u64,
        needed: u64,
    },
}

impl std::fmt::Display for PreflightWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PreflightWarning::LowDisk { dir, free, needed } => write!(
                f,
                "only {} free on the disk of {}, and this job needs about {}: free some space \
                 or choose another output folder",
                format_size(*free),
                dir.display(),
                format_size(*needed)
            ),
            PreflightWarning::LowMemory {
                model,
                available,
                needed,
            } => write!(
                f,
                "only {} of memory available, and the {model} model needs about {}: close other \
                 programs or choose a smaller model",
                format_size(*available),
                format_size(*needed)
            ),
        }
    }
}

/// Room for the slide images, subtitles and the MP4's container on top of the audio.
const OUTPUT_OVERHEAD: u64 = 64 * 1_000_000;
/// whisper.cpp's working buffers on top of the weights, and the decoded audio (16 kHz
/// mono f32 is 230 MB an hour).
const MEMORY_OVERHEAD: u64 = 400 * 1_000_000;

/// Checks a job on `input` writing to `out_dir` with the model file `model` (skip the model
/// when it is already loaded: its memory is already taken).
pub fn preflight(input: &Path, out_dir: &Path, model: Option<&Path>) -> Vec<PreflightWarning> {
    let mut warnings = Vec::new();
    // The MP4 copies the source's audio, so the input's size bounds its largest output.
    let input_bytes = std::fs::metadata(input).map_or(0, |metadata| metadata.len());
    let needed = input_bytes + OUTPUT_OVERHEAD;
    if let Some(free) = free_space(out_dir) {
        if free < needed {
            warnings.push(PreflightWarning::LowDisk {
                dir: out_dir.to_path_buf(),
                free,
                needed,
            });
        }
    }
    if let Some(model) = model.and_then(ModelInfo::of) {
        let mut system = System::new();
        system.refresh_memory();
        let available = system.available_memory();
        let needed = model.bytes + model.bytes / 5 + MEMORY_OVERHEAD;
        if available > 0 && available < needed {
            warnings.push(PreflightWarning::LowMemory {
                model: model.name,
                available,
                needed,
            });
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patches_are_read_from_whisper_system_info() {
        let info = "WHISPER : VSL_PATCHES = system-info,dtw-threads (fb73e41d1e2a) | COREML = 0 | ";
        assert_eq!(
            parse_engine_patches(info),
            Some(EnginePatches {
                names: vec!["system-info".into(), "dtw-threads".into()],
                digest: "fb73e41d1e2a".into(),
            })
        );
        assert_eq!(parse_engine_patches("WHISPER : COREML = 0 | "), None);
        assert_eq!(parse_engine_patches("VSL_PATCHES = broken | "), None);
    }
}
