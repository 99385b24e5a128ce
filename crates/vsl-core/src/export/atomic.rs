//! Writing a file so that its final name only ever holds a complete file.
//!
//! [`AtomicFile`] is a hidden temporary sibling (`.<name>.XXXXXX.part`, same folder, so the
//! final rename cannot cross file systems). Dropping it without [`AtomicFile::commit`] deletes
//! it: an error, a cancel or a panic leaves nothing behind.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ExportError;

#[derive(Debug)]
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
    overwrite: bool,
}

impl AtomicFile {
    /// Checks the destination (folder writable, no file in the way unless `overwrite`) and
    /// creates the temporary file next to it.
    pub fn create(target: &Path, overwrite: bool) -> Result<AtomicFile, ExportError> {
        check_target(target, overwrite)?;
        let folder = parent_of(target);
        let name = target
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".part")
            .tempfile_in(&folder)
            .map_err(|error| match ExportError::io(&folder, &error) {
                full @ ExportError::DiskFull { .. } => full,
                _ => ExportError::OutputFolder {
                    path: folder.clone(),
                    reason: error.to_string(),
                },
            })?;
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
            overwrite,
        })
    }

    /// Where the data goes until the commit.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Flushes the data to disk and gives the file its final name. Without `overwrite`, a file
    /// that appeared at the target in the meantime is kept and this fails with `Exists`.
    pub fn commit(self) -> Result<PathBuf, ExportError> {
        let temp_path = self.temp.path().to_path_buf();
        // A rename is only atomic for the name; without the sync a crash could leave the final
        // name pointing at a file whose data never reached the disk.
        self.temp
            .as_file()
            .sync_all()
            .map_err(|error| ExportError::io(&self.target, &error))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // tempfile creates files private (0600); an exported video is meant to be shared.
            std::fs::set_permissions(&temp_path, std::fs::Permissions::from_mode(0o644))
                .map_err(|error| ExportError::io(&self.target, &error))?;
        }
        let target = self.target;
        let persisted = if self.overwrite {
            self.temp.persist(&target)
        } else {
            self.temp.persist_noclobber(&target)
        };
        match persisted {
            Ok(_) => Ok(target),
            Err(error) if error.error.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(ExportError::Exists { path: target })
            }
            Err(error) => Err(ExportError::io(&target, &error.error)),
        }
    }
}

/// Writes `contents` to `target` through a temporary sibling.
pub fn write_atomic(
    target: &Path,
    overwrite: bool,
    contents: &[u8],
) -> Result<PathBuf, ExportError> {
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
mod tests {
    use super::*;

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
