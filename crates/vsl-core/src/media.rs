//! Decoding any audio or video file to what Whisper eats: 16 kHz mono `f32` PCM.
//!
//! The default audio stream is decoded and resampled packet by packet. [`PcmReader`] hands
//! the samples over a few seconds at a time, so a consumer that does not keep them (the
//! pipeline's windowed transcription) holds seconds of PCM, not the file's; [`decode`]
//! gathers them all.

use crate::error::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Once;

use ffmpeg::format::sample::{Sample, Type as SampleType};
use ffmpeg::software::resampling;
use ffmpeg::util::channel_layout::ChannelLayout;
use ffmpeg::util::frame;
use ffmpeg_next as ffmpeg;

/// Whisper's sample rate.
pub const SAMPLE_RATE: u32 = 16_000;

/// Decoded audio ready for transcription.
#[derive(Debug, Clone)]
pub struct Pcm {
    pub samples: Vec<f32>,
    /// The container's own idea of the duration, when it has one.
    pub container_duration: Option<f64>,
}

impl Pcm {
    /// Duration of the decoded audio in seconds.
    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / f64::from(SAMPLE_RATE)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{}: file not found", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: not a media file FFmpeg can read ({reason})", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("{}: has no audio track", path.display())]
    NoAudio { path: PathBuf },
    #[error("{}: audio codec '{codec}' is not supported", path.display())]
    UnsupportedCodec { path: PathBuf, codec: String },
    #[error("{}: audio data is corrupt ({reason})", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("{}: the audio track is empty", path.display())]
    Empty { path: PathBuf },
    #[error("{}: the file is incomplete (audio stops at {decoded:.1} s of {expected:.1} s); is it still being copied?", path.display())]
    Truncated {
        path: PathBuf,
        decoded: f64,
        expected: f64,
    },
    #[error("cancelled")]
    Cancelled,
}

impl MediaError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            MediaError::NotFound { .. } => ErrorKind::NotFound,
            MediaError::Unreadable { .. } => ErrorKind::UnsupportedMedia,
            MediaError::NoAudio { .. } => ErrorKind::NoAudio,
            MediaError::UnsupportedCodec { .. } => ErrorKind::UnsupportedCodec,
            MediaError::Corrupt { .. } => ErrorKind::CorruptMedia,
            MediaError::Empty { .. } => ErrorKind::EmptyMedia,
            MediaError::Truncated { .. } => ErrorKind::TruncatedMedia,
            MediaError::Cancelled => ErrorKind::Cancelled,
        }
    }
}

/// File extensions the importer accepts.
pub const SUPPORTED_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "mp3", "m4a", "aac", "wav",
    "flac", "ogg", "oga", "opus", "wma",
];

/// Whether `path`'s extension (in any case) is one of [`SUPPORTED_EXTENSIONS`].
pub fn is_supported(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            SUPPORTED_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str())
        })
}

pub(crate) fn init_ffmpeg() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Initialisation only registers codecs; it cannot fail on supported FFmpeg versions.
        let _ = ffmpeg::init();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}

/// The index of `input`'s picture: of its video streams that are not an attached cover
/// image (an MP3's or M4A's artwork is not a video), the one with the most frames.
pub(crate) fn video_stream(input: &ffmpeg::format::context::Input) -> Option<usize> {
    input
        .streams()
        .filter(|stream| {
            stream.parameters().medium() == ffmpeg::media::Type::Video
                && !stream
                    .disposition()
                    .contains(ffmpeg::format::stream::Disposition::ATTACHED_PIC)
        })
        .max_by_key(|stream| stream.frames())
        .map(|stream| stream.index())
}

/// Whether `path` has a picture to put captions over, read from the container alone (no
/// decoding, so cheap enough for every view of a job; the export then checks it decodes).
pub fn has_video(path: &Path) -> bool {
    init_ffmpeg();
    ffmpeg::format::input(&path).is_ok_and(|input| video_stream(&input).is_some())
}

/// The typed error for a file FFmpeg cannot open or read.
pub(crate) fn unreadable(path: &Path) -> impl Fn(ffmpeg::Error) -> MediaError + '_ {
    move |error| MediaError::Unreadable {
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

/// Opens `path` and finds its default audio stream; returns the input and the stream's
/// index. What decoding and the MP4 export share, with their typed errors.
pub(crate) fn open_audio(
    path: &Path,
) -> Result<(ffmpeg::format::context::Input, usize), MediaError> {
    init_ffmpeg();
    if !path.is_file() {
        return Err(MediaError::NotFound {
            path: path.to_path_buf(),
        });
    }
    let input = ffmpeg::format::input(&path).map_err(unreadable(path))?;
    let index = input
        .streams()
        .best(ffmpeg::media::Type::Audio)
        .ok_or_else(|| MediaError::NoAudio {
            path: path.to_path_buf(),
        })?
        .index();
    Ok((input, index))
}

/// A decoder for an audio stream's `parameters`; an unknown codec is named in the error.
pub(crate) fn audio_decoder(
    path: &Path,
    parameters: ffmpeg::codec::Parameters,
) -> Result<ffmpeg::decoder::Audio, MediaError> {
    let codec_id = parameters.id();
    ffmpeg::codec::context::Context::from_parameters(parameters)
        .map_err(unreadable(path))?
        .decoder()
        .audio()
        .map_err(|_| MediaError::UnsupportedCodec {
            path: path.to_path_buf(),
            codec: format!("{codec_id:?}").to_lowercase(),
        })
}

/// Decodes the default audio stream of `path` to 16 kHz mono. `cancel` is polled per packet.
/// The whole file in memory: for an hour that is 230 MB, so the pipeline reads a
/// [`PcmReader`] block by block instead.
pub fn decode(path: &Path, cancel: &crate::jobs::CancelToken) -> Result<Pcm, MediaError> {
    let mut reader = PcmReader::open(path)?;
    let mut samples = Vec::new();
    if let Some(expected) = reader.expected_duration() {
        // Reserving the declared length spares a doubling copy of a long file's PCM.
        samples.reserve((expected * f64::from(SAMPLE_RATE)) as usize + SAMPLE_RATE as usize);
    }
    while let Some(block) = reader.next_block(cancel)? {
        samples.extend_from_slice(block);
    }
    let container_duration = reader.container_duration;
    reader.finish()?;
    Ok(Pcm {
        samples,
        container_duration,
    })
}

/// Samples a [`PcmReader`] gathers before handing a block over: 5 s.
const BLOCK_SAMPLES: usize = 5 * SAMPLE_RATE as usize;

/// The default audio stream of a file, decoded to 16 kHz mono a block at a time, so a
/// consumer that does not keep the samples (transcription, in windows) holds a few
/// seconds of PCM, not the whole file. The verdicts that need the whole stream (empty,
/// mostly damage, cut off mid-copy) come from [`PcmReader::finish`].
pub struct PcmReader {
    path: PathBuf,
    input: ffmpeg::format::context::Input,
    stream_index: usize,
    decoder: ffmpeg::decoder::Audio,
    sink: Sink,
    container_duration: Option<f64>,
    /// The audio track's own length, where the container records one (MP4/MOV, WAV,
    /// FLAC): a screen recording's audio often stops before its video, and that is not
    /// damage.
    declared_audio: Option<f64>,
    /// Where the file's packets end, over every stream: a file cut off mid-copy stops
    /// short of its declared length in all of them.
    packets_end: f64,
    bad_packets: usize,
    good_packets: usize,
    /// Samples handed over so far.
    decoded: usize,
    finished: bool,
}

impl PcmReader {
    pub fn open(path: &Path) -> Result<Self, MediaError> {
        let (input, stream_index) = open_audio(path)?;
        let stream = input
            .stream(stream_index)
            .ok_or_else(|| MediaError::NoAudio {
                path: path.to_path_buf(),
            })?;
        let declared_audio = {
            let duration = stream.duration();
            (duration > 0 && duration != ffmpeg::ffi::AV_NOPTS_VALUE)
                .then(|| duration as f64 * f64::from(stream.time_base()))
        };
        let decoder = audio_decoder(path, stream.parameters())?;
        let container_duration = (input.duration() > 0)
            .then(|| input.duration() as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE));
        Ok(Self {
            path: path.to_path_buf(),
            input,
            stream_index,
            decoder,
            sink: Sink::new(),
            container_duration,
            declared_audio,
            packets_end: 0.0,
            bad_packets: 0,
            good_packets: 0,
            decoded: 0,
            finished: false,
        })
    }

    /// How long the audio should be, by the container: for progress, and to size buffers.
    pub fn expected_duration(&self) -> Option<f64> {
        self.declared_audio.or(self.container_duration)
    }

    /// The next few seconds of samples, or `None` once the stream is done.
    pub fn next_block(
        &mut self,
        cancel: &crate::jobs::CancelToken,
    ) -> Result<Option<&[f32]>, MediaError> {
        self.sink.samples.clear();
        while !self.finished && self.sink.samples.len() < BLOCK_SAMPLES {
            if cancel.is_cancelled() {
                return Err(MediaError::Cancelled);
            }
            let mut packet = ffmpeg::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) => {}
                // A demuxer resyncs past one damaged packet; anything else ends the stream.
                Err(ffmpeg::Error::InvalidData) => continue,
                Err(_) => {
                    let _ = self.decoder.send_eof();
                    self.sink.drain(&mut self.decoder, &self.path)?;
                    self.sink.flush(&self.path)?;
                    self.finished = true;
                    break;
                }
            }
            let Some(time_base) = self
                .input
                .stream(packet.stream())
                .map(|stream| f64::from(stream.time_base()))
            else {
                continue;
            };
            if let Some(at) = packet.pts().or(packet.dts()) {
                let end = (at + packet.duration().max(0)) as f64 * time_base;
                self.packets_end = self.packets_end.max(end);
            }
            if packet.stream() != self.stream_index {
                continue;
            }
            // A damaged packet is skipped, as players do; only a file that is mostly damage fails.
            if self.decoder.send_packet(&packet).is_err() {
                self.bad_packets += 1;
                continue;
            }
            self.good_packets += 1;
            self.sink.drain(&mut self.decoder, &self.path)?;
        }
        self.decoded += self.sink.samples.len();
        Ok((!self.sink.samples.is_empty()).then_some(self.sink.samples.as_slice()))
    }

    /// Seconds of audio handed over so far.
    pub fn decoded_seconds(&self) -> f64 {
        self.decoded as f64 / f64::from(SAMPLE_RATE)
    }

    /// After the last block: whether what was decoded is the whole, sound file. Returns
    /// the decoded duration.
    pub fn finish(self) -> Result<f64, MediaError> {
        let path = || self.path.clone();
        let (bad, good) = (self.bad_packets, self.good_packets);
        if self.decoded == 0 {
            return Err(if bad > 0 {
                MediaError::Corrupt {
                    path: path(),
                    reason: format!("{bad} packets could not be decoded"),
                }
            } else {
                MediaError::Empty { path: path() }
            });
        }
        if bad > good {
            return Err(MediaError::Corrupt {
                path: path(),
                reason: format!("{bad} of {} packets could not be decoded", bad + good),
            });
        }
        let duration = self.decoded_seconds();
        // Containers record their length up front; far less than that means the file was
        // cut off (an interrupted download, a copy still in progress). The audio is judged
        // against its own track's length when the container records it, else the file's
        // packets against the container's length, so audio that simply ends before the
        // video passes.
        let judged = match self.declared_audio {
            Some(declared) => Some((duration, declared)),
            None => self
                .container_duration
                .map(|expected| (duration.max(self.packets_end), expected)),
        };
        if let Some((reached, expected)) = judged {
            if reached + 1.0 < expected * 0.9 {
                return Err(MediaError::Truncated {
                    path: path(),
                    decoded: duration,
                    expected,
                });
            }
        }
        Ok(duration)
    }
}

/// Converts decoded frames of any sample format, layout and rate into one target format,
/// rebuilding the swresample context when the input format changes mid-stream. Shared by
/// transcription decoding (16 kHz mono) and the export's AAC encoding.
pub(crate) struct Resampler {
    target: (Sample, ChannelLayout, u32),
    current: Option<(resampling::Context, (Sample, ChannelLayout, u32))>,
}

impl Resampler {
    pub(crate) fn new(format: Sample, layout: ChannelLayout, rate: u32) -> Self {
        Self {
            target: (format, layout, rate),
            current: None,
        }
    }

    /// Resamples `decoded` and hands every converted frame to `emit` (including the tail of
    /// the previous input format when the format changed).
    pub(crate) fn convert(
        &mut self,
        decoded: &mut frame::Audio,
        emit: &mut dyn FnMut(&frame::Audio),
    ) -> Result<(), ffmpeg::Error> {
        // WAV frames may carry no layout on FFmpeg 5.1: derive it from the channel count.
        if decoded.channel_layout().is_empty() {
            decoded.set_channel_layout(ChannelLayout::default(i32::from(decoded.channels())));
        }
        let key = (decoded.format(), decoded.channel_layout(), decoded.rate());
        if self.current.as_ref().map(|(_, current)| *current) != Some(key) {
            self.flush(emit)?;
            let (format, layout, rate) = self.target;
            let context = resampling::Context::get(key.0, key.1, key.2, format, layout, rate)?;
            self.current = Some((context, key));
        }
        // `run` allocates its output only when it is empty: a fresh frame each time.
        let mut out = frame::Audio::empty();
        if let Some((context, _)) = self.current.as_mut() {
            context.run(decoded, &mut out)?;
        }
        emit(&out);
        Ok(())
    }

    /// Drains the samples swresample still holds.
    pub(crate) fn flush(
        &mut self,
        emit: &mut dyn FnMut(&frame::Audio),
    ) -> Result<(), ffmpeg::Error> {
        if let Some((mut context, _)) = self.current.take() {
            loop {
                // `flush` writes into a pre-allocated frame.
                let mut out = frame::Audio::new(self.target.0, 4096, self.target.1);
                let remaining = context.flush(&mut out)?;
                emit(&out);
                if remaining.is_none() || out.samples() == 0 {
                    break;
                }
            }
        }
        Ok(())
    }
}

struct Sink {
    resampler: Resampler,
    samples: Vec<f32>,
}

impl Sink {
    fn new() -> Self {
        Self {
            resampler: Resampler::new(
                Sample::F32(SampleType::Packed),
                ChannelLayout::MONO,
                SAMPLE_RATE,
            ),
            samples: Vec::with_capacity(BLOCK_SAMPLES * 2),
        }
    }

    fn drain(
        &mut self,
        decoder: &mut ffmpeg::decoder::Audio,
        path: &Path,
    ) -> Result<(), MediaError> {
        let mut decoded = frame::Audio::empty();
        while decoder.receive_frame(&mut decoded).is_ok() {
            let samples = &mut self.samples;
            let result = self
                .resampler
                .convert(&mut decoded, &mut |out| push_mono(samples, out));
            result.map_err(|error| corrupt(path, error))?;
        }
        Ok(())
    }

    fn flush(&mut self, path: &Path) -> Result<(), MediaError> {
        let samples = &mut self.samples;
        let result = self.resampler.flush(&mut |out| push_mono(samples, out));
        result.map_err(|error| corrupt(path, error))
    }
}

fn corrupt(path: &Path, error: ffmpeg::Error) -> MediaError {
    MediaError::Corrupt {
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

fn push_mono(samples: &mut Vec<f32>, out: &frame::Audio) {
    let count = out.samples();
    if count > 0 {
        samples.extend_from_slice(&out.plane::<f32>(0)[..count]);
    }
}
