//! Drives the commands through Tauri's IPC layer on the mock runtime.
//!
//! The app is built with its real context (`tauri.conf.json` and the resolved
//! capabilities), so these tests also prove that the main window is allowed to
//! call each command and that other windows are not.

mod common;

use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::WebviewWindow;

use common::{app_in, app_with_window, invoke as invoke_with, write_settings};
use vsl_core::paths::Dirs;

/// Invokes `command` without arguments, as `ui/ipc.js` does.
fn invoke(window: &WebviewWindow<MockRuntime>, command: &str) -> Result<Value, Value> {
    invoke_with(window, command, json!({}))
}

#[test]
fn app_info_returns_product_name_and_crate_version() {
    let test = app_with_window("main");
    let window = &test.window;

    let info = invoke(window, "app_info").expect("app_info succeeds");

    assert_eq!(
        info,
        json!({ "name": "VSL Studio", "version": env!("CARGO_PKG_VERSION") })
    );
}

#[test]
fn list_models_with_an_empty_models_dir_offers_only_the_catalog() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let (_app, window) = app_in("main", Dirs::under(root.path()));
    let window = &window;

    let models = invoke(window, "list_models").expect("list_models succeeds");

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
    // This build computes on the CPU, where base is recommended (vsl_core::models::recommend).
    let recommended = |entries: &[Value]| -> Vec<String> {
        entries
            .iter()
            .filter(|entry| entry["recommended"] == json!(true))
            .map(|entry| entry["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(recommended(entries), ["base"]);

    // Settings that name a GPU this machine lacks still list, recommending for the automatic
    // device; Settings and the next job report the bad device themselves.
    write_settings(&Dirs::under(root.path()), "device = \"Vulkan9\"\n");
    let models = invoke(window, "list_models").expect("list_models succeeds");
    assert_eq!(recommended(models.as_array().expect("array")), ["base"]);
}

#[test]
fn commands_are_refused_to_windows_without_a_capability() {
    let test = app_with_window("untrusted");
    let window = &test.window;

    let error = invoke(window, "app_info").expect_err("app_info is refused");

    assert!(
        error.to_string().contains("not allowed"),
        "unexpected error: {error}"
    );
}

#[test]
fn start_job_refuses_files_that_are_not_media_and_names_them() {
    let test = app_with_window("main");
    let window = &test.window;
    let notes = tempfile::Builder::new()
        .suffix(".txt")
        .tempfile()
        .expect("a temporary file");

    let error = invoke_with(
        window,
        "start_job",
        json!({ "path": notes.path(), "onProgress": "__CHANNEL__:7" }),
    )
    .expect_err("a text file is refused");

    assert_eq!(error["kind"], json!("unsupported_media"), "{error}");
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
    let test = app_with_window("main");
    let window = &test.window;

    let relative = invoke_with(
        window,
        "start_job",
        json!({ "path": "jfk.wav", "onProgress": "__CHANNEL__:7" }),
    )
    .expect_err("a relative path is refused");
    assert_eq!(relative["kind"], json!("unsupported_media"), "{relative}");

    let missing = invoke_with(
        window,
        "start_job",
        json!({ "path": "/nowhere/jfk.wav", "onProgress": "__CHANNEL__:7" }),
    )
    .expect_err("a missing file is refused");
    assert_eq!(missing["kind"], json!("not_found"), "{missing}");
}

#[test]
fn job_commands_answer_not_found_for_unknown_ids() {
    let test = app_with_window("main");
    let window = &test.window;

    for (command, args) in [
        ("cancel_job", json!({ "id": "nope" })),
        ("open_job", json!({ "id": "nope" })),
        (
            "edit_slide",
            json!({ "id": "nope", "edit": { "op": "mergeNext", "index": 0 } }),
        ),
    ] {
        let error = invoke_with(window, command, args).expect_err("unknown job");
        assert_eq!(error["kind"], json!("not_found"), "{command}: {error}");
    }
}

#[test]
fn show_in_folder_only_reveals_files_the_app_exported() {
    let test = app_with_window("main");
    let window = &test.window;

    let error = invoke_with(window, "show_in_folder", json!({ "path": "/etc/passwd" }))
        .expect_err("an arbitrary path is refused");

    assert_eq!(error["kind"], json!("forbidden"), "{error}");
}

#[test]
fn export_deck_refuses_a_folder_that_is_not_one() {
    let test = app_with_window("main");
    let window = &test.window;

    let error = invoke_with(
        window,
        "export_deck",
        json!({
            "id": "nope",
            "folder": "relative/out",
            "formats": ["mp4"],
            "onProgress": "__CHANNEL__:8",
        }),
    )
    .expect_err("a relative folder is refused");

    assert_eq!(error["kind"], json!("output_folder"), "{error}");
}

#[test]
fn remove_model_names_a_model_that_is_not_installed() {
    // No store anywhere has a model called "nope", so this touches nothing on disk.
    let test = app_with_window("main");
    let window = &test.window;

    let error = invoke_with(window, "remove_model", json!({ "name": "nope" }))
        .expect_err("nothing to remove");

    assert!(
        error["message"]
            .as_str()
            .is_some_and(|message| message.contains("nope")),
        "{error}"
    );
}

#[test]
fn a_bad_theme_language_or_format_is_refused_at_save_and_nothing_is_written() {
    let test = app_with_window("main");
    let window = &test.window;
    let settings = invoke(window, "get_settings").expect("settings");
    let inbox = test.dirs.data.join("inbox");
    let out = test.dirs.data.join("out");
    let folder = |formats: Value| {
        json!([{ "dir": inbox, "outDir": out, "language": "en", "preset": "16:9",
                 "theme": "classic", "formats": formats, "enabled": true }])
    };
    let cases = [
        ("theme", json!("neon"), "unknown_theme"),
        ("language", json!("klingon"), "language"),
        ("preset", json!("4:3"), "unknown_preset"),
        (
            "watchFolders",
            folder(json!(["mp4", "gif"])),
            "unknown_format",
        ),
    ];
    for (field, value, kind) in cases {
        let mut bad = settings.clone();
        bad[field] = value;
        let error = invoke_with(window, "save_settings", json!({ "settings": bad }))
            .expect_err("refused at Save");
        assert_eq!(error["kind"], json!(kind), "{field}: {error}");
        assert!(
            !test.dirs.settings_file().exists(),
            "{field}: nothing is written"
        );
    }
    // A good one is written, and read back as saved.
    let mut good = settings.clone();
    good["theme"] = json!("dark");
    good["fps"] = json!(30);
    invoke_with(window, "save_settings", json!({ "settings": good })).expect("saved");
    let read = invoke(window, "get_settings").expect("settings");
    assert_eq!(read["theme"], json!("dark"));
    assert_eq!(read["fps"], json!(30));
}

#[test]
fn app_choices_list_what_settings_accept_with_custom_themes() {
    let test = app_with_window("main");
    vsl_core::fs::create_dir_all(&test.dirs.config).expect("config");
    vsl_core::fs::write_atomic(
        &test.dirs.slides_config_file(),
        b"[theme.brand]\nbackground = \"#101820\"\ntext = \"#FFFFFF\"\nhighlight = \"#FFC233\"\n",
        vsl_core::fs::Replace::Yes,
    )
    .expect("slides.toml");
    let choices = invoke(&test.window, "app_choices").expect("choices");
    assert_eq!(choices["themes"], json!(["classic", "dark", "brand"]));
    assert_eq!(choices["aspects"], json!(["16:9", "1:1", "9:16"]));
    assert_eq!(
        choices["formats"],
        json!(["mp4", "srt", "vtt", "txt", "json", "ass"])
    );
    let extensions = choices["mediaExtensions"].as_array().expect("a list");
    assert!(extensions.contains(&json!("avi")) && extensions.contains(&json!("mkv")));
    assert_eq!(
        choices["scriptExtensions"],
        json!(["txt", "md", "markdown", "docx"])
    );
    let languages = choices["languages"].as_array().expect("a list");
    assert_eq!(languages[0]["code"], json!("auto"));
    assert!(languages
        .iter()
        .any(|language| language["code"] == json!("pt")));
    // The custom theme is one a setting may name.
    let mut settings = invoke(&test.window, "get_settings").expect("settings");
    settings["theme"] = json!("brand");
    invoke_with(
        &test.window,
        "save_settings",
        json!({ "settings": settings }),
    )
    .expect("saved");
}

/// HOME (and the XDG folders) point at a poisoned queue, glossary and settings; the app,
/// built with the test's folders, reads none of them.
#[test]
fn nothing_is_read_from_the_real_home() {
    let poisoned = tempfile::tempdir().expect("a temporary directory");
    let home = Dirs::under(poisoned.path());
    vsl_core::fs::create_dir_all(&home.jobs_dir()).expect("jobs");
    vsl_core::fs::write_atomic(
        &home.jobs_dir().join("queue.json"),
        br#"[{"id":"poison","name":"poison.wav","input":"/poison.wav","workDir":"/poison","status":"done","error":null}]"#,
        vsl_core::fs::Replace::Yes,
    )
    .expect("queue");
    write_settings(&home, "theme = \"poison\"\n");
    vsl_core::fs::write_atomic(
        &home.glossary_file(),
        b"this is = not [ toml",
        vsl_core::fs::Replace::Yes,
    )
    .expect("glossary");
    // What Dirs::from_env would find, if anything read it.
    for (var, path) in [
        ("HOME", poisoned.path().to_path_buf()),
        ("VSL_DATA_DIR", home.data.clone()),
        ("VSL_CONFIG_DIR", home.config.clone()),
        ("VSL_CACHE_DIR", home.cache.clone()),
    ] {
        std::env::set_var(var, path);
    }
    let test = app_with_window("main");
    let window = &test.window;
    assert_eq!(invoke(window, "list_jobs").expect("jobs"), json!([]));
    assert_eq!(
        invoke(window, "get_settings").expect("settings")["theme"],
        json!("classic")
    );
    let glossary = invoke(window, "get_glossary").expect("the test's glossary, empty");
    assert_eq!(glossary["rules"], json!([]));
    assert!(glossary["path"]
        .as_str()
        .is_some_and(|path| path.starts_with(&*test.dirs.config.to_string_lossy())));
}

/// Every command `lib.rs` registers has its permission in `build.rs` and is granted to the
/// main window; a command missing from either is unreachable from the UI, which the mock
/// runtime only shows for the commands a test happens to call.
#[test]
fn every_registered_command_is_granted_to_the_main_window() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
    };
    let lib = read("src/lib.rs");
    let mut registered: Vec<String> = lib
        .split("commands::")
        .skip(1)
        .filter_map(|rest| {
            let (module, rest) = rest.split_once("::")?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!module.is_empty() && !name.is_empty() && !name.chars().next()?.is_uppercase())
                .then_some(name)
        })
        .collect();
    registered.sort();
    registered.dedup();
    assert!(
        registered.len() > 20,
        "commands found in lib.rs: {registered:?}"
    );

    let build = read("build.rs");
    let listed = build
        .split_once("APP_COMMANDS")
        .and_then(|(_, rest)| rest.split_once("];"))
        .map(|(list, _)| list)
        .expect("APP_COMMANDS in build.rs");
    let capabilities: Value =
        serde_json::from_str(&read("capabilities/main.json")).expect("capabilities JSON");
    let granted: Vec<&str> = capabilities["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for command in &registered {
        assert!(
            listed.contains(&format!("\"{command}\"")),
            "{command} is registered but not in build.rs's APP_COMMANDS"
        );
        let permission = format!("allow-{}", command.replace('_', "-"));
        assert!(
            granted.contains(&permission.as_str()),
            "{command} is registered but capabilities/main.json does not grant {permission}"
        );
    }
}

#[test]
fn show_log_says_where_the_log_goes_before_there_is_one() {
    // The mock app does not install the log (a test process has one subscriber at most),
    // so its data folder has no log file yet.
    let test = app_with_window("main");
    let error = invoke(&test.window, "show_log").expect_err("nothing to show");
    assert_eq!(error["kind"], json!("not_found"), "{error}");
    let logs = test.dirs.data.join("logs");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|message| message.contains(&logs.display().to_string())),
        "{error}"
    );
}
