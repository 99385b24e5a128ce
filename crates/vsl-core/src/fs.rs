//! Files written whole or not at all, and file errors that name the file.
//!
//! Every file the product writes goes through [`AtomicFile`] (or [`write_atomic`]): the data
//! goes to a hidden, uniquely named sibling (`.<name>.XXXXXX.part`, same folder, so the final
//! rename cannot cross file systems), is flushed to disk, and only then gets its final name.
//! A reader, a crash or a second writer therefore only ever sees the old file or the new one;
//! two threads or processes writing the same target never share a temporary file, and the
//! last commit wins. Dropping an [`AtomicFile`] without committing deletes its temporary file.
//!
//! [`lock`] takes an advisory lock on a file, for read-modify-write cycles on a file that two
//! processes (the app and the CLI) update.
//!
//! On Unix the writer also holds an advisory lock on its temporary file while it exists, so a
//! temporary file whose lock is free belongs to a process that died (kill -9, OOM, power):
//! [`remove_stale_temps`] deletes exactly those at start-up.
//!
//! `std::fs::write` and `std::fs::rename` are disallowed elsewhere (`clippy.toml`).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::ErrorKind;

/// An I/O error on `path`; its message names the file.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct FsError {
    pub path: PathBuf,
    pub source: io::Error,
}

impl FsError {
    pub fn new(path: impl Into<PathBuf>, source: io::Error) -> FsError {
        FsError {
            path: path.into(),
            source,
        }
    }

    /// The disk (or the quota, or the file size limit) is full: freeing space is the remedy.
    pub fn is_disk_full(&self) -> bool {
        if matches!(
            self.source.kind(),
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge
        ) {
            return true;
        }
        // ENOSPC and Linux's EDQUOT, for errors built from a raw code the kind does not map.
        cfg!(unix) && matches!(self.source.raw_os_error(), Some(28 | 122))
    }

    pub fn kind(&self) -> ErrorKind {
        if self.is_disk_full() {
            return ErrorKind::DiskFull;
        }
        match self.source.kind() {
            io::ErrorKind::NotFound => ErrorKind::NotFound,
            io::ErrorKind::AlreadyExists => ErrorKind::Exists,
            _ => ErrorKind::Io,
        }
    }

    pub fn is_exists(&self) -> bool {
        self.source.kind() == io::ErrorKind::AlreadyExists
    }
}

/// `map_err(at(path))`: attaches the path to an I/O error.
pub fn at(path: &Path) -> impl FnOnce(io::Error) -> FsError + '_ {
    move |source| FsError::new(path, source)
}

/// Whether a commit may replace a file already at the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Replace it (the last writer wins).
    Yes,
    /// Keep it and fail with [`ErrorKind::Exists`].
    No,
}

impl From<bool> for Replace {
    /// `Replace::from(overwrite)`.
    fn from(replace: bool) -> Replace {
        if replace {
            Replace::Yes
        } else {
            Replace::No
        }
    }
}

/// A file being written under a temporary name, published under its target name by
/// [`AtomicFile::commit`].
#[derive(Debug)]
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
    replace: Replace,
}

impl AtomicFile {
    /// Creates the temporary sibling of `target`. With [`Replace::No`], a file already at
    /// `target` fails here, before any work, with [`ErrorKind::Exists`]. The folder must exist.
    pub fn create(target: &Path, replace: Replace) -> Result<AtomicFile, FsError> {
        let Some(name) = target.file_name() else {
            return Err(FsError::new(
                target,
                io::Error::new(io::ErrorKind::InvalidInput, "the path needs a file name"),
            ));
        };
        if replace == Replace::No && target.symlink_metadata().is_ok() {
            return Err(FsError::new(
                target,
                io::Error::from(io::ErrorKind::AlreadyExists),
            ));
        }
        let folder = parent_of(target);
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{}.", name.to_string_lossy()))
            .suffix(".part")
            .tempfile_in(&folder)
            .map_err(|error| {
                // tempfile's message names the temporary file; a missing folder is better told
                // with the folder's own error.
                let source = match std::fs::metadata(&folder) {
                    Err(folder_error) => folder_error,
                    Ok(_) => error,
                };
                FsError::new(target, source)
            })?;
        // Marks the file as owned by a live process (released by the kernel when it dies). A
        // file system without locks only loses the stale-file cleanup.
        #[cfg(unix)]
        let _ = fs4::FileExt::try_lock(temp.as_file());
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
            replace,
        })
    }

    /// The temporary file, for writers that need a path (FFmpeg's muxer, an external tool).
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Flushes the data to disk and gives the file its final name. With [`Replace::No`], a file
    /// that appeared at the target in the meantime is kept and this fails with
    /// [`ErrorKind::Exists`]. Returns the target.
    pub fn commit(self) -> Result<PathBuf, FsError> {
        let target = self.target;
        // A rename is only atomic for the name; without the sync a crash could leave the final
        // name pointing at a file whose data never reached the disk.
        self.temp.as_file().sync_all().map_err(at(&target))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // tempfile creates files private (0600); outputs are meant to be shared.
            self.temp
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(at(&target))?;
        }
        let persisted = match self.replace {
            Replace::Yes => self.temp.persist(&target),
            Replace::No => self.temp.persist_noclobber(&target),
        };
        // On failure the temporary file comes back in the error and is deleted with it.
        persisted.map_err(|error| FsError::new(&target, error.error))?;
        sync_folder(&parent_of(&target)).map_err(at(&target))?;
        Ok(target)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

/// The new name lives in the folder's entry: syncing the folder makes the rename durable.
#[cfg(unix)]
fn sync_folder(folder: &Path) -> io::Result<()> {
    match File::open(folder).and_then(|dir| dir.sync_all()) {
        // Some file systems cannot sync a directory; the rename itself has happened.
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}

#[cfg(not(unix))]
fn sync_folder(_folder: &Path) -> io::Result<()> {
    Ok(())
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `contents` to `path` through a temporary sibling: `path` holds the old file or
/// the whole new one, never part of it. The folder must exist (see [`create_dir_all`]).
pub fn write_atomic(path: &Path, contents: &[u8], replace: Replace) -> Result<(), FsError> {
    let mut file = AtomicFile::create(path, replace)?;
    file.file().write_all(contents).map_err(at(path))?;
    file.commit().map(drop)
}

/// Copies `from` to `to` through a temporary sibling of `to`. Errors reading name `from`,
/// errors writing name `to`.
pub fn copy_atomic(from: &Path, to: &Path, replace: Replace) -> Result<(), FsError> {
    let mut source = File::open(from).map_err(at(from))?;
    let mut file = AtomicFile::create(to, replace)?;
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = match source.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(FsError::new(from, error)),
        };
        file.file().write_all(&buffer[..read]).map_err(at(to))?;
    }
    file.commit().map(drop)
}

pub fn create_dir_all(path: &Path) -> Result<(), FsError> {
    std::fs::create_dir_all(path).map_err(at(path))
}

pub fn read(path: &Path) -> Result<Vec<u8>, FsError> {
    std::fs::read(path).map_err(at(path))
}

pub fn read_to_string(path: &Path) -> Result<String, FsError> {
    std::fs::read_to_string(path).map_err(at(path))
}

/// Whether `name` is one of [`AtomicFile`]'s temporary names: `.<name>.XXXXXX.part`.
pub fn is_temp_name(name: &str) -> bool {
    let Some(inner) = name
        .strip_prefix('.')
        .and_then(|rest| rest.strip_suffix(".part"))
    else {
        return false;
    };
    // tempfile's random part: six ASCII alphanumerics after the target's name and a dot.
    inner.rsplit_once('.').is_some_and(|(target, random)| {
        !target.is_empty() && random.len() == 6 && random.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// A temporary file younger than this with nothing in it may be one whose writer has created
/// it but not locked it yet (two system calls): it is left for a later sweep.
const FRESH: std::time::Duration = std::time::Duration::from_secs(5);

/// Deletes the temporary files of writers that died in `dir` (and, with `depth` > 0, in its
/// subfolders down to that depth): names of [`AtomicFile`]'s pattern whose lock nobody holds.
/// A live writer's file is locked and kept. Returns the files removed; unreadable folders are
/// skipped (this is housekeeping, never a reason to fail a start). Unix only: elsewhere it
/// removes nothing.
pub fn remove_stale_temps(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    sweep(dir, depth, &mut removed);
    removed
}

fn sweep(dir: &Path, depth: usize, removed: &mut Vec<PathBuf>) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in listing.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if depth > 0 {
                sweep(&path, depth - 1, removed);
            }
            continue;
        }
        if kind.is_file() && is_temp_name(&entry.file_name().to_string_lossy()) && is_stale(&path) {
            // The lock is ours now; a writer cannot come back to a file it no longer has open.
            if std::fs::remove_file(&path).is_ok() {
                removed.push(path);
            }
        }
    }
}

#[cfg(unix)]
fn is_stale(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let Ok(metadata) = file.metadata() else {
        return false;
    };
    let young = metadata
        .modified()
        .ok()
        .and_then(|modified| modified.elapsed().ok())
        .is_none_or(|age| age < FRESH);
    if metadata.len() == 0 && young {
        return false;
    }
    // Locked by its writer: alive. Free: the writer is gone (the kernel drops a dead
    // process's locks). Our own lock goes with `file` at the end of this function.
    fs4::FileExt::try_lock(&file).is_ok()
}

#[cfg(not(unix))]
fn is_stale(_path: &Path) -> bool {
    false
}

/// An exclusive advisory lock on a file, held until dropped. Advisory: it only excludes
/// others who take it too.
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first just makes it prompt.
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

/// Waits for an exclusive lock on `path` (created if missing, and never deleted: deleting a
/// lock file lets two processes lock two different files). Locks on separate opens of one
/// file exclude each other within a process too, so threads are covered as well.
pub fn lock(path: &Path) -> Result<FileLock, FsError> {
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(at(path))?;
    fs4::FileExt::lock(&file).map_err(at(path))?;
    Ok(FileLock {
        file,
        path: path.to_path_buf(),
    })
}

/// Like [`lock`], without waiting: `None` when another holder has it.
pub fn try_lock(path: &Path) -> Result<Option<FileLock>, FsError> {
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(at(path))?;
    match fs4::FileExt::try_lock(&file) {
        Ok(()) => Ok(Some(FileLock {
            file,
            path: path.to_path_buf(),
        })),
        Err(fs4::TryLockError::WouldBlock) => Ok(None),
        Err(fs4::TryLockError::Error(error)) => Err(FsError::new(path, error)),
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn commit_publishes_and_drop_cleans_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("a.txt");
        {
            let mut file = AtomicFile::create(&target, Replace::No).expect("create");
            file.write_all(b"half").expect("write");
            let temp = file
                .path()
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            assert!(
                temp.starts_with(".a.txt.") && temp.ends_with(".part"),
                "{temp}"
            );
            assert!(!target.exists());
        }
        assert!(names(dir.path()).is_empty());
        write_atomic(&target, b"done", Replace::No).expect("write");
        assert_eq!(std::fs::read(&target).expect("read"), b"done");
        assert_eq!(names(dir.path()), ["a.txt"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o644);
        }
    }

    #[test]
    fn existing_file_is_kept_unless_replacing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("a.txt");
        std::fs::write(&target, b"old").expect("write");
        let error = write_atomic(&target, b"new", Replace::No).expect_err("must refuse");
        assert_eq!(error.kind(), ErrorKind::Exists);
        assert!(error.is_exists());
        assert_eq!(error.path, target);
        assert_eq!(std::fs::read(&target).expect("read"), b"old");
        write_atomic(&target, b"new", Replace::Yes).expect("replace");
        assert_eq!(std::fs::read(&target).expect("read"), b"new");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn file_appearing_during_the_write_is_not_clobbered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("a.txt");
        let mut file = AtomicFile::create(&target, Replace::No).expect("create");
        file.write_all(b"mine").expect("write");
        std::fs::write(&target, b"someone else's").expect("write");
        let error = file.commit().expect_err("must refuse");
        assert_eq!(error.kind(), ErrorKind::Exists);
        assert_eq!(std::fs::read(&target).expect("read"), b"someone else's");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn concurrent_writers_leave_one_complete_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("state.json");
        std::thread::scope(|scope| {
            for thread in 0..16 {
                let target = &target;
                scope.spawn(move || {
                    for write in 0..50 {
                        // Big enough that a torn write would be caught by the parser.
                        let items: Vec<String> = (0..500)
                            .map(|item| format!("{thread}-{write}-{item}"))
                            .collect();
                        let json = serde_json::to_vec(&items).expect("json");
                        write_atomic(target, &json, Replace::Yes).expect("write");
                        let back = std::fs::read(target).expect("read");
                        let parsed: Vec<String> = serde_json::from_slice(&back).expect("parses");
                        assert_eq!(parsed.len(), 500);
                    }
                });
            }
        });
        let parsed: Vec<String> =
            serde_json::from_slice(&std::fs::read(&target).expect("read")).expect("parses");
        assert_eq!(parsed.len(), 500);
        assert_eq!(names(dir.path()), ["state.json"]);
    }

    #[test]
    fn missing_folder_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("no/such/a.txt");
        let error = write_atomic(&target, b"x", Replace::Yes).expect_err("fails");
        assert_eq!(error.kind(), ErrorKind::NotFound);
        assert_eq!(error.path, target);
        assert!(error.to_string().contains("no/such/a.txt"), "{error}");
        let error = read(&target).expect_err("fails");
        assert!(error.to_string().contains("no/such/a.txt"), "{error}");
    }

    #[test]
    fn copy_publishes_a_whole_copy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let from = dir.path().join("from.bin");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        write_atomic(&from, &bytes, Replace::No).expect("write");
        let to = dir.path().join("to.bin");
        copy_atomic(&from, &to, Replace::No).expect("copy");
        assert_eq!(std::fs::read(&to).expect("read"), bytes);
        let error = copy_atomic(&dir.path().join("gone"), &to, Replace::Yes).expect_err("fails");
        assert!(error.to_string().contains("gone"), "{error}");
        assert_eq!(names(dir.path()), ["from.bin", "to.bin"]);
    }

    #[test]
    fn disk_full_is_its_own_kind() {
        let full = FsError::new("a", io::Error::from_raw_os_error(28));
        assert!(full.is_disk_full());
        assert_eq!(full.kind(), ErrorKind::DiskFull);
        let denied = FsError::new("a", io::Error::from(io::ErrorKind::PermissionDenied));
        assert_eq!(denied.kind(), ErrorKind::Io);
    }

    #[test]
    #[cfg(unix)]
    fn only_temporary_files_of_dead_writers_are_swept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("talk_slides");
        std::fs::create_dir(&sub).expect("mkdir");
        // A live writer's file: locked, kept.
        let mut live =
            AtomicFile::create(&dir.path().join("live.mp4"), Replace::No).expect("create");
        live.write_all(b"frames").expect("write");
        // A dead writer's: the same name pattern with nobody holding its lock.
        let dead = dir.path().join(".talk.mp4.AbC123.part");
        std::fs::write(&dead, b"half a video").expect("write");
        let dead_inside = sub.join(".0001.png.zZ9yX8.part");
        std::fs::write(&dead_inside, b"half a slide").expect("write");
        // Not ours: a browser's download, a user's dotfile.
        std::fs::write(dir.path().join("talk.mp4.part"), b"x").expect("write");
        std::fs::write(dir.path().join(".notes.part"), b"x").expect("write");
        assert!(is_temp_name(".talk.mp4.AbC123.part"));
        assert!(!is_temp_name(".notes.part") && !is_temp_name("talk.mp4.part"));

        assert_eq!(remove_stale_temps(dir.path(), 0), [dead]);
        assert!(dead_inside.exists(), "depth 0 stays in the folder");
        assert_eq!(remove_stale_temps(dir.path(), 1), [dead_inside]);
        assert!(live.path().exists(), "a live writer's file is kept");
        live.commit().expect("the live writer still commits");
        let mut left = names(dir.path());
        left.retain(|name| name != "talk_slides");
        assert_eq!(left, [".notes.part", "live.mp4", "talk.mp4.part"]);
    }

    #[test]
    fn lock_excludes_a_second_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.lock");
        let order = std::sync::Mutex::new(Vec::new());
        let held = lock(&path).expect("lock");
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _second = lock(&path).expect("lock");
                order.lock().expect("order").push("second");
            });
            std::thread::sleep(std::time::Duration::from_millis(100));
            order.lock().expect("order").push("first");
            drop(held);
        });
        assert_eq!(*order.lock().expect("order"), ["first", "second"]);
    }
}
