//! What the tests of `vsl watch` and `vsl worker` share: a watcher process whose output is
//! collected as it comes, waits with generous limits, and listings of what was left on disk.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crate::common::{tiny_models, vsl_at};

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(listing) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in listing.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Whether a file name is a temporary one: `vsl_core::fs`'s `.NAME.XXXXXX.part`, or any
/// other partial-file name.
pub fn is_temporary(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    // `.part` covers `vsl_core::fs::is_temp_name`'s `.NAME.XXXXXX.part` and any other partial file.
    name.ends_with(".part") || name.ends_with(".tmp")
}

/// Waits (polling) until `ready` holds, failing the test with `what` after `limit`: a
/// generous bound for a slow shared machine, not a timing assertion.
pub fn wait_until(what: &str, limit: std::time::Duration, mut ready: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < limit,
            "gave up after {limit:?} waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
}

/// A running `vsl watch`, its standard output collected line by line as it comes.
pub struct Watch {
    pub child: std::process::Child,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Watch {
    /// `vsl watch INBOX --out OUT --model tiny.en` with a short debounce, the folders under
    /// `home`, and `fault` as `VSL_FAULT` when given.
    pub fn start(home: &Path, inbox: &Path, out: &Path, fault: Option<&str>) -> Watch {
        use std::io::BufRead;
        let mut command = vsl_at(home);
        command
            .env("VSL_MODELS_DIR", tiny_models())
            .env_remove("VSL_FAULT")
            .arg("watch")
            .arg(inbox)
            .arg("--out")
            .arg(out)
            .args(["--model", "tiny.en", "--debounce", "300ms"])
            .stdout(std::process::Stdio::piped());
        if let Some(fault) = fault {
            command.env("VSL_FAULT", fault);
        }
        let mut child = command.spawn().expect("start vsl watch");
        let stdout = child.stdout.take().expect("stdout");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = std::sync::Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.lock().expect("lines").push(line);
            }
        });
        Watch { child, lines }
    }

    pub fn output(&self) -> String {
        self.lines.lock().expect("lines").join("\n")
    }

    /// Waits for a line starting with `prefix` and naming `file`.
    pub fn wait_for_line(&mut self, prefix: &str, file: &str) {
        let limit = std::time::Duration::from_secs(300);
        let start = std::time::Instant::now();
        loop {
            if self
                .lines
                .lock()
                .expect("lines")
                .iter()
                .any(|line| line.starts_with(prefix) && line.contains(file))
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "vsl watch ended ({status}) before `{prefix} {file}`:\n{}",
                    self.output()
                );
            }
            assert!(
                start.elapsed() < limit,
                "no `{prefix} … {file}` line after {limit:?}:\n{}",
                self.output()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// SIGKILL, as `kill -9` does.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill vsl watch");
        self.child.wait().expect("reap vsl watch");
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
