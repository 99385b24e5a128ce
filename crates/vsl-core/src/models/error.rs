use crate::error::ErrorKind;
use std::path::{Path, PathBuf};

/// Everything that can go wrong while listing, installing or checking models.
/// Every variant that concerns a file names it, so the message alone tells the user what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{}: {}", path.display(), describe_io(source))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a usable whisper.cpp (ggml) model: {reason}", path.display())]
    InvalidGgml { path: PathBuf, reason: String },
    #[error("{} is not a usable CTranslate2 Whisper model: {reason}", path.display())]
    InvalidCt2 { path: PathBuf, reason: String },
    #[error("unknown model '{name}': not in the catalog and not an existing file")]
    UnknownModel { name: String },
    #[error("model '{name}' is not installed: download it or import one")]
    NotInstalled { name: String },
    #[error("download of {url} failed: the server answered HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("download of {url} failed: {reason}")]
    Network { url: String, reason: String },
    #[error("{} is corrupt: SHA-1 {actual} does not match the published {expected}; the file was not installed", path.display())]
    ChecksumMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{} already exists; it was kept", path.display())]
    Exists { path: PathBuf },
    #[error("cancelled")]
    Cancelled,
}

impl ModelError {
    /// A stable machine-readable tag for the UI to branch on.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ModelError::Io { source, .. } if is_disk_full(source) => ErrorKind::DiskFull,
            ModelError::Io { .. } => ErrorKind::Io,
            ModelError::InvalidGgml { .. } | ModelError::InvalidCt2 { .. } => {
                ErrorKind::InvalidModel
            }
            ModelError::UnknownModel { .. } => ErrorKind::UnknownModel,
            ModelError::NotInstalled { .. } => ErrorKind::NotInstalled,
            ModelError::Http { .. } => ErrorKind::Http,
            ModelError::Network { .. } => ErrorKind::Network,
            ModelError::ChecksumMismatch { .. } => ErrorKind::Checksum,
            ModelError::Exists { .. } => ErrorKind::Exists,
            ModelError::Cancelled => ErrorKind::Cancelled,
        }
    }

    pub(crate) fn io(path: impl AsRef<Path>) -> impl FnOnce(std::io::Error) -> ModelError {
        let path = path.as_ref().to_path_buf();
        move |source| ModelError::Io { path, source }
    }

    pub(crate) fn ggml(path: impl AsRef<Path>, reason: impl Into<String>) -> ModelError {
        ModelError::InvalidGgml {
            path: path.as_ref().to_path_buf(),
            reason: reason.into(),
        }
    }

    pub(crate) fn ct2(path: impl AsRef<Path>, reason: impl Into<String>) -> ModelError {
        ModelError::InvalidCt2 {
            path: path.as_ref().to_path_buf(),
            reason: reason.into(),
        }
    }
}

pub(crate) fn is_disk_full(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::StorageFull || error.raw_os_error() == Some(28)
}

fn describe_io(error: &std::io::Error) -> String {
    if is_disk_full(error) {
        "the disk is full; free some space and try again".to_owned()
    } else {
        error.to_string()
    }
}
