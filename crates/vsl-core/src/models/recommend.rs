//! Which model to use on the device a job runs on.
//!
//! On the CPU, `base`: multilingual (Portuguese works), with DTW word times, and the
//! largest model that transcribes faster than real time on a laptop's CPU (BENCHMARKS:
//! RTF ~0.1–0.2 on two cores; `small` is about three times slower). On a GPU the cost of a
//! larger model is mostly memory, so the choice follows the GPU's memory:
//!
//! | GPU memory | model | why |
//! |---|---|---|
//! | ≥ 5 GiB | `large-v3-turbo` | 1.6 GB of f16 weights plus whisper.cpp's KV caches and compute buffers (~2.3 GB), with room left for the desktop |
//! | ≥ 2 GiB | `large-v3-turbo-q5_0` | the same model in a third of the memory (0.55 GB of weights) |
//! | ≥ 1 GiB | `small` | 0.47 GB of weights |
//! | less, or unknown | `base` | |
//!
//! `medium` is never the answer: `large-v3-turbo` (4 decoder layers against medium's 24) is
//! faster and more accurate in the same memory, and its q5_0 form is the size of
//! `medium-q5_0`. Every recommended model has a DTW alignment-head preset, so word times
//! stay DTW's. An integrated GPU shares the system's memory and a fraction of a discrete
//! GPU's throughput, so it gets `small`. A Vulkan driver that computes on the CPU
//! (Mesa's lavapipe, `llvmpipe` in the device's description) is treated as the CPU: it is
//! an order of magnitude slower than the CPU path (BENCHMARKS, GPU).

use serde::Serialize;

use crate::transcribe::{ComputeDevice, DeviceKind};

/// The model recommended for a device, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    /// A catalog name.
    pub model: &'static str,
    pub reason: Reason,
    /// The device it was chosen for ([`ComputeDevice::label`]).
    pub device: String,
}

/// Why [`recommend`] chose what it did (a key the app translates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The job runs on the CPU.
    Cpu,
    /// A GPU with room for the model.
    Gpu,
    /// A GPU with little memory, or one whose memory its backend does not report.
    SmallGpu,
    /// An integrated GPU (shared memory, modest throughput).
    IntegratedGpu,
    /// A Vulkan driver that computes on the CPU (lavapipe).
    SoftwareGpu,
}

const GIB: u64 = 1 << 30;

/// Whether a device is a GPU in name only: a Vulkan driver that runs on the CPU.
pub fn is_software_gpu(device: &ComputeDevice) -> bool {
    let description = device.description.to_ascii_lowercase();
    ["llvmpipe", "lavapipe", "swiftshader"]
        .iter()
        .any(|name| description.contains(name))
}

/// The model for a job on `device` (the module's table).
pub fn recommend(device: &ComputeDevice) -> Recommendation {
    let (model, reason) = match device.kind {
        DeviceKind::Cpu | DeviceKind::Accel => ("base", Reason::Cpu),
        _ if is_software_gpu(device) => ("base", Reason::SoftwareGpu),
        DeviceKind::Igpu => ("small", Reason::IntegratedGpu),
        DeviceKind::Gpu => match device.memory_total {
            memory if memory >= 5 * GIB => ("large-v3-turbo", Reason::Gpu),
            memory if memory >= 2 * GIB => ("large-v3-turbo-q5_0", Reason::Gpu),
            memory if memory >= GIB => ("small", Reason::SmallGpu),
            _ => ("base", Reason::SmallGpu),
        },
    };
    Recommendation {
        model,
        reason,
        device: device.label(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::catalog;

    fn device(kind: DeviceKind, description: &str, gib: f64) -> ComputeDevice {
        ComputeDevice {
            name: "Vulkan0".to_owned(),
            description: description.to_owned(),
            kind,
            memory_total: (gib * GIB as f64) as u64,
            memory_free: 0,
        }
    }

    #[test]
    fn the_model_follows_the_device_and_its_memory() {
        let cases = [
            (
                device(DeviceKind::Cpu, "AMD EPYC", 0.0),
                "base",
                Reason::Cpu,
            ),
            (
                device(DeviceKind::Gpu, "NVIDIA GeForce RTX 4070", 12.0),
                "large-v3-turbo",
                Reason::Gpu,
            ),
            (
                device(DeviceKind::Gpu, "NVIDIA GeForce RTX 3050", 4.0),
                "large-v3-turbo-q5_0",
                Reason::Gpu,
            ),
            (
                device(DeviceKind::Gpu, "NVIDIA GeForce GT 1030", 2.0),
                "large-v3-turbo-q5_0",
                Reason::Gpu,
            ),
            (
                device(DeviceKind::Gpu, "AMD Radeon R7", 1.5),
                "small",
                Reason::SmallGpu,
            ),
            (
                device(DeviceKind::Gpu, "an old card", 0.5),
                "base",
                Reason::SmallGpu,
            ),
            // A backend that does not report memory: the safe end.
            (
                device(DeviceKind::Gpu, "unknown", 0.0),
                "base",
                Reason::SmallGpu,
            ),
            (
                device(DeviceKind::Igpu, "Intel(R) UHD Graphics 620", 16.0),
                "small",
                Reason::IntegratedGpu,
            ),
            (
                device(DeviceKind::Gpu, "llvmpipe (LLVM 15.0.6, 256 bits)", 24.0),
                "base",
                Reason::SoftwareGpu,
            ),
        ];
        for (device, model, reason) in cases {
            let found = recommend(&device);
            assert_eq!((found.model, found.reason), (model, reason), "{device:?}");
            assert_eq!(found.device, device.label());
            // Every answer can be downloaded, and keeps DTW word times (not medium/large-v3).
            let entry = catalog::find(model).expect("a catalog model");
            assert!(entry.multilingual(), "{model}");
            assert!(!model.starts_with("medium") && !model.starts_with("large-v3-q"));
        }
    }
}
