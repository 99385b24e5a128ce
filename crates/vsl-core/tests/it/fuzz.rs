//! The parsers of files a user hands us, fed random and mutated bytes (issue 17, part 5):
//! none may panic, and every rejection is a typed error whose message names the file.
//! Each property runs a bounded number of cases, so CI spends seconds here.
//!
//! Covered: glossary TOML, scripts (.txt, .md, .docx), slides.json, slides.toml, look.toml,
//! the job spec that settings.toml and watched folders flatten, and ggml model headers.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use vsl_core::correct::Glossary;
use vsl_core::job::JobSpec;
use vsl_core::paths::Dirs;
use vsl_core::script::Script;
use vsl_core::slides::{SlideDeck, SlidesConfig};
use vsl_core::ErrorKind;

const GLOSSARY: &str = r#"review_threshold = 0.5
accent_insensitive = false

[[rule]]
from = ["acme pay", "akme pay"]
to = "AcmePay"
highlight = true

[[rule]]
to = "Pão de Açúcar"
accent_insensitive = true
"#;

const SCRIPT: &str = "# Roteiro\n\nHoje você vai descobrir *3 passos*.\n---\nPor apenas R$ 49,90 em 12x.\n- 90% dos clientes\n";

const DECK: &str = r#"{"preset": "16:9", "theme": "classic", "width": 320, "height": 180, "duration": 11.0,
 "slides": [{"index": 0, "start": 0.0, "end": 4.0, "text": "Ask *not*", "highlights": ["not"], "image": "slide-0.png"},
            {"index": 1, "start": 4.0, "end": 11.0, "text": "what your country", "highlights": [], "image": "slide-1.png"}]}"#;

const SLIDES_TOML: &str = r##"[defaults]
max_words = 7
[themes.brand]
background = "#101820"
text = "#FFFFFF"
accent = "#FFC233"
"##;

const LOOK: &str = r##"name = "Minha marca"
[colors]
background = "#101820"
text = "#FFFFFF"
highlight = "#FFC233"
[logo]
position = "top-right"
width = 0.12
[progress]
show = true
color = "#FFC233"
position = "bottom"
height = 0.012
[words]
highlight = "both"
active_color = "#FF3355"
[intro]
text = "Assista até o final"
duration = 3.0
"##;

const SPEC: &str = r#"model = "base"
language = "pt"
threads = 2
preset = "9:16"
theme = "dark"
formats = ["mp4", "srt"]
"#;

/// `cases` per property, or `PROPTEST_CASES` for a longer run; failures are not persisted
/// (the test tree stays clean; a failure prints its minimal input).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The seed with a few bytes overwritten, inserted or cut: close enough to parse far.
fn mutated(seed: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(move |(edits, cut, truncate)| {
            let mut bytes = seed.to_vec();
            for (at, byte, how) in edits {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let at = at.index(bytes.len());
                match how {
                    0 => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            if truncate && !bytes.is_empty() {
                bytes.truncate(cut.index(bytes.len()));
            }
            bytes
        })
}

/// Random bytes or a mutated seed, half and half.
fn inputs(seed: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..2048), mutated(seed)]
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write input");
    path
}

/// A rejection must name the file and have a kind the UI translates.
fn check_rejection(path: &Path, kind: ErrorKind, message: &str, allowed: &[ErrorKind]) {
    let name = path.file_name().expect("name").to_string_lossy();
    assert!(
        message.contains(&*name),
        "{kind:?} does not name {name}: {message}"
    );
    assert!(
        allowed.contains(&kind),
        "unexpected kind {kind:?}: {message}"
    );
}

/// A small .docx made of the script's lines (docx-rs writes it), as the mutation seed.
fn docx_seed() -> &'static [u8] {
    static SEED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    SEED.get_or_init(|| {
        let mut document = docx_rs::Docx::new();
        for line in SCRIPT.lines() {
            document = document.add_paragraph(
                docx_rs::Paragraph::new().add_run(docx_rs::Run::new().add_text(line)),
            );
        }
        let mut bytes = std::io::Cursor::new(Vec::new());
        document.build().pack(&mut bytes).expect("pack docx");
        bytes.into_inner()
    })
}

/// The first 64 KiB of a real model: the header, vocabulary and the first tensors.
fn ggml_seed() -> &'static [u8] {
    static SEED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    SEED.get_or_init(|| {
        let path = crate::common::converted_store().path_for("tiny.en");
        let mut bytes = std::fs::read(path).expect("read model");
        bytes.truncate(64 * 1024);
        bytes
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn glossary_files(bytes in inputs(GLOSSARY.as_bytes())) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "glossário.toml", &bytes);
        if let Err(error) = Glossary::load(&path) {
            check_rejection(&path, error.kind(), &error.to_string(), &[ErrorKind::InvalidGlossary]);
        }
    }

    #[test]
    fn text_scripts(bytes in inputs(SCRIPT.as_bytes()), markdown in any::<bool>()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), if markdown { "roteiro.md" } else { "roteiro.txt" }, &bytes);
        match Script::load(&path) {
            Ok(script) => prop_assert!(script.word_count() > 0),
            Err(error) => check_rejection(&path, error.kind(), &error.to_string(), &[ErrorKind::InvalidScript]),
        }
    }

    #[test]
    fn slides_json(bytes in inputs(DECK.as_bytes())) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "slides.json", &bytes);
        if let Err(error) = SlideDeck::load_file(&path) {
            check_rejection(&path, error.kind(), &error.to_string(), &[ErrorKind::InvalidConfig]);
        }
    }

    #[test]
    fn slides_toml(bytes in inputs(SLIDES_TOML.as_bytes())) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "slides.toml", &bytes);
        if let Err(error) = SlidesConfig::load(&path) {
            check_rejection(&path, error.kind(), &error.to_string(), &[ErrorKind::InvalidConfig]);
        }
    }

    /// A look file that does not load is refused with a look kind naming the file.
    #[test]
    fn look_files(bytes in inputs(LOOK.as_bytes())) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "look.toml", &bytes);
        if let Err(error) = vsl_core::look::Look::load(&path) {
            check_rejection(&path, error.kind(), &error.to_string(), &[ErrorKind::InvalidLook]);
        }
    }

    /// settings.toml and each watched folder flatten this spec; what parses must resolve
    /// or be refused with the kind of the value at fault, never panic.
    #[test]
    fn job_specs(bytes in inputs(SPEC.as_bytes())) {
        let Ok(text) = std::str::from_utf8(&bytes) else { return Ok(()) };
        if let Ok(spec) = toml::from_str::<JobSpec>(text) {
            let dir = tempfile::tempdir().expect("tempdir");
            if let Err(error) = spec.resolve(&Dirs::under(dir.path())) {
                prop_assert!(error.kind() != ErrorKind::Internal, "{error}");
            }
        }
    }
}

proptest! {
    // Each case writes a file of up to 64 KiB; fewer cases keep this to seconds.
    #![proptest_config(config(64))]

    #[test]
    fn docx_scripts(bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..2048), mutated(docx_seed())]) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "roteiro.docx", &bytes);
        if let Err(error) = Script::load(&path) {
            check_rejection(&path, error.kind(), &error.to_string(), &[ErrorKind::InvalidScript]);
        }
    }

    #[test]
    fn ggml_headers(bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..4096), mutated(ggml_seed())]) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "ggml-fuzzed.bin", &bytes);
        // Every cut of a real model is incomplete: it must be refused, by name.
        let error = vsl_core::models::ggml::validate(&path).expect_err("a fragment is not a model");
        check_rejection(
            &path,
            error.kind(),
            &error.to_string(),
            &[ErrorKind::InvalidModel],
        );
    }
}
