//! Our whisper.cpp patches (`whisper-patches/`): the linked engine carries exactly the
//! patches in the folder, and the CMake hook that applies them, run as a script on copies of
//! the bundled whisper.cpp source, is idempotent, replaces a changed patch, and stops on an
//! anchor that is gone.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The patch files in name order, as the hook applies them.
fn patch_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("patches"))
        .expect("whisper-patches/patches")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "cmake"))
        .collect();
    files.sort();
    files
}

/// The whisper.cpp source that whisper-rs-sys bundles, found once through `cargo metadata`
/// (for this host only: offline, the other platforms' crates are not there).
fn bundled_whisper_cpp() -> &'static Path {
    static FOUND: OnceLock<PathBuf> = OnceLock::new();
    FOUND.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let rustc = Command::new("rustc")
            .arg("-vV")
            .output()
            .expect("rustc -vV");
        let host = String::from_utf8_lossy(&rustc.stdout)
            .lines()
            .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
            .expect("rustc's host triple");
        let out = Command::new(cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--offline",
                "--filter-platform",
            ])
            .arg(host)
            .current_dir(repo())
            .output()
            .expect("cargo metadata");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let metadata: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("metadata json");
        let manifest = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .find(|package| package["name"] == "whisper-rs-sys")
            .and_then(|package| package["manifest_path"].as_str())
            .expect("whisper-rs-sys in the dependency graph");
        Path::new(manifest)
            .parent()
            .expect("crate dir")
            .join("whisper.cpp")
    })
}

/// A copy of the bundled `src/whisper.cpp`, the one file the patches touch, under `dir`.
fn source_copy(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::copy(
        bundled_whisper_cpp().join("src/whisper.cpp"),
        src.join("whisper.cpp"),
    )
    .expect("copy whisper.cpp");
    src.join("whisper.cpp")
}

/// Runs `hook` (an apply.cmake) as a CMake script on the source tree `source`.
fn apply(hook: &Path, source: &Path) -> Output {
    Command::new("cmake")
        .arg(format!("-DVSL_WHISPER_SOURCE={}", source.display()))
        .arg("-P")
        .arg(hook)
        .output()
        .expect("cmake")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_linked_engine_carries_every_patch_of_the_folder() {
    let dir = repo().join("whisper-patches");
    let files = patch_files(&dir);
    let mut hasher = Sha256::new();
    for file in &files {
        hasher.update(std::fs::read(file).expect("read patch"));
    }
    let digest: String = hasher.finalize()[..6]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let names: Vec<String> = files
        .iter()
        .map(|file| {
            let stem = file.file_stem().expect("stem").to_string_lossy();
            stem.split_once('-')
                .map_or(&*stem, |(_, name)| name)
                .to_owned()
        })
        .collect();
    let built = vsl_core::health::engine_patches().unwrap_or_else(|| {
        panic!(
            "the linked whisper.cpp has no VSL patches: {}",
            whisper_rs::print_system_info()
        )
    });
    assert_eq!(built.names, names);
    assert_eq!(
        built.digest, digest,
        "whisper.cpp was built with other patches than whisper-patches/ holds: run \
         whisper-patches/check-build.sh (make does) to rebuild it"
    );
    assert!(vsl_core::health::backend().contains("dtw-threads"));
}

#[test]
fn the_hook_patches_a_copy_once_and_configuring_again_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = source_copy(dir.path());
    let pristine = std::fs::read_to_string(&file).expect("read");
    let hook = repo().join("whisper-patches/apply.cmake");

    let first = apply(&hook, dir.path());
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("patched src/whisper.cpp"),
        "{}",
        text(&first)
    );
    let patched = std::fs::read_to_string(&file).expect("read");
    assert!(patched.contains("VSL dtw-threads"));
    assert!(patched.contains("median_filter, GGML_N_TASKS_MAX"));
    assert!(patched.contains("VSL encoder-pad"));
    assert!(patched.contains("ggml_soft_max_ext(ctx0, KQ, vsl_kq_mask, KQscale, 0.0f)"));
    assert!(patched
        .contains("s += \"VSL_PATCHES = system-info,dtw-threads,vulkan-headers,encoder-pad ("));
    assert_eq!(
        std::fs::read_to_string(file.with_extension("cpp.vsl-pristine")).expect("pristine"),
        pristine,
        "the pristine text is kept beside it"
    );

    let second = apply(&hook, dir.path());
    assert!(second.status.success(), "{}", text(&second));
    assert!(!text(&second).contains("patched"), "{}", text(&second));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), patched);
}

#[test]
fn a_changed_patch_replaces_the_old_one_instead_of_piling_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = source_copy(dir.path());
    let hooks = dir.path().join("hooks");
    std::fs::create_dir_all(hooks.join("patches")).expect("mkdir");
    let real = repo().join("whisper-patches");
    std::fs::copy(real.join("apply.cmake"), hooks.join("apply.cmake")).expect("copy");
    for patch in patch_files(&real) {
        std::fs::copy(
            &patch,
            hooks.join("patches").join(patch.file_name().expect("name")),
        )
        .expect("copy");
    }
    let done = apply(&hooks.join("apply.cmake"), dir.path());
    assert!(done.status.success(), "{}", text(&done));

    let dtw = hooks.join("patches/10-dtw-threads.cmake");
    let edited = std::fs::read_to_string(&dtw)
        .expect("read")
        .replace("VSL dtw-threads: each", "VSL dtw-threads (edited): each");
    std::fs::write(&dtw, edited).expect("write");
    let again = apply(&hooks.join("apply.cmake"), dir.path());
    assert!(again.status.success(), "{}", text(&again));
    let patched = std::fs::read_to_string(&file).expect("read");
    assert!(patched.contains("VSL dtw-threads (edited): each"));
    assert_eq!(patched.matches("thread ith takes every nth").count(), 1);
}

#[test]
fn a_patch_whose_anchor_is_gone_stops_the_build_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = source_copy(dir.path());
    // As if an upgrade had renamed the median filter's parameter.
    let upgraded = std::fs::read_to_string(&file).expect("read").replace(
        "int ith, int /*nth*/, void * userdata",
        "int ith, int /*n_tasks*/, void * userdata",
    );
    std::fs::write(&file, &upgraded).expect("write");

    let failed = apply(&repo().join("whisper-patches/apply.cmake"), dir.path());
    assert!(!failed.status.success(), "{}", text(&failed));
    let message = text(&failed);
    assert!(
        message.contains("dtw-threads: its anchor is not in src/whisper.cpp"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&file).expect("read"), upgraded);
}
