//! The copywriter's script through the app's commands, on the mock runtime with the real
//! pipeline (tiny.en, jfk.wav): a job started with a script, a script given to a finished
//! job, and Undo/Redo across a script, where `alignment.json` and the review list must
//! follow the deck shown (not stay as the last script left them).

// Fixtures are written directly; only product code must go through vsl_core::fs.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;

mod common;

use common::{app_with_window, invoke, jfk, run_job, write_settings};
use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::WebviewWindow;

const SCRIPT: &str = "And so, my fellow AMERICANS:\nask NOT what your country can do for you —\n---\nask what you can do for your country.\n";

/// The slides' words, highlights' asterisks dropped.
fn words(view: &Value) -> Vec<String> {
    view["deck"]["slides"]
        .as_array()
        .expect("slides")
        .iter()
        .flat_map(|slide| {
            slide["text"]
                .as_str()
                .expect("text")
                .replace('*', "")
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn script_words(script: &str) -> Vec<String> {
    script
        .replace("---", "")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn step(window: &WebviewWindow<MockRuntime>, id: &str, step: &str) -> Value {
    invoke(window, "step_history", json!({ "id": id, "step": step })).expect(step)
}

#[test]
fn undo_and_redo_across_a_script_bring_back_the_alignment_of_the_deck_shown() {
    let test = app_with_window("main");
    write_settings(&test.dirs, "model = \"tiny.en\"\nlanguage = \"en\"\n");
    let window = &test.window;

    let (job, plain) = run_job(window, None);
    let id = job["id"].as_str().expect("an id").to_owned();
    let dir = PathBuf::from(plain["slidesDir"].as_str().expect("the slides folder"));
    let alignment_file = dir.join("alignment.json");
    assert_eq!(plain["alignment"], Value::Null, "no script yet");
    assert!(!alignment_file.exists());

    let scripted = invoke(
        window,
        "set_job_script",
        json!({ "id": id, "script": { "from": "pasted", "text": SCRIPT } }),
    )
    .expect("the script is applied");
    assert_eq!(words(&scripted), script_words(SCRIPT));
    assert_eq!(scripted["alignment"]["script"], json!("script.txt"));
    assert!(alignment_file.is_file());
    assert_eq!(scripted["canUndo"], json!(true));

    // A plain edit on the script's deck keeps its alignment, before and after its undo.
    let edited = invoke(
        window,
        "edit_slide",
        json!({ "id": id, "edit": { "op": "toggleHighlight", "index": 0, "word": "fellow" } }),
    )
    .expect("edited");
    assert_eq!(edited["alignment"], scripted["alignment"]);
    let unedited = step(window, &id, "undo");
    assert_eq!(unedited["deck"], scripted["deck"]);
    assert_eq!(unedited["alignment"], scripted["alignment"]);

    // Undoing the script shows the heard deck with no alignment and its own review list,
    // and alignment.json is gone from the folder (an export or a reopen reads the folder).
    let undone = step(window, &id, "undo");
    assert_eq!(undone["deck"], plain["deck"]);
    assert_eq!(
        undone["alignment"],
        Value::Null,
        "the alignment of the deck shown"
    );
    assert_eq!(undone["review"], plain["review"]);
    assert!(!alignment_file.exists(), "alignment.json is removed");
    assert_eq!(undone["canUndo"], json!(false));

    // Redo brings the script's deck back with its alignment, on screen and on disk.
    let redone = step(window, &id, "redo");
    assert_eq!(redone["deck"], scripted["deck"]);
    assert_eq!(redone["alignment"], scripted["alignment"]);
    assert_eq!(redone["review"], scripted["review"]);
    assert!(alignment_file.is_file());
    let redone = step(window, &id, "redo");
    assert_eq!(redone["alignment"], scripted["alignment"], "after the edit");
    assert_eq!(redone["canRedo"], json!(false));

    // A script of another video is refused, naming it; nothing changes.
    let other = test.dirs.data.join("other.md");
    std::fs::write(
        &other,
        "Hoje você vai descobrir o segredo das vendas online em poucos passos.\n",
    )
    .expect("the script");
    let refused = invoke(
        window,
        "set_job_script",
        json!({ "id": id, "script": { "from": "file", "path": other } }),
    )
    .expect_err("another voice-over's script");
    assert_eq!(refused["kind"], json!("script_mismatch"), "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|message| message.contains("other.md")),
        "{refused}"
    );
    let reopened = invoke(window, "open_job", json!({ "id": id })).expect("opens");
    assert_eq!(reopened["deck"], redone["deck"]);
    assert_eq!(reopened["alignment"], scripted["alignment"]);

    // Undo all the way back after a reopen still matches.
    step(window, &id, "undo");
    let back = step(window, &id, "undo");
    assert_eq!(back["alignment"], Value::Null);
    let listed = invoke(window, "list_jobs", json!({})).expect("jobs");
    assert_eq!(
        listed[0]["script"],
        Value::Null,
        "the record's script came back too: {listed}"
    );
}

#[test]
fn a_job_started_with_a_script_file_shows_its_words_and_a_bad_one_queues_nothing() {
    let test = app_with_window("main");
    write_settings(&test.dirs, "model = \"tiny.en\"\nlanguage = \"en\"\n");
    let window = &test.window;

    let notes = test.dirs.data.join("notes.pdf");
    std::fs::create_dir_all(&test.dirs.data).expect("data");
    std::fs::write(&notes, "not a script").expect("a file");
    let refused = invoke(
        window,
        "start_job",
        json!({ "path": jfk(), "script": notes, "onProgress": "__CHANNEL__:7" }),
    )
    .expect_err("not a script");
    assert_eq!(refused["kind"], json!("invalid_script"), "{refused}");
    assert_eq!(
        invoke(window, "list_jobs", json!({})).expect("jobs"),
        json!([])
    );

    let script = test.dirs.data.join("speech.md");
    std::fs::write(&script, SCRIPT).expect("the script");
    let (job, view) = run_job(window, Some(&script));
    assert_eq!(job["script"], json!(script), "{job}");
    assert_eq!(words(&view), script_words(SCRIPT));
    let alignment = &view["alignment"];
    assert_eq!(alignment["script"], json!("speech.md"));
    let lines = alignment["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|line| line["status"] == json!("spoken")));
    assert_eq!(view["canUndo"], json!(false));
}
