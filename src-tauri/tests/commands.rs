//! Drives the commands through Tauri's IPC layer on the mock runtime.
//!
//! The app is built with its real context (`tauri.conf.json` and the resolved
//! capabilities), so these tests also prove that the main window is allowed to
//! call each command and that other windows are not.

mod common;

use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::WebviewWindow;

use common::{app_with_window, invoke as invoke_with};

/// Invokes `command` without arguments, as `ui/ipc.js` does.
fn invoke(window: &WebviewWindow<MockRuntime>, command: &str) -> Result<Value, Value> {
    invoke_with(window, command, json!({}))
}

#[test]
fn app_info_returns_product_name_and_crate_version() {
    let (_app, window) = app_with_window("main");

    let info = invoke(&window, "app_info").expect("app_info succeeds");

    assert_eq!(
        info,
        json!({ "name": "VSL Studio", "version": env!("CARGO_PKG_VERSION") })
    );
}

#[test]
fn list_models_with_an_empty_models_dir_offers_only_the_catalog() {
    let models_dir = tempfile::tempdir().expect("a temporary directory");
    // No other test in this binary reads VSL_MODELS_DIR, so setting it here
    // cannot race with them.
    std::env::set_var("VSL_MODELS_DIR", models_dir.path());
    let (_app, window) = app_with_window("main");

    let models = invoke(&window, "list_models").expect("list_models succeeds");

    let entries = models.as_array().expect("list_models returns an array");
    assert!(
        !entries.is_empty(),
        "the catalog should be listed even with nothing installed"
    );
    for entry in entries {
        // The UI reads these camelCase keys (ui/views/models.js).
        for key in [
            "name",
            "installed",
            "path",
            "sizeBytes",
            "multilingual",
            "isDefault",
            "inCatalog",
            "quantization",
        ] {
            assert!(entry.get(key).is_some(), "{entry} lacks {key}");
        }
        assert_eq!(entry["installed"], json!(false), "{entry}");
        assert_eq!(entry["inCatalog"], json!(true), "{entry}");
        assert_eq!(entry["path"], Value::Null, "{entry}");
    }
    let defaults = entries
        .iter()
        .filter(|entry| entry["isDefault"] == json!(true))
        .count();
    assert_eq!(defaults, 1, "exactly one catalog model is the default");
}

#[test]
fn commands_are_refused_to_windows_without_a_capability() {
    let (_app, window) = app_with_window("untrusted");

    let error = invoke(&window, "app_info").expect_err("app_info is refused");

    assert!(
        error.to_string().contains("not allowed"),
        "unexpected error: {error}"
    );
}

#[test]
fn start_job_refuses_files_that_are_not_media_and_names_them() {
    let (_app, window) = app_with_window("main");
    let notes = tempfile::Builder::new()
        .suffix(".txt")
        .tempfile()
        .expect("a temporary file");

    let error = invoke_with(
        &window,
        "start_job",
        json!({ "path": notes.path(), "onProgress": "__CHANNEL__:7" }),
    )
    .expect_err("a text file is refused");

    assert_eq!(error["kind"], json!("unsupported"), "{error}");
    let name = notes.path().file_name().expect("a file name");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|message| message.contains(&*name.to_string_lossy())),
        "{error}"
    );
}

#[test]
fn start_job_refuses_relative_and_missing_paths() {
    let (_app, window) = app_with_window("main");

    let relative = invoke_with(
        &window,
        "start_job",
        json!({ "path": "jfk.wav", "onProgress": "__CHANNEL__:7" }),
    )
    .expect_err("a relative path is refused");
    assert_eq!(relative["kind"], json!("unsupported"), "{relative}");

    let missing = invoke_with(
        &window,
        "start_job",
        json!({ "path": "/nowhere/jfk.wav", "onProgress": "__CHANNEL__:7" }),
    )
    .expect_err("a missing file is refused");
    assert_eq!(missing["kind"], json!("not_found"), "{missing}");
}

#[test]
fn job_commands_answer_not_found_for_unknown_ids() {
    let (_app, window) = app_with_window("main");

    for (command, args) in [
        ("cancel_job", json!({ "id": "nope" })),
        ("open_job", json!({ "id": "nope" })),
        (
            "edit_slide",
            json!({ "id": "nope", "edit": { "op": "mergeNext", "index": 0 } }),
        ),
    ] {
        let error = invoke_with(&window, command, args).expect_err("unknown job");
        assert_eq!(error["kind"], json!("not_found"), "{command}: {error}");
    }
}

#[test]
fn show_in_folder_only_reveals_files_the_app_exported() {
    let (_app, window) = app_with_window("main");

    let error = invoke_with(&window, "show_in_folder", json!({ "path": "/etc/passwd" }))
        .expect_err("an arbitrary path is refused");

    assert_eq!(error["kind"], json!("forbidden"), "{error}");
}

#[test]
fn export_deck_refuses_a_folder_that_is_not_one() {
    let (_app, window) = app_with_window("main");

    let error = invoke_with(
        &window,
        "export_deck",
        json!({
            "id": "nope",
            "folder": "relative/out",
            "formats": ["mp4"],
            "onProgress": "__CHANNEL__:8",
        }),
    )
    .expect_err("a relative folder is refused");

    assert_eq!(error["kind"], json!("bad_folder"), "{error}");
}

#[test]
fn remove_model_names_a_model_that_is_not_installed() {
    // No store anywhere has a model called "nope", so this leaves VSL_MODELS_DIR alone
    // (another test in this binary sets it) and touches nothing on disk.
    let (_app, window) = app_with_window("main");

    let error = invoke_with(&window, "remove_model", json!({ "name": "nope" }))
        .expect_err("nothing to remove");

    assert!(
        error["message"]
            .as_str()
            .is_some_and(|message| message.contains("nope")),
        "{error}"
    );
}
