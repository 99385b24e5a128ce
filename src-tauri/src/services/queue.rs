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
        tracing::warn!("cannot save the job queue: {error}");
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

/// What start-up made of the queue file.
#[derive(Debug, Default, PartialEq)]
pub struct Restored {
    /// Jobs brought back.
    pub kept: usize,
    /// What could not be read, when something could not.
    pub dropped: Option<String>,
}

/// Where a queue file that could not be read whole is kept, for the person (or a bug
/// report) to look at: the next save replaces `queue.json`.
pub fn damaged_copy(dirs: &Dirs) -> PathBuf {
    dirs.jobs_dir().join("queue.damaged.json")
}

/// Loads the saved queue into `state`: every job that can be read, whatever else the file
/// holds (`vsl_core::jobs::load_list`). A file cut short (a full disk, a copy from a backup)
/// keeps the jobs before the cut; a job of the wrong shape is skipped alone. What was
/// dropped is logged, and the file as it was is kept at [`damaged_copy`].
pub fn restore(state: &AppState) -> Restored {
    let path = queue_file(&state.dirs);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Restored::default(),
        Err(error) => {
            tracing::warn!("cannot read the job queue {}: {error}", path.display());
            return Restored {
                kept: 0,
                dropped: Some(error.to_string()),
            };
        }
    };
    let loaded = vsl_core::jobs::load_list::<JobRecord>(&bytes);
    let restored = Restored {
        kept: loaded.records.len(),
        dropped: loaded.dropped.map(|dropped| dropped.to_string()),
    };
    if let Some(dropped) = &restored.dropped {
        let copy = damaged_copy(&state.dirs);
        let kept_copy = vsl_core::fs::write_atomic(&copy, &bytes, vsl_core::fs::Replace::Yes);
        tracing::warn!(
            "job queue {}: kept {} jobs, {dropped}; the file as it was: {}",
            path.display(),
            restored.kept,
            match kept_copy {
                Ok(()) => copy.display().to_string(),
                Err(error) => format!("not kept ({error})"),
            }
        );
    }
    state.with_jobs(|jobs| {
        for mut record in loaded.records {
            interrupt(&mut record);
            jobs.insert(record.id.clone(), Job::new(record));
        }
    });
    restored
}

/// What a job that was running when the app stopped (a kill included) comes back as:
/// `interrupted`, its dead engine's temporary files gone. One that was exporting (its deck
/// was done) keeps its export, which its retry runs again with the same choices; the folder's
/// half-written files are removed now, since nothing else knows of them.
fn interrupt(record: &mut JobRecord) {
    let exporting =
        record.export.is_some() && matches!(record.status, JobStatus::Running | JobStatus::Done);
    if record.status == JobStatus::Running || exporting {
        record.status = JobStatus::Interrupted;
        // <work>/slides_slides/thumbs/<file>: three levels.
        let mut swept = vsl_core::fs::remove_stale_temps(&record.work_dir, 3);
        if let Some(slides) = &record.slides_dir {
            swept.extend(vsl_core::fs::remove_stale_temps(slides, 1));
        }
        if let Some(export) = record.export.as_ref().filter(|_| exporting) {
            swept.extend(vsl_core::fs::remove_stale_temps(&export.folder, 0));
            record.error = Some(format!(
                "the export to {} stopped when the app did; nothing half-written was kept, \
                 and a retry exports it again",
                export.folder.display()
            ));
        }
        for path in swept {
            tracing::info!(
                "job {}: removed {} left by the stopped run",
                record.id,
                path.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::state::PendingExport;

    fn queue_of(count: usize) -> Vec<JobRecord> {
        (0..count)
            .map(|job| {
                let mut record = JobRecord::running(
                    format!("job-{job}"),
                    PathBuf::from(format!("/media/talk {job} “é”.mp4")),
                    Path::new("/jobs"),
                );
                record.error = Some(format!("line {job}\n\"quoted\""));
                record
            })
            .collect()
    }

    #[test]
    fn restore_keeps_what_it_can_and_the_damaged_file() {
        let root = tempfile::tempdir().expect("tempdir");
        let state = AppState::new(Dirs::under(root.path()));
        let bytes = serde_json::to_vec_pretty(&queue_of(2)).expect("serialized");
        let cut = &bytes[..bytes.len() - 3];
        let path = queue_file(&state.dirs);
        vsl_core::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
        vsl_core::fs::write_atomic(&path, cut, vsl_core::fs::Replace::Yes).expect("written");
        let restored = restore(&state);
        assert_eq!(restored.kept, 1);
        let dropped = restored.dropped.expect("something was dropped");
        assert!(dropped.contains("cut short"), "{dropped}");
        let records = state.records();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].status, JobStatus::Interrupted, "it was running");
        assert_eq!(
            std::fs::read(damaged_copy(&state.dirs)).expect("the copy"),
            cut,
            "the file as it was is kept"
        );
    }

    #[test]
    fn an_export_cut_short_comes_back_interrupted_its_half_written_files_gone() {
        let root = tempfile::tempdir().expect("tempdir");
        let state = AppState::new(Dirs::under(root.path()));
        let folder = root.path().join("exports");
        std::fs::create_dir_all(&folder).expect("folder");
        // What a killed engine leaves: a temporary MP4 nobody holds a lock on, beside a
        // finished file of an earlier export, which stays.
        let part = folder.join(".talk.mp4.Ab12Cd.part");
        vsl_core::fs::write_atomic(&part, b"half an mp4", vsl_core::fs::Replace::Yes)
            .expect("part");
        vsl_core::fs::write_atomic(&folder.join("talk.srt"), b"1\n", vsl_core::fs::Replace::Yes)
            .expect("earlier export");
        let export = PendingExport {
            folder: folder.clone(),
            formats: vsl_core::job::Formats::parse("mp4,srt").expect("formats"),
            choices: super::super::editor::ExportChoices::default(),
        };
        let mut exporting = queue_of(3);
        exporting[0].status = JobStatus::Done;
        exporting[0].error = None;
        exporting[0].export = Some(export.clone());
        // One whose retried export failed keeps its status and its export.
        exporting[1].status = JobStatus::Failed;
        exporting[1].export = Some(export.clone());
        exporting[2].status = JobStatus::Done;
        exporting[2].error = None;
        write_queue(&queue_file(&state.dirs), || exporting).expect("saved");

        assert_eq!(restore(&state).kept, 3);
        let records = state.records();
        assert_eq!(
            records[0].status,
            JobStatus::Interrupted,
            "it was exporting"
        );
        assert_eq!(
            records[0].export.as_ref(),
            Some(&export),
            "its retry exports again"
        );
        let error = records[0].error.clone().expect("it says what happened");
        assert!(
            error.contains("exports") && error.contains("retry"),
            "{error}"
        );
        assert_eq!(records[1].status, JobStatus::Failed);
        assert_eq!(records[1].export.as_ref(), Some(&export));
        assert_eq!(
            records[2].status,
            JobStatus::Done,
            "a finished job stays done"
        );
        assert!(!part.exists(), "the half-written MP4 is gone");
        assert!(folder.join("talk.srt").exists(), "finished files stay");
    }

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
