//! The re-encoded soundtrack, built from libavfilter graphs (through ffmpeg-next): the voice,
//! a music bed under it, and EBU R128 loudness normalisation. No sample is touched here; every
//! gain, fade, duck, mix, limit and measurement is an FFmpeg filter.
//!
//! - The **premix** takes the decoded voice and, when there is one, the music (in a graph of
//!   its own, on its own thread): the music is looped (`aloop` holds a short track decoded
//!   and resampled once; a long one is read again from the start), cut (`atrim`) to the
//!   voice's length, faded in over 1 s and out over the last 2 s (`afade`), set to its volume
//!   (`volume`) and ducked by a compressor keyed on the voice (`sidechaincompress`), then
//!   summed with the voice (`amix`).
//! - With a loudness target, the premix is measured (`ebur128`) while it is written to an
//!   unnamed scratch file beside the output (f32, freed when the export ends), so the
//!   voice and the music are decoded and mixed once. A linear gain to the target would push
//!   speech past the true-peak ceiling, and the peak limiter that stops it takes loudness
//!   away, so the gain is found by measuring the limited mix (`volume`, `alimiter`,
//!   `ebur128`) and correcting it (secant steps) until it lands within 0.1 LU.
//! - The final graph applies that gain and limits true peaks on 4x oversampled audio
//!   (`aresample`, `alimiter`, `aresample`), and hands AAC-sized frames to the encoder (which
//!   runs on a thread of its own, `audio.rs`).
//! - Without a target the premix goes straight to the encoder.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use ffmpeg::filter;
use ffmpeg::format::sample::{Sample, Type as SampleType};
use ffmpeg::util::channel_layout::ChannelLayout;
use ffmpeg::util::frame;
use ffmpeg_next as ffmpeg;

use super::ExportError;
use crate::job::Loudness;
use crate::media::{MediaError, Resampler};

/// The highest true peak a normalised soundtrack has, in dBTP.
pub const TRUE_PEAK_CEILING_DBTP: f64 = -1.0;
/// Where the limiter holds true peaks: half a dB under the ceiling, room for the small
/// overshoot AAC's quantisation adds.
const LIMITER_CEILING_DB: f64 = -1.5;
/// Oversampling of the final limiter, as BS.1770's true-peak meter does.
const TRUE_PEAK_OVERSAMPLING: u32 = 4;

/// Seconds of the music's fade-in at the start and fade-out before the voice ends.
pub const MUSIC_FADE_IN: f64 = 1.0;
pub const MUSIC_FADE_OUT: f64 = 2.0;

/// The ducking compressor, keyed on the voice's RMS level: a voice 10 dB over the threshold
/// (-45 dBFS) pulls the music down by 9.5 dB, a typical voice-over (-30 to -15 dBFS) by 14 to
/// 29 dB. A 20 ms attack reaches most of that within 0.1 s of a word's start; the 500 ms
/// release holds it through the gaps between words and gives the music back in a pause.
const DUCK_THRESHOLD: f64 = 0.0056;
const DUCK_RATIO: f64 = 20.0;
const DUCK_ATTACK_MS: f64 = 20.0;
const DUCK_RELEASE_MS: f64 = 500.0;

/// Integrated loudness is on target when this close (LU).
const LOUDNESS_TOLERANCE: f64 = 0.1;
/// Measurements of the limited mix allowed while looking for the gain.
const MAX_PROBES: usize = 6;
/// The most gain above the linear one (the limiter's loss made up for): a recording this
/// peaky is left quieter than the target rather than flattened.
const MAX_EXTRA_GAIN_DB: f64 = 12.0;
const MAX_GAIN_DB: f64 = 40.0;
/// Below this the mix is silence (EBU R128's absolute gate is -70 LUFS): nothing to
/// normalise.
const SILENCE_LUFS: f64 = -69.0;

/// Samples per frame read back from the scratch file.
const CACHE_FRAME: usize = 8192;

/// The most memory a music loop held by `aloop` may take (32-bit float samples at the mix's
/// rate): five and a half minutes of 48 kHz stereo. A longer track shorter than the voice is
/// decoded again from its start at each loop instead.
const LOOP_MEMORY_BYTES: u64 = 128 << 20;

/// A music file mixed under the voice.
#[derive(Debug, Clone, PartialEq)]
pub struct MusicBed {
    pub path: PathBuf,
    /// Linear gain on the file's own level (0.12 is about -18 dB).
    pub volume: f64,
    /// Whether a compressor keyed on the voice lowers the music while the voice speaks.
    pub duck: bool,
}

/// What the MP4's audio track is made of besides the voice-over, and its loudness.
/// The default: the voice alone, normalised to -14 LUFS when it is re-encoded anyway.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Soundtrack {
    pub music: Option<MusicBed>,
    pub loudness: Loudness,
}

impl Soundtrack {
    /// Whether the audio must be re-encoded even when the source is AAC.
    pub fn forces_encoding(&self) -> bool {
        self.music.is_some() || matches!(self.loudness, Loudness::Lufs(_))
    }
}

/// How a normalised soundtrack got its loudness.
#[derive(Debug, Clone, PartialEq)]
pub struct LoudnessOutcome {
    /// LUFS asked for.
    pub target: f64,
    /// Integrated loudness of the mix before normalisation (LUFS).
    pub measured: f64,
    /// Gain applied ahead of the true-peak limiter (dB).
    pub gain_db: f64,
    /// Integrated loudness of the gained and limited mix, as last measured (LUFS).
    pub result: f64,
}

/// Checks that `path` is audio FFmpeg can decode: it opens, has an audio stream, and its
/// first frame decodes. Errors name the file.
pub fn check_music(path: &Path) -> Result<(), MediaError> {
    Feed::open(path, false)?.first_frame().map(|_| ())
}

/// The channel count of `path`'s audio stream and its duration in seconds, as the
/// container states it (0 when it does not).
pub(super) fn stream_format(path: &Path) -> Result<(u16, f64), MediaError> {
    let feed = Feed::open(path, false)?;
    let seconds = feed
        .input
        .stream(feed.stream_index)
        .filter(|stream| stream.duration() > 0)
        .map(|stream| stream.duration() as f64 * f64::from(stream.time_base()))
        .unwrap_or_else(|| {
            feed.input.duration().max(0) as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE)
        });
    Ok((feed.decoder.channels(), seconds))
}

/// How a music bed shorter than the voice repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MusicLoop {
    /// `aloop` keeps the decoded, resampled track (up to this many samples) and plays it
    /// again: the file is decoded once.
    InGraph { samples: u64 },
    /// The file is read again from its start whenever it ends (and when it is longer than
    /// the voice, it just ends there).
    Reread,
}

impl MusicLoop {
    /// `InGraph` for a track shorter than the voice that fits [`LOOP_MEMORY_BYTES`] at
    /// `rate` with `channels`, else `Reread`. Durations in seconds; 0 is unknown.
    pub(super) fn choose(music: f64, voice: f64, rate: u32, channels: u16) -> MusicLoop {
        let frame_bytes = u64::from(channels.max(1)) * 4;
        let fits = (music * f64::from(rate)) as u64 * frame_bytes <= LOOP_MEMORY_BYTES;
        if music > 0.0 && music + 0.5 < voice && fits {
            MusicLoop::InGraph {
                samples: (LOOP_MEMORY_BYTES / frame_bytes).min(i32::MAX as u64),
            }
        } else {
            MusicLoop::Reread
        }
    }
}

/// Everything the mix is made with.
#[derive(Debug, Clone)]
pub(super) struct MixPlan {
    pub voice: PathBuf,
    pub music: Option<MusicBed>,
    pub music_loop: MusicLoop,
    /// Integrated loudness to reach (LUFS); `None` keeps the levels.
    pub target: Option<f64>,
    /// The output's sample rate and channel layout (mono or stereo).
    pub rate: u32,
    pub layout: ChannelLayout,
    /// The voice's expected length in samples at `rate`: the music is cut and faded to it.
    /// When the decoded voice turns out to be longer or shorter, the mix is made again.
    pub voice_samples: u64,
    /// Where the scratch file goes (the output's folder) and the output (errors name it).
    pub scratch_dir: PathBuf,
    pub target_path: PathBuf,
    /// Silence before and after the voice, in samples at `rate` (a look's intro and outro).
    pub pad: (u64, u64),
}

impl MixPlan {
    /// `adelay`/`apad` filters for the padding, each with a trailing comma; empty without.
    fn pad_filters(&self) -> String {
        let (lead, tail) = self.pad;
        let mut filters = String::new();
        if lead > 0 {
            filters.push_str(&format!("adelay=delays={lead}S:all=1,"));
        }
        if tail > 0 {
            filters.push_str(&format!("apad=pad_len={tail},"));
        }
        filters
    }
}

/// Where mixed frames go: the AAC encoder. `push` returns false when the muxer hung up
/// (the export failed elsewhere).
pub(super) trait FrameSink {
    fn frame_size(&self) -> u32;
    fn push(&mut self, frame: &mut frame::Audio) -> Result<bool, ExportError>;
}

/// Makes the soundtrack of `plan` and hands it to `sink` in frames of its size. `progress`
/// gets the fraction done (0 to 1). Returns how loudness was reached, when it was.
pub(super) fn run(
    plan: &MixPlan,
    sink: &mut dyn FrameSink,
    cancel: &AtomicBool,
    progress: &dyn Fn(f64),
) -> Result<Option<LoudnessOutcome>, ExportError> {
    let frame_size = Some(sink.frame_size()).filter(|size| *size > 0);
    let Some(target) = plan.target else {
        premix(
            plan,
            plan.voice_samples,
            &format!("{}aformat=sample_fmts=fltp", plan.pad_filters()),
            frame_size,
            cancel,
            &mut |frame| sink.push(frame),
            progress,
        )?;
        return Ok(None);
    };

    // The premix, measured, into the scratch file. Of the progress, the premix is a third,
    // the gain search a tenth, the limiting and encoding the rest.
    let io_error = |error: std::io::Error| ExportError::io(&plan.target_path, &error);
    let scratch = tempfile::tempfile_in(&plan.scratch_dir).map_err(io_error)?;
    let mut voice_samples = plan.voice_samples;
    let mut remade = false;
    let mixed = loop {
        let mut writer = BufWriter::with_capacity(1 << 20, &scratch);
        let mixed = premix(
            plan,
            voice_samples,
            "ebur128=metadata=1,aformat=sample_fmts=flt",
            None,
            cancel,
            &mut |frame| {
                let bytes = frame.samples() * usize::from(frame.channels()) * 4;
                writer
                    .write_all(&frame.data(0)[..bytes])
                    .map_err(io_error)?;
                Ok(true)
            },
            &|fraction| progress(fraction * 0.3),
        )?;
        writer.flush().map_err(io_error)?;
        drop(writer);
        // The music was planned for a voice of the container's length; a voice that decodes
        // longer or shorter (some MP3 and Ogg files misstate it) gets its mix made again, so
        // the music still ends with it, faded.
        let tolerance = u64::from(plan.rate / 20);
        if plan.music.is_some() && !remade && mixed.samples.abs_diff(voice_samples) > tolerance {
            remade = true;
            voice_samples = mixed.samples;
            scratch.set_len(0).map_err(io_error)?;
            (&scratch).seek(SeekFrom::Start(0)).map_err(io_error)?;
            continue;
        }
        break mixed;
    };
    let mut scratch = scratch;
    let measured = mixed.loudness.unwrap_or(-70.0);
    let total = (mixed.samples + plan.pad.0 + plan.pad.1).max(1) as f64;

    let ceiling = db_to_linear(LIMITER_CEILING_DB);
    let mut probes = 0usize;
    let (gain_db, result) = solve_gain(measured, target, &mut |gain| {
        probes += 1;
        progress(0.3 + 0.1 * (probes as f64 / MAX_PROBES as f64).min(1.0));
        let chain = format!(
            "volume={gain:.4}dB,alimiter=limit={ceiling:.6}:level=0:latency=1,ebur128=metadata=1"
        );
        let pass = replay(plan, &mut scratch, &chain, None, cancel, &mut |_| Ok(true))?;
        Ok(pass.loudness.unwrap_or(-70.0))
    })?;

    let rate = plan.rate;
    let oversampled = rate * TRUE_PEAK_OVERSAMPLING;
    // The cards' silence goes in after the limiter: it is not part of what was measured.
    let chain = format!(
        "volume={gain_db:.4}dB,aresample={oversampled},\
         alimiter=limit={ceiling:.6}:level=0:latency=1,aresample={rate},{pad}aformat=sample_fmts=fltp",
        pad = plan.pad_filters(),
    );
    let mut done = 0u64;
    replay(
        plan,
        &mut scratch,
        &chain,
        frame_size,
        cancel,
        &mut |frame| {
            done += frame.samples() as u64;
            progress(0.4 + 0.6 * (done as f64 / total).min(1.0));
            sink.push(frame)
        },
    )?;
    Ok(Some(LoudnessOutcome {
        target,
        measured,
        gain_db,
        result,
    }))
}

fn db_to_linear(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// The gain (dB) that brings a mix measured at `measured` LUFS to `target` once limited,
/// and the loudness that gain gave. `probe(gain)` measures the limited mix at `gain`.
///
/// The limiter only ever takes loudness away, so the linear gain is the least that can
/// reach the target; from there each step corrects by the shortfall, scaled by how much the
/// last step bought (a secant step), within [`MAX_EXTRA_GAIN_DB`].
fn solve_gain(
    measured: f64,
    target: f64,
    probe: &mut dyn FnMut(f64) -> Result<f64, ExportError>,
) -> Result<(f64, f64), ExportError> {
    if measured <= SILENCE_LUFS {
        return Ok((0.0, measured));
    }
    let linear = (target - measured).clamp(-MAX_GAIN_DB, MAX_GAIN_DB);
    let highest = (linear + MAX_EXTRA_GAIN_DB).min(MAX_GAIN_DB);
    let mut tried: Vec<(f64, f64)> = Vec::new();
    let mut gain = linear;
    for _ in 0..MAX_PROBES {
        let result = probe(gain)?;
        tried.push((gain, result));
        if (result - target).abs() <= LOUDNESS_TOLERANCE {
            break;
        }
        let shortfall = target - result;
        let step = match tried.as_slice() {
            [.., (g0, r0), (g1, r1)] if (r1 - r0).abs() > 1e-3 && (g1 - g0).abs() > 1e-3 => {
                // How many LU one dB of gain bought last time; never less than a tenth, so
                // a step stays finite where the limiter holds almost everything.
                let slope = ((r1 - r0) / (g1 - g0)).clamp(0.1, 1.0);
                shortfall / slope
            }
            _ => shortfall,
        };
        let next = (gain + step).clamp(linear, highest);
        if (next - gain).abs() < 1e-3 {
            break;
        }
        gain = next;
    }
    let best = tried
        .iter()
        .copied()
        .min_by(|a, b| (a.1 - target).abs().total_cmp(&(b.1 - target).abs()))
        .unwrap_or((linear, measured + linear));
    Ok(best)
}

/// What a pass through a graph saw.
struct Pass {
    /// Samples that came out, at the plan's rate.
    samples: u64,
    /// The last integrated loudness an `ebur128` in the graph reported (LUFS).
    loudness: Option<f64>,
}

type Deliver<'d> = dyn FnMut(&mut frame::Audio) -> Result<bool, ExportError> + 'd;

/// Decodes the voice (and the music), runs the premix with `tail` appended, and hands every
/// frame out of it to `deliver`.
///
/// With music the work is split in two graphs on two threads: one decodes the music and the
/// voice again (the key) and makes the faded, ducked bed; this one decodes the voice and sums
/// it with the bed. Ducking is the costliest step of the mix, and this way it runs beside the
/// rest instead of after it.
fn premix(
    plan: &MixPlan,
    voice_samples: u64,
    tail: &str,
    frame_size: Option<u32>,
    cancel: &AtomicBool,
    deliver: &mut Deliver<'_>,
    progress: &dyn Fn(f64),
) -> Result<Pass, ExportError> {
    let Some(bed) = &plan.music else {
        return mix_voice(
            plan,
            voice_samples,
            tail,
            frame_size,
            cancel,
            deliver,
            progress,
            None,
        );
    };
    std::thread::scope(|scope| {
        let (sender, receiver) = sync_channel(BED_QUEUE);
        let worker = scope.spawn(move || make_bed(plan, bed, voice_samples, cancel, &sender));
        let mixed = mix_voice(
            plan,
            voice_samples,
            tail,
            frame_size,
            cancel,
            deliver,
            progress,
            Some(receiver),
        );
        let made = worker.join().unwrap_or_else(|_| {
            Err(ExportError::Encoder {
                reason: "the music thread crashed".into(),
            })
        });
        // The bed's own failure is the one to report: the mix only saw its frames stop.
        made?;
        mixed
    })
}

/// Bed frames in flight between the two premix threads (a few seconds of audio).
const BED_QUEUE: usize = 64;

/// The voice's graph: `[voice]` formatted, summed with the bed frames `bed` delivers (when
/// there is music), then `tail`.
#[expect(
    clippy::too_many_arguments,
    reason = "the premix's inputs, passed straight through"
)]
fn mix_voice(
    plan: &MixPlan,
    voice_samples: u64,
    tail: &str,
    frame_size: Option<u32>,
    cancel: &AtomicBool,
    deliver: &mut Deliver<'_>,
    progress: &dyn Fn(f64),
    bed: Option<Receiver<frame::Audio>>,
) -> Result<Pass, ExportError> {
    let mut voice = Feed::open(&plan.voice, false)?;
    let first_voice = voice.first_frame()?;
    let mut sources = vec![("voice", buffer_args(&first_voice))];
    if bed.is_some() {
        sources.push((
            "bed",
            format!(
                "time_base=1/{rate}:sample_rate={rate}:sample_fmt=fltp:channel_layout=0x{:x}",
                plan.layout.bits(),
                rate = plan.rate
            ),
        ));
    }
    let spec = voice_spec(plan, tail, bed.is_some());
    let mut graph = build_graph(&sources, &spec, frame_size).map_err(graph_failure)?;
    let mut voice_source = graph_context(&mut graph, "voice")?;
    let mut bed_source = match &bed {
        Some(_) => Some(graph_context(&mut graph, "bed")?),
        None => None,
    };
    let mut out = graph_context(&mut graph, "out")?;

    // Whichever input is behind in time is fed next, so neither piles up in the graph; the
    // bed is taken up to where the voice ends.
    let mut pass = Pass {
        samples: 0,
        loudness: None,
    };
    let mut pending_voice = Some(first_voice);
    let mut voice_open = true;
    let mut bed = bed;
    let mut bed_samples = 0u64;
    let rate = f64::from(plan.rate.max(1));
    let expected = voice_samples.max(1) as f64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        if let (Some(receiver), Some(source)) = (bed.as_ref(), bed_source.as_mut()) {
            let covered = bed_samples as f64 / rate >= voice.seconds();
            if !covered || !voice_open {
                let received = if covered { None } else { receiver.recv().ok() };
                let taken = match received {
                    Some(mut frame) => {
                        frame.set_pts(Some(bed_samples as i64));
                        bed_samples += frame.samples() as u64;
                        push(source, &frame)?
                    }
                    None => false,
                };
                if !taken {
                    close(source)?;
                    bed = None;
                }
                if !drain(&mut out, &mut pass, deliver, false)? {
                    return Ok(pass);
                }
                continue;
            }
        }
        if !voice_open {
            break;
        }
        let next = match pending_voice.take() {
            Some(frame) => Some(frame),
            None => voice.next_frame()?,
        };
        let taken = match next {
            Some(frame) => push(&mut voice_source, &frame)?,
            None => false,
        };
        if !taken {
            voice_open = false;
            close(&mut voice_source)?;
        }
        if !drain(&mut out, &mut pass, deliver, false)? {
            return Ok(pass);
        }
        progress((pass.samples as f64 / expected).min(1.0));
    }
    drain(&mut out, &mut pass, deliver, true)?;
    voice.check_damage()?;
    Ok(pass)
}

/// The music's graph, on its own thread: the bed looped, cut to the voice, faded, set to its
/// volume and (keyed on a second decoding of the voice) ducked, sent frame by frame to the
/// voice's graph. Stops quietly when that one no longer listens.
fn make_bed(
    plan: &MixPlan,
    bed: &MusicBed,
    voice_samples: u64,
    cancel: &AtomicBool,
    sink: &SyncSender<frame::Audio>,
) -> Result<(), ExportError> {
    let reread = plan.music_loop == MusicLoop::Reread;
    let mut music = Feed::open(&bed.path, reread).map_err(ExportError::Music)?;
    let first_music = music.first_frame().map_err(ExportError::Music)?;
    let mut sources = vec![("music", buffer_args(&first_music))];
    // The key: the voice decoded once more, so this thread needs nothing from the other.
    let mut key = None;
    if bed.duck {
        let mut feed = Feed::open(&plan.voice, false)?;
        let first = feed.first_frame()?;
        sources.push(("key", buffer_args(&first)));
        key = Some((feed, Some(first)));
    }
    let spec = bed_spec(plan, bed, voice_samples);
    let mut graph = build_graph(&sources, &spec, None).map_err(graph_failure)?;
    let mut music_source = graph_context(&mut graph, "music")?;
    let mut key_source = match &key {
        Some(_) => Some(graph_context(&mut graph, "key")?),
        None => None,
    };
    let mut out = graph_context(&mut graph, "out")?;
    let mut pass = Pass {
        samples: 0,
        loudness: None,
    };
    let mut send = |frame: &mut frame::Audio| {
        let frame = std::mem::replace(frame, frame::Audio::empty());
        Ok(sink.send(frame).is_ok())
    };
    // The music stops once it covers the voice: at the voice's planned length (the graph
    // cuts it there exactly), or where the key ended.
    let limit = voice_samples * u64::from(music.rate) / u64::from(plan.rate.max(1));
    let mut pending_music = Some(first_music);
    let mut music_open = true;
    let mut key_open = key.is_some();
    while music_open || key_open {
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        let key_time = key
            .as_ref()
            .map_or(f64::INFINITY, |(feed, _)| feed.seconds());
        let push_music = music_open && (!key_open || music.seconds() < key_time);
        if push_music {
            let covered = music.pushed >= limit.max(1)
                || (!key_open && key.is_some() && music.seconds() >= key_time);
            let next = match (covered, pending_music.take()) {
                (true, _) => None,
                (false, Some(frame)) => Some(frame),
                (false, None) => music.next_frame().map_err(ExportError::Music)?,
            };
            let taken = match next {
                Some(frame) => push(&mut music_source, &frame)?,
                None => false,
            };
            if !taken {
                music_open = false;
                close(&mut music_source)?;
            }
        } else if let (Some((feed, first)), Some(source)) = (key.as_mut(), key_source.as_mut()) {
            let next = match first.take() {
                Some(frame) => Some(frame),
                None => feed.next_frame()?,
            };
            let taken = match next {
                Some(frame) => push(source, &frame)?,
                None => false,
            };
            if !taken {
                key_open = false;
                close(source)?;
            }
        } else {
            key_open = false;
        }
        if !drain(&mut out, &mut pass, &mut send, false)? {
            return Ok(());
        }
    }
    drain(&mut out, &mut pass, &mut send, true)?;
    Ok(())
}

/// Reads the scratch file back through `chain` (applied to `[mix]`) into `deliver`.
fn replay(
    plan: &MixPlan,
    scratch: &mut File,
    chain: &str,
    frame_size: Option<u32>,
    cancel: &AtomicBool,
    deliver: &mut Deliver<'_>,
) -> Result<Pass, ExportError> {
    let read_error = |error: std::io::Error| ExportError::io(&plan.target_path, &error);
    scratch.seek(SeekFrom::Start(0)).map_err(read_error)?;
    let format = Sample::F32(SampleType::Packed);
    let channels = usize::from(u16::try_from(plan.layout.channels()).unwrap_or(1).max(1));
    let args = format!(
        "time_base=1/{rate}:sample_rate={rate}:sample_fmt={}:channel_layout=0x{:x}",
        format.name(),
        plan.layout.bits(),
        rate = plan.rate
    );
    let spec = format!("[mix]{chain}[out]");
    let mut graph = build_graph(&[("mix", args)], &spec, frame_size).map_err(graph_failure)?;
    let mut source = graph_context(&mut graph, "mix")?;
    let mut out = graph_context(&mut graph, "out")?;
    let mut pass = Pass {
        samples: 0,
        loudness: None,
    };
    let mut reader = std::io::BufReader::with_capacity(1 << 20, &*scratch);
    let mut bytes = vec![0u8; CACHE_FRAME * channels * 4];
    let mut pts = 0i64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        let filled = read_full(&mut reader, &mut bytes).map_err(read_error)?;
        let samples = filled / (channels * 4);
        if samples == 0 {
            break;
        }
        let mut frame = frame::Audio::new(format, samples, plan.layout);
        frame.set_rate(plan.rate);
        frame.data_mut(0)[..samples * channels * 4]
            .copy_from_slice(&bytes[..samples * channels * 4]);
        frame.set_pts(Some(pts));
        pts += samples as i64;
        if !push(&mut source, &frame)? {
            break;
        }
        if !drain(&mut out, &mut pass, deliver, false)? {
            return Ok(pass);
        }
    }
    close(&mut source)?;
    drain(&mut out, &mut pass, deliver, true)?;
    Ok(pass)
}

/// Fills `buffer` as far as the reader goes; returns the bytes read.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// `[voice]` formatted to the mix's rate and layout, summed with `[bed]` when there is one,
/// then `tail`, to `[out]`.
fn voice_spec(plan: &MixPlan, tail: &str, with_bed: bool) -> String {
    let format = mix_format(plan);
    if with_bed {
        format!(
            "[voice]{format}[speech];\
             [speech][bed]amix=inputs=2:duration=first:dropout_transition=0:normalize=0,{tail}[out]"
        )
    } else {
        format!("[voice]{format},{tail}[out]")
    }
}

/// `[music]` (and the `[key]` voice) to the bed at the mix's format: repeated, cut at
/// `voice_samples`, faded in and out, set to its volume, ducked under the key.
fn bed_spec(plan: &MixPlan, bed: &MusicBed, voice_samples: u64) -> String {
    let format = mix_format(plan);
    let rate = u64::from(plan.rate);
    let fade_in = ((MUSIC_FADE_IN * rate as f64) as u64).max(1);
    let fade_out = ((MUSIC_FADE_OUT * rate as f64) as u64).max(1);
    let fade_out_start = voice_samples.saturating_sub(fade_out);
    let repeat = match plan.music_loop {
        MusicLoop::InGraph { samples } => format!("aloop=loop=-1:size={samples},"),
        MusicLoop::Reread => String::new(),
    };
    let chain = format!(
        "[music]{format},{repeat}atrim=end_sample={end},afade=t=in:ss=0:ns={fade_in},\
         afade=t=out:ss={fade_out_start}:ns={fade_out},volume={volume:.6}",
        end = voice_samples.max(1),
        volume = bed.volume,
    );
    if bed.duck {
        format!(
            "[key]{format}[keyed];{chain}[bed];\
             [bed][keyed]sidechaincompress=threshold={DUCK_THRESHOLD}:ratio={DUCK_RATIO}:\
             attack={DUCK_ATTACK_MS}:release={DUCK_RELEASE_MS},aformat=sample_fmts=fltp[out]"
        )
    } else {
        format!("{chain},aformat=sample_fmts=fltp[out]")
    }
}

fn mix_format(plan: &MixPlan) -> String {
    format!(
        "aformat=sample_fmts=fltp:sample_rates={}:channel_layouts={}",
        plan.rate,
        layout_name(plan.layout)
    )
}

fn layout_name(layout: ChannelLayout) -> &'static str {
    if layout == ChannelLayout::MONO {
        "mono"
    } else {
        "stereo"
    }
}

fn buffer_args(frame: &frame::Audio) -> String {
    format!(
        "time_base=1/{rate}:sample_rate={rate}:sample_fmt={}:channel_layout=0x{:x}",
        frame.format().name(),
        frame.channel_layout().bits(),
        rate = frame.rate()
    )
}

pub(super) fn build_graph(
    sources: &[(&str, String)],
    spec: &str,
    frame_size: Option<u32>,
) -> Result<filter::Graph, ffmpeg::Error> {
    let mut graph = filter::Graph::new();
    let source = filter::find("abuffer").ok_or(ffmpeg::Error::FilterNotFound)?;
    for (name, args) in sources {
        graph.add(&source, name, args)?;
    }
    let sink = filter::find("abuffersink").ok_or(ffmpeg::Error::FilterNotFound)?;
    graph.add(&sink, "out", "")?;
    {
        let mut parser = filter::graph::Parser::new(&mut graph);
        for (name, _) in sources {
            parser = parser.output(name, 0)?;
        }
        parser.input("out", 0)?.parse(spec)?;
    }
    graph.validate()?;
    if let (Some(size), Some(mut out)) = (frame_size, graph.get("out")) {
        out.sink().set_frame_size(size);
    }
    Ok(graph)
}

pub(super) fn graph_context(
    graph: &mut filter::Graph,
    name: &str,
) -> Result<filter::Context, ExportError> {
    graph.get(name).ok_or_else(|| ExportError::Encoder {
        reason: format!("the audio filter graph lost its '{name}' pad"),
    })
}

fn graph_failure(error: ffmpeg::Error) -> ExportError {
    ExportError::Encoder {
        reason: format!("the audio filter graph failed: {error}"),
    }
}

/// Adds `frame` to a source; false when the graph no longer takes input there (its output
/// already ended, as the music does once the voice has).
pub(super) fn push(
    source: &mut filter::Context,
    frame: &frame::Audio,
) -> Result<bool, ExportError> {
    match source.source().add(frame) {
        Ok(()) => Ok(true),
        Err(ffmpeg::Error::Eof) => Ok(false),
        Err(error) => Err(graph_failure(error)),
    }
}

pub(super) fn close(source: &mut filter::Context) -> Result<(), ExportError> {
    match source.source().flush() {
        Ok(()) | Err(ffmpeg::Error::Eof) => Ok(()),
        Err(error) => Err(graph_failure(error)),
    }
}

/// Hands out every frame the sink has now (with `to_end`, until the graph ends: every source
/// is closed by then); false when `deliver` wants no more.
fn drain(
    out: &mut filter::Context,
    pass: &mut Pass,
    deliver: &mut Deliver<'_>,
    to_end: bool,
) -> Result<bool, ExportError> {
    loop {
        let mut frame = frame::Audio::empty();
        match out.sink().frame(&mut frame) {
            Ok(()) => {
                pass.samples += frame.samples() as u64;
                if let Some(value) = frame
                    .metadata()
                    .get("lavfi.r128.I")
                    .and_then(|text| text.trim().parse::<f64>().ok())
                {
                    pass.loudness = Some(value);
                }
                if !deliver(&mut frame)? {
                    return Ok(false);
                }
            }
            Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::ffi::EAGAIN => {
                if to_end {
                    return Err(graph_failure(ffmpeg::Error::Other { errno }));
                }
                return Ok(true);
            }
            Err(ffmpeg::Error::Eof) => return Ok(true),
            Err(error) => return Err(graph_failure(error)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FeedState {
    Reading,
    Draining,
    Done,
}

/// One file's default audio stream, decoded frame by frame with sample-count timestamps;
/// `looped` starts it again from the top at its end.
struct Feed {
    path: PathBuf,
    input: ffmpeg::format::context::Input,
    stream_index: usize,
    decoder: ffmpeg::decoder::Audio,
    looped: bool,
    state: FeedState,
    pending: VecDeque<frame::Audio>,
    /// Format, layout and rate of the first frame: what the graph's source was made for.
    format: Option<(Sample, ChannelLayout, u32)>,
    /// Converts frames whose format differs from the first one's (rare mid-stream changes).
    converter: Option<Resampler>,
    rate: u32,
    /// Samples handed out (at `rate`).
    pushed: u64,
    frames_this_round: usize,
    good_packets: usize,
    bad_packets: usize,
    read_errors: usize,
}

impl Feed {
    fn open(path: &Path, looped: bool) -> Result<Feed, MediaError> {
        let (input, stream_index) = crate::media::open_audio(path)?;
        let parameters = input
            .stream(stream_index)
            .map(|stream| stream.parameters())
            .ok_or_else(|| MediaError::NoAudio {
                path: path.to_path_buf(),
            })?;
        let decoder = crate::media::audio_decoder(path, parameters)?;
        Ok(Feed {
            path: path.to_path_buf(),
            rate: decoder.rate().max(1),
            input,
            stream_index,
            decoder,
            looped,
            state: FeedState::Reading,
            pending: VecDeque::new(),
            format: None,
            converter: None,
            pushed: 0,
            frames_this_round: 0,
            good_packets: 0,
            bad_packets: 0,
            read_errors: 0,
        })
    }

    fn seconds(&self) -> f64 {
        self.pushed as f64 / f64::from(self.rate)
    }

    /// The first frame, which the graph's source is made for; a file with none is empty.
    fn first_frame(&mut self) -> Result<frame::Audio, MediaError> {
        self.next_frame()?.ok_or_else(|| MediaError::Empty {
            path: self.path.clone(),
        })
    }

    /// The next decoded frame, `None` at the end (never, for a looped feed that decodes).
    fn next_frame(&mut self) -> Result<Option<frame::Audio>, MediaError> {
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return Ok(Some(frame));
            }
            if self.state == FeedState::Done {
                return Ok(None);
            }
            let mut decoded = frame::Audio::empty();
            if self.decoder.receive_frame(&mut decoded).is_ok() {
                if decoded.samples() > 0 {
                    self.frames_this_round += 1;
                    self.accept(decoded)?;
                }
                continue;
            }
            match self.state {
                FeedState::Reading => self.read_packet(),
                FeedState::Draining => {
                    self.check_damage()?;
                    if self.looped && self.frames_this_round > 0 {
                        self.input
                            .seek(0, ..)
                            .map_err(crate::media::unreadable(&self.path))?;
                        self.decoder.flush();
                        self.frames_this_round = 0;
                        self.state = FeedState::Reading;
                    } else {
                        self.state = FeedState::Done;
                    }
                }
                FeedState::Done => {}
            }
        }
    }

    fn read_packet(&mut self) {
        let mut packet = ffmpeg::Packet::empty();
        match packet.read(&mut self.input) {
            Ok(()) => {
                if packet.stream() != self.stream_index {
                    return;
                }
                // A damaged packet is skipped, as players (and the transcription) do.
                if self.decoder.send_packet(&packet).is_ok() {
                    self.good_packets += 1;
                } else {
                    self.bad_packets += 1;
                }
            }
            Err(ffmpeg::Error::Eof) => self.end_of_input(),
            Err(_) => {
                // A read error mid-file ends the stream after a while, as a truncated file.
                self.read_errors += 1;
                if self.read_errors > 64 {
                    self.end_of_input();
                }
            }
        }
    }

    fn end_of_input(&mut self) {
        let _ = self.decoder.send_eof();
        self.state = FeedState::Draining;
    }

    /// Only a stream that is mostly damage fails.
    fn check_damage(&self) -> Result<(), MediaError> {
        if self.bad_packets > self.good_packets {
            return Err(MediaError::Corrupt {
                path: self.path.clone(),
                reason: format!(
                    "{} of {} packets could not be decoded",
                    self.bad_packets,
                    self.bad_packets + self.good_packets
                ),
            });
        }
        Ok(())
    }

    fn accept(&mut self, mut decoded: frame::Audio) -> Result<(), MediaError> {
        // WAV frames may carry no layout on FFmpeg 5.1: derive it from the channel count.
        if decoded.channel_layout().is_empty() {
            decoded.set_channel_layout(ChannelLayout::default(i32::from(decoded.channels())));
        }
        let key = (decoded.format(), decoded.channel_layout(), decoded.rate());
        let first = *self.format.get_or_insert(key);
        if key == first {
            self.stamp(decoded);
            return Ok(());
        }
        let converter = self
            .converter
            .get_or_insert_with(|| Resampler::new(first.0, first.1, first.2));
        let mut converted = Vec::new();
        converter
            .convert(&mut decoded, &mut |out| {
                if out.samples() > 0 {
                    converted.push(out.clone());
                }
            })
            .map_err(|error| MediaError::Corrupt {
                path: self.path.clone(),
                reason: error.to_string(),
            })?;
        for frame in converted {
            self.stamp(frame);
        }
        Ok(())
    }

    fn stamp(&mut self, mut frame: frame::Audio) {
        frame.set_pts(Some(self.pushed as i64));
        self.pushed += frame.samples() as u64;
        self.pending.push_back(frame);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(music: Option<MusicBed>) -> MixPlan {
        MixPlan {
            voice: PathBuf::from("voice.wav"),
            music,
            music_loop: MusicLoop::Reread,
            target: Some(-14.0),
            rate: 48_000,
            layout: ChannelLayout::STEREO,
            voice_samples: 480_000,
            scratch_dir: PathBuf::from("."),
            target_path: PathBuf::from("out.mp4"),
            pad: (0, 0),
        }
    }

    #[test]
    fn the_premix_fades_ducks_and_mixes_with_ffmpeg_filters() {
        let bed = MusicBed {
            path: PathBuf::from("bed.mp3"),
            volume: 0.12,
            duck: true,
        };
        let plan = plan(Some(bed.clone()));
        let spec = bed_spec(&plan, &bed, 480_000);
        for part in [
            "[key]aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo",
            "atrim=end_sample=480000",
            "afade=t=in:ss=0:ns=48000",
            "afade=t=out:ss=384000:ns=96000",
            "volume=0.120000",
            "[bed][keyed]sidechaincompress=threshold=0.0056:ratio=20",
        ] {
            assert!(spec.contains(part), "{part} missing from {spec}");
        }
        let looped = MixPlan {
            music_loop: MusicLoop::InGraph { samples: 1000 },
            ..plan.clone()
        };
        assert!(bed_spec(&looped, &bed, 480_000).contains("aloop=loop=-1:size=1000,atrim"));
        let undocked = bed_spec(&plan, &MusicBed { duck: false, ..bed }, 480_000);
        assert!(!undocked.contains("sidechaincompress") && !undocked.contains("[key]"));
        let mixed = voice_spec(&plan, "anull", true);
        assert!(
            mixed.contains("[speech][bed]amix=inputs=2:duration=first")
                && mixed.contains("normalize=0"),
            "{mixed}"
        );
        assert_eq!(
            voice_spec(&plan, "anull", false),
            "[voice]aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,anull[out]"
        );
    }

    /// A 16-bit mono PCM WAV of `samples` at `rate`.
    fn write_wav(path: &Path, rate: u32, samples: &[f32]) {
        let data: Vec<u8> = samples
            .iter()
            .flat_map(|sample| ((sample.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes())
            .collect();
        let mut bytes = Vec::new();
        bytes.extend_from_slice(b"RIFF");
        bytes.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        bytes.extend_from_slice(b"WAVEfmt ");
        bytes.extend_from_slice(&16u32.to_le_bytes());
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&rate.to_le_bytes());
        bytes.extend_from_slice(&(rate * 2).to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&16u16.to_le_bytes());
        bytes.extend_from_slice(b"data");
        bytes.extend_from_slice(&(data.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&data);
        crate::fs::write_atomic(path, &bytes, crate::fs::Replace::Yes).expect("wav written");
    }

    #[test]
    fn a_short_bed_repeats_both_ways_and_ends_with_the_voice() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let rate = 16_000u32;
        let voice = dir.path().join("voice.wav");
        write_wav(&voice, rate, &vec![0.0; 6 * rate as usize]);
        let music = dir.path().join("music.wav");
        let tone: Vec<f32> = (0..rate / 2)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 400.0 * i as f32 / rate as f32).sin())
            .collect();
        write_wav(&music, rate, &tone);
        let rms = |samples: &[f32]| {
            (samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32).sqrt()
        };
        for music_loop in [MusicLoop::InGraph { samples: 1 << 20 }, MusicLoop::Reread] {
            let plan = MixPlan {
                voice: voice.clone(),
                music: Some(MusicBed {
                    path: music.clone(),
                    volume: 1.0,
                    duck: false,
                }),
                music_loop,
                target: None,
                rate,
                layout: ChannelLayout::MONO,
                voice_samples: u64::from(6 * rate),
                scratch_dir: dir.path().to_path_buf(),
                target_path: dir.path().join("out.mp4"),
                pad: (0, 0),
            };
            let mut mixed: Vec<f32> = Vec::new();
            let pass = premix(
                &plan,
                plan.voice_samples,
                "aformat=sample_fmts=flt",
                None,
                &AtomicBool::new(false),
                &mut |frame| {
                    mixed.extend_from_slice(&frame.plane::<f32>(0)[..frame.samples()]);
                    Ok(true)
                },
                &|_| {},
            )
            .expect("mixed");
            assert_eq!(pass.samples, u64::from(6 * rate), "{music_loop:?}");
            assert_eq!(mixed.len(), 6 * rate as usize);
            // Between the fades, long after the half-second file ended, the tone plays on
            // at its level (RMS of a 0.5 sine: 0.354).
            let second = |from: f64, to: f64| {
                &mixed[(from * f64::from(rate)) as usize..(to * f64::from(rate)) as usize]
            };
            let steady = rms(second(1.5, 3.9));
            assert!((steady - 0.354).abs() < 0.02, "{music_loop:?}: {steady}");
            assert!(
                rms(second(5.9, 6.0)) < 0.05 * steady,
                "{music_loop:?}: no fade-out"
            );
            assert!(
                rms(second(0.0, 0.1)) < 0.15 * steady,
                "{music_loop:?}: no fade-in"
            );
        }
        assert_eq!(
            MusicLoop::choose(180.0, 600.0, 48_000, 2),
            MusicLoop::InGraph {
                samples: LOOP_MEMORY_BYTES / 8
            }
        );
        // Longer than the voice: nothing to repeat. Too long to hold, or of unknown length:
        // read again.
        assert_eq!(
            MusicLoop::choose(700.0, 600.0, 48_000, 2),
            MusicLoop::Reread
        );
        assert_eq!(
            MusicLoop::choose(1200.0, 3600.0, 48_000, 2),
            MusicLoop::Reread
        );
        assert_eq!(MusicLoop::choose(0.0, 600.0, 48_000, 2), MusicLoop::Reread);
    }

    /// A stand-in for the limited mix: loudness rises one for one with the gain until the
    /// peaks reach the limiter, then at half that rate (as espeak-ng's speech did).
    fn limited(measured: f64, knee_gain: f64) -> impl FnMut(f64) -> Result<f64, ExportError> {
        move |gain| {
            Ok(if gain <= knee_gain {
                measured + gain
            } else {
                measured + knee_gain + 0.5 * (gain - knee_gain)
            })
        }
    }

    #[test]
    fn the_gain_search_makes_up_for_the_limiter() {
        // Nothing limited: the linear gain, measured once.
        let mut calls = 0;
        let mut probe = limited(-23.0, 20.0);
        let (gain, result) = solve_gain(-23.0, -14.0, &mut |gain| {
            calls += 1;
            probe(gain)
        })
        .expect("solves");
        assert!((gain - 9.0).abs() < 1e-9 && (result + 14.0).abs() < 1e-9);
        assert_eq!(calls, 1);

        // Limiting from +3 dB on: 9 dB of linear gain gives -17 LUFS, so about 15 are needed.
        let (gain, result) = solve_gain(-23.0, -14.0, &mut limited(-23.0, 3.0)).expect("solves");
        assert!(
            (result + 14.0).abs() <= LOUDNESS_TOLERANCE,
            "{gain} -> {result}"
        );
        assert!((gain - 15.0).abs() < 0.3, "{gain}");

        // A target out of reach stops at the most extra gain allowed, as near as it gets.
        let (gain, result) = solve_gain(-23.0, -14.0, &mut |gain| {
            Ok(-23.0 + gain.min(2.0) + 0.01 * gain)
        })
        .expect("solves");
        assert!(gain <= 9.0 + MAX_EXTRA_GAIN_DB + 1e-9, "{gain}");
        assert!(result < -14.0);

        // Silence is left alone.
        let (gain, _) = solve_gain(-70.0, -14.0, &mut |_| panic!("no probe")).expect("solves");
        assert_eq!(gain, 0.0);
    }
}
