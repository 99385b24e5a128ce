//! `vsl slides` end to end on a real transcript (the JFK fixture made by `vsl transcribe`).

#![allow(clippy::disallowed_methods)] // fixtures are written directly

mod common;

use common::{text, vsl_at as vsl};

use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vsl-core/tests/fixtures/jfk.json")
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read json");
    serde_json::from_str(&text).expect("parse json")
}

#[test]
fn slides_writes_images_deck_and_report_then_reuses_the_cache() {
    let home = tempfile::tempdir().expect("tempdir");
    let glossary = home.path().join("job.toml");
    std::fs::write(
        &glossary,
        "[[rule]]\nfrom = \"fellow americans\"\nto = \"Fellow Americans\"\nhighlight = true\n",
    )
    .expect("write glossary");
    let out = home.path().join("out");
    let run = || {
        vsl(home.path())
            .arg("slides")
            .arg(fixture())
            .arg("--out")
            .arg(&out)
            .arg("--glossary")
            .arg(&glossary)
            .output()
            .expect("run vsl")
    };

    let first = run();
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("(3 rendered, 0 cached)"),
        "{}",
        text(&first)
    );
    let deck = read_json(&out.join("slides.json"));
    assert_eq!(deck["preset"], "16:9");
    assert_eq!(deck["theme"], "classic");
    assert_eq!(
        (deck["width"].as_u64(), deck["height"].as_u64()),
        (Some(1920), Some(1080))
    );
    assert_eq!(deck["duration"].as_f64(), Some(11.0));
    let slides = deck["slides"].as_array().expect("slides");
    assert_eq!(slides.len(), 3);
    assert_eq!(slides[0]["text"], "And so my Fellow Americans,");
    assert_eq!(slides[0]["highlights"][0], "Fellow Americans");
    assert_eq!(slides[0]["start"].as_f64(), Some(0.0));
    assert_eq!(slides[2]["end"].as_f64(), Some(11.0));
    for slide in slides {
        let image = slide["image"].as_str().expect("image name");
        assert!(out.join(image).is_file(), "{image} missing");
    }
    let report = read_json(&out.join("corrections.json"));
    assert_eq!(report["replacements"][0]["to"], "Fellow Americans,");
    assert_eq!(report["review"][0]["text"], "ask");

    let second = run();
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        text(&second).contains("(0 rendered, 3 cached)"),
        "{}",
        text(&second)
    );
}

#[test]
fn slides_takes_presets_sizes_themes_and_the_global_glossary_from_config() {
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(
        config.join("slides.toml"),
        "[preset.\"9:16\"]\nmax_words = 3\n\n[theme.brand]\nbackground = \"#0B1F3A\"\ntext = \"#FFFFFF\"\nhighlight = \"#2EE59D\"\n",
    )
    .expect("write slides.toml");
    std::fs::write(
        config.join("glossary.toml"),
        "[[rule]]\nfrom = \"country\"\nto = \"Country\"\n",
    )
    .expect("write glossary.toml");
    let out = home.path().join("portrait");
    let output = vsl(home.path())
        .arg("slides")
        .arg(fixture())
        .args([
            "--preset", "9:16", "--theme", "brand", "--size", "270x480", "--out",
        ])
        .arg(&out)
        .output()
        .expect("run vsl");
    assert!(output.status.success(), "{}", text(&output));
    let deck = read_json(&out.join("slides.json"));
    assert_eq!(
        (deck["preset"].as_str(), deck["theme"].as_str()),
        (Some("9:16"), Some("brand"))
    );
    assert_eq!(deck["width"].as_u64(), Some(270));
    let slides = deck["slides"].as_array().expect("slides");
    assert!(slides.iter().all(|s| s["text"]
        .as_str()
        .is_some_and(|t| t.split(' ').count() <= 3)));
    let all: Vec<&str> = slides.iter().filter_map(|s| s["text"].as_str()).collect();
    assert!(all.join(" ").contains("your Country."), "{all:?}");

    let plain = home.path().join("plain");
    let output = vsl(home.path())
        .arg("slides")
        .arg(fixture())
        .arg("--no-global-glossary")
        .arg("--out")
        .arg(&plain)
        .output()
        .expect("run vsl");
    assert!(output.status.success(), "{}", text(&output));
    let deck = read_json(&plain.join("slides.json"));
    assert_eq!(
        deck["slides"][2]["text"],
        "ask what you can do for your country."
    );
}

#[test]
fn slides_reports_bad_input_by_name() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = home.path().join("out");
    let unknown_theme = vsl(home.path())
        .arg("slides")
        .arg(fixture())
        .args(["--theme", "neon", "--out"])
        .arg(&out)
        .output()
        .expect("run vsl");
    assert_eq!(unknown_theme.status.code(), Some(1));
    assert!(
        text(&unknown_theme).contains("unknown look 'neon'"),
        "{}",
        text(&unknown_theme)
    );

    let missing = vsl(home.path())
        .args(["slides", "nowhere.json", "--out"])
        .arg(&out)
        .output()
        .expect("run vsl");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing).contains("nowhere.json"),
        "{}",
        text(&missing)
    );

    let glossary = home.path().join("broken.toml");
    std::fs::write(&glossary, "[[rule]]\nfrom = \"x\"\n").expect("write");
    let broken = vsl(home.path())
        .arg("slides")
        .arg(fixture())
        .arg("--glossary")
        .arg(&glossary)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run vsl");
    assert_eq!(broken.status.code(), Some(1));
    assert!(text(&broken).contains("broken.toml"), "{}", text(&broken));
}
