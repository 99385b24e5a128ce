//! Export: the MP4 and the transcript files a job produces.
//!
//! - [`export_mp4`] turns a [`SlideDeck`](crate::slides::SlideDeck) (its PNGs) plus the original
//!   audio into an H.264 + AAC MP4 whose slides change exactly at their start times. A still
//!   slide is one encoded picture (plus cheap repeats for seeking), so the cost follows the
//!   number of slides, not the length of the video. AAC audio is stream-copied; anything else
//!   is encoded to AAC on its own thread while the video is encoded.
//! - Captions over the video (`overlay`): with [`ExportRequest::captions`], the source's own
//!   picture, size and frame rate with each slide's text blended on as a caption, decoded,
//!   composited and encoded on three threads, the audio as for slides.
//! - [`Soundtrack`]: a [`MusicBed`] mixed under the voice (looped or cut to it, faded,
//!   ducked while the voice speaks) and the loudness target, made with libavfilter graphs in
//!   `mix`. Audio that is re-encoded is normalised to -14 LUFS (true peak at most -1 dBTP)
//!   unless the job says otherwise; AAC without music is still copied untouched.
//! - [`export_deck`]: a deck to every file of an [`ExportPlan`] (MP4, SRT, VTT, TXT, JSON),
//!   checking every target first; the one export loop of the pipeline, `vsl export` and the app.
//! - [`subtitles`]: SRT, WebVTT, plain text and the JSON bundle (gzipped when large).
//! - [`atomic`]: every file is written to a hidden temporary sibling and renamed only when
//!   complete, so a cancelled or failed export never leaves a broken file behind and never
//!   replaces an existing file unless asked to.

pub mod atomic;
mod audio;
mod mix;
mod mp4;
mod overlay;
mod plan;
pub mod preview;
pub mod subtitles;
pub mod timeline;
mod yuv;

use crate::error::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use mix::{
    check_music, LoudnessOutcome, MusicBed, Soundtrack, MUSIC_FADE_IN, MUSIC_FADE_OUT,
    TRUE_PEAK_CEILING_DBTP,
};
pub use mp4::export_mp4;
pub use overlay::check_video;
pub use plan::{check_targets, export_deck, target_path, ExportPlan, ExportedFiles};
pub use subtitles::{to_ass, write_json, write_subtitles, AssStyle, CueSource, SubtitleFormat};

use crate::media::MediaError;

/// Seconds between repeated pictures of a still slide in variable-frame-rate output.
///
/// A slide is encoded once at its start (a keyframe); the repeats are near-empty P-frames
/// (about 100-200 bytes and 5 ms of x264 time each at 1080p), plus one just before the next
/// slide (see [`timeline::TAIL_TICKS`]). Without them Chromium reads ahead to the next picture
/// after every seek: into a 580 s slide a seek took 0.6-1.2 s (median) with no repeats,
/// 0.3 s with one every 2 s, 0.17 s every 1 s (docs/BENCHMARKS.md).
pub const DEFAULT_REPEAT_EVERY: f64 = 2.0;

/// The x264 constant rate factor: visually lossless for text on flat backgrounds.
pub const DEFAULT_CRF: u8 = 20;

/// What to export and where. Build it with [`ExportRequest::new`] and adjust the fields.
#[derive(Debug, Clone)]
pub struct ExportRequest<'a> {
    pub deck: &'a crate::slides::SlideDeck,
    /// The folder the deck's `image` paths are relative to (where `slides.json` lives).
    pub deck_dir: &'a Path,
    /// The original media file; its audio track goes into the MP4 unchanged when it is AAC.
    pub audio: &'a Path,
    pub out: &'a Path,
    /// `None`: variable frame rate (one picture per slide plus repeats). `Some(n)`: constant
    /// `n` frames per second, for platforms that demand it (costs one encode per frame).
    pub fps: Option<u32>,
    /// Variable frame rate only: the longest gap between pictures, in seconds (0 = none).
    pub repeat_every: f64,
    /// Replace `out` when it exists; otherwise an existing file is an error and is kept.
    pub overwrite: bool,
    pub crf: u8,
    /// A music bed and the loudness target; the default is the voice alone, normalised
    /// only when it is re-encoded anyway.
    pub sound: Soundtrack,
    /// Captions over `audio`'s own video (its picture, size and frame rate) instead of
    /// slides; `fps` and `repeat_every` do not apply then.
    pub captions: Option<crate::render::CaptionStyle>,
}

impl<'a> ExportRequest<'a> {
    pub fn new(
        deck: &'a crate::slides::SlideDeck,
        deck_dir: &'a Path,
        audio: &'a Path,
        out: &'a Path,
    ) -> Self {
        Self {
            deck,
            deck_dir,
            audio,
            out,
            fps: None,
            repeat_every: DEFAULT_REPEAT_EVERY,
            overwrite: false,
            crf: DEFAULT_CRF,
            sound: Soundtrack::default(),
            captions: None,
        }
    }
}

/// Progress of an export, reported after every video frame and while audio is finishing.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportProgress {
    pub frames_written: u64,
    pub frames_total: u64,
    /// Seconds of audio muxed so far, of `audio_total`.
    pub audio_done: f64,
    pub audio_total: f64,
    pub elapsed: Duration,
}

impl ExportProgress {
    /// Overall completion in `0..=1`: video and audio run in parallel, so the slower one counts.
    pub fn fraction(&self) -> f64 {
        let video = if self.frames_total == 0 {
            1.0
        } else {
            self.frames_written as f64 / self.frames_total as f64
        };
        let audio = if self.audio_total <= 0.0 {
            1.0
        } else {
            self.audio_done / self.audio_total
        };
        video.min(audio).clamp(0.0, 1.0)
    }

    /// Time left, extrapolated from the rate so far (none until there is progress to go on).
    pub fn eta(&self) -> Option<Duration> {
        let fraction = self.fraction();
        (fraction > 0.01 && self.elapsed > Duration::from_millis(100)).then(|| {
            Duration::from_secs_f64(self.elapsed.as_secs_f64() * (1.0 - fraction) / fraction)
        })
    }
}

/// How the audio got into the MP4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioMode {
    /// The source's AAC packets, unchanged.
    Copied,
    /// Decoded (and mixed with the music, and normalised, when asked) and encoded to AAC-LC
    /// at this bit rate.
    Encoded { from_codec: String, bit_rate: usize },
}

/// A finished export.
#[derive(Debug, Clone)]
pub struct ExportOutcome {
    pub path: PathBuf,
    /// Seconds, as the muxed file reports it (equal to the audio's).
    pub duration: f64,
    pub video_frames: u64,
    pub keyframes: u64,
    pub audio: AudioMode,
    /// The music mixed under the voice.
    pub music: Option<PathBuf>,
    /// How the audio was normalised, when it was.
    pub loudness: Option<LoudnessOutcome>,
    pub bytes: u64,
    /// Deck indices of slides that were not shown: starting after the audio ends, or at the
    /// same instant as the next slide.
    pub dropped_slides: Vec<usize>,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error("the music bed cannot be used: {0}")]
    Music(MediaError),
    #[error("{}: slide image cannot be read ({reason})", path.display())]
    SlideImage { path: PathBuf, reason: String },
    #[error("{}: slide image is {}x{}, the deck says {}x{}; render the slides again", path.display(), found.0, found.1, expected.0, expected.1)]
    SlideSize {
        path: PathBuf,
        expected: (u32, u32),
        found: (u32, u32),
    },
    #[error("the slide deck cannot be exported: {reason}")]
    InvalidDeck { reason: String },
    #[error("{}: has no video stream to put captions over; export it as slides", path.display())]
    NoVideo { path: PathBuf },
    #[error("{}: the video stream cannot be decoded ({reason})", path.display())]
    VideoDecode { path: PathBuf, reason: String },
    #[error("{}: already exists; it was kept", path.display())]
    Exists { path: PathBuf },
    #[error("{}: cannot write to this folder ({reason})", path.display())]
    OutputFolder { path: PathBuf, reason: String },
    #[error("{}: the disk is full (or the file size limit was reached); free some space and export again", path.display())]
    DiskFull { path: PathBuf },
    #[error("{}: write failed ({reason})", path.display())]
    Write { path: PathBuf, reason: String },
    #[error("encoder error: {reason}")]
    Encoder { reason: String },
    #[error("cancelled")]
    Cancelled,
}

impl ExportError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ExportError::Media(error) | ExportError::Music(error) => error.kind(),
            ExportError::NoVideo { .. } => ErrorKind::UnsupportedMedia,
            ExportError::VideoDecode { .. } => ErrorKind::CorruptMedia,
            ExportError::SlideImage { .. } => ErrorKind::SlideImage,
            ExportError::SlideSize { .. } => ErrorKind::SlideSize,
            ExportError::InvalidDeck { .. } => ErrorKind::InvalidDeck,
            ExportError::Exists { .. } => ErrorKind::Exists,
            ExportError::OutputFolder { .. } => ErrorKind::OutputFolder,
            ExportError::DiskFull { .. } => ErrorKind::DiskFull,
            ExportError::Write { .. } => ErrorKind::Write,
            ExportError::Encoder { .. } => ErrorKind::Encoder,
            ExportError::Cancelled => ErrorKind::Cancelled,
        }
    }

    /// Classifies an I/O error on `path`: a full disk gets its own message.
    pub(crate) fn io(path: &Path, error: &std::io::Error) -> ExportError {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::StorageFull | ErrorKind::FileTooLarge | ErrorKind::QuotaExceeded => {
                ExportError::DiskFull {
                    path: path.to_path_buf(),
                }
            }
            _ => ExportError::Write {
                path: path.to_path_buf(),
                reason: error.to_string(),
            },
        }
    }

    /// Classifies an FFmpeg error raised while writing `path`.
    pub(crate) fn ffmpeg_write(path: &Path, error: ffmpeg_next::Error) -> ExportError {
        match error {
            ffmpeg_next::Error::Other { errno } => {
                ExportError::io(path, &std::io::Error::from_raw_os_error(errno))
            }
            other => ExportError::Write {
                path: path.to_path_buf(),
                reason: other.to_string(),
            },
        }
    }
}
