//! Where whisper.cpp computes: the CPU, or a GPU of a backend this build carries (the
//! `vulkan` and `cuda` features). [`devices`] lists what ggml sees; [`DeviceChoice`] is the
//! user's choice (automatic, the CPU, or a GPU by name); [`Engine::load_on`] resolves it,
//! and a GPU that fails to start, or fails mid-job, leaves the job on the CPU with a
//! notice instead of failing it.
//!
//! [`Engine::load_on`]: super::Engine::load_on

use std::ffi::CStr;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use whisper_rs::whisper_rs_sys as sys;

/// What a job asks to run on. Written as `auto`, `cpu`, or a device's name (`Vulkan0`,
/// `CUDA0`, as [`devices`] lists them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum DeviceChoice {
    /// The first GPU ggml reports, else the CPU.
    #[default]
    Auto,
    Cpu,
    /// A GPU by its ggml name; one that is absent is refused when the job is resolved.
    Named(String),
}

impl DeviceChoice {
    pub fn as_str(&self) -> &str {
        match self {
            DeviceChoice::Auto => "auto",
            DeviceChoice::Cpu => "cpu",
            DeviceChoice::Named(name) => name,
        }
    }

    pub fn is_auto(&self) -> bool {
        *self == DeviceChoice::Auto
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeviceChoice {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        Ok(match text.to_ascii_lowercase().as_str() {
            "" | "auto" | "automatic" => DeviceChoice::Auto,
            "cpu" => DeviceChoice::Cpu,
            _ => DeviceChoice::Named(text.to_owned()),
        })
    }
}

impl Serialize for DeviceChoice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DeviceChoice {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(text.parse().unwrap_or_default())
    }
}

/// The kind of a compute device, as ggml reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Cpu,
    /// A discrete GPU (also what a Vulkan driver on the CPU, such as lavapipe, reports
    /// when it is made visible with `GGML_VK_VISIBLE_DEVICES`).
    Gpu,
    /// An integrated GPU sharing the system's memory.
    Igpu,
    /// An accelerator that takes part of the work (BLAS); never chosen on its own.
    Accel,
}

/// One device ggml can compute on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComputeDevice {
    /// ggml's name: `CPU`, `Vulkan0`, `CUDA0`.
    pub name: String,
    /// The hardware: `NVIDIA GeForce RTX 4070`, `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub description: String,
    pub kind: DeviceKind,
    /// Bytes of device memory (0 where the backend does not say).
    pub memory_total: u64,
    pub memory_free: u64,
}

impl ComputeDevice {
    pub fn is_gpu(&self) -> bool {
        matches!(self.kind, DeviceKind::Gpu | DeviceKind::Igpu)
    }

    /// `Vulkan0 (NVIDIA GeForce RTX 4070, 12.0 GB)`.
    pub fn label(&self) -> String {
        if self.memory_total > 0 && self.is_gpu() {
            format!(
                "{} ({}, {:.1} GB)",
                self.name,
                self.description,
                self.memory_total as f64 / 1e9
            )
        } else {
            format!("{} ({})", self.name, self.description)
        }
    }
}

/// The GPU backends this build carries.
pub fn gpu_backends() -> Vec<&'static str> {
    let mut backends = Vec::new();
    if cfg!(feature = "vulkan") {
        backends.push("vulkan");
    }
    if cfg!(feature = "cuda") {
        backends.push("cuda");
    }
    backends
}

fn text(pointer: *const std::os::raw::c_char) -> String {
    if pointer.is_null() {
        return String::new();
    }
    // SAFETY: ggml returns NUL-terminated strings owned by the device, alive as long as it.
    unsafe { CStr::from_ptr(pointer) }
        .to_string_lossy()
        .into_owned()
}

/// Every device ggml's registry holds, in its order (GPUs first, the CPU last).
pub fn devices() -> Vec<ComputeDevice> {
    // SAFETY: the registry is initialised by ggml on first use and lives for the process;
    // every index below `ggml_backend_dev_count` is a valid device.
    unsafe {
        (0..sys::ggml_backend_dev_count())
            .map(|index| {
                let device = sys::ggml_backend_dev_get(index);
                let (mut free, mut total) = (0usize, 0usize);
                sys::ggml_backend_dev_memory(device, &mut free, &mut total);
                let kind = match sys::ggml_backend_dev_type(device) {
                    sys::ggml_backend_dev_type_GGML_BACKEND_DEVICE_TYPE_GPU => DeviceKind::Gpu,
                    sys::ggml_backend_dev_type_GGML_BACKEND_DEVICE_TYPE_IGPU => DeviceKind::Igpu,
                    sys::ggml_backend_dev_type_GGML_BACKEND_DEVICE_TYPE_ACCEL => DeviceKind::Accel,
                    _ => DeviceKind::Cpu,
                };
                ComputeDevice {
                    name: text(sys::ggml_backend_dev_name(device)),
                    description: text(sys::ggml_backend_dev_description(device)),
                    kind,
                    memory_total: total as u64,
                    memory_free: free as u64,
                }
            })
            .collect()
    }
}

/// The GPUs among [`devices`], in whisper.cpp's numbering (`gpu_device` counts GPUs only).
pub fn gpus() -> Vec<ComputeDevice> {
    devices()
        .into_iter()
        .filter(ComputeDevice::is_gpu)
        .collect()
}

/// The device the CPU is, for an engine that runs there.
pub fn cpu() -> ComputeDevice {
    devices()
        .into_iter()
        .find(|device| device.kind == DeviceKind::Cpu)
        .unwrap_or_else(|| ComputeDevice {
            name: "CPU".to_owned(),
            description: "CPU".to_owned(),
            kind: DeviceKind::Cpu,
            memory_total: 0,
            memory_free: 0,
        })
}

/// A GPU named by the user that this machine does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("there is no GPU named '{name}' here; {}", available_text(.available))]
pub struct NoSuchDevice {
    pub name: String,
    pub available: Vec<String>,
}

fn available_text(available: &[String]) -> String {
    if available.is_empty() {
        let backends = gpu_backends();
        if backends.is_empty() {
            "this build has no GPU backend (build with --features vulkan or cuda); choose auto or cpu"
                .to_owned()
        } else {
            format!(
                "this build's GPU backends ({}) see no GPU; choose auto or cpu",
                backends.join(", ")
            )
        }
    } else {
        format!("choose auto, cpu or one of: {}", available.join(", "))
    }
}

/// The device an automatic job runs on: the first GPU, else the CPU.
pub fn automatic() -> ComputeDevice {
    gpus().into_iter().next().unwrap_or_else(cpu)
}

/// The GPU `choice` asks for: its index among [`gpus`] and the device, or `None` for the CPU.
pub fn resolve(choice: &DeviceChoice) -> Result<Option<(usize, ComputeDevice)>, NoSuchDevice> {
    let gpus = gpus();
    match choice {
        DeviceChoice::Cpu => Ok(None),
        DeviceChoice::Auto => Ok(gpus.into_iter().next().map(|device| (0, device))),
        DeviceChoice::Named(name) => gpus
            .iter()
            .position(|device| device.name.eq_ignore_ascii_case(name))
            .map(|index| Some((index, gpus[index].clone())))
            .ok_or_else(|| NoSuchDevice {
                name: name.clone(),
                available: gpus.iter().map(|device| device.name.clone()).collect(),
            }),
    }
}

/// The device a job that asks for `choice` computes on (the CPU when it asks for no GPU, or
/// for `auto` on a machine without one).
pub fn chosen(choice: &DeviceChoice) -> Result<ComputeDevice, NoSuchDevice> {
    Ok(resolve(choice)?.map_or_else(cpu, |(_, device)| device))
}

/// Starts the device's backend once and frees it, so a GPU whose driver cannot start is
/// found before the model is loaded there (whisper.cpp would quietly use the CPU instead,
/// and say nothing).
pub(super) fn probe(device: &ComputeDevice) -> Result<(), String> {
    if let Some(reason) = simulated_failure("init") {
        return Err(reason);
    }
    let name = std::ffi::CString::new(device.name.as_str()).map_err(|error| error.to_string())?;
    // SAFETY: the device comes from the registry; the backend made here is freed here.
    unsafe {
        let handle = sys::ggml_backend_dev_by_name(name.as_ptr());
        if handle.is_null() {
            return Err(format!("ggml no longer lists {}", device.name));
        }
        let backend = sys::ggml_backend_dev_init(handle, std::ptr::null());
        if backend.is_null() {
            return Err(format!("the {} backend did not start", device.name));
        }
        sys::ggml_backend_free(backend);
    }
    Ok(())
}

/// The test-only switch (feature `fault-injection`): `VSL_FAULT_GPU=init` makes the GPU
/// fail to start, `VSL_FAULT_GPU=compute` makes its first window fail, so the fallback to
/// the CPU can be tested for real. Always `None` in builds without the feature.
pub(super) fn simulated_failure(stage: &str) -> Option<String> {
    if !cfg!(feature = "fault-injection") {
        return None;
    }
    let wanted = std::env::var("VSL_FAULT_GPU").ok()?;
    (wanted == stage).then(|| format!("simulated GPU failure at {stage} (VSL_FAULT_GPU)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_read_and_write_as_the_user_types_them() {
        assert_eq!("auto".parse::<DeviceChoice>().unwrap(), DeviceChoice::Auto);
        assert_eq!("".parse::<DeviceChoice>().unwrap(), DeviceChoice::Auto);
        assert_eq!("CPU".parse::<DeviceChoice>().unwrap(), DeviceChoice::Cpu);
        assert_eq!(
            " Vulkan0 ".parse::<DeviceChoice>().unwrap(),
            DeviceChoice::Named("Vulkan0".to_owned())
        );
        let json = serde_json::to_string(&DeviceChoice::Named("CUDA1".to_owned())).unwrap();
        assert_eq!(json, "\"CUDA1\"");
        assert_eq!(
            serde_json::from_str::<DeviceChoice>("\"cpu\"").unwrap(),
            DeviceChoice::Cpu
        );
    }

    #[test]
    fn the_cpu_is_always_listed_and_cpu_resolves_to_no_gpu() {
        let devices = devices();
        assert!(
            devices.iter().any(|device| device.kind == DeviceKind::Cpu),
            "{devices:?}"
        );
        assert_eq!(resolve(&DeviceChoice::Cpu).unwrap(), None);
        // Without a GPU backend, auto is the CPU.
        if gpu_backends().is_empty() {
            assert_eq!(resolve(&DeviceChoice::Auto).unwrap(), None);
        }
    }

    #[test]
    fn a_gpu_that_is_not_there_is_refused_with_the_choices() {
        let error = resolve(&DeviceChoice::Named("Vulkan9".to_owned())).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("'Vulkan9'"), "{message}");
        assert!(
            message.contains("auto") && message.contains("cpu"),
            "{message}"
        );
    }
}
