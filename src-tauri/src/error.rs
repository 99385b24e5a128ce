//! The one error type every command returns to the UI.
//!
//! It is serialized as `{ "kind": "...", "message": "..." }`: `kind` is a stable,
//! machine-readable code the UI can branch on (and translate), `message` is the
//! English text of the underlying error, shown when the kind is unknown.

use serde::Serialize;
use vsl_core::models::ModelError;

/// An error returned by a `#[tauri::command]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{kind}: {message}")]
pub struct CommandError {
    /// A stable code such as `"io"` or `"task"`; for core errors it is the core
    /// error's own `kind()`.
    pub kind: &'static str,
    /// Human-readable detail, including the path for I/O errors.
    pub message: String,
}

impl CommandError {
    /// Builds an error of the given kind.
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A background task failed to run to completion (it panicked or was
    /// cancelled by the runtime), which is a bug rather than a user error.
    pub fn task(error: impl std::fmt::Display) -> Self {
        Self::new("task", format!("background task failed: {error}"))
    }
}

impl From<ModelError> for CommandError {
    fn from(error: ModelError) -> Self {
        Self::new(error.kind(), error.to_string())
    }
}

/// What every command returns.
pub type CommandResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_kind_and_message() {
        let error = CommandError::new("io", "cannot read /nowhere");
        let json = serde_json::to_value(&error).expect("CommandError serializes");
        assert_eq!(
            json,
            serde_json::json!({ "kind": "io", "message": "cannot read /nowhere" })
        );
    }

    #[test]
    fn displays_kind_then_message() {
        let error = CommandError::task("it panicked");
        assert_eq!(
            error.to_string(),
            "task: background task failed: it panicked"
        );
    }
}
