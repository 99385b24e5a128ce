//! The job queue on disk (`<data dir>/jobs/queue.json`), so the list survives a restart.
//!
//! Jobs that were running when the app quit come back as `interrupted`, ready to retry;
//! finished ones reopen from their working folder.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::state::{AppState, Job, JobRecord, JobStatus};

fn queue_file() -> PathBuf {
    vsl_core::paths::data_dir().join("jobs").join("queue.json")
}

/// Writes the queue. A failure only costs the list after a restart, so it is logged
/// rather than failing the command that changed the queue.
pub fn save(state: &AppState) {
    let path = queue_file();
    let records = state.records();
    let written = serde_json::to_vec_pretty(&records)
        .map_err(std::io::Error::other)
        .and_then(|bytes| {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            // Write then rename, so a crash mid-write cannot leave half a queue.
            let temporary = path.with_extension("json.tmp");
            std::fs::write(&temporary, bytes)?;
            std::fs::rename(&temporary, &path)
        });
    if let Err(error) = written {
        eprintln!(
            "warning: cannot save the job queue to {}: {error}",
            path.display()
        );
    }
}

/// Loads the saved queue into `state`. A missing or unreadable file is an empty queue.
pub fn restore(state: &AppState) {
    let Ok(bytes) = std::fs::read(queue_file()) else {
        return;
    };
    let Ok(records) = serde_json::from_slice::<Vec<JobRecord>>(&bytes) else {
        eprintln!(
            "warning: ignoring an unreadable job queue at {}",
            queue_file().display()
        );
        return;
    };
    state.with_jobs(|jobs| {
        for mut record in records {
            if record.status == JobStatus::Running {
                record.status = JobStatus::Interrupted;
            }
            jobs.insert(
                record.id.clone(),
                Job {
                    record,
                    cancel: Arc::new(AtomicBool::new(false)),
                    deck: None,
                    undo: Vec::new(),
                    redo: Vec::new(),
                },
            );
        }
    });
}
