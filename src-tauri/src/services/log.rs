//! The app's log: `tracing` events go to a file under `<data dir>/logs`, a new one each day
//! and the last seven kept, and to stderr. An app started from its desktop entry has no
//! stderr, so the file is where a failed job, a refused queue file or an engine crash can be
//! read afterwards; Settings' "Show log" reveals it.

use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use vsl_core::paths::Dirs;

/// The log files' names: `vsl-studio.YYYY-MM-DD.log`.
const PREFIX: &str = "vsl-studio";
const SUFFIX: &str = "log";
/// Days of logs kept.
const KEPT: usize = 7;

/// Where the log files are.
pub fn log_dir(dirs: &Dirs) -> PathBuf {
    dirs.data.join("logs")
}

/// The file appender for `dir`: daily files, the oldest beyond [`KEPT`] removed.
///
/// # Errors
///
/// When the folder cannot be made or written.
pub fn appender(dir: &Path) -> Result<RollingFileAppender, String> {
    vsl_core::fs::create_dir_all(dir).map_err(|error| error.to_string())?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(PREFIX)
        .filename_suffix(SUFFIX)
        .max_log_files(KEPT)
        .build(dir)
        .map_err(|error| format!("{}: {error}", dir.display()))
}

/// Sends this process's `tracing` events (info and above) to the log file in `dirs` and to
/// stderr. Without a writable log folder it logs to stderr alone and says so there. Writes
/// are synchronous: the few lines an app writes must reach the file before a crash.
pub fn init(dirs: &Dirs) {
    let (file, problem) = match appender(&log_dir(dirs)) {
        Ok(appender) => (Some(appender), None),
        Err(problem) => (None, Some(problem)),
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);
    let file = file.map(|appender| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(appender)
    });
    let installed = tracing_subscriber::registry()
        .with(LevelFilter::INFO)
        .with(stderr)
        .with(file)
        .try_init();
    if let (Ok(()), Some(problem)) = (installed, problem) {
        tracing::warn!("no log file: {problem}");
    }
}

/// The newest log file, if there is one.
pub fn latest(dirs: &Dirs) -> Option<PathBuf> {
    let entries = std::fs::read_dir(log_dir(dirs)).ok()?;
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(PREFIX) && name.ends_with(SUFFIX))
        })
        // The date in the name sorts as text.
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn lines_reach_todays_file_and_latest_finds_it() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let dirs = Dirs::under(root.path());
        assert_eq!(latest(&dirs), None, "no log yet");
        let mut file = appender(&log_dir(&dirs)).expect("the log folder");
        file.write_all(b"a line\n").expect("written");
        file.flush().expect("flushed");
        let path = latest(&dirs).expect("a log file");
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .expect("name");
        assert!(
            name.starts_with("vsl-studio.") && name.ends_with(".log"),
            "{name}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "a line\n",
            "the line is in the file as soon as it is written"
        );
    }

    #[test]
    fn a_log_folder_that_cannot_be_made_is_an_error_naming_it() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let blocked = root.path().join("file");
        vsl_core::fs::write_atomic(&blocked, b"x", vsl_core::fs::Replace::Yes).expect("write");
        let error = appender(&blocked.join("logs")).expect_err("a file stands in the way");
        assert!(error.contains("file"), "{error}");
    }
}
