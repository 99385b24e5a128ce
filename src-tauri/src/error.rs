//! The one error type every command returns to the UI.
//!
//! It is serialized as `{ "kind": "...", "message": "..." }`: `kind` is a
//! [`vsl_core::ErrorKind`], the stable code the UI branches on and translates (`ui/i18n.js`
//! has a text for each); `message` is the English detail, naming the file at fault. The
//! remedy (a Retry or an Overwrite button) is the UI's to add, so messages quote no flag.

use serde::Serialize;
use vsl_core::ErrorKind;

/// An error returned by a `#[tauri::command]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{kind}: {message}")]
pub struct CommandError {
    pub kind: ErrorKind,
    /// Human-readable detail, including the path for errors about a file.
    pub message: String,
}

impl CommandError {
    /// Builds an error of the given kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A background task failed to run to completion (it panicked or the runtime dropped
    /// it), which is a bug rather than a user error.
    pub fn task(error: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorKind::Internal,
            format!("background task failed: {error}"),
        )
    }

    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "cancelled")
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
}

impl vsl_core::jobs::JobFailure for CommandError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

/// Every core error keeps its own kind and message.
macro_rules! from_core {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for CommandError {
            fn from(error: $error) -> Self {
                Self::new(error.kind(), error.to_string())
            }
        })*
    };
}

from_core!(
    vsl_core::Error,
    vsl_core::fs::FsError,
    vsl_core::job::JobError,
    vsl_core::media::MediaError,
    vsl_core::models::ModelError,
    vsl_core::transcribe::TranscribeError,
    vsl_core::correct::CorrectionError,
    vsl_core::slides::SlidesError,
    vsl_core::script::ScriptError,
    vsl_core::edit::EditError,
    vsl_core::render::RenderError,
    vsl_core::export::ExportError,
    vsl_core::pipeline::PipelineError,
    vsl_core::cache::CacheError,
    vsl_core::watch::WatchError,
);

/// What every command returns.
pub type CommandResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_kind_and_message() {
        let error = CommandError::new(ErrorKind::Io, "cannot read /nowhere");
        let json = serde_json::to_value(&error).expect("CommandError serializes");
        assert_eq!(
            json,
            serde_json::json!({ "kind": "io", "message": "cannot read /nowhere" })
        );
    }

    #[test]
    fn core_errors_keep_their_kind() {
        let error = CommandError::from(vsl_core::export::ExportError::Cancelled);
        assert_eq!(error.kind, ErrorKind::Cancelled);
        assert_eq!(
            CommandError::task("it panicked").to_string(),
            "internal: background task failed: it panicked"
        );
    }
}
