//! Checks on the repository's shape, like rust-analyzer's tidy tests: the architecture
//! invariants that the compiler cannot see.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    crate::common::crate_dir()
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn core_never_depends_on_tauri() {
    let root = repo();
    let manifest = read(&root.join("crates/vsl-core/Cargo.toml"));
    assert!(
        !manifest.contains("tauri"),
        "vsl-core's Cargo.toml names tauri"
    );
    for file in rust_files(&root.join("crates/vsl-core/src")) {
        let text = read(&file);
        assert!(
            !text.contains("tauri::") && !text.contains("use tauri"),
            "{} imports tauri",
            file.display()
        );
    }
}

#[test]
fn app_services_never_import_commands() {
    let root = repo();
    let services = root.join("src-tauri/src/services");
    let files = rust_files(&services);
    assert!(!files.is_empty(), "no services in {}", services.display());
    for file in files {
        let text = read(&file);
        assert!(
            !text.contains("commands::"),
            "{} imports from commands (services sit below them)",
            file.display()
        );
    }
}

/// An app started from its desktop entry has no stderr: what it has to say goes through
/// `tracing` to the log file (src-tauri/src/services/log.rs).
#[test]
fn the_app_writes_nothing_to_stdout_or_stderr_but_through_tracing() {
    for file in rust_files(&repo().join("src-tauri/src")) {
        let source = read(&file);
        for printer in ["eprintln!", "println!", "eprint!", "dbg!"] {
            assert!(
                !source.contains(printer),
                "{} uses {printer}; log with tracing instead",
                file.display()
            );
        }
    }
}

#[test]
fn the_cli_and_the_app_read_no_directory_variable_of_their_own() {
    // Directories come from `Dirs`, built once; only `paths` reads their variables.
    let root = repo();
    for dir in ["crates/vsl-core/src", "crates/vsl-cli/src", "src-tauri/src"] {
        for file in rust_files(&root.join(dir)) {
            if file.ends_with("paths.rs") {
                continue;
            }
            let text = read(&file);
            for var in vsl_core::paths::ENV_VARS
                .iter()
                .filter(|var| var.name.ends_with("_DIR"))
            {
                assert!(
                    !text.contains(&format!("\"{}\"", var.name)),
                    "{} reads {} itself",
                    file.display(),
                    var.name
                );
            }
            for gone in ["VSL_MODEL\"", "VSL_CACHE_MAX_"] {
                assert!(
                    !text.contains(gone),
                    "{} reads {gone}, which would override the settings",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn readme_lists_exactly_the_variables_the_code_reads() {
    let readme = read(&repo().join("README.md"));
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|line| !line.starts_with("## Where things live"))
        .take_while(|line| !line.starts_with("These are all"))
        .filter(|line| line.starts_with('|'))
        .collect();
    let listed: Vec<String> = table
        .iter()
        .filter_map(|line| {
            let cell = line.trim_end_matches('|').rsplit('|').next()?.trim();
            cell.strip_prefix('`')?.strip_suffix('`').map(str::to_owned)
        })
        .filter(|name| name.starts_with("VSL_"))
        .collect();
    let mut expected: Vec<String> = vsl_core::paths::ENV_VARS
        .iter()
        .map(|var| var.name.to_owned())
        .collect();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    expected.sort();
    assert_eq!(
        listed_sorted, expected,
        "README's table and vsl_core::paths::ENV_VARS differ"
    );
}
