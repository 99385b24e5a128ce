//! The error kinds every stage reports, and the crate's one [`Error`].
//!
//! Each stage keeps its own thiserror enum (its variants carry the file at fault); each
//! has a `kind()` returning an [`ErrorKind`], the stable, machine-readable code that front
//! ends branch on: the app translates it (`ui/i18n.js` has a text for every kind, checked by
//! a test) and adds its own remedy (a button), the CLI adds a flag to try. Messages say what
//! went wrong and name the file; they never quote a CLI flag, since the app shows them too.

use serde::{Deserialize, Serialize};

macro_rules! error_kinds {
    ($($variant:ident => $name:literal,)*) => {
        /// A stable code for what went wrong; serialized in snake_case.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorKind {
            $($variant,)*
        }

        impl ErrorKind {
            /// Every kind, for the front ends' translation tables and their tests.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant,)*];

            /// The snake_case code, as serialized.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => $name,)*
                }
            }
        }
    };
}

error_kinds! {
    // Shared by every stage.
    Cancelled => "cancelled",
    Io => "io",
    DiskFull => "disk_full",
    NotFound => "not_found",
    Exists => "exists",
    Busy => "busy",
    // Media.
    UnsupportedMedia => "unsupported_media",
    NoAudio => "no_audio",
    UnsupportedCodec => "unsupported_codec",
    CorruptMedia => "corrupt_media",
    EmptyMedia => "empty_media",
    TruncatedMedia => "truncated_media",
    // Models and transcription.
    InvalidModel => "invalid_model",
    UnknownModel => "unknown_model",
    NotInstalled => "not_installed",
    Http => "http",
    Network => "network",
    Checksum => "checksum",
    ModelLoad => "model_load",
    Transcription => "transcription",
    Language => "language",
    // Job settings.
    InvalidConfig => "invalid_config",
    UnknownPreset => "unknown_preset",
    UnknownTheme => "unknown_theme",
    UnknownFormat => "unknown_format",
    InvalidSize => "invalid_size",
    InvalidThreads => "invalid_threads",
    InvalidGlossary => "invalid_glossary",
    InvalidLimit => "invalid_limit",
    InvalidSettings => "invalid_settings",
    InvalidScript => "invalid_script",
    ScriptMismatch => "script_mismatch",
    // Looks: a look file, or a font or image it names.
    InvalidLook => "invalid_look",
    InvalidFont => "invalid_font",
    InvalidImage => "invalid_image",
    LowResources => "low_resources",
    // Slides, editing, rendering, export.
    Edit => "edit",
    InvalidDeck => "invalid_deck",
    SlideImage => "slide_image",
    SlideSize => "slide_size",
    Encode => "encode",
    Encoder => "encoder",
    OutputFolder => "output_folder",
    Write => "write",
    CacheIo => "cache_io",
    // Watched folders.
    NoFolders => "no_folders",
    OutputInsideWatched => "output_inside_watched",
    Watch => "watch",
    WatchState => "watch_state",
    // The engine process (`vsl worker`): it died mid-job, or could not be started or talked to.
    EngineCrashed => "engine_crashed",
    Engine => "engine",
    // The app's own: a job that has not finished, a path the UI may not open, an empty
    // undo history.
    NotReady => "not_ready",
    Forbidden => "forbidden",
    History => "history",
    // A bug or a broken environment: a panic in FFI code, a background task that died, a
    // file manager that does not answer.
    Internal => "internal",
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

// Lets tests and callers compare with the code: `assert_eq!(error.kind(), "disk_full")`.
impl PartialEq<&str> for ErrorKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for ErrorKind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// Any error from the library, for front ends that handle them all alike.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Fs(#[from] crate::fs::FsError),
    #[error(transparent)]
    Job(#[from] crate::job::JobError),
    #[error(transparent)]
    Media(#[from] crate::media::MediaError),
    #[error(transparent)]
    Model(#[from] crate::models::ModelError),
    #[error(transparent)]
    Transcribe(#[from] crate::transcribe::TranscribeError),
    #[error(transparent)]
    Glossary(#[from] crate::correct::CorrectionError),
    #[error(transparent)]
    Script(#[from] crate::script::ScriptError),
    #[error(transparent)]
    Slides(#[from] crate::slides::SlidesError),
    #[error(transparent)]
    Edit(#[from] crate::edit::EditError),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    #[error(transparent)]
    Pipeline(#[from] crate::pipeline::PipelineError),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
    #[error(transparent)]
    Watch(#[from] crate::watch::WatchError),
    #[error(transparent)]
    Worker(#[from] crate::worker::WorkerError),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Fs(error) => error.kind(),
            Error::Job(error) => error.kind(),
            Error::Media(error) => error.kind(),
            Error::Model(error) => error.kind(),
            Error::Transcribe(error) => error.kind(),
            Error::Glossary(error) => error.kind(),
            Error::Script(error) => error.kind(),
            Error::Slides(error) => error.kind(),
            Error::Edit(error) => error.kind(),
            Error::Render(error) => error.kind(),
            Error::Export(error) => error.kind(),
            Error::Pipeline(error) => error.kind(),
            Error::Cache(error) => error.kind(),
            Error::Watch(error) => error.kind(),
            Error::Worker(error) => error.kind(),
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.kind() == ErrorKind::Cancelled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_their_code() {
        for kind in ErrorKind::ALL {
            let json = serde_json::to_value(kind).expect("serializes");
            assert_eq!(json, serde_json::Value::from(kind.as_str()));
            let back: ErrorKind = serde_json::from_value(json).expect("parses");
            assert_eq!(back, *kind);
        }
    }
}
