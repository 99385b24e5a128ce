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
/// converter under test: tiny.en f16 and bf16, base in the format `vsl models import-ct2`
/// writes by default on this CPU (bf16 with AVX512-BF16, else f16), base q8_0.
pub fn converted_store() -> &'static ModelStore {
    static STORE: OnceLock<ModelStore> = OnceLock::new();
    STORE.get_or_init(|| {
        // A fixed folder, emptied at each start: a static is never dropped, so a temporary
        // folder would leak its 370 MB at every run.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("converted-models");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the converted models' folder");
        let store = ModelStore::at(&dir);
        for (source, name, format) in [
            ("tiny.en", "tiny.en", WeightFormat::F16),
            ("tiny.en", "tiny.en-bf16", WeightFormat::Bf16),
            ("base", "base", WeightFormat::Auto),
            ("base", "base-ct2-q8", WeightFormat::Q8_0),
        ] {
            store
                .import_ct2(&ct2_dir(source), name, format, false, &mut |_, _| {})
                .unwrap_or_else(|error| panic!("converting {name}: {error}"));
        }
        store
    })
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

pub use vsl_core::transcribe::metrics::normalize_words as normalize;

pub fn copy_prefix(source: &Path, dest: &Path, bytes: usize) {
    let data = std::fs::read(source).expect("read source");
    std::fs::write(dest, &data[..bytes.min(data.len())]).expect("write prefix");
}

/// A fixture made by an external tool (espeak-ng, RHVoice, sox, ffmpeg), cached under
/// `$VSL_TEST_DATA/generated` so later runs reuse it. `make` writes the file it is given.
pub fn generated(name: &str, make: impl FnOnce(&Path)) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = test_data().join("generated");
    std::fs::create_dir_all(&dir).expect("create generated dir");
    let path = dir.join(name);
    if !path.is_file() {
        let temp = dir.join(format!(
            "{name}.tmp.{}",
            path.extension().and_then(|e| e.to_str()).unwrap_or("bin")
        ));
        make(&temp);
        assert!(temp.is_file(), "fixture {name} was not produced");
        std::fs::rename(&temp, &path).expect("store fixture");
    }
    path
}

/// Runs a fixture tool and fails the test with its output when it fails.
pub fn run_tool(program: &str, args: &[&str], stdin: Option<&Path>) {
    let mut command = std::process::Command::new(program);
    command.args(args);
    if let Some(input) = stdin {
        command.stdin(std::fs::File::open(input).expect("open stdin file"));
    }
    let output = command.output().unwrap_or_else(|error| {
        panic!("{program} is needed for this test (run `make setup`): {error}")
    });
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// vsl-core's folder, read when the test runs: cargo sets it then, and a test binary built
/// incrementally from another checkout that shares the target folder can keep a stale
/// compile-time `env!` path.
pub fn crate_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

pub fn fixture_text(name: &str) -> PathBuf {
    crate_dir().join("tests/fixtures").join(name)
}

pub use vsl_core::transcribe::metrics::word_error_rate as wer;

pub fn long_english() -> PathBuf {
    generated("long_en_v1.wav", |out| {
        let text = fixture_text("long_en.txt");
        let text = text.to_str().expect("utf-8 path");
        run_tool(
            "espeak-ng",
            &[
                "-v",
                "en-us",
                "-s",
                "145",
                "-f",
                text,
                "-w",
                out.to_str().expect("path"),
            ],
            None,
        );
    })
}

pub fn portuguese() -> PathBuf {
    generated("pt_br_v1.wav", |out| {
        run_tool(
            "RHVoice-test",
            &["-p", "Leticia-F123", "-o", out.to_str().expect("path")],
            Some(&fixture_text("pt_br.txt")),
        );
    })
}

/// Pairs of indices of the longest common subsequence of two word lists.
pub fn common_words(a: &[String], b: &[String]) -> Vec<(usize, usize)> {
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            table[i][j] = if a[i] == b[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut pairs) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            pairs.push((i, j));
            i += 1;
            j += 1;
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}
