//! Export's view of [`crate::fs::AtomicFile`]: the same hidden `.<name>.XXXXXX.part` sibling,
//! renamed only when complete, with errors as [`ExportError`]s (the output folder is checked
//! first, so a missing or read-only folder is told as such).

use std::fs::File;
use std::path::{Path, PathBuf};

use super::ExportError;
use crate::fs::{FsError, Replace};

#[derive(Debug)]
pub struct AtomicFile {
    inner: crate::fs::AtomicFile,
}

impl AtomicFile {
    /// Checks the destination (folder writable, no file in the way unless `overwrite`) and
    /// creates the temporary file next to it.
    pub fn create(target: &Path, overwrite: bool) -> Result<AtomicFile, ExportError> {
        check_target(target, overwrite)?;
        let inner =
            crate::fs::AtomicFile::create(target, Replace::from(overwrite)).map_err(|error| {
                match error.kind() {
                    crate::error::ErrorKind::DiskFull | crate::error::ErrorKind::Exists => {
                        from_fs(error)
                    }
                    _ => ExportError::OutputFolder {
                        path: parent_of(target),
                        reason: error.source.to_string(),
                    },
                }
            })?;
        Ok(AtomicFile { inner })
    }

    /// Where the data goes until the commit.
    pub fn path(&self) -> &Path {
        self.inner.path()
    }

    pub fn target(&self) -> &Path {
        self.inner.target()
    }

    pub fn file(&mut self) -> &mut File {
        self.inner.file()
    }

    /// Flushes the data to disk and gives the file its final name. Without `overwrite`, a file
    /// that appeared at the target in the meantime is kept and this fails with `Exists`.
    pub fn commit(self) -> Result<PathBuf, ExportError> {
        self.inner.commit().map_err(from_fs)
    }
}

/// A full disk gets its own message; a file in the way is `Exists`.
fn from_fs(error: FsError) -> ExportError {
    if error.is_disk_full() {
        ExportError::DiskFull { path: error.path }
    } else if error.is_exists() {
        ExportError::Exists { path: error.path }
    } else {
        ExportError::io(&error.path, &error.source)
    }
}

/// Writes `contents` to `target` through a temporary sibling.
pub fn write_atomic(
    target: &Path,
    overwrite: bool,
    contents: &[u8],
) -> Result<PathBuf, ExportError> {
    use std::io::Write;
    let mut file = AtomicFile::create(target, overwrite)?;
    file.file()
        .write_all(contents)
        .map_err(|error| ExportError::io(target, &error))?;
    file.commit()
}

/// Fails early, before any work, when the export could not be saved under `target`.
pub fn check_target(target: &Path, overwrite: bool) -> Result<(), ExportError> {
    let folder = parent_of(target);
    match std::fs::metadata(&folder) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(ExportError::OutputFolder {
                path: folder,
                reason: "not a folder".into(),
            })
        }
        Err(error) => {
            return Err(ExportError::OutputFolder {
                path: folder,
                reason: error.to_string(),
            })
        }
    }
    if target.file_name().is_none() {
        return Err(ExportError::OutputFolder {
            path: target.to_path_buf(),
            reason: "the output needs a file name".into(),
        });
    }
    match std::fs::symlink_metadata(target) {
        Ok(meta) if meta.is_dir() => Err(ExportError::Exists {
            path: target.to_path_buf(),
        }),
        Ok(_) if !overwrite => Err(ExportError::Exists {
            path: target.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn commit_publishes_and_drop_cleans_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("a.txt");
        {
            let mut file = AtomicFile::create(&target, false).expect("create");
            file.file().write_all(b"half").expect("write");
            assert!(!target.exists());
        }
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
        write_atomic(&target, false, b"done").expect("write");
        assert_eq!(std::fs::read(&target).expect("read"), b"done");
    }

    #[test]
    fn existing_file_is_kept_unless_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("a.txt");
        std::fs::write(&target, b"old").expect("write");
        let error = write_atomic(&target, false, b"new").expect_err("must refuse");
        assert_eq!(error.kind(), "exists");
        assert_eq!(std::fs::read(&target).expect("read"), b"old");
        write_atomic(&target, true, b"new").expect("overwrite");
        assert_eq!(std::fs::read(&target).expect("read"), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn file_appearing_during_the_write_is_not_clobbered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("a.txt");
        let file = AtomicFile::create(&target, false).expect("create");
        std::fs::write(&target, b"someone else's").expect("write");
        assert_eq!(file.commit().expect_err("must refuse").kind(), "exists");
        assert_eq!(std::fs::read(&target).expect("read"), b"someone else's");
    }

    #[test]
    fn missing_folder_is_an_output_folder_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let error =
            write_atomic(&dir.path().join("no/such/a.txt"), false, b"x").expect_err("fails");
        assert_eq!(error.kind(), "output_folder");
        assert!(error.to_string().contains("no/such"), "{error}");
    }
}
