//! whisper.cpp's Vulkan backend, for real, on Mesa's lavapipe (a Vulkan driver that runs on
//! the CPU; `make test-vulkan`): the device shows in `vsl health`, a job on it hears the same
//! words at the same times as on the CPU, and a GPU that fails to start or fails mid-file
//! leaves the job on the CPU with a notice. Lavapipe is a stand-in for a real GPU: it runs
//! the same code path (shaders, buffers, the backend scheduler), not at a GPU's speed.
#![cfg(feature = "vulkan")]

mod common;

use common::{test_data, text, tiny_models as models};

use std::path::Path;
use std::process::{Command, Output};

/// `vsl` with the test models and lavapipe visible: ggml-vulkan skips CPU devices unless
/// they are named in GGML_VK_VISIBLE_DEVICES.
fn vsl() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vsl"));
    command
        .env("VSL_MODELS_DIR", models())
        .env("GGML_VK_VISIBLE_DEVICES", "0")
        .env_remove("VSL_FAULT_GPU");
    command
}

/// (text, start, end) of every word in a transcript file.
fn words(path: &Path) -> Vec<(String, f64, f64)> {
    let transcript: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("transcript")).expect("json");
    transcript["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .flat_map(|segment| segment["words"].as_array().expect("words").clone())
        .map(|word| {
            (
                word["text"].as_str().expect("text").to_owned(),
                word["start"].as_f64().expect("start"),
                word["end"].as_f64().expect("end"),
            )
        })
        .collect()
}

/// Transcribes jfk.wav with `args` added, returning the run and its words.
fn transcribe(args: &[&str], fault: Option<&str>) -> (Output, Vec<(String, f64, f64)>) {
    let out = tempfile::tempdir().expect("tempdir");
    let mut command = vsl();
    command
        .arg("transcribe")
        .arg(test_data().join("jfk.wav"))
        .args(["--model", "tiny.en", "--out"])
        .arg(out.path())
        .args(args);
    if let Some(fault) = fault {
        command.env("VSL_FAULT_GPU", fault);
    }
    let output = command.output().expect("run vsl");
    assert!(output.status.success(), "{}", text(&output));
    let words = words(&out.path().join("jfk.json"));
    (output, words)
}

fn assert_same(cpu: &[(String, f64, f64)], other: &[(String, f64, f64)], what: &str) {
    let texts =
        |words: &[(String, f64, f64)]| words.iter().map(|word| word.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        texts(cpu),
        texts(other),
        "{what}: the same words as the CPU"
    );
    for (a, b) in cpu.iter().zip(other) {
        assert!(
            (a.1 - b.1).abs() <= 0.05 && (a.2 - b.2).abs() <= 0.05,
            "{what}: '{}' at {:.2}-{:.2} s on the CPU, {:.2}-{:.2} s here",
            a.0,
            a.1,
            a.2,
            b.1,
            b.2
        );
    }
}

#[test]
fn health_lists_the_vulkan_device_and_automatic_jobs_use_it() {
    let output = vsl().args(["health", "--json"]).output().expect("run");
    assert!(output.status.success(), "{}", text(&output));
    let health: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let devices = health["devices"].as_array().expect("devices");
    let vulkan = devices
        .iter()
        .find(|device| device["name"] == "Vulkan0")
        .unwrap_or_else(|| panic!("no Vulkan0 in {devices:?}"));
    assert_eq!(vulkan["kind"], "gpu", "{vulkan}");
    assert!(
        vulkan["description"]
            .as_str()
            .is_some_and(|description| description.contains("llvmpipe")),
        "{vulkan}"
    );
    assert!(devices.iter().any(|device| device["kind"] == "cpu"));
    assert!(
        health["device"]
            .as_str()
            .is_some_and(|device| device.starts_with("Vulkan0")),
        "{health}"
    );
    assert_eq!(health["gpuBackends"], serde_json::json!(["vulkan"]));
    // lavapipe computes on the CPU: the model manager does not take it for a big GPU.
    assert_eq!(
        health["recommendation"]["model"], "base",
        "{}",
        health["recommendation"]
    );
    assert_eq!(health["recommendation"]["reason"], "software_gpu");
    let list = vsl()
        .args(["models", "list", "--device", "Vulkan0"])
        .output()
        .expect("run");
    assert!(list.status.success(), "{}", text(&list));
    assert!(
        text(&list).contains("recommended for Vulkan0 (llvmpipe"),
        "{}",
        text(&list)
    );
}

#[test]
fn the_gpu_hears_what_the_cpu_hears_and_a_failing_gpu_leaves_the_job_on_the_cpu() {
    let (cpu_run, cpu) = transcribe(&["--device", "cpu"], None);
    assert!(text(&cpu_run).contains("on CPU"), "{}", text(&cpu_run));
    assert!(cpu.len() >= 20, "{cpu:?}");

    let (gpu_run, gpu) = transcribe(&["--device", "Vulkan0"], None);
    let said = text(&gpu_run);
    assert!(said.contains("on Vulkan0 (llvmpipe"), "{said}");
    assert!(!said.contains("note:"), "{said}");
    assert_same(&cpu, &gpu, "Vulkan0");

    // The GPU's backend does not start: the model goes on the CPU at load.
    let (init_run, init) = transcribe(&[], Some("init"));
    let said = text(&init_run);
    assert!(
        said.contains("could not start (simulated GPU failure at init") && said.contains("on CPU"),
        "{said}"
    );
    assert_same(&cpu, &init, "after a failed start");

    // The GPU fails on the first window: the window runs again on the CPU.
    let (compute_run, compute) = transcribe(&[], Some("compute"));
    let said = text(&compute_run);
    assert!(
        said.contains("on Vulkan0") && said.contains("failed (simulated GPU failure at compute"),
        "{said}"
    );
    assert_same(&cpu, &compute, "after a failure mid-file");
}

#[test]
fn a_gpu_that_is_not_there_is_refused_before_anything_is_loaded() {
    let out = tempfile::tempdir().expect("tempdir");
    let output = vsl()
        .arg("transcribe")
        .arg(test_data().join("jfk.wav"))
        .args(["--model", "tiny.en", "--device", "Vulkan7", "--out"])
        .arg(out.path())
        .output()
        .expect("run");
    assert!(!output.status.success());
    let said = text(&output);
    assert!(
        said.contains("no GPU named 'Vulkan7'") && said.contains("Vulkan0"),
        "{said}"
    );
    assert!(!said.contains("loaded tiny.en"), "{said}");
}

/// The app's path: a job in the engine process (`vsl worker`) whose GPU fails sends the
/// notice as a job warning while it runs, and still finishes, on the CPU, with its files.
#[test]
fn the_worker_warns_when_the_gpu_fails_and_finishes_the_job_on_the_cpu() {
    use vsl_core::job::{Formats, JobSpec};
    use vsl_core::jobs::CancelToken;
    use vsl_core::paths::Dirs;
    use vsl_core::worker::{JobRequest, Progress, WorkerClient, WorkerCommand, WorkerDirs};

    for (fault, said) in [
        ("init", "could not start (simulated GPU failure at init"),
        ("compute", "failed (simulated GPU failure at compute"),
    ] {
        let home = tempfile::tempdir().expect("tempdir");
        let dirs = Dirs::under(home.path()).with_models(models().to_path_buf());
        let out = home.path().join("out");
        std::fs::create_dir_all(&out).expect("out");
        let input = test_data().join("jfk.wav");
        let job = JobRequest {
            spec: JobSpec {
                model: "tiny.en".into(),
                formats: Formats::parse("srt").expect("formats"),
                ..JobSpec::default()
            },
            input: input.clone(),
            out_dir: out.clone(),
            name: vsl_core::pipeline::stem(&input),
            overwrite: false,
            dirs: WorkerDirs::from(&dirs),
        };
        let mut client = WorkerClient::new(WorkerCommand {
            env: vec![
                ("GGML_VK_VISIBLE_DEVICES".into(), "0".into()),
                ("VSL_FAULT_GPU".into(), fault.into()),
            ],
            ..WorkerCommand::vsl(env!("CARGO_BIN_EXE_vsl"))
        });
        let mut warnings = Vec::new();
        let result = client
            .run(
                &job,
                &mut |update| {
                    if let Progress::Warning { message } = update {
                        warnings.push(message.clone());
                    }
                },
                &CancelToken::new(),
            )
            .unwrap_or_else(|error| {
                panic!("{fault}: the job fails instead of falling back: {error}")
            });
        assert!(
            warnings
                .iter()
                .any(|warning| warning.contains("Vulkan0") && warning.contains(said)),
            "{fault}: {warnings:?}"
        );
        assert!(result.words >= 20, "{fault}: {result:?}");
        assert!(
            result
                .files
                .iter()
                .any(|file| file.extension().is_some_and(|ext| ext == "srt") && file.is_file()),
            "{fault}: {result:?}"
        );
    }
}
