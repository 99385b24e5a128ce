//! The player's copy of a job's audio: a small Opus rendition (48 kb/s mono, in Ogg) made once
//! per source file in the cache, which the editor's player streams (the app's loopback media
//! server): an hour is about 22 MB, where a 60-minute 48 kHz stereo WAV is 690 MB. The app
//! makes it in its engine process ([`crate::worker`]); [`cached_preview`] finds a hit without
//! FFmpeg.
//!
//! Decoding goes through the same typed errors as everything else (`media::open_audio`),
//! conversion through a libavfilter graph (`aformat`, with `abuffersink` cutting the encoder's
//! frame size), and the file is published whole by [`super::atomic::AtomicFile`]. Opus, not
//! AAC: WebKitGTK plays through GStreamer, whose base plugins decode Opus in Ogg; AAC needs
//! gst-libav, which a desktop need not have (the e2e's window refused an M4A, media error 4).
//! Entries live under `<cache>/previews/` and are trimmed by the cache cleanup like the rest.

use std::path::{Path, PathBuf};

use ffmpeg::util::channel_layout::ChannelLayout;
use ffmpeg::{codec, filter, frame, Rational};
use ffmpeg_next as ffmpeg;
use sha2::{Digest, Sha256};

use super::atomic::AtomicFile;
use super::audio::set_global_header;
use super::mix::{build_graph, close, graph_context, push};
use super::ExportError;
use crate::cache::CacheKind;
use crate::jobs::CancelToken;
use crate::media::{audio_decoder, open_audio, MediaError};

/// The rendition's bit rate: speech stays clear, an hour is about 22 MB.
pub const PREVIEW_BIT_RATE: usize = 48_000;
/// 48 kHz: the rate most voice-overs are recorded at, so most need no resampling.
const PREVIEW_RATE: u32 = 48_000;
/// Bumped when the rendition's settings change, so older ones are made again.
const PREVIEW_VERSION: u32 = 1;

/// Where the rendition of `source` lives under the cache root: keyed by the source's
/// absolute path, size and modification time (hashing an hour of WAV would take longer than
/// the rendition), so a re-recorded file gets a new one.
pub fn preview_path(cache_root: &Path, source: &Path) -> Result<PathBuf, MediaError> {
    let metadata = std::fs::metadata(source).map_err(|_| MediaError::NotFound {
        path: source.to_path_buf(),
    })?;
    let absolute = std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf());
    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_nanos());
    let mut hasher = Sha256::new();
    hasher.update(PREVIEW_VERSION.to_le_bytes());
    hasher.update(absolute.as_os_str().as_encoded_bytes());
    hasher.update(metadata.len().to_le_bytes());
    hasher.update(modified.to_le_bytes());
    let key = hex::encode(hasher.finalize());
    Ok(CacheKind::Previews
        .dir(cache_root)
        .join(&key[..2])
        .join(format!("{key}.ogg")))
}

/// The rendition of `source` when the cache has it (its modification time refreshed, as a
/// hit should), without opening the source with FFmpeg: what a caller that makes misses in
/// another process checks first.
pub fn cached_preview(cache_root: &Path, source: &Path) -> Result<Option<PathBuf>, MediaError> {
    let target = preview_path(cache_root, source)?;
    if !target.is_file() {
        return Ok(None);
    }
    if let Ok(file) = std::fs::File::options().append(true).open(&target) {
        let _ = file.set_modified(std::time::SystemTime::now());
    }
    Ok(Some(target))
}

/// The rendition of `source`, made now when the cache has none. A hit refreshes the file's
/// modification time, which the cache cleanup's "least recently used" goes by.
pub fn ensure_preview(
    cache_root: &Path,
    source: &Path,
    cancel: &CancelToken,
) -> Result<PathBuf, ExportError> {
    if let Some(hit) = cached_preview(cache_root, source)? {
        return Ok(hit);
    }
    let target = preview_path(cache_root, source)?;
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|error| ExportError::io(parent, &error))?;
    }
    // Two callers making the same rendition race harmlessly: the second commit replaces the
    // first with the same bytes.
    let file = AtomicFile::create(&target, true)?;
    encode(source, file.path(), cancel)?;
    file.commit()
}

fn encode(source: &Path, out_path: &Path, cancel: &CancelToken) -> Result<(), ExportError> {
    let (mut input, stream_index) = open_audio(source)?;
    let parameters = input
        .stream(stream_index)
        .map(|stream| stream.parameters())
        .ok_or_else(|| MediaError::NoAudio {
            path: source.to_path_buf(),
        })?;
    let mut decoder = audio_decoder(source, parameters)?;

    let output = ffmpeg::format::output_as(&out_path, "ogg").map_err(write_error(out_path))?;
    let global_header = output
        .format()
        .flags()
        .contains(ffmpeg::format::flag::Flags::GLOBAL_HEADER);
    let encoder = open_opus_encoder(global_header)?;
    let mut writer = Writer {
        path: out_path,
        output,
        encoder,
        next_pts: 0,
        stream_base: Rational::new(1, PREVIEW_RATE as i32),
    };
    writer.start()?;

    let mut graph = None;
    let mut decoded = frame::Audio::empty();
    let mut decoded_samples = 0i64;
    let mut bad_packets = 0usize;
    let mut good_packets = 0usize;
    let mut packets = input.packets();
    loop {
        if cancel.is_cancelled() {
            return Err(ExportError::Cancelled);
        }
        let finished = match packets.next() {
            Some((stream, packet)) => {
                if stream.index() != stream_index {
                    continue;
                }
                // A damaged packet is skipped, as decoding for transcription does.
                if decoder.send_packet(&packet).is_err() {
                    bad_packets += 1;
                    continue;
                }
                good_packets += 1;
                false
            }
            None => {
                let _ = decoder.send_eof();
                true
            }
        };
        while decoder.receive_frame(&mut decoded).is_ok() {
            let graph = match &mut graph {
                Some(graph) => graph,
                None => graph.insert(open_graph(&decoded, writer.frame_size())?),
            };
            // Stamped in samples, the source's time base in the graph.
            decoded.set_pts(Some(decoded_samples));
            decoded_samples += decoded.samples() as i64;
            feed(graph, Some(&decoded))?;
            writer.pull(graph)?;
        }
        if finished {
            break;
        }
    }
    let Some(mut graph) = graph.filter(|_| bad_packets <= good_packets) else {
        return Err(MediaError::Corrupt {
            path: source.to_path_buf(),
            reason: format!(
                "{bad_packets} of {} packets could not be decoded",
                bad_packets + good_packets
            ),
        }
        .into());
    };
    feed(&mut graph, None)?;
    writer.pull(&mut graph)?;
    writer.finish()
}

/// `aformat` to the rendition's format, frames cut to the encoder's size by the sink.
fn open_graph(first: &frame::Audio, frame_size: u32) -> Result<filter::Graph, ExportError> {
    // WAV and other simple decoders leave the layout unset: the default for the count.
    let layout = match first.channel_layout() {
        layout if layout.bits() != 0 => layout,
        _ => ChannelLayout::default(i32::from(first.channels())),
    };
    let args = format!(
        "time_base=1/{rate}:sample_rate={rate}:sample_fmt={}:channel_layout=0x{:x}",
        first.format().name(),
        layout.bits(),
        rate = first.rate()
    );
    let spec = format!(
        "[in]aformat=sample_fmts=fltp:sample_rates={PREVIEW_RATE}:channel_layouts=mono[out]"
    );
    build_graph(&[("in", args)], &spec, Some(frame_size)).map_err(graph_error)
}

/// Adds `frame` to the graph's source, or with `None` closes it (the export mix's helpers).
fn feed(graph: &mut filter::Graph, frame: Option<&frame::Audio>) -> Result<(), ExportError> {
    let mut source = graph_context(graph, "in")?;
    match frame {
        Some(frame) => push(&mut source, frame).map(drop),
        None => close(&mut source),
    }
}

fn graph_error(error: ffmpeg::Error) -> ExportError {
    ExportError::Encoder {
        reason: format!("the preview's audio filter graph failed: {error}"),
    }
}

fn write_error(path: &Path) -> impl Fn(ffmpeg::Error) -> ExportError + '_ {
    move |error| ExportError::Encoder {
        reason: format!("cannot write the preview {}: {error}", path.display()),
    }
}

fn encode_error(error: ffmpeg::Error) -> ExportError {
    ExportError::Encoder {
        reason: format!("Opus encoding of the preview failed: {error}"),
    }
}

/// libopus (FFmpeg's own Opus encoder is experimental), mono float at 48 kHz.
fn open_opus_encoder(global_header: bool) -> Result<ffmpeg::encoder::Audio, ExportError> {
    let codec = ffmpeg::encoder::find_by_name("libopus").ok_or_else(|| ExportError::Encoder {
        reason: "this FFmpeg has no libopus encoder".into(),
    })?;
    let mut encoder = codec::context::Context::new_with_codec(codec)
        .encoder()
        .audio()
        .map_err(encode_error)?;
    encoder.set_rate(PREVIEW_RATE as i32);
    encoder.set_channel_layout(ChannelLayout::MONO);
    encoder.set_channels(1);
    encoder.set_format(ffmpeg::format::Sample::F32(
        ffmpeg::format::sample::Type::Packed,
    ));
    encoder.set_bit_rate(PREVIEW_BIT_RATE);
    encoder.set_time_base(Rational::new(1, PREVIEW_RATE as i32));
    if global_header {
        set_global_header(&mut encoder);
    }
    encoder.open().map_err(encode_error)
}

/// The Opus encoder and the Ogg file it writes to.
struct Writer<'p> {
    path: &'p Path,
    output: ffmpeg::format::context::Output,
    encoder: ffmpeg::encoder::Audio,
    /// The next frame's timestamp, in samples from the start.
    next_pts: i64,
    stream_base: Rational,
}

impl Writer<'_> {
    fn frame_size(&self) -> u32 {
        self.encoder.frame_size().max(1)
    }

    fn start(&mut self) -> Result<(), ExportError> {
        let mut stream = self
            .output
            .add_stream(ffmpeg::encoder::find(codec::Id::AAC))
            .map_err(write_error(self.path))?;
        stream.set_parameters(&self.encoder);
        stream.set_time_base(Rational::new(1, PREVIEW_RATE as i32));
        self.output.write_header().map_err(write_error(self.path))?;
        if let Some(stream) = self.output.stream(0) {
            self.stream_base = stream.time_base();
        }
        Ok(())
    }

    /// Encodes every frame the graph has ready and writes the packets that come out.
    fn pull(&mut self, graph: &mut filter::Graph) -> Result<(), ExportError> {
        let mut out = graph
            .get("out")
            .ok_or_else(|| graph_error(ffmpeg::Error::FilterNotFound))?;
        let mut converted = frame::Audio::empty();
        while out.sink().frame(&mut converted).is_ok() {
            converted.set_pts(Some(self.next_pts));
            self.next_pts += converted.samples() as i64;
            self.encoder.send_frame(&converted).map_err(encode_error)?;
            self.write_packets()?;
        }
        Ok(())
    }

    fn write_packets(&mut self) -> Result<(), ExportError> {
        let mut packet = ffmpeg::Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(0);
            packet.rescale_ts(Rational::new(1, PREVIEW_RATE as i32), self.stream_base);
            packet
                .write_interleaved(&mut self.output)
                .map_err(write_error(self.path))?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), ExportError> {
        self.encoder.send_eof().map_err(encode_error)?;
        self.write_packets()?;
        self.output.write_trailer().map_err(write_error(self.path))
    }
}
