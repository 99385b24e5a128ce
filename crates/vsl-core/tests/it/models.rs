use std::fs;

use vsl_core::models::{ggml, ModelError, ModelStore, WeightFormat};

use crate::common::{converted_store, copy_prefix, ct2_dir};

#[test]
fn converted_models_have_whisper_dimensions() {
    let store = converted_store();
    let tiny = ggml::validate(&store.path_for("tiny.en")).expect("tiny.en valid");
    assert_eq!(tiny.hparams.n_vocab, 51864);
    assert_eq!(
        (tiny.hparams.n_audio_layer, tiny.hparams.n_text_layer),
        (4, 4)
    );
    assert_eq!(
        (tiny.hparams.n_audio_state, tiny.hparams.n_audio_head),
        (384, 6)
    );
    assert_eq!(
        (tiny.hparams.n_audio_ctx, tiny.hparams.n_text_ctx),
        (1500, 448)
    );
    assert_eq!(tiny.hparams.n_mels, 80);
    assert_eq!(tiny.quantization, "f16");
    assert_eq!(tiny.n_tensors, 167);
    assert_eq!(
        tiny.n_tokens, 50256,
        "regular GPT-2 tokens before <|endoftext|>"
    );
    assert!(!tiny.hparams.multilingual());

    let base = ggml::validate(&store.path_for("base")).expect("base valid");
    assert_eq!(base.hparams.n_vocab, 51865);
    assert_eq!(
        (
            base.hparams.n_audio_layer,
            base.hparams.n_audio_state,
            base.hparams.n_audio_head
        ),
        (6, 512, 8)
    );
    assert_eq!(base.n_tensors, base.hparams.expected_tensor_count());
    assert_eq!(base.n_tokens, 50257);
    assert!(base.hparams.multilingual());
    assert_eq!(
        base.quantization,
        WeightFormat::best_for_this_cpu(512).name()
    );

    let bf16 = ggml::validate(&store.path_for("tiny.en-bf16")).expect("tiny.en bf16 valid");
    assert_eq!(bf16.quantization, "bf16");
    assert_eq!((bf16.hparams.n_vocab, bf16.n_tensors), (51864, 167));
    assert_eq!(
        bf16.file_size, tiny.file_size,
        "bf16 and f16 are both 2 bytes"
    );

    let q8 = ggml::validate(&store.path_for("base-ct2-q8")).expect("base q8_0 valid");
    assert_eq!(q8.quantization, "q8_0");
    // Against the official f16 base (the catalog's size): `base` itself may be q8_0 here.
    let f16_bytes = u64::from(
        vsl_core::models::catalog::find("base")
            .expect("base")
            .size_mib,
    ) << 20;
    assert!(
        q8.file_size < f16_bytes * 6 / 10,
        "q8_0 {} vs 2-byte weights {f16_bytes}",
        q8.file_size,
    );
    if base.quantization == "q8_0" {
        assert_eq!(
            base.file_size, q8.file_size,
            "auto chose q8_0: the same file"
        );
    }
}

#[test]
fn list_and_verify_installed_models() {
    let store = converted_store();
    let entries = store.list().expect("list");
    let base = entries
        .iter()
        .find(|e| e.name == "base")
        .expect("base listed");
    assert!(base.installed && base.is_default && base.multilingual);
    assert_eq!(base.source.as_deref(), Some("ct2"));
    let q8 = entries
        .iter()
        .find(|e| e.name == "base-ct2-q8")
        .expect("custom model listed");
    assert!(q8.installed && !q8.in_catalog);
    assert_eq!(q8.quantization, "q8_0");
    for name in ["tiny.en", "base"] {
        let report = store.verify(name).expect("verify");
        assert!(report.ok(), "{name}: {report:?}");
        assert_eq!(report.matches_manifest, Some(true));
    }
    assert_eq!(
        store.resolve("tiny.en").expect("resolve"),
        store.path_for("tiny.en")
    );
}

#[test]
fn verify_detects_bit_rot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ModelStore::at(dir.path());
    let source = converted_store().path_for("tiny.en");
    store
        .import(&source, Some("tiny.en"), false)
        .expect("import");
    // Flip one byte inside the weights: the structure is intact, the checksum is not.
    let path = store.path_for("tiny.en");
    let mut data = fs::read(&path).expect("read");
    let middle = data.len() / 2;
    data[middle] ^= 0xff;
    fs::write(&path, data).expect("write");
    let report = store.verify("tiny.en").expect("verify runs");
    assert_eq!(report.matches_manifest, Some(false));
    assert!(!report.ok());
}

#[test]
fn import_refuses_existing_without_force_and_remove_deletes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ModelStore::at(dir.path());
    let source = converted_store().path_for("tiny.en");
    let (name, _) = store.import(&source, None, false).expect("import");
    assert_eq!(name, "tiny.en");
    let again = store
        .import(&source, None, false)
        .expect_err("second import");
    assert!(matches!(again, ModelError::Exists { .. }), "{again}");
    store.import(&source, None, true).expect("forced import");
    store.remove("tiny.en").expect("remove");
    assert!(!store.is_installed("tiny.en"));
    assert!(matches!(
        store.remove("tiny.en"),
        Err(ModelError::NotInstalled { .. })
    ));
}

#[test]
fn truncated_ggml_is_rejected_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = converted_store().path_for("tiny.en");
    let size = fs::metadata(&source).expect("meta").len() as usize;
    let store = ModelStore::at(dir.path().join("store"));
    for cut in [2, 30, 64_000, size / 2, size - 10] {
        let truncated = dir.path().join(format!("ggml-cut{cut}.bin"));
        copy_prefix(&source, &truncated, cut);
        let error = store
            .import(&truncated, None, false)
            .expect_err("truncated import");
        assert!(
            matches!(error, ModelError::InvalidGgml { .. }),
            "cut {cut}: {error}"
        );
        assert!(
            error.to_string().contains(&format!("ggml-cut{cut}.bin")),
            "{error}"
        );
        assert_eq!(error.kind(), "invalid_model");
    }
    // Nothing half-imported is left in the store.
    assert!(store.installed().expect("installed").is_empty());
}

#[test]
fn ggml_with_bad_header_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let not_model = dir.path().join("notes.bin");
    fs::write(
        &not_model,
        b"this is certainly not a whisper model, just some text padding it out",
    )
    .expect("write");
    let error = ggml::validate(&not_model).expect_err("text file");
    assert!(error.to_string().contains("bad magic"), "{error}");

    // Right magic, absurd dimensions.
    let mut data = fs::read(converted_store().path_for("tiny.en")).expect("read");
    data[4..8].copy_from_slice(&12i32.to_le_bytes()); // n_vocab
    let weird = dir.path().join("weird.bin");
    fs::write(&weird, &data[..4096]).expect("write");
    let error = ggml::validate(&weird).expect_err("bad hparams");
    assert!(
        error.to_string().contains("not a Whisper vocabulary"),
        "{error}"
    );
}

#[test]
fn ct2_conversion_errors_are_specific() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ModelStore::at(dir.path().join("store"));
    let convert = |source: &std::path::Path| {
        store.import_ct2(source, "x", WeightFormat::F16, true, &mut |_, _| {})
    };

    // A folder without model.bin.
    let empty = dir.path().join("empty");
    fs::create_dir_all(&empty).expect("mkdir");
    let error = convert(&empty).expect_err("empty folder");
    assert!(error.to_string().contains("no model.bin"), "{error}");

    // A truncated model.bin (an interrupted copy).
    let truncated = dir.path().join("truncated");
    fs::create_dir_all(&truncated).expect("mkdir");
    let source = ct2_dir("tiny.en");
    for file in ["vocabulary.txt", "config.json"] {
        fs::copy(source.join(file), truncated.join(file)).expect("copy");
    }
    copy_prefix(
        &source.join("model.bin"),
        &truncated.join("model.bin"),
        10_000_000,
    );
    let error = convert(&truncated).expect_err("truncated");
    assert!(matches!(error, ModelError::InvalidCt2 { .. }), "{error}");
    assert!(error.to_string().contains("truncated"), "{error}");
    assert!(error.to_string().contains("model.bin"), "{error}");

    // A CTranslate2 model of another kind (spec name differs).
    let other = dir.path().join("other");
    fs::create_dir_all(&other).expect("mkdir");
    let mut header = Vec::new();
    header.extend_from_slice(&6u32.to_le_bytes());
    let spec = b"TransformerSpec\0";
    header.extend_from_slice(&(spec.len() as u16).to_le_bytes());
    header.extend_from_slice(spec);
    header.extend_from_slice(&1u32.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    fs::write(other.join("model.bin"), header).expect("write");
    fs::copy(source.join("vocabulary.txt"), other.join("vocabulary.txt")).expect("copy");
    let error = convert(&other).expect_err("not whisper");
    assert!(error.to_string().contains("not WhisperSpec"), "{error}");

    // No file was left under the final name, nor any temporary file.
    assert!(!store.is_installed("x"));
    let leftovers: Vec<_> = fs::read_dir(store.dir())
        .map(|d| d.filter_map(Result::ok).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
