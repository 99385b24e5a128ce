use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use vsl_core::models::{ModelStore, WeightFormat};
use vsl_core::transcribe::Engine;

pub const JFK_TEXT: &str =
    "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";

/// Where `make setup` put the CTranslate2 models and the JFK clip.
pub fn test_data() -> PathBuf {
    let dir = std::env::var_os("VSL_TEST_DATA")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/vsl-studio/test-data"))
        })
        .expect("HOME or VSL_TEST_DATA must be set");
    assert!(
        dir.join("jfk.wav").is_file(),
        "test data missing in {}: run `make setup` first",
        dir.display()
    );
    dir
}

pub fn jfk_wav() -> PathBuf {
    test_data().join("jfk.wav")
}

pub fn ct2_dir(name: &str) -> PathBuf {
    test_data().join("ct2").join(name)
}

/// A store shared by the tests of this binary, holding models converted once by the
/// converter under test (tiny.en f16, base f16, base q8_0).
pub fn converted_store() -> &'static ModelStore {
    static STORE: OnceLock<(tempfile::TempDir, ModelStore)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = ModelStore::at(dir.path());
            for (source, name, format) in [
                ("tiny.en", "tiny.en", WeightFormat::F16),
                ("base", "base", WeightFormat::F16),
                ("base", "base-ct2-q8", WeightFormat::Q8_0),
            ] {
                store
                    .import_ct2(&ct2_dir(source), name, format, false, &mut |_, _| {})
                    .unwrap_or_else(|error| panic!("converting {name}: {error}"));
            }
            (dir, store)
        })
        .1
}

/// One engine per model for the whole test binary, as the app keeps it.
pub fn engine(name: &str) -> &'static Engine {
    static ENGINES: OnceLock<std::sync::Mutex<Vec<(String, &'static Engine)>>> = OnceLock::new();
    let engines = ENGINES.get_or_init(Default::default);
    let mut engines = engines.lock().expect("engine cache");
    if let Some((_, engine)) = engines.iter().find(|(n, _)| n == name) {
        return engine;
    }
    let path = converted_store().path_for(name);
    let engine: &'static Engine = Box::leak(Box::new(Engine::load(&path).expect("load engine")));
    engines.push((name.to_owned(), engine));
    engine
}

/// Lowercase words without punctuation, for comparing transcripts.
pub fn normalize(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|word| {
            word.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|word| !word.is_empty())
        .collect()
}

pub fn copy_prefix(source: &Path, dest: &Path, bytes: usize) {
    let data = std::fs::read(source).expect("read source");
    std::fs::write(dest, &data[..bytes.min(data.len())]).expect("write prefix");
}
