// Each test binary uses a part of these helpers.
#![allow(dead_code)]

//! What the command tests share: the app as `run()` builds it, on the mock runtime, and an
//! IPC call as `ui/ipc.js` makes it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindow, WebviewWindowBuilder};
use vsl_core::paths::Dirs;
use vsl_core::worker::WorkerCommand;

/// The app on the mock runtime, working in folders of its own that go with it.
pub struct TestApp {
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub dirs: Dirs,
    _root: tempfile::TempDir,
}

/// Builds the app with its real context (config and capabilities) plus one window with the
/// given label, in fresh data, config and cache folders. Models come from the store that
/// `make setup` filled (read only), so the real pipeline can run.
pub fn app_with_window(label: &str) -> TestApp {
    let root = tempfile::tempdir().expect("a temporary directory");
    let dirs = Dirs::under(root.path()).with_models(Dirs::from_env().models);
    let (app, window) = app_in(label, dirs.clone());
    TestApp {
        app,
        window,
        dirs,
        _root: root,
    }
}

/// Builds the app in `dirs`, its jobs running in `vsl worker` ([`vsl_worker`]).
pub fn app_in(label: &str, dirs: Dirs) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    app_with_engine(label, dirs, vsl_worker())
}

/// Builds the app in `dirs`, its jobs running in workers started by `engine`.
pub fn app_with_engine(
    label: &str,
    dirs: Dirs,
    engine: WorkerCommand,
) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = vsl_studio_lib::builder_with_engine(mock_builder(), dirs, engine)
        .build(vsl_studio_lib::context())
        .expect("the app builds on the mock runtime");
    let window = WebviewWindowBuilder::new(&app, label, WebviewUrl::default())
        .build()
        .expect("the window opens on the mock runtime");
    (app, window)
}

/// Where the `vsl` binary of this build is (`cargo test --workspace` builds it with the
/// tests): target/<profile>/deps/<test>-<hash> -> target/<profile>/vsl.
fn vsl_path() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary");
    exe.parent()
        .and_then(Path::parent)
        .map(|profile| profile.join(format!("vsl{}", std::env::consts::EXE_SUFFIX)))
        .expect("the profile folder")
}

/// The `vsl` binary of this build.
pub fn vsl_binary() -> PathBuf {
    let binary = vsl_path();
    assert!(
        binary.is_file(),
        "{} is missing: run the tests with `cargo test --workspace`",
        binary.display()
    );
    binary
}

/// The engine process of the app under test: the test binary cannot be the app's own
/// worker (`vsl-studio --engine-worker`), so jobs run in `vsl worker`, the same
/// `vsl_core::worker::serve`, keeping its model as long as the app's would. Not checked
/// here, so tests that run no job need no `vsl`; a job without it fails naming the path.
pub fn vsl_worker() -> WorkerCommand {
    WorkerCommand {
        args: vec!["worker".into(), "--idle".into(), "5m".into()],
        ..WorkerCommand::vsl(vsl_path())
    }
}

/// The app's own binary as its engine process, as a person's app starts it, with `env`
/// (e.g. the fault switch) for the worker only.
pub fn app_worker(env: &[(&str, &str)]) -> WorkerCommand {
    WorkerCommand {
        program: env!("CARGO_BIN_EXE_vsl-studio").into(),
        args: vec![vsl_studio_lib::services::state::ENGINE_WORKER_ARG.into()],
        env: env
            .iter()
            .map(|(key, value)| ((*key).into(), (*value).into()))
            .collect(),
    }
}

/// Writes the app's settings file in `dirs`, as a person's Save would.
pub fn write_settings(dirs: &Dirs, toml: &str) {
    vsl_core::fs::create_dir_all(&dirs.config).expect("the config folder");
    vsl_core::fs::write_atomic(
        &dirs.settings_file(),
        toml.as_bytes(),
        vsl_core::fs::Replace::Yes,
    )
    .expect("the settings are written");
}

/// Invokes `command` with JSON `args` (camelCase keys, as the UI sends them); blocks until
/// the command answers.
pub fn invoke(
    window: &WebviewWindow<MockRuntime>,
    command: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: command.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("a valid URL"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| {
        body.deserialize::<Value>()
            .expect("the response body is JSON")
    })
}

/// jfk.wav from the test data `make setup` fetched.
pub fn jfk() -> PathBuf {
    let dir = std::env::var_os("VSL_TEST_DATA")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/vsl-studio/test-data"))
        })
        .expect("HOME or VSL_TEST_DATA");
    let wav = dir.join("jfk.wav");
    assert!(wav.is_file(), "run `make setup` first ({})", wav.display());
    wav
}

/// Starts a job for jfk.wav (with `script`, when given) and waits until it is done.
pub fn run_job(window: &WebviewWindow<MockRuntime>, script: Option<&Path>) -> (Value, Value) {
    run_job_on(window, &jfk(), script)
}

/// Starts a job for `input` (with `script`, when given) and waits until it is done.
pub fn run_job_on(
    window: &WebviewWindow<MockRuntime>,
    input: &Path,
    script: Option<&Path>,
) -> (Value, Value) {
    let record = invoke(
        window,
        "start_job",
        json!({ "path": input, "script": script, "onProgress": "__CHANNEL__:7" }),
    )
    .expect("started");
    let id = record["id"].as_str().expect("an id").to_owned();
    let started = Instant::now();
    loop {
        let jobs = invoke(window, "list_jobs", json!({})).expect("jobs");
        let job = jobs
            .as_array()
            .and_then(|jobs| jobs.iter().find(|job| job["id"] == json!(id)).cloned())
            .expect("the job is listed");
        if job["status"] != json!("running") {
            assert_eq!(job["status"], json!("done"), "{job}");
            let view = invoke(window, "open_job", json!({ "id": id })).expect("opens");
            return (job, view);
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "timed out waiting for the job"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
