//! The MP4's audio track: the source's own AAC packets, or a soundtrack made by [`super::mix`]
//! (the voice, maybe a music bed, maybe normalised) and encoded to AAC. Runs on its own thread
//! and hands packets to the muxer through a channel, so the audio overlaps with the video.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};

use ffmpeg::format::sample::{Sample, Type as SampleType};
use ffmpeg::util::channel_layout::ChannelLayout;
use ffmpeg::util::frame;
use ffmpeg::{codec, Rational};
use ffmpeg_next as ffmpeg;

use super::mix::{self, FrameSink, LoudnessOutcome, MixPlan, MusicLoop, Soundtrack};
use super::{AudioMode, ExportError};
use crate::media::MediaError;

/// Sample rates the AAC encoder accepts; anything else is resampled to 48 kHz.
const AAC_RATES: &[u32] = &[
    96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000,
];

/// The rate of a mix with music when the voice's own is lower: the music keeps its treble.
const MUSIC_RATE: u32 = 48_000;

/// AAC-LC bit rate per channel: transparent for speech, modest for music.
const BIT_RATE_PER_CHANNEL: usize = 80_000;

pub(super) enum AudioMessage {
    /// A packet with timestamps in [`AudioSource::packet_time_base`].
    Packet(ffmpeg::Packet),
    /// All packets sent; the audio lasts `end` seconds.
    Done { end: f64 },
}

/// What the audio thread reports besides its packets.
#[derive(Debug, Default)]
pub(super) struct AudioReport {
    pub loudness: Option<LoudnessOutcome>,
}

pub(super) struct AudioSource {
    /// The voice's seconds, from the container, without padding (for progress and planning;
    /// the real end is measured while muxing).
    pub duration_hint: f64,
    kind: Kind,
}

enum Kind {
    Copy {
        input: ffmpeg::format::context::Input,
        stream_index: usize,
        source_time_base: Rational,
        parameters: codec::Parameters,
        /// Subtracted from every timestamp so the first sample plays at 0, as it does in the
        /// transcript the slide times come from.
        offset: i64,
    },
    Encode(Box<Encode>),
}

struct Encode {
    plan: MixPlan,
    encoder: ffmpeg::encoder::Audio,
    from_codec: String,
    bit_rate: usize,
}

impl AudioSource {
    /// Opens the default audio stream of `path` and prepares the copy or the encoder.
    /// `global_header`: the container wants codec headers out of band (MP4 does). A music
    /// bed is opened too, so a file that is not audio fails here, before anything is
    /// written. `out` is the file being written (its folder holds the mix's scratch file);
    /// `fallback_duration` stands in when the container states no duration. `pad` is
    /// silence before and after the voice in seconds (a look's intro and outro cards); any
    /// padding re-encodes the audio.
    pub fn open(
        path: &Path,
        global_header: bool,
        sound: &Soundtrack,
        out: &Path,
        fallback_duration: f64,
        pad: (f64, f64),
    ) -> Result<AudioSource, ExportError> {
        let padded = pad.0 > 0.0 || pad.1 > 0.0;
        let (input, stream_index) = crate::media::open_audio(path)?;
        let stream = input
            .stream(stream_index)
            .ok_or_else(|| MediaError::NoAudio {
                path: path.to_path_buf(),
            })?;
        let source_time_base = stream.time_base();
        let parameters = stream.parameters();
        let codec_id = parameters.id();
        let duration_hint = if stream.duration() > 0 {
            stream.duration() as f64 * f64::from(source_time_base)
        } else {
            (input.duration().max(0) as f64) / f64::from(ffmpeg::ffi::AV_TIME_BASE)
        };
        let start = stream.start_time();
        if codec_id == codec::Id::AAC && !sound.forces_encoding() && !padded {
            return Ok(AudioSource {
                duration_hint,
                kind: Kind::Copy {
                    input,
                    stream_index,
                    source_time_base,
                    parameters,
                    offset: if start != ffmpeg::ffi::AV_NOPTS_VALUE && start > 0 {
                        start
                    } else {
                        0
                    },
                },
            });
        }
        let decoder = crate::media::audio_decoder(path, parameters)?;
        let (voice_rate, voice_channels) = (decoder.rate(), decoder.channels());
        drop(decoder);
        drop(input);
        let music = match &sound.music {
            Some(bed) => {
                let (channels, seconds) =
                    mix::stream_format(&bed.path).map_err(ExportError::Music)?;
                Some((bed.clone(), channels, seconds))
            }
            None => None,
        };
        let (rate, layout) = match &music {
            None => (
                if AAC_RATES.contains(&voice_rate) {
                    voice_rate
                } else {
                    MUSIC_RATE
                },
                // Speech is kept mono when it is mono; anything wider is folded to stereo.
                if voice_channels <= 1 {
                    ChannelLayout::MONO
                } else {
                    ChannelLayout::STEREO
                },
            ),
            Some((_, music_channels, _)) => (
                if voice_rate >= 44_100 && AAC_RATES.contains(&voice_rate) {
                    voice_rate
                } else {
                    MUSIC_RATE
                },
                if voice_channels <= 1 && *music_channels <= 1 {
                    ChannelLayout::MONO
                } else {
                    ChannelLayout::STEREO
                },
            ),
        };
        let (encoder, bit_rate) = open_aac_encoder(rate, layout, global_header)?;
        let planned = if duration_hint > 0.0 {
            duration_hint
        } else {
            fallback_duration
        };
        let music_loop = match &music {
            Some((_, _, seconds)) => MusicLoop::choose(
                *seconds,
                planned,
                rate,
                if layout == ChannelLayout::MONO { 1 } else { 2 },
            ),
            None => MusicLoop::Reread,
        };
        let scratch_dir = out
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(AudioSource {
            duration_hint,
            kind: Kind::Encode(Box::new(Encode {
                plan: MixPlan {
                    voice: path.to_path_buf(),
                    music: music.map(|(bed, _, _)| bed),
                    music_loop,
                    target: sound.loudness.target(true),
                    rate,
                    layout,
                    voice_samples: (planned.max(0.0) * f64::from(rate)).round() as u64,
                    scratch_dir,
                    target_path: out.to_path_buf(),
                    pad: (
                        (pad.0.max(0.0) * f64::from(rate)).round() as u64,
                        (pad.1.max(0.0) * f64::from(rate)).round() as u64,
                    ),
                },
                encoder,
                from_codec: format!("{codec_id:?}").to_lowercase(),
                bit_rate,
            })),
        })
    }

    pub fn mode(&self) -> AudioMode {
        match &self.kind {
            Kind::Copy { .. } => AudioMode::Copied,
            Kind::Encode(encode) => AudioMode::Encoded {
                from_codec: encode.from_codec.clone(),
                bit_rate: encode.bit_rate,
            },
        }
    }

    /// The music mixed in, when there is one.
    pub fn music(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Encode(encode) => encode.plan.music.as_ref().map(|bed| bed.path.as_path()),
            Kind::Copy { .. } => None,
        }
    }

    /// The time base of the packets this source sends.
    pub fn packet_time_base(&self) -> Rational {
        match &self.kind {
            Kind::Copy {
                source_time_base, ..
            } => *source_time_base,
            Kind::Encode(encode) => encode.encoder.time_base(),
        }
    }

    /// Adds the audio stream to `output` (before its header is written).
    pub fn add_stream(
        &self,
        output: &mut ffmpeg::format::context::Output,
    ) -> Result<usize, ExportError> {
        let encoder_error = |error: ffmpeg::Error| ExportError::Encoder {
            reason: format!("cannot add the audio track: {error}"),
        };
        let mut stream = output
            .add_stream(ffmpeg::encoder::find(codec::Id::None))
            .map_err(encoder_error)?;
        match &self.kind {
            Kind::Copy { parameters, .. } => {
                stream.set_parameters(parameters.clone());
                // SAFETY: the stream was just created by this output and owns valid codecpar;
                // clearing the tag lets the MP4 muxer pick its own ('mp4a') instead of
                // rejecting the source container's.
                unsafe {
                    (*(*stream.as_mut_ptr()).codecpar).codec_tag = 0;
                }
            }
            Kind::Encode(encode) => stream.set_parameters(&encode.encoder),
        }
        stream.set_time_base(self.packet_time_base());
        Ok(stream.index())
    }

    /// Sends every packet, then `Done`. Returns early with `Cancelled` when `cancel` is set,
    /// and quietly when the receiver hung up (the export failed elsewhere).
    pub fn run(
        self,
        sink: SyncSender<AudioMessage>,
        cancel: &AtomicBool,
        done_millis: &AtomicU64,
    ) -> Result<AudioReport, ExportError> {
        let duration_hint = self.duration_hint;
        match self.kind {
            Kind::Copy {
                mut input,
                stream_index,
                source_time_base,
                offset,
                ..
            } => {
                let seconds = f64::from(source_time_base);
                let mut end = 0i64;
                for (stream, mut packet) in input.packets() {
                    if stream.index() != stream_index {
                        continue;
                    }
                    if cancel.load(Ordering::Relaxed) {
                        return Err(ExportError::Cancelled);
                    }
                    packet.set_pts(packet.pts().map(|pts| pts - offset));
                    packet.set_dts(packet.dts().map(|dts| dts - offset));
                    packet.set_position(-1);
                    if let Some(pts) = packet.pts() {
                        end = end.max(pts + packet.duration());
                        done_millis.store(
                            (end.max(0) as f64 * seconds * 1000.0) as u64,
                            Ordering::Relaxed,
                        );
                    }
                    if sink.send(AudioMessage::Packet(packet)).is_err() {
                        return Ok(AudioReport::default());
                    }
                }
                let _ = sink.send(AudioMessage::Done {
                    end: end as f64 * seconds,
                });
                Ok(AudioReport::default())
            }
            Kind::Encode(encode) => {
                let Encode {
                    plan, mut encoder, ..
                } = *encode;
                let progress = |fraction: f64| {
                    done_millis.store(
                        (fraction * duration_hint.max(0.0) * 1000.0) as u64,
                        Ordering::Relaxed,
                    );
                };
                let frame_size = encoder.frame_size();
                // The AAC encoder runs on a thread of its own, fed by the mix: limiting and
                // encoding overlap (each about half of a re-encoded export's audio time).
                let (encoded, loudness) = std::thread::scope(|scope| {
                    let (frames, mixed) = sync_channel::<frame::Audio>(ENCODER_QUEUE);
                    let sink = &sink;
                    let encoding = scope.spawn(move || {
                        let mut aac = AacSink {
                            encoder: &mut encoder,
                            sink,
                            samples_sent: 0,
                        };
                        for mut frame in mixed {
                            if !aac.push(&mut frame)? {
                                return Ok(None);
                            }
                        }
                        Ok(aac.finish()?.then_some(aac.samples_sent))
                    });
                    let mut forward = Forward { frames, frame_size };
                    let loudness = mix::run(&plan, &mut forward, cancel, &progress);
                    drop(forward);
                    let encoded = encoding.join().unwrap_or_else(|_| {
                        Err(ExportError::Encoder {
                            reason: "the AAC encoder thread crashed".into(),
                        })
                    });
                    (encoded, loudness)
                });
                // The mix's error first (a cancel, a bad file): the encoder only saw its
                // frames stop.
                let loudness = loudness?;
                let Some(samples) = encoded? else {
                    return Ok(AudioReport { loudness });
                };
                let end = samples as f64 / f64::from(plan.rate.max(1));
                done_millis.store((end * 1000.0) as u64, Ordering::Relaxed);
                let _ = sink.send(AudioMessage::Done { end });
                Ok(AudioReport { loudness })
            }
        }
    }
}

/// Mixed frames waiting for the encoder.
const ENCODER_QUEUE: usize = 32;

/// Hands the mix's frames to the encoder thread; false once that thread has stopped.
struct Forward {
    frames: SyncSender<frame::Audio>,
    frame_size: u32,
}

impl FrameSink for Forward {
    fn frame_size(&self) -> u32 {
        self.frame_size
    }

    fn push(&mut self, frame: &mut frame::Audio) -> Result<bool, ExportError> {
        let frame = std::mem::replace(frame, frame::Audio::empty());
        Ok(self.frames.send(frame).is_ok())
    }
}

/// Mixed frames → the AAC encoder → packets to the muxer.
struct AacSink<'s> {
    encoder: &'s mut ffmpeg::encoder::Audio,
    sink: &'s SyncSender<AudioMessage>,
    samples_sent: u64,
}

impl AacSink<'_> {
    /// Encodes `frame`; false when the muxer hung up (the export failed elsewhere).
    fn push(&mut self, frame: &mut frame::Audio) -> Result<bool, ExportError> {
        if frame.samples() == 0 {
            return Ok(true);
        }
        frame.set_pts(Some(self.samples_sent as i64));
        self.samples_sent += frame.samples() as u64;
        self.encoder.send_frame(frame).map_err(encoder_failure)?;
        drain_encoder(self.encoder, self.sink)
    }

    /// Flushes the encoder; false when the receiver is gone.
    fn finish(&mut self) -> Result<bool, ExportError> {
        self.encoder.send_eof().map_err(encoder_failure)?;
        drain_encoder(self.encoder, self.sink)
    }
}

fn open_aac_encoder(
    rate: u32,
    layout: ChannelLayout,
    global_header: bool,
) -> Result<(ffmpeg::encoder::Audio, usize), ExportError> {
    let codec = ffmpeg::encoder::find(codec::Id::AAC).ok_or_else(|| ExportError::Encoder {
        reason: "this FFmpeg has no AAC encoder".into(),
    })?;
    let encoder_error = |error: ffmpeg::Error| ExportError::Encoder {
        reason: format!("cannot open the AAC encoder: {error}"),
    };
    let mut encoder = codec::context::Context::new_with_codec(codec)
        .encoder()
        .audio()
        .map_err(encoder_error)?;
    let channels: i32 = if layout == ChannelLayout::MONO { 1 } else { 2 };
    encoder.set_rate(rate as i32);
    encoder.set_channel_layout(layout);
    encoder.set_channels(channels);
    encoder.set_format(Sample::F32(SampleType::Planar));
    let bit_rate = BIT_RATE_PER_CHANNEL * channels as usize;
    encoder.set_bit_rate(bit_rate);
    encoder.set_time_base(Rational::new(1, rate as i32));
    if global_header {
        set_global_header(&mut encoder);
    }
    let mut options = ffmpeg::Dictionary::new();
    // The "fast" coder encoded 10 minutes of 48 kHz stereo in 8.5 s against 27 s for the
    // default two-loop search, and followed the waveform more closely (47 dB SNR against
    // 29 dB, docs/BENCHMARKS.md); two-loop's extra time would triple a WAV export's.
    options.set("aac_coder", "fast");
    let encoder = encoder.open_with(options).map_err(encoder_error)?;
    Ok((encoder, bit_rate))
}

/// ORs `AV_CODEC_FLAG_GLOBAL_HEADER` into the encoder's flags. ffmpeg-next's `set_flags`
/// replaces all flags, which drops defaults such as x264's closed GOP (docs in media.md).
pub(super) fn set_global_header(context: &mut codec::context::Context) {
    // SAFETY: `context` owns a valid, not yet opened AVCodecContext; only the flags field is
    // modified.
    unsafe {
        (*context.as_mut_ptr()).flags |= ffmpeg::ffi::AV_CODEC_FLAG_GLOBAL_HEADER as i32;
    }
}

fn encoder_failure(error: ffmpeg::Error) -> ExportError {
    ExportError::Encoder {
        reason: format!("AAC encoding failed: {error}"),
    }
}

fn drain_encoder(
    encoder: &mut ffmpeg::encoder::Audio,
    sink: &SyncSender<AudioMessage>,
) -> Result<bool, ExportError> {
    loop {
        let mut packet = ffmpeg::Packet::empty();
        match encoder.receive_packet(&mut packet) {
            Ok(()) => {
                if sink.send(AudioMessage::Packet(packet)).is_err() {
                    return Ok(false);
                }
            }
            Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::ffi::EAGAIN => return Ok(true),
            Err(ffmpeg::Error::Eof) => return Ok(true),
            Err(error) => return Err(encoder_failure(error)),
        }
    }
}
