//! The job queue on disk (`<data dir>/jobs/queue.json`), so the list survives a restart.
//!
//! Jobs that were running when the app quit come back as `interrupted`, ready to retry;
//! finished ones reopen from their working folder.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use vsl_core::paths::Dirs;

use super::state::{AppState, Job, JobRecord, JobStatus};

fn queue_file(dirs: &Dirs) -> PathBuf {
    dirs.jobs_dir().join("queue.json")
}

/// Writes the queue. A failure only costs the list after a restart, so it is logged
/// rather than failing the command that changed the queue.
pub fn save(state: &AppState) {
    let path = queue_file(&state.dirs);
    if let Err(error) = write_queue(&path, || state.records()) {
        eprintln!("warning: cannot save the job queue: {error}");
    }
}

/// Takes the snapshot and writes it under one lock, so concurrent saves publish in the
/// order of their snapshots (the last save holds the latest queue), each through its own
/// temporary file (`vsl_core::fs::write_atomic`), so the file is always a whole queue.
fn write_queue(
    path: &Path,
    records: impl FnOnce() -> Vec<JobRecord>,
) -> Result<(), vsl_core::fs::FsError> {
    static SAVING: Mutex<()> = Mutex::new(());
    let _saving = SAVING.lock().unwrap_or_else(PoisonError::into_inner);
    let bytes = serde_json::to_vec_pretty(&records())
        .map_err(|error| vsl_core::fs::FsError::new(path, std::io::Error::other(error)))?;
    if let Some(parent) = path.parent() {
        vsl_core::fs::create_dir_all(parent)?;
    }
    vsl_core::fs::write_atomic(path, &bytes, vsl_core::fs::Replace::Yes)
}

/// Loads the saved queue into `state`. A missing or unreadable file is an empty queue.
pub fn restore(state: &AppState) {
    let path = queue_file(&state.dirs);
    let Ok(bytes) = std::fs::read(&path) else {
        return;
    };
    let Ok(records) = serde_json::from_slice::<Vec<JobRecord>>(&bytes) else {
        eprintln!(
            "warning: ignoring an unreadable job queue at {}",
            path.display()
        );
        return;
    };
    state.with_jobs(|jobs| {
        for mut record in records {
            if record.status == JobStatus::Running {
                record.status = JobStatus::Interrupted;
            }
            jobs.insert(record.id.clone(), Job::new(record));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_saves_always_leave_a_whole_queue() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("jobs").join("queue.json");
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let savers: Vec<_> = (0..8)
                .map(|thread| {
                    let path = &path;
                    scope.spawn(move || {
                        for save in 0..40 {
                            let records = (0..50)
                                .map(|job| {
                                    JobRecord::running(
                                        format!("{thread}-{save}-{job}"),
                                        PathBuf::from(format!("/media/talk-{job}.mp4")),
                                        Path::new("/jobs"),
                                    )
                                })
                                .collect();
                            write_queue(path, || records).expect("saved");
                        }
                    })
                })
                .collect();
            // A reader (a restart) at any moment sees a whole queue.
            scope.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Ok(bytes) = std::fs::read(&path) {
                        let records: Vec<JobRecord> =
                            serde_json::from_slice(&bytes).expect("a whole queue");
                        assert_eq!(records.len(), 50);
                    }
                }
            });
            let saved: Vec<_> = savers.into_iter().map(|saver| saver.join()).collect();
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            for saved in saved {
                saved.expect("saver");
            }
        });
        let records: Vec<JobRecord> =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("parses");
        assert_eq!(records.len(), 50);
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("folder"))
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["queue.json"]);
    }
}
