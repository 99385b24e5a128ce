//! The MP4's audio track: the source's own AAC packets, or the source decoded and encoded to
//! AAC. Runs on its own thread and hands packets to the muxer through a channel, so encoding
//! audio overlaps with encoding video.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;

use ffmpeg::format::sample::{Sample, Type as SampleType};
use ffmpeg::util::channel_layout::ChannelLayout;
use ffmpeg::util::frame;
use ffmpeg::{codec, Rational};
use ffmpeg_next as ffmpeg;

use super::{AudioMode, ExportError};
use crate::media::{MediaError, Resampler};

/// Sample rates the AAC encoder accepts; anything else is resampled to 48 kHz.
const AAC_RATES: &[u32] = &[
    96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000,
];

/// AAC-LC bit rate per channel: transparent for speech, modest for music.
const BIT_RATE_PER_CHANNEL: usize = 80_000;

pub(super) enum AudioMessage {
    /// A packet with timestamps in [`AudioSource::packet_time_base`].
    Packet(ffmpeg::Packet),
    /// All packets sent; the audio lasts `end` seconds.
    Done { end: f64 },
}

pub(super) struct AudioSource {
    path: PathBuf,
    input: ffmpeg::format::context::Input,
    stream_index: usize,
    source_time_base: Rational,
    /// Seconds, from the container (for progress; the real end is measured while muxing).
    pub duration_hint: f64,
    kind: Kind,
}

enum Kind {
    Copy {
        parameters: codec::Parameters,
        /// Subtracted from every timestamp so the first sample plays at 0, as it does in the
        /// transcript the slide times come from.
        offset: i64,
    },
    Encode {
        decoder: ffmpeg::decoder::Audio,
        encoder: ffmpeg::encoder::Audio,
        from_codec: String,
        bit_rate: usize,
    },
}

impl AudioSource {
    /// Opens the default audio stream of `path` and prepares the copy or the encoder.
    /// `global_header`: the container wants codec headers out of band (MP4 does).
    pub fn open(path: &Path, global_header: bool) -> Result<AudioSource, ExportError> {
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
        let kind = if codec_id == codec::Id::AAC {
            let start = stream.start_time();
            Kind::Copy {
                parameters,
                offset: if start != ffmpeg::ffi::AV_NOPTS_VALUE && start > 0 {
                    start
                } else {
                    0
                },
            }
        } else {
            let from_codec = format!("{codec_id:?}").to_lowercase();
            let decoder = crate::media::audio_decoder(path, parameters)?;
            let (encoder, bit_rate) = open_aac_encoder(&decoder, global_header)?;
            Kind::Encode {
                decoder,
                encoder,
                from_codec,
                bit_rate,
            }
        };
        Ok(AudioSource {
            path: path.to_path_buf(),
            input,
            stream_index,
            source_time_base,
            duration_hint,
            kind,
        })
    }

    pub fn mode(&self) -> AudioMode {
        match &self.kind {
            Kind::Copy { .. } => AudioMode::Copied,
            Kind::Encode {
                from_codec,
                bit_rate,
                ..
            } => AudioMode::Encoded {
                from_codec: from_codec.clone(),
                bit_rate: *bit_rate,
            },
        }
    }

    /// The time base of the packets this source sends.
    pub fn packet_time_base(&self) -> Rational {
        match &self.kind {
            Kind::Copy { .. } => self.source_time_base,
            Kind::Encode { encoder, .. } => encoder.time_base(),
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
            Kind::Encode { encoder, .. } => stream.set_parameters(encoder),
        }
        stream.set_time_base(self.packet_time_base());
        Ok(stream.index())
    }

    /// Sends every packet, then `Done`. Returns early with `Cancelled` when `cancel` is set,
    /// and quietly when the receiver hung up (the export failed elsewhere).
    pub fn run(
        mut self,
        sink: SyncSender<AudioMessage>,
        cancel: &AtomicBool,
        done_millis: &AtomicU64,
    ) -> Result<(), ExportError> {
        match &mut self.kind {
            Kind::Copy { offset, .. } => {
                let offset = *offset;
                let seconds = f64::from(self.source_time_base);
                let mut end = 0i64;
                for (stream, mut packet) in self.input.packets() {
                    if stream.index() != self.stream_index {
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
                        return Ok(());
                    }
                }
                let _ = sink.send(AudioMessage::Done {
                    end: end as f64 * seconds,
                });
                Ok(())
            }
            Kind::Encode {
                decoder, encoder, ..
            } => {
                let mut pipeline = EncodePipeline::new(&self.path, encoder);
                let mut bad_packets = 0usize;
                let mut good_packets = 0usize;
                for (stream, packet) in self.input.packets() {
                    if stream.index() != self.stream_index {
                        continue;
                    }
                    if cancel.load(Ordering::Relaxed) {
                        return Err(ExportError::Cancelled);
                    }
                    // A damaged packet is skipped, as players (and the transcription) do.
                    if decoder.send_packet(&packet).is_err() {
                        bad_packets += 1;
                        continue;
                    }
                    good_packets += 1;
                    if !pipeline.drain_decoder(decoder, encoder, &sink)? {
                        return Ok(());
                    }
                    done_millis.store(pipeline.millis(), Ordering::Relaxed);
                }
                if bad_packets > good_packets {
                    return Err(MediaError::Corrupt {
                        path: self.path.clone(),
                        reason: format!(
                            "{bad_packets} of {} packets could not be decoded",
                            bad_packets + good_packets
                        ),
                    }
                    .into());
                }
                let _ = decoder.send_eof();
                if !pipeline.drain_decoder(decoder, encoder, &sink)?
                    || !pipeline.finish(encoder, &sink)?
                {
                    return Ok(());
                }
                done_millis.store(pipeline.millis(), Ordering::Relaxed);
                let _ = sink.send(AudioMessage::Done {
                    end: pipeline.samples_sent as f64 / f64::from(encoder.rate()),
                });
                Ok(())
            }
        }
    }
}

fn open_aac_encoder(
    decoder: &ffmpeg::decoder::Audio,
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
    let rate = if AAC_RATES.contains(&decoder.rate()) {
        decoder.rate()
    } else {
        48_000
    };
    // Speech is kept mono when it is mono; anything wider is folded to stereo.
    let (layout, channels) = if decoder.channels() <= 1 {
        (ChannelLayout::MONO, 1)
    } else {
        (ChannelLayout::STEREO, 2)
    };
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

/// Decoded frames → resampler → fixed-size AAC frames → encoder → channel.
struct EncodePipeline<'p> {
    path: &'p Path,
    resampler: Resampler,
    /// Resampled samples waiting for a full encoder frame, one buffer per channel.
    pending: Vec<Vec<f32>>,
    frame_size: usize,
    samples_sent: u64,
    rate: u32,
    layout: ChannelLayout,
}

impl<'p> EncodePipeline<'p> {
    fn new(path: &'p Path, encoder: &ffmpeg::encoder::Audio) -> Self {
        let frame_size = encoder.frame_size().max(1) as usize;
        Self {
            path,
            resampler: Resampler::new(
                Sample::F32(SampleType::Planar),
                encoder.channel_layout(),
                encoder.rate(),
            ),
            pending: vec![Vec::with_capacity(frame_size * 4); usize::from(encoder.channels())],
            frame_size,
            samples_sent: 0,
            rate: encoder.rate(),
            layout: encoder.channel_layout(),
        }
    }

    fn millis(&self) -> u64 {
        self.samples_sent * 1000 / u64::from(self.rate.max(1))
    }

    fn corrupt(&self, error: ffmpeg::Error) -> ExportError {
        MediaError::Corrupt {
            path: self.path.to_path_buf(),
            reason: error.to_string(),
        }
        .into()
    }

    /// Returns false when the receiver is gone.
    fn drain_decoder(
        &mut self,
        decoder: &mut ffmpeg::decoder::Audio,
        encoder: &mut ffmpeg::encoder::Audio,
        sink: &SyncSender<AudioMessage>,
    ) -> Result<bool, ExportError> {
        let mut decoded = frame::Audio::empty();
        while decoder.receive_frame(&mut decoded).is_ok() {
            let pending = &mut self.pending;
            let result = self
                .resampler
                .convert(&mut decoded, &mut |out| push_planar(pending, out));
            result.map_err(|error| self.corrupt(error))?;
            if !self.encode_full_frames(encoder, sink)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn flush_resampler(&mut self) {
        // The encoder still gets everything resampled so far if the tail cannot be drained.
        let pending = &mut self.pending;
        let _ = self.resampler.flush(&mut |out| push_planar(pending, out));
    }

    fn encode_full_frames(
        &mut self,
        encoder: &mut ffmpeg::encoder::Audio,
        sink: &SyncSender<AudioMessage>,
    ) -> Result<bool, ExportError> {
        while self.pending[0].len() >= self.frame_size {
            if !self.encode_frame(self.frame_size, encoder, sink)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn encode_frame(
        &mut self,
        count: usize,
        encoder: &mut ffmpeg::encoder::Audio,
        sink: &SyncSender<AudioMessage>,
    ) -> Result<bool, ExportError> {
        let mut frame = frame::Audio::new(Sample::F32(SampleType::Planar), count, self.layout);
        frame.set_rate(self.rate);
        for (channel, pending) in self.pending.iter_mut().enumerate() {
            frame.plane_mut::<f32>(channel)[..count].copy_from_slice(&pending[..count]);
            pending.drain(..count);
        }
        frame.set_pts(Some(self.samples_sent as i64));
        self.samples_sent += count as u64;
        encoder.send_frame(&frame).map_err(encoder_failure)?;
        drain_encoder(encoder, sink)
    }

    /// Flushes everything still buffered; returns false when the receiver is gone.
    fn finish(
        &mut self,
        encoder: &mut ffmpeg::encoder::Audio,
        sink: &SyncSender<AudioMessage>,
    ) -> Result<bool, ExportError> {
        self.flush_resampler();
        if !self.encode_full_frames(encoder, sink)? {
            return Ok(false);
        }
        let rest = self.pending[0].len();
        if rest > 0 && !self.encode_frame(rest, encoder, sink)? {
            return Ok(false);
        }
        encoder.send_eof().map_err(encoder_failure)?;
        drain_encoder(encoder, sink)
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

fn push_planar(pending: &mut [Vec<f32>], out: &frame::Audio) {
    let count = out.samples();
    if count == 0 {
        return;
    }
    for (channel, buffer) in pending.iter_mut().enumerate() {
        buffer.extend_from_slice(&out.plane::<f32>(channel)[..count]);
    }
}
